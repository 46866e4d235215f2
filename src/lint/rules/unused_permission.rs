//! Rule `unused-permission`: the current policy grants an action that
//! neither the code, nor the template's platform, nor CloudTrail uses.
//!
//! ## What it does
//! Takes the semantic diff of the current policy against the needs:
//! every action the policy grants (wildcards expanded against the full
//! IAM action list, so `s3:*` counts as each S3 action) that no need uses
//! is unused. Findings are grouped by the pattern that grants them, at
//! the line where it is written. With a CloudTrail source
//! (`--trail-logs`, `--trail-lookup`, `--trail-athena`) actions the role
//! used in the window are needs too; actions CloudTrail never records
//! (most data events) are marked "unobservable", since the trail cannot
//! vouch for them either way.
//!
//! Actions listed in `allowed-actions` of `tighten.toml` are not reported.
//!
//! ## Why is this bad?
//! Every unused grant is reach an attacker gets for free once they run
//! code as the function (a dependency with a post-install hook, an
//! injection in the handler). Least privilege is the AWS Well-Architected
//! baseline for Lambda execution roles.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow",
//!  "Action": ["sqs:SendMessage", "sqs:PurgeQueue"],
//!  "Resource": "arn:aws:sqs:us-east-1:123456789012:results"}
//! ```
//! The code only sends messages.
//!
//! ## Use instead
//! ```json
//! {"Effect": "Allow", "Action": "sqs:SendMessage",
//!  "Resource": "arn:aws:sqs:us-east-1:123456789012:results"}
//! ```
//!
//! ## References
//! - [Grant least privilege](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)
//! - [Lambda execution role](https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html)
//! - [CloudTrail data events](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html)

use std::collections::{BTreeMap, BTreeSet};

use crate::lint::{CheckContext, Finding, Rule, Severity, short_list};
use crate::policy::parse::Location;
use crate::policy::pattern::Pattern;

pub const RULE: Rule = Rule {
    id: "unused-permission",
    severity: Severity::Medium,
    summary: "The policy grants an action the code never uses (nor CloudTrail saw)",
    source: include_str!("unused_permission.rs"),
    check,
};

/// Which written pattern of a statement grants an action: its index in
/// `Action`, or `None` for a `NotAction` statement.
type Grant = (Location, Option<usize>);

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let statements = ctx.statement_map();
    let mut groups: BTreeMap<Grant, BTreeSet<String>> = BTreeMap::new();
    for r in &ctx.diff.removed {
        if ctx.allowed_actions.contains(&r.action.to_ascii_lowercase()) {
            continue;
        }
        for loc in r.granted_by.iter() {
            let lower = r.action.to_ascii_lowercase();
            match statements.get(loc).copied() {
                Some(st) if st.actions.negated => {
                    groups
                        .entry((loc.clone(), None))
                        .or_default()
                        .insert(r.action.clone());
                }
                Some(st) => {
                    // The first pattern that covers it; a second one
                    // covering it too would be a duplicate in the list.
                    if let Some(i) = st
                        .actions
                        .patterns
                        .iter()
                        .position(|p| Pattern::action(p).matches_str(&lower))
                    {
                        groups
                            .entry((loc.clone(), Some(i)))
                            .or_default()
                            .insert(r.action.clone());
                    }
                }
                None => {
                    groups
                        .entry((loc.clone(), None))
                        .or_default()
                        .insert(r.action.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((loc, index), actions) in groups {
        let st = statements.get(&loc).copied();
        let actions: Vec<String> = actions.into_iter().collect();
        let (location, written) = match (st, index) {
            (Some(st), Some(i)) => (
                ctx.locate(&loc, "/Action", Some((i, st.actions.patterns.len()))),
                st.actions.patterns.get(i).cloned().unwrap_or_default(),
            ),
            (Some(_), None) => (ctx.locate(&loc, "/NotAction", None), "NotAction".into()),
            (None, _) => (ctx.locate(&loc, "", None), "this statement".into()),
        };
        let (it, them) = if ctx.trail_read {
            (
                "neither the code uses it nor CloudTrail saw it",
                "neither used by the code nor seen in CloudTrail",
            )
        } else {
            ("the code never uses it", "the code never uses")
        };
        let unobservable: Vec<&String> = actions
            .iter()
            .filter(|a| crate::cloudtrail::unobservable(a))
            .collect();
        let single = actions.len() == 1 && !super::is_wildcard(&written) && written != "NotAction";
        let mut message = if single {
            format!("`{}` is granted but {it}", actions[0])
        } else {
            format!(
                "`{written}` grants {} action(s) {them}: {}",
                actions.len(),
                short_list(&actions, 6)
            )
        };
        if ctx.trail_read && !unobservable.is_empty() {
            let which = if single {
                "unobservable".to_string()
            } else {
                format!("{} of them unobservable", unobservable.len())
            };
            message += &format!(
                " ({which}: CloudTrail does not record such calls as management events, so the trail cannot show them in use)"
            );
        }
        out.push(
            Finding::new(&RULE, location, message)
                .with_help(
                    "remove the grant; if something other than this code uses the role, list the action under `allowed-actions` in tighten.toml",
                )
                .with_actions(actions),
        );
    }
    out
}
