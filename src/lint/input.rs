//! What `tighten check` looks at, gathered the way `tighten scan` and
//! `tighten diff` gather it: the needs from `cli::scan::gather` (code,
//! template platform needs, CloudTrail), and the current policy from
//! `--current`, else the template, else AWS. The policy file's JSON is
//! kept so findings can point at the exact line and column.
//!
//! The current-policy branches repeat a few lines of `cli::diff::gather`,
//! which is private there; see the report of issue 6.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::CheckContext;
use crate::cli::scan::{ScanArgs, ScanFormat, gather as gather_evidence};
use crate::cloudtrail::TrailSourceArgs;
use crate::policy::ActionIndex;
use crate::policy::current::CurrentPolicy;
use crate::policy::parse::{ParseOptions, PolicySet, parse_current, parse_policy_text};
use crate::scan::ScanOptions;

/// The command line's choice of inputs.
#[derive(Clone, Debug, Default)]
pub struct CheckRequest {
    pub path: PathBuf,
    pub current: Option<PathBuf>,
    pub template: Option<PathBuf>,
    /// Logical id in the template, else a deployed function's name.
    pub function: Option<String>,
    /// Role name or ARN: picks the role in an account dump, reads it from
    /// IAM, and selects CloudTrail sessions.
    pub role: Option<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
    pub no_logs: bool,
    pub trail: TrailSourceArgs,
    /// Lower-cased actions the configuration allows though unused.
    pub allowed_actions: std::collections::BTreeSet<String>,
}

/// The context for the rules, plus what the user should hear about.
pub struct Gathered {
    pub context: CheckContext,
    pub warnings: Vec<String>,
    /// The role or function checked, for `ignore` entries with `role`.
    pub role: Option<String>,
}

pub fn gather(req: &CheckRequest) -> anyhow::Result<Gathered> {
    let mut warnings = Vec::new();
    let mut trees = BTreeMap::new();
    let mut opts = ScanOptions {
        region: req.region.clone(),
        account: req.account.clone(),
        ..Default::default()
    };

    let mut current: Option<PolicySet> = None;
    if let Some(path) = &req.current {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the current policy {file}"))?;
        current = Some(parse_policy_text(&text, &file, req.role.as_deref())?);
        // parse_policy_text accepted it, so the JSON parses.
        if let Ok(tree) = crate::policy::json::parse(&text) {
            trees.insert(file, tree);
        }
    }

    // A deployed function or role, when no file or template gives the policy.
    let mut function_name = None;
    let mut from_aws: Option<CurrentPolicy> = None;
    let mut platform_extra = crate::need::NeedSet::new();
    if current.is_none() && req.template.is_none() {
        let aws = crate::aws::AwsOptions {
            profile: req.profile.clone(),
            region: req.region.clone(),
            endpoint_url: None,
        };
        if let Some(name) = &req.function {
            let (config, cp, account) = crate::aws::current_for_function(name, &aws)?;
            opts.env = config.env.clone();
            opts.handler = config.handler.clone();
            platform_extra = crate::context::platform::configuration_needs(
                name,
                config.tracing_active,
                config.in_vpc,
            );
            function_name = Some(config.name.clone());
            opts.account.get_or_insert(account);
            from_aws = Some(cp);
        } else if let Some(role) = &req.role {
            let (cp, account) = crate::aws::current_for_role(role, &aws)?;
            opts.account.get_or_insert(account);
            from_aws = Some(cp);
        } else {
            bail!(
                "no current policy to check: give --current FILE, --template FILE, --function NAME or --role NAME"
            );
        }
    }

    let mut trail = req.trail.clone();
    trail.role = req.role.clone();
    if !trail.any_source() {
        // `--role` alone names the policy's role, not CloudTrail sessions.
        trail.role = None;
    }
    let scan_args = ScanArgs {
        path: req.path.clone(),
        format: ScanFormat::Policy,
        explain: false,
        include_optional: false,
        region: req.region.clone(),
        account: opts.account.clone(),
        handler: None,
        function_name,
        no_logs: req.no_logs,
        env: Vec::new(),
        template: req.template.clone(),
        function: req.template.as_ref().and(req.function.clone()),
        trail,
    };
    let mut evidence = gather_evidence(&scan_args, &mut opts)?;

    let current = match (current, &evidence.function, from_aws) {
        (Some(c), _, _) => c,
        (None, Some(f), _) => parse_current(&f.current_policy, ParseOptions { intrinsics: true })?,
        (None, None, Some(cp)) => parse_current(&cp, ParseOptions::default())?,
        (None, None, None) => bail!(
            "no current policy to check: give --current FILE, --template FILE, --function NAME or --role NAME"
        ),
    };
    warnings.extend(evidence.report.warnings.iter().cloned());
    warnings.extend(current.warnings.iter().cloned());
    for u in &evidence.report.unresolved {
        warnings.push(format!(
            "{}:{}: unresolved call, not counted as a need: {}",
            u.file, u.line, u.reason
        ));
    }
    let actions = ActionIndex::bundled();
    if actions.is_empty() {
        warnings.push(
            "the bundled IAM action list is empty: wildcards cannot be expanded, so unused grants go unreported"
                .into(),
        );
    }

    evidence.report.needs.merge(platform_extra);
    let needs = evidence.report.needs.for_policy(true);
    let diff = crate::diff::diff(&needs, &current, actions, false);
    let role = req
        .role
        .clone()
        .or_else(|| req.function.clone())
        .or_else(|| evidence.function.as_ref().map(|f| f.logical_id.clone()));
    Ok(Gathered {
        context: CheckContext {
            policies: current,
            needs,
            diff,
            allowed_actions: req.allowed_actions.clone(),
            trail_read: evidence.trail.is_some(),
            trees,
            source_root: if req.path.is_dir() {
                req.path.clone()
            } else {
                req.path.parent().map(PathBuf::from).unwrap_or_default()
            },
        },
        warnings,
        role,
    })
}
