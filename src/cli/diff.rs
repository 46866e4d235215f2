//! `tighten diff`: what the role's current policy grants that the code does
//! not need (removed), what stays (kept), and what the code needs that the
//! role lacks (missing: an AccessDenied waiting to happen), plus the
//! unified diff from the current policy to the suggested one.
//!
//! Needs come from the scan and the template's platform needs; the current
//! policy from `--current`, else the template, else AWS. The suggested
//! policy is checked with the evaluator before anything is printed: a
//! policy that does not allow every need is a bug in tighten, never output.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::json;

use crate::diff::{PolicyDiff, diff, merged_current, unified};
use crate::need::{Need, NeedSet, Source};
use crate::policy::current::CurrentPolicy;
use crate::policy::eval::unallowed_needs;
use crate::policy::parse::{ParseOptions, PolicySet, parse_current, read_policy_file};
use crate::policy::pattern::ActionIndex;
use crate::policy::synth::synthesize;
use crate::policy::{Location, PolicyDocument};
use crate::scan::{ScanOptions, scan_path};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    /// Summary, missing needs with their code lines, then the unified diff.
    Text,
    /// Versioned JSON report (`version`, `current`, `suggested`, `removed`,
    /// `kept`, `missing`, `unified_diff`, ...).
    Json,
}

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// Lambda source directory (or one .py file).
    pub path: PathBuf,

    /// The current policy as a file.
    ///
    /// A policy document, or the output of `aws iam get-role-policy`,
    /// `aws iam get-policy-version` or `aws iam
    /// get-account-authorization-details` (pick the role with `--role` when
    /// the dump holds several). Compared instead of the template's or the
    /// deployed role's policy; `--template` still gives the context.
    #[arg(long, value_name = "FILE")]
    pub current: Option<PathBuf>,

    /// SAM/CloudFormation template of the function.
    ///
    /// Gives the environment variables that fill `${NAME}` placeholders, the
    /// platform needs (logs, X-Ray, VPC, event sources), and, without
    /// `--current`, the role's current policy.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// The function: a logical id in `--template`, else a deployed function.
    ///
    /// With a template that defines several functions, picks one by logical
    /// id. Without `--template` and `--current`, reads the deployed
    /// function's configuration and its role's policies from AWS.
    #[arg(long, value_name = "NAME")]
    pub function: Option<String>,

    /// The role, by name or ARN.
    ///
    /// Picks the role in a `get-account-authorization-details` file given
    /// with `--current`; without `--current` and `--template`, reads the
    /// role's policies from IAM.
    #[arg(long, value_name = "NAME|ARN", conflicts_with = "function")]
    pub role: Option<String>,

    /// AWS profile for `--function` / `--role` lookups.
    #[arg(long)]
    pub profile: Option<String>,

    /// Region to use instead of the `${AWS::Region}` placeholder.
    ///
    /// Also the region AWS lookups go to.
    #[arg(long)]
    pub region: Option<String>,

    /// Account id to use instead of the `${AWS::AccountId}` placeholder.
    ///
    /// Taken from the role's ARN when the policy is read from AWS.
    #[arg(long)]
    pub account: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,

    /// Count optional needs as required.
    ///
    /// Optional needs (KMS for customer managed keys, multipart abort) go
    /// into the suggested policy, and when the current policy lacks them
    /// they are reported as missing rather than listed apart.
    #[arg(long)]
    pub include_optional: bool,

    /// Do not add the CloudWatch Logs permissions every Lambda needs.
    ///
    /// For code that does not run on Lambda. With `--template`, the
    /// template's platform needs are used as they are.
    #[arg(long)]
    pub no_logs: bool,

    /// CloudTrail log files or directories of the role's activity.
    ///
    /// What the role did is added to the needs (so a permission a library
    /// used is kept), and removals are split into "never used in the window"
    /// and "unobservable" (data events and `iam:PassRole`, which CloudTrail
    /// does not record by default, prove nothing by their absence).
    /// `s3://bucket/prefix` reads the trail's bucket directly.
    #[arg(long = "trail-logs", value_name = "DIR|FILE|s3://BUCKET/PREFIX")]
    pub trail_logs: Vec<PathBuf>,

    /// The role whose CloudTrail sessions to read (default: `--role`, or the
    /// deployed function's role).
    #[arg(long = "trail-role", value_name = "NAME|ARN")]
    pub trail_role: Option<String>,

    /// Start of the CloudTrail window (RFC 3339 date or `90d`); default 90
    /// days ago.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// End of the CloudTrail window; default now.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// Everything the report is made of.
