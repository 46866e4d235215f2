//! Rule `wildcard-action`: an Allow statement names actions with a
//! wildcard: `*`, `service:*`, or a partial pattern such as `s3:Get*`.
//!
//! ## What it does
//! Reports every `*` or `?` in the `Action` of an Allow statement, with
//! how many IAM actions the pattern covers today and which of them the
//! code needs.
//!
//! ## Why is this bad?
//! A wildcard grants more than anyone reviewed, and it grows: every new
//! action AWS adds to the service (or, for `Get*`, every new read API)
//! joins the grant without a change to the policy. `s3:Get*` includes
//! `s3:GetObject` on every object the resource allows, and also
//! `s3:GetBucketPolicy` and `s3:GetObjectAcl`.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "dynamodb:*",
//!  "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
//! ```
//!
//! ## Use instead
//! ```json
//! {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
//!  "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
//! ```
//!
//! ## References
//! - [IAM JSON policy elements: Action](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)
//! - [Grant least privilege](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)

use super::{allow_statements, is_wildcard};
use crate::lint::{CheckContext, Finding, Rule, Severity, short_list};
use crate::policy::ActionIndex;

pub const RULE: Rule = Rule {
    id: "wildcard-action",
    severity: Severity::High,
    summary: "An Allow statement grants actions by wildcard (`*`, `s3:*`, `s3:Get*`)",
    source: include_str!("wildcard_action.rs"),
    check,
};

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let index = ActionIndex::bundled();
    let needed = ctx.needed_actions();
    let mut out = Vec::new();
    for st in allow_statements(ctx.statements()) {
        let len = st.actions.patterns.len();
        for (i, p) in st.actions.patterns.iter().enumerate() {
            if !is_wildcard(p) || p.contains("${") {
                continue;
            }
            let covered = index.expand(p);
            if covered.is_empty() && !index.is_empty() {
                // Matches nothing, so grants nothing: `invalid-action` says so.
                continue;
            }
            let used: Vec<&String> = covered
                .iter()
                .filter(|a| needed.contains(&a.to_ascii_lowercase()))
                .collect();
            let message = format!(
                "`{p}` grants {} action(s) by wildcard; the code needs {} of them",
                covered.len(),
                used.len()
            );
            let help = if used.is_empty() {
                "remove the pattern: the code needs none of the actions it covers".to_string()
            } else {
                format!("list the actions instead: {}", short_list(&used, 12))
            };
            out.push(
                Finding::new(
                    &RULE,
                    ctx.locate(&st.location, "/Action", Some((i, len))),
                    message,
                )
                .with_help(help)
                .with_actions([p.clone()]),
            );
        }
    }
    out
}
