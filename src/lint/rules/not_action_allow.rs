//! Rule `not-action-allow`: an Allow statement uses `NotAction` or
//! `NotResource`.
//!
//! ## What it does
//! Reports every Allow statement written with `NotAction` (allow every
//! action except these) or `NotResource` (on every resource except these).
//! Deny statements with them are fine, and common in guard-rail policies.
//!
//! ## Why is this bad?
//! An Allow with `NotAction` grants every action AWS has or will add, save
//! the few listed: it is a wildcard that reads like a restriction. The same
//! holds for `NotResource`, which grants on every resource in every
//! account but the listed ones.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
//! ```
//!
//! ## Use instead
//! ```json
//! {"Effect": "Allow", "Action": ["s3:GetObject"],
//!  "Resource": "arn:aws:s3:::media/*"}
//! ```
//!
//! ## References
//! - [IAM JSON policy elements: NotAction](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html)
//! - [IAM JSON policy elements: NotResource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html)

use crate::lint::{CheckContext, Finding, Rule, Severity, short_list};
use crate::policy::parse::Effect;

pub const RULE: Rule = Rule {
    id: "not-action-allow",
    severity: Severity::High,
    summary: "An Allow statement with NotAction or NotResource grants everything but a list",
    source: include_str!("not_action_allow.rs"),
    check,
};

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    for st in ctx.statements().filter(|s| s.effect == Effect::Allow) {
        if st.actions.negated {
            out.push(
                Finding::new(
                    &RULE,
                    ctx.locate(&st.location, "/NotAction", None),
                    format!(
                        "Allow with `NotAction` grants every action except {}",
                        short_list(&st.actions.patterns, 6)
                    ),
                )
                .with_help("allow the actions the code needs with `Action`; keep exclusions in Deny statements")
                .with_actions(["*"]),
            );
        }
        if st.resources.negated {
            out.push(
                Finding::new(
                    &RULE,
                    ctx.locate(&st.location, "/NotResource", None),
                    format!(
                        "Allow with `NotResource` grants on every resource except {}",
                        short_list(&st.resources.patterns, 4)
                    ),
                )
                .with_help("name the resources the code uses with `Resource`"),
            );
        }
    }
    out
}