struct Inputs {
    needs: Vec<Need>,
    trail: Option<crate::cloudtrail::TrailEvidence>,
    current: PolicySet,
    current_raw: CurrentPolicy,
    warnings: Vec<String>,
    unresolved: Vec<crate::scan::Unresolved>,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let inputs = gather(&args)?;
    let actions = ActionIndex::bundled();
    let required: Vec<Need> = inputs
        .needs
        .iter()
        .filter(|n| args.include_optional || !n.optional)
        .cloned()
        .collect();
    let suggested = synthesize(&required);
    let unallowed =
        unallowed_needs(&suggested, &required).context("checking the suggested policy")?;
    if !unallowed.is_empty() {
        let list: Vec<String> = unallowed
            .iter()
            .map(|u| format!("{} on {} ({:?})", u.action, u.resource, u.decision))
            .collect();
        bail!(
            "bug in tighten: the suggested policy does not allow {} need(s): {}; please report it",
            list.len(),
            list.join(", ")
        );
    }
    let mut warnings = inputs.warnings.clone();
    if actions.is_empty() {
        warnings.push(
            "the bundled IAM action list is empty: wildcard grants cannot be expanded, so `removed` is incomplete"
                .into(),
        );
    }
    let d = diff(
        &inputs.needs,
        &inputs.current,
        actions,
        args.include_optional,
    );
    let current_doc = merged_current(&inputs.current);
    let udiff = unified::unified_diff(&current_doc, &suggested);

