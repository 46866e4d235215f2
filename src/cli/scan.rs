//! `tighten scan`: the main job. Source tree in, suggested policy out.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use crate::need::{NeedSet, Source};
use crate::policy::synth::synthesize;
use crate::scan::{ScanOptions, ScanReport, scan_path};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanFormat {
    /// The policy document (IAM JSON), pipeable to `aws iam put-role-policy`.
    Policy,
    /// The full report: policy, needs with their sources, unresolved calls.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Lambda source directory (or one .py file).
    pub path: PathBuf,

    /// Output format.
    ///
    /// `policy` (default) prints only the policy document on stdout and a
    /// short summary on stderr; `json` prints the report with `needs`,
    /// `unresolved` and `warnings`.
    #[arg(long, value_enum, default_value = "policy")]
    pub format: ScanFormat,

    /// Print each action with the code lines behind it (to stderr).
    #[arg(long)]
    pub explain: bool,

    /// Also grant optional needs (KMS for customer managed keys, multipart
    /// abort).
    #[arg(long)]
    pub include_optional: bool,

    /// Region to use instead of the `${AWS::Region}` placeholder.
    #[arg(long)]
    pub region: Option<String>,

    /// Account id to use instead of the `${AWS::AccountId}` placeholder.
    #[arg(long)]
    pub account: Option<String>,

    /// Lambda handler as `module.function` (default: functions shaped like
    /// `handler(event, context)`).
    #[arg(long)]
    pub handler: Option<String>,

    /// Function name for the CloudWatch Logs log group
    /// (`/aws/lambda/NAME`); default: a `${FunctionName}` placeholder.
    #[arg(long)]
    pub function_name: Option<String>,

    /// Do not add the CloudWatch Logs permissions every Lambda needs.
    #[arg(long)]
    pub no_logs: bool,

    /// Set an environment variable's value for `${NAME}` placeholders
    /// (repeatable): `--env TABLE=orders`.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let mut opts = ScanOptions {
        region: args.region.clone(),
        account: args.account.clone(),
        handler: args.handler.clone(),
        ..Default::default()
    };
    for kv in &args.env {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--env {kv}: expected NAME=VALUE"))?;
        opts.env.insert(k.to_string(), v.to_string());
    }
    let mut report = scan_path(&args.path, &opts)?;
    if !args.no_logs {
        report.needs.merge(log_needs(&args, &opts));
    }
    let needs = report.needs.for_policy(args.include_optional);
    let policy = synthesize(&needs);
    let mut out = std::io::stdout().lock();
    let text = match args.format {
        ScanFormat::Policy => policy.to_pretty_json(),
        ScanFormat::Json => serde_json::to_string_pretty(&report_json(&report, &policy))?,
    };
    // A closed pipe (`| head`) is not an error worth a message.
    if writeln!(out, "{text}").is_err() {
        return Ok(ExitCode::SUCCESS);
    }
    summary(&report, args.explain);
    Ok(ExitCode::SUCCESS)
}

/// Every Lambda writes its logs: CreateLogGroup on the group, the stream
/// actions on its streams.
pub fn log_needs(args: &ScanArgs, opts: &ScanOptions) -> NeedSet {
    let region = opts.region.as_deref().unwrap_or("${AWS::Region}");
    let account = opts.account.as_deref().unwrap_or("${AWS::AccountId}");
    let name = args.function_name.as_deref().unwrap_or("${FunctionName}");
    let group = format!("arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{name}");
    let mut set = NeedSet::new();
    let src = Source::Platform {
        reason: "every Lambda function writes to its CloudWatch Logs log group".into(),
        file: None,
        line: None,
    };
    set.add("logs:CreateLogGroup", [group.clone()], false, src.clone());
    for a in ["logs:CreateLogStream", "logs:PutLogEvents"] {
        set.add(a, [format!("{group}:*")], false, src.clone());
    }
    set
}

pub fn report_json(report: &ScanReport, policy: &crate::policy::PolicyDocument) -> serde_json::Value {
    let needs: Vec<&crate::need::Need> = report.needs.iter().collect();
    json!({
        "version": 1,
        "policy": policy,
        "needs": needs,
        "unresolved": report.unresolved,
        "assumed_role_calls": report.assumed_role_calls,
        "warnings": report.warnings,
        "files_scanned": report.files_scanned,
    })
}

fn summary(report: &ScanReport, explain: bool) {
    let mut err = std::io::stderr().lock();
    let required = report.needs.iter().filter(|n| !n.optional).count();
    let optional = report.needs.iter().filter(|n| n.optional).count();
    let services: BTreeSet<&str> = report
        .needs
        .iter()
        .filter_map(|n| n.action.split(':').next())
        .collect();
    let _ = writeln!(
        err,
        "tighten: {} files, {required} actions on {} services ({optional} optional, not granted unless --include-optional)",
        report.files_scanned,
        services.len()
    );
    for w in &report.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    for u in &report.unresolved {
        let _ = writeln!(err, "unresolved: {}:{}: {}", u.file, u.line, u.reason);
    }
    for f in &report.assumed_role_calls {
        let _ = writeln!(
            err,
            "note: {}:{}: {} runs with assumed-role credentials ({}); not part of this role's policy",
            f.file,
            f.line,
            f.call,
            f.actions.join(", ")
        );
    }
    if explain {
        for n in report.needs.iter() {
            let opt = if n.optional { " (optional)" } else { "" };
            let _ = writeln!(err, "{}{opt}", n.action);
            for r in &n.resources {
                let _ = writeln!(err, "    on {r}");
            }
            for s in &n.sources {
                let line = match s {
                    Source::Code { file, line, call } => format!("{file}:{line}: {call}"),
                    Source::Trail { count, last_seen, .. } => format!(
                        "CloudTrail: {count} events, last {}",
                        last_seen.as_deref().unwrap_or("?")
                    ),
                    Source::Platform { reason, .. } => format!("platform: {reason}"),
                };
                let _ = writeln!(err, "    because {line}");
            }
        }
    }
}
