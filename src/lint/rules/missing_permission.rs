//! Rule `missing-permission`: a need of the code that the current policy
//! does not allow.
//!
//! ## What it does
//! Evaluates every action the code (or the template's platform, or
//! CloudTrail) needs, on each resource it needs it on, against the role's
//! current policy with tighten's local IAM evaluator: explicit `Deny`
//! statements, `NotAction`, `NotResource` and the permission boundary count
//! as IAM counts them. A need that is neither allowed nor allowed under a
//! condition is reported at the code line that makes the call.
//!
//! Optional needs (KMS for a customer managed key, multipart abort) and
//! needs allowed only under a `Condition` are not reported here; `tighten
//! diff` lists them.
//!
//! ## Why is this bad?
//! The call fails with `AccessDenied` the first time it runs in AWS, often
//! in a branch tests never reach (an error path, a retry, a batch flush).
//!
//! ## Example
//! ```python
//! table.put_item(Item=order)      # needs dynamodb:PutItem on table/orders
//! ```
//! ```json
//! {"Effect": "Allow", "Action": "dynamodb:GetItem",
//!  "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
//! ```
//!
//! ## Use instead
//! ```json
//! {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
//!  "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
//! ```
//! `tighten scan` prints the whole policy the code needs.
//!
//! ## References
//! - [Policy evaluation logic](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
//! - [Troubleshooting access denied errors](https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)

use crate::lint::{CheckContext, Finding, FindingLocation, Rule, Severity};
use crate::need::Source;
use crate::policy::Decision;

pub const RULE: Rule = Rule {
    id: "missing-permission",
    severity: Severity::High,
    summary: "The code needs an action the current policy does not allow",
    source: include_str!("missing_permission.rs"),
    check,
};

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in &ctx.diff.missing {
        let why = match m.decision {
            Decision::Denied => {
                let by: Vec<String> = m.denied_by.iter().map(|l| l.to_string()).collect();
                format!("explicitly denied by {}", by.join(", "))
            }
            _ => "not granted by the current policy".to_string(),
        };
        let (location, evidence) = where_needed(ctx, &m.sources);
        let message = format!("`{}` on `{}` is {why}{evidence}", m.action, m.resource);
        out.push(
            Finding::new(&RULE, location, message)
                .with_help(format!(
                    "grant `{}` on `{}` (see `tighten scan` for the whole policy)",
                    m.action, m.resource
                ))
                .with_actions([m.action.clone()]),
        );
    }
    out
}

/// The code line of the need, else the template line of a platform need,
/// else the first policy (a CloudTrail need has no line to point at).
fn where_needed(ctx: &CheckContext, sources: &[Source]) -> (FindingLocation, String) {
    for s in sources {
        if let Source::Code { file, line, call } = s {
            return (
                FindingLocation::source_line(&ctx.source_file(file), *line),
                format!(" ({call})"),
            );
        }
    }
    for s in sources {
        if let Source::Platform {
            reason,
            file: Some(file),
            line,
        } = s
        {
            return (
                FindingLocation::source_line(file, line.unwrap_or(0)),
                format!(" ({reason})"),
            );
        }
    }
    let evidence = sources
        .iter()
        .find_map(|s| match s {
            Source::Trail { count, .. } => Some(format!(" (CloudTrail saw it {count} times)")),
            Source::Platform { reason, .. } => Some(format!(" ({reason})")),
            Source::Code { .. } => None,
        })
        .unwrap_or_default();
    let location = match ctx.policies.identity.first() {
        Some(p) => match p.statements.first() {
            Some(st) => ctx.locate(&st.location, "", None),
            None => FindingLocation {
                file: p.file.clone(),
                line: None,
                column: None,
                pointer: None,
                origin: Some(p.origin.clone()),
            },
        },
        None => FindingLocation {
            file: None,
            line: None,
            column: None,
            pointer: None,
            origin: Some("current policy (empty)".into()),
        },
    };
    (location, evidence)
}
