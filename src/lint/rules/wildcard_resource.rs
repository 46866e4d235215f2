//! Rule `wildcard-resource`: an Allow statement grants, on `"*"`, actions
//! that support resource-level permissions.
//!
//! ## What it does
//! For each Allow statement whose `Resource` includes `"*"`, expands its
//! actions and reports those whose IAM definition has a required resource
//! type (a table, a bucket, a queue): they could be limited to the ARNs the
//! code uses. Actions with no resource type (`xray:PutTraceSegments`,
//! `sqs:ListQueues`) can only be granted on `"*"` and are not reported;
//! neither are actions the code itself needs on every resource (a name it
//! reads at run time), for which `"*"` is what `tighten scan` suggests.
//!
//! ## Why is this bad?
//! `"*"` extends the grant to every resource of that type in the account
//! and, for services such as S3 and KMS, in other accounts whose resource
//! policies trust yours: `s3:GetObject` on `"*"` reads any bucket the
//! account can reach, not only the one the function serves.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
//! ```
//!
//! ## Use instead
//! ```json
//! {"Effect": "Allow", "Action": "sqs:SendMessage",
//!  "Resource": "arn:aws:sqs:us-east-1:123456789012:results"}
//! ```
//!
//! ## References
//! - [IAM JSON policy elements: Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
//! - [Service Authorization Reference](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)

use std::collections::BTreeSet;

use super::allow_statements;
use crate::lint::{CheckContext, Finding, Rule, Severity, short_list};
use crate::policy::ActionIndex;

pub const RULE: Rule = Rule {
    id: "wildcard-resource",
    severity: Severity::Medium,
    summary: "`\"*\"` resource on actions that support resource-level permissions",
    source: include_str!("wildcard_resource.rs"),
    check,
};

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let table = crate::actionmap::table();
    let index = ActionIndex::bundled();
    // Actions the code needs on every resource: "*" is the right grant.
    let needed_everywhere: BTreeSet<String> = ctx
        .needs
        .iter()
        .filter(|n| n.resources.contains("*"))
        .map(|n| n.action.to_ascii_lowercase())
        .collect();
    let mut out = Vec::new();
    for st in allow_statements(ctx.statements()) {
        if st.resources.negated {
            continue;
        }
        let Some(star) = st.resources.patterns.iter().position(|r| r == "*") else {
            continue;
        };
        let mut scoped = BTreeSet::new();
        for p in &st.actions.patterns {
            for a in index.expand(p) {
                let Some(def) = table.iam_action(&a) else {
                    continue;
                };
                if def.resource_types.iter().any(|(_, required)| *required)
                    && !needed_everywhere.contains(&a.to_ascii_lowercase())
                {
                    scoped.insert(a);
                }
            }
        }
        if scoped.is_empty() {
            continue;
        }
        let scoped: Vec<String> = scoped.into_iter().collect();
        let len = st.resources.patterns.len();
        out.push(
            Finding::new(
                &RULE,
                ctx.locate(&st.location, "/Resource", Some((star, len))),
                format!(
                    "`\"*\"` resource on {} action(s) that support resource-level permissions: {}",
                    scoped.len(),
                    short_list(&scoped, 6)
                ),
            )
            .with_help("name the ARNs the code uses (`tighten scan` prints them)")
            .with_actions(scoped),
        );
    }
    out
}
