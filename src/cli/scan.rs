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
    /// A CloudFormation/SAM `Policies` snippet (YAML).
    Yaml,
    /// A Terraform `aws_iam_policy_document` data block.
    Terraform,
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

    /// SAM or CloudFormation template of the function.
    ///
    /// Gives the environment variables (so `${NAME}` placeholders resolve),
    /// the handler, the function name for its log group, and platform needs:
    /// X-Ray when tracing is active, ENI actions in a VPC, the SQS/Kinesis/
    /// DynamoDB stream actions of its event sources.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// Logical id of the function in the template, when it has several.
    #[arg(long, value_name = "LOGICAL_ID", requires = "template")]
    pub function: Option<String>,

    #[command(flatten)]
    pub trail: crate::cloudtrail::TrailSourceArgs,
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
    if let Some(sql) = crate::cloudtrail::athena_sql(&args.trail)?
        && args.trail.print_sql
    {
        println!("{sql}");
        return Ok(ExitCode::SUCCESS);
    }
    let t = std::time::Instant::now();
    let evidence = gather(&args, &mut opts)?;
    let t = crate::timing::phase("scan: gather", t);
    let report = &evidence.report;
    let needs = report.needs.for_policy(args.include_optional);
    let policy = synthesize(&needs);
    verify_suggested(&policy, &needs)?;
    let t = crate::timing::phase("scan: synthesize and verify", t);
    let mut out = std::io::stdout().lock();
    let text = match args.format {
        ScanFormat::Policy => policy.to_pretty_json(),
        ScanFormat::Json => {
            let mut j = report_json(report, &policy);
            if let Some(t) = &evidence.trail {
                j["trail"] = json!({
                    "stats": t.stats,
                    "denied": t.denied,
                    "unmapped": t.unmapped,
                });
            }
            serde_json::to_string_pretty(&j)?
        }
        ScanFormat::Yaml => crate::report::policy_formats::cloudformation_yaml(&policy),
        ScanFormat::Terraform => crate::report::policy_formats::terraform(&policy),
    };
    // A closed pipe (`| head`) is not an error worth a message.
    if writeln!(out, "{text}").is_err() {
        return Ok(ExitCode::SUCCESS);
    }
    summary(report, args.explain);
    crate::timing::phase("scan: output", t);
    Ok(ExitCode::SUCCESS)
}

/// Everything `scan` knows about the function: code, template, CloudTrail.
pub struct Evidence {
    pub report: ScanReport,
    pub trail: Option<crate::cloudtrail::TrailEvidence>,
    pub function: Option<crate::context::FunctionContext>,
}

/// Scans the code with the template's context and merges platform and
/// CloudTrail needs. Shared by `scan`, `diff` and `check`.
pub fn gather(args: &ScanArgs, opts: &mut ScanOptions) -> anyhow::Result<Evidence> {
    let mut function = None;
    let mut template_warnings = Vec::new();
    if let Some(t) = &args.template {
        let tpl = crate::context::load_template(t)?;
        let f = select_function(&tpl, args.function.as_deref(), &args.path)?.clone();
        for (k, v) in &f.env {
            opts.env.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if opts.handler.is_none() {
            opts.handler = f.handler.clone();
        }
        template_warnings = tpl.warnings.clone();
        function = Some((f.clone(), tpl));
    }
    let mut report = scan_path(&args.path, opts)?;
    report.warnings.extend(template_warnings);
    match &function {
        Some((f, tpl)) => {
            report.needs.merge(f.platform_needs());
            // Resources the template encrypts with its own KMS key need that
            // key's actions for real, not as an optional guess.
            let enc = tpl.encryption_needs(&report.needs);
            report.needs.merge(enc);
        }
        None if !args.no_logs => report
            .needs
            .merge(log_needs(opts, args.function_name.as_deref())),
        None => {}
    }
    let trail = crate::cloudtrail::collect(&args.trail)?;
    if let Some(t) = &trail {
        report.needs.merge(t.needs.clone());
        for d in &t.denied {
            // Denied calls are needs the role lacks: they belong in the policy.
            for s in &d.sources {
                report
                    .needs
                    .add(&d.action, d.resources.clone(), d.optional, s.clone());
            }
        }
        for e in &t.stats.errors {
            report.warnings.push(format!("CloudTrail: {e:?}"));
        }
    }
    Ok(Evidence {
        report,
        trail,
        function: function.map(|(f, _)| f),
    })
}

/// The template's function for this scan: `--function`, the only one, or
/// the one whose `CodeUri` is the scanned directory.
fn select_function<'t>(
    tpl: &'t crate::context::Template,
    id: Option<&str>,
    path: &std::path::Path,
) -> anyhow::Result<&'t crate::context::FunctionContext> {
    if id.is_none() && tpl.functions.len() > 1 {
        let want = std::fs::canonicalize(path).ok();
        let found: Vec<&crate::context::FunctionContext> = tpl
            .functions
            .iter()
            .filter(|f| {
                f.code_dir(&tpl.path)
                    .and_then(|d| std::fs::canonicalize(d).ok())
                    .is_some_and(|d| Some(d) == want)
            })
            .collect();
        if let [only] = found.as_slice() {
            return Ok(only);
        }
    }
    Ok(tpl.select(id)?)
}

/// Every Lambda writes its logs: CreateLogGroup on the group, the stream
/// actions on its streams. Without a template the group is known only by the
/// function's name, else a `${FunctionName}` placeholder.
pub fn log_needs(opts: &ScanOptions, function: Option<&str>) -> NeedSet {
    let region = opts.region.as_deref().unwrap_or("${AWS::Region}");
    let account = opts.account.as_deref().unwrap_or("${AWS::AccountId}");
    let name = function.unwrap_or("${FunctionName}");
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

pub fn report_json(
    report: &ScanReport,
    policy: &crate::policy::PolicyDocument,
) -> serde_json::Value {
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
                    Source::Trail {
                        count, last_seen, ..
                    } => format!(
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

/// The last gate before a policy is printed: every action exists in the IAM
/// action list, none is a wildcard, and the local evaluator allows every
/// need. A failure here is a bug in tighten, never something to print.
pub fn verify_suggested(
    policy: &crate::policy::PolicyDocument,
    needs: &[crate::need::Need],
) -> anyhow::Result<()> {
    let table = crate::actionmap::table();
    for n in needs {
        if n.action.contains('*') || n.action.contains('?') || !table.is_known_action(&n.action) {
            anyhow::bail!(
                "internal error: `{}` is not an exact IAM action; refusing to print the policy (please report this bug)",
                n.action
            );
        }
    }
    let unallowed = crate::policy::eval::unallowed_needs(policy, needs)?;
    if let Some(u) = unallowed.first() {
        anyhow::bail!(
            "internal error: the suggested policy does not allow {} on {} ({:?}); refusing to print it (please report this bug)",
            u.action,
            u.resource,
            u.decision
        );
    }
    Ok(())
}