    let text = match args.format {
        DiffFormat::Json => {
            let sources: Vec<serde_json::Value> = inputs
                .current_raw
                .documents
                .iter()
                .map(|d| json!({"origin": d.origin, "file": d.file, "line": d.line}))
                .collect();
            let report = json!({
                "version": 1,
                "current": unified::normalise(&current_doc),
                "current_sources": sources,
                "boundary": inputs.current.boundary.as_ref().map(|b| b.origin.clone()),
                "suggested": suggested,
                "summary": d.summary,
                "totals": d.totals(),
                "removed": d.removed,
                "kept": d.kept,
                "missing": d.missing,
                "conditional": d.conditional,
                "optional_missing": d.optional_missing,
                "narrowed": d.narrowed,
                "unknown_actions": d.unknown_actions,
                "unresolved": inputs.unresolved,
                "warnings": warnings,
                "unified_diff": udiff,
            });
            let mut report = report;
            if let Some(t) = &inputs.trail {
                let (unused, unobservable) = trail_split(&d.removed);
                report["cloudtrail"] = json!({
                    "stats": t.stats,
                    "denied": t.denied,
                    "removed_never_used": unused,
                    "removed_unobservable": unobservable,
                });
            }
            serde_json::to_string_pretty(&report)? + "\n"
        }
        DiffFormat::Text => {
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let mut t = render_text(&d, &inputs, &warnings, &udiff, Style { on: colour });
            if let Some(ev) = &inputs.trail {
                let (unused, unobservable) = trail_split(&d.removed);
                t.push_str(&format!(
                    "\nCloudTrail ({} records of the role): {} removed actions were never used in the window; {} are unobservable (data events, iam:PassRole), so their absence proves nothing\n",
                    ev.stats.matched,
                    unused.len(),
                    unobservable.len()
                ));
            }
            t
        }
    };
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn gather(args: &DiffArgs) -> anyhow::Result<Inputs> {
    let mut warnings = Vec::new();
    let mut opts = ScanOptions {
        region: args.region.clone(),
        account: args.account.clone(),
        ..Default::default()
    };
    let mut platform = NeedSet::new();
    let mut from_template: Option<CurrentPolicy> = None;
    let mut deployed_name: Option<String> = None;
    let mut deployed_role: Option<String> = None;
    let mut loaded_template: Option<crate::context::Template> = None;

    if let Some(t) = &args.template {
        let template = crate::context::load_template(t)?;
        let f = match args.function.as_deref() {
            Some(name) => match template
                .functions
                .iter()
                .find(|f| f.function_name.as_deref() == Some(name))
            {
                Some(f) => f,
                None => template.select(Some(name))?,
            },
            None => template.select(None)?,
        };
        opts.env = f.env.clone();
        opts.handler = f.handler.clone();
        platform.merge(f.platform_needs());
        warnings.extend(template.warnings.iter().cloned());
        from_template = Some(f.current_policy.clone());
        loaded_template = Some(template);
    }

    let (current, current_raw) = if let Some(path) = &args.current {
        let set = read_policy_file(path, args.role.as_deref())?;
        let raw = CurrentPolicy {
            documents: set
                .identity
                .iter()
                .map(|p| crate::policy::current::SourcedPolicy {
                    origin: p.origin.clone(),
                    file: p.file.clone(),
                    line: p.statements.first().and_then(|s| s.location.line),
                    document: serde_json::to_value(PolicyDocument {
                        version: "2012-10-17".into(),
                        statement: p.statements.iter().map(|s| s.to_statement()).collect(),
                    })
                    .unwrap_or_default(),
                })
                .collect(),
            boundary: None,
            warnings: set.warnings.clone(),
        };
        (set, raw)
    } else if let Some(cp) = from_template {
        (parse_current(&cp, ParseOptions { intrinsics: true })?, cp)
    } else if args.function.is_some() || args.role.is_some() {
        let aws = crate::aws::AwsOptions {
            profile: args.profile.clone(),
            region: args.region.clone(),
            endpoint_url: None,
        };
        let (cp, account) = if let Some(name) = &args.function {
            let (config, cp, account) = crate::aws::current_for_function(name, &aws)?;
            if opts.env.is_empty() {
                opts.env = config.env.clone();
            }
            if opts.handler.is_none() {
                opts.handler = config.handler.clone();
            }
            deployed_name = Some(config.name.clone());
            deployed_role = Some(config.role_arn.clone());
            if args.template.is_none() {
                platform.merge(crate::context::platform::configuration_needs(
                    &config.name,
                    config.tracing_active,
                    config.in_vpc,
                ));
            }
            (cp, account)
        } else {
            let role = args.role.as_deref().unwrap_or_default();
            crate::aws::current_for_role(role, &aws)?
        };
        if opts.account.is_none() {
            opts.account = Some(account);
        }
        (parse_current(&cp, ParseOptions::default())?, cp)
    } else {
        bail!(
            "no current policy to compare: give --current FILE, --template FILE, --function NAME or --role NAME"
        );
    };
    warnings.extend(current.warnings.iter().cloned());

    let report = scan_path(&args.path, &opts)?;
    warnings.extend(report.warnings.iter().cloned());
    let mut needs = report.needs.clone();
    if let Some(t) = &loaded_template {
        // Resources the template encrypts with its own key need that key.
        let enc = t.encryption_needs(&needs);
        needs.merge(enc);
    }
    let trail = if args.trail_logs.is_empty() {
        None
    } else {
        let role = args
            .trail_role
            .clone()
            .or_else(|| args.role.clone())
            .or(deployed_role.clone())
            .context("--trail-logs: name the role whose sessions to read with --trail-role (or --role/--function)")?;
        let targs = crate::cloudtrail::TrailSourceArgs {
            trail_logs: args.trail_logs.clone(),
            role: Some(role),
            since: args.since.clone(),
            until: args.until.clone(),
            ..Default::default()
        };
        let ev = crate::cloudtrail::collect(&targs)?;
        if let Some(ev) = &ev {
            needs.merge(ev.needs.clone());
            for d in &ev.denied {
                for s in &d.sources {
                    needs.add(&d.action, d.resources.clone(), d.optional, s.clone());
                }
            }
        }
        ev
    };
    if args.template.is_none() && !args.no_logs {
        // The log group is named after the deployed function, else after
        // `--function`, else a placeholder.
        let name = deployed_name.as_deref().or(args.function.as_deref());
        platform.merge(crate::cli::scan::log_needs(&opts, name));
    }
    needs.merge(platform);
    for n in needs.iter().filter(|n| n.resources.is_empty()) {
        warnings.push(format!(
            "{} has no resource to evaluate; left out of the diff and the policy",
            n.action
        ));
    }
    Ok(Inputs {
        needs: needs.for_policy(true),
        trail,
        current,
        current_raw,
        warnings,
        unresolved: report.unresolved,
    })
}

/// ANSI styling, on only for a terminal without `NO_COLOR`.
#[derive(Clone, Copy)]
struct Style {
    on: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    fn cyan(self, s: &str) -> String {
        self.paint("36", s)
    }
}

fn source_line(s: &Source) -> String {
    match s {
        Source::Code { file, line, call } => format!("{file}:{line}: {call}"),
        Source::Trail {
            count, last_seen, ..
        } => {
            format!(
                "CloudTrail: {count} events, last {}",
                last_seen.as_deref().unwrap_or("?")
            )
        }
        Source::Platform { reason, file, line } => match (file, line) {
            (Some(f), Some(l)) => format!("{f}:{l}: {reason}"),
            _ => format!("platform: {reason}"),
        },
    }
}

fn locations(l: &[Location]) -> String {
    l.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Removed actions are listed one by one up to this many; past it (an
/// `AdministratorAccess`-like grant) they are counted per service, and the
/// full list stays in the JSON output.
const REMOVED_LIST_LIMIT: usize = 60;

fn render_text(
    d: &PolicyDiff,
    inputs: &Inputs,
    warnings: &[String],
    udiff: &str,
    st: Style,
) -> String {
    let mut o = String::new();
    let t = d.totals();
    let docs = inputs.current.identity.len();
    let statements = inputs.current.identity_statements().count();
    o += &format!(
        "{} current policy: {docs} document(s), {statements} statement(s)\n",
        st.bold("tighten diff:")
    );
    o += &format!(
        "  {} removed, {} kept, {} missing, {} conditional, {} narrowed, {} optional not granted\n",
        st.red(&t.removed.to_string()),
        t.kept,
        if t.missing > 0 {
            st.red(&t.missing.to_string())
        } else {
            t.missing.to_string()
        },
        t.conditional,
        t.narrowed,
        t.optional_missing
    );
    // Services the role needs; the ones it only loses are counted under
    // "Removed" (an AdministratorAccess diff touches hundreds).
    let needed: Vec<(&String, &crate::diff::ServiceCounts)> = d
        .summary
        .iter()
        .filter(|(_, c)| c.kept + c.missing + c.conditional + c.optional_missing + c.narrowed > 0)
        .collect();
    if !needed.is_empty() {
        o += "\n  service                 removed   kept  missing  conditional  optional\n";
        for (svc, c) in needed {
            o += &format!(
                "  {svc:<22} {:>8} {:>6} {:>8} {:>12} {:>9}\n",
                c.removed, c.kept, c.missing, c.conditional, c.optional_missing
            );
        }
    }

    let need_block = |o: &mut String,
                      title: &str,
                      list: &[crate::diff::Missing],
                      paint: &dyn Fn(&str) -> String| {
        if list.is_empty() {
            return;
        }
        *o += &format!("\n{}\n", st.bold(title));
        for m in list {
            let why = match m.decision {
                crate::policy::Decision::Denied => format!("denied by {}", locations(&m.denied_by)),
                crate::policy::Decision::ConditionallyAllowed => {
                    m.note.clone().unwrap_or_else(|| "conditional".into())
                }
                _ => "not granted".into(),
            };
            *o += &format!("  {} on {}  ({why})\n", paint(&m.action), m.resource);
            for s in &m.sources {
                *o += &format!("      {}\n", source_line(s));
            }
            if m.decision == crate::policy::Decision::ConditionallyAllowed
                && !m.allowed_by.is_empty()
            {
                *o += &format!("      granted by {}\n", locations(&m.allowed_by));
            }
        }
    };
    need_block(
        &mut o,
        "Missing (an AccessDenied waiting to happen):",
        &d.missing,
        &|s| st.red(s),
    );
    need_block(
        &mut o,
        "Conditional (allowed only in some cases):",
        &d.conditional,
        &|s| st.yellow(s),
    );
    need_block(
        &mut o,
        "Optional needs not granted (see --include-optional):",
        &d.optional_missing,
        &|s| st.yellow(s),
    );

    if !d.narrowed.is_empty() {
        o += &format!(
            "\n{}\n",
            st.bold("Narrowed (needed, granted on more than needed):")
        );
        for n in &d.narrowed {
            let mut granted: Vec<String> = n.granted.iter().cloned().collect();
            granted.extend(
                n.granted_not_resources
                    .iter()
                    .map(|r| format!("all but {r}")),
            );
            o += &format!(
                "  {}: granted on {}; needed on {}\n",
                n.action,
                granted.join(", "),
                n.needed.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }

    if !d.removed.is_empty() {
        o += &format!("\n{}\n", st.bold("Removed (granted, not needed):"));
        if d.removed.len() <= REMOVED_LIST_LIMIT {
            for r in &d.removed {
                let mut res: Vec<String> = r.resources.iter().cloned().collect();
                res.extend(r.not_resources.iter().map(|x| format!("all but {x}")));
                let cond = if r.conditional {
                    " (conditional grant)"
                } else {
                    ""
                };
                o += &format!("  {} on {}{cond}\n", st.red(&r.action), res.join(", "));
            }
        } else {
            let mut per: BTreeMap<&str, usize> = BTreeMap::new();
            for r in &d.removed {
                *per.entry(r.service.as_str()).or_default() += 1;
            }
            o += &format!(
                "  {} actions in {} services (full list: --format json)\n",
                d.removed.len(),
                per.len()
            );
            let mut by_count: Vec<(&str, usize)> = per.into_iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let shown = 25;
            for (svc, n) in by_count.iter().take(shown) {
                o += &format!("  {svc:<24} {n:>5}\n");
            }
            if by_count.len() > shown {
                let rest: usize = by_count[shown..].iter().map(|x| x.1).sum();
                o += &format!(
                    "  ... {} more services      {rest:>5}\n",
                    by_count.len() - shown
                );
            }
        }
    }

    if !d.unknown_actions.is_empty() {
        o += &format!(
            "\n{}\n",
            st.bold("Actions in the current policy that IAM does not define (grant nothing):")
        );
        for u in &d.unknown_actions {
            o += &format!("  {} at {}\n", u.action, u.location);
        }
    }
    for u in &inputs.unresolved {
        o += &format!("unresolved: {}:{}: {}\n", u.file, u.line, u.reason);
    }
    for w in warnings {
        o += &format!("{} {w}\n", st.yellow("warning:"));
    }

    o += "\n";
    if udiff.is_empty() {
        o += "The current policy is already the suggested one.\n";
    } else {
        for line in udiff.lines() {
            let painted = if line.starts_with("+++") || line.starts_with("---") {
                st.bold(line)
            } else if line.starts_with('+') {
                st.green(line)
            } else if line.starts_with('-') {
                st.red(line)
            } else if line.starts_with("@@") {
                st.cyan(line)
            } else {
                line.to_string()
            };
            o += &painted;
            o += "\n";
        }
    }
    o
}

/// Removed actions split by what CloudTrail can say about them: observable
/// ones it never saw (truly unused in the window), and ones it never records.
fn trail_split(removed: &[crate::diff::Removed]) -> (Vec<String>, Vec<String>) {
    let mut unused = Vec::new();
    let mut unobservable = Vec::new();
    for r in removed {
        if crate::cloudtrail::unobservable(&r.action) {
            unobservable.push(r.action.clone());
        } else {
            unused.push(r.action.clone());
        }
    }
    (unused, unobservable)
}
