//! `tighten check`: the CI gate. Runs the rules of `crate::lint` over the
//! role's current policy and what the code needs, prints the findings in
//! the chosen format, and returns exit code 1 when one is at or above
//! `--fail-on` (0 otherwise; errors are 2, chosen by `main`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::lint::config::Config;
use crate::lint::input::{CheckRequest, gather};
use crate::lint::output::{self, Format, Paint};
use crate::lint::{Severity, Summary};

/// `--fail-on` when neither the flag nor the configuration sets it: broad
/// and missing grants fail a build, low-signal notes do not.
pub const DEFAULT_FAIL_ON: Severity = Severity::Medium;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Lambda source directory (or one .py file).
    pub path: PathBuf,

    /// The current policy as a file.
    ///
    /// A policy document, or the output of `aws iam get-role-policy`, `aws
    /// iam get-policy-version` or `aws iam get-account-authorization-details`
    /// (pick the role with `--role`). Checked instead of the template's or
    /// the deployed role's policy; `--template` still gives the context.
    #[arg(long, value_name = "FILE")]
    pub current: Option<PathBuf>,

    /// SAM/CloudFormation template of the function.
    ///
    /// Gives the environment variables, the platform needs (logs, X-Ray,
    /// VPC, event sources) and, without `--current`, the current policy:
    /// inline `Policies`, managed policies and SAM policy templates.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// The function: a logical id in `--template`, else a deployed function.
    ///
    /// Without `--template` and `--current`, reads the deployed function's
    /// configuration and its role's policies from AWS.
    #[arg(long, value_name = "NAME")]
    pub function: Option<String>,

    /// AWS profile for `--function` / `--role` lookups.
    #[arg(long)]
    pub profile: Option<String>,

    /// Region to use instead of the `${AWS::Region}` placeholder.
    ///
    /// Also the region AWS lookups go to.
    #[arg(long)]
    pub region: Option<String>,

    /// Account id to use instead of the `${AWS::AccountId}` placeholder.
    #[arg(long)]
    pub account: Option<String>,

    /// Exit 1 when a finding is at or above this severity.
    ///
    /// Default: `fail-on` in tighten.toml, else `medium`.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,

    /// Output format.
    ///
    /// `text` for people, `json` for scripts, `sarif` for code scanning
    /// uploads, `github` for annotations in a GitHub Actions log.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Configuration file.
    ///
    /// Default: `tighten.toml` or `.tighten.toml` in PATH's directory or the
    /// nearest one above it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Always exit 0 when the check ran, whatever it found.
    ///
    /// Errors (an unreadable policy, a bad configuration) still exit 2.
    #[arg(long)]
    pub exit_zero: bool,

    /// Do not add the CloudWatch Logs permissions every Lambda needs.
    ///
    /// For code that does not run on Lambda. With `--template`, the
    /// template's platform needs are used as they are.
    #[arg(long)]
    pub no_logs: bool,

    #[command(flatten)]
    pub trail: crate::cloudtrail::TrailSourceArgs,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => match Config::find(&args.path) {
            Some(p) => Config::load(&p)?,
            None => Config::default(),
        },
    };
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(DEFAULT_FAIL_ON);
    let request = CheckRequest {
        path: args.path.clone(),
        current: args.current.clone(),
        template: args.template.clone(),
        function: args.function.clone(),
        role: args.trail.role.clone(),
        profile: args.profile.clone(),
        region: args.region.clone(),
        account: args.account.clone(),
        no_logs: args.no_logs,
        trail: args.trail.clone(),
        allowed_actions: config.allowed_action_set(),
    };
    let gathered = gather(&request)?;
    let (findings, ignored) =
        crate::lint::run(&gathered.context, &config, gathered.role.as_deref());
    let summary = Summary::of(&findings, ignored, fail_on);
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let text = match args.format {
        Format::Text => {
            let on = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            output::text(&findings, &summary, &gathered.warnings, Paint { on })
        }
        Format::Json => output::json(&findings, &summary, &gathered.warnings),
        Format::Sarif => crate::lint::sarif::sarif(&findings, &cwd),
        Format::Github => {
            output::github(&findings, &cwd) + &output::github_warnings(&gathered.warnings)
        }
    };
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if summary.failed && !args.exit_zero {
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
