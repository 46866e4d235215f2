//! Rule `admin-access`: the role can do anything: an Allow of `*` on `*`,
//! or the AWS managed `AdministratorAccess` or `PowerUserAccess` policy.
//!
//! ## What it does
//! Reports an Allow statement whose `Action` includes `"*"` and whose
//! `Resource` includes `"*"`, and any attached policy named
//! `AdministratorAccess` or `PowerUserAccess` (by ARN or, in a SAM
//! template's `Policies`, by name).
//!
//! ## Why is this bad?
//! Code running as the function can read every secret, delete every table
//! and bucket, and (with `AdministratorAccess`) create users and keys that
//! outlive the function: a single injection or a compromised dependency
//! becomes an account takeover. `PowerUserAccess` leaves out IAM, but still
//! reaches every service's data.
//!
//! ## Example
//! ```yaml
//! Policies:
//!   - AdministratorAccess
//! ```
//!
//! ## Use instead
//! The policy `tighten scan --template template.yaml` prints for the
//! function, pasted under `Policies` (or `--format yaml`).
//!
//! ## References
//! - [AWS managed policies for job functions](https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html)
//! - [Grant least privilege](https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)

use super::allow_statements;
use crate::lint::{CheckContext, Finding, FindingLocation, Rule, Severity};

pub const RULE: Rule = Rule {
    id: "admin-access",
    severity: Severity::High,
    summary: "Full access: `*` on `*`, or AdministratorAccess / PowerUserAccess attached",
    source: include_str!("admin_access.rs"),
    check,
};

/// AWS managed policies that grant (nearly) everything.
const ADMIN_POLICIES: [&str; 2] = ["AdministratorAccess", "PowerUserAccess"];

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &ctx.policies.identity {
        let name = p.origin.rsplit(['/', ':']).next().unwrap_or_default();
        if let Some(admin) = ADMIN_POLICIES.iter().find(|a| **a == name) {
            let location = match p.statements.first() {
                Some(st) => {
                    let mut l = ctx.locate(&st.location, "", None);
                    l.pointer = None;
                    l
                }
                None => FindingLocation {
                    file: p.file.clone(),
                    line: None,
                    column: None,
                    pointer: None,
                    origin: Some(p.origin.clone()),
                },
            };
            out.push(
                Finding::new(
                    &RULE,
                    location,
                    format!("the AWS managed policy `{admin}` is attached: the role can use (nearly) every AWS action"),
                )
                .with_help("detach it and grant the policy `tighten scan` prints"),
            );
            continue;
        }
        for st in allow_statements(p.statements.iter()) {
            let Some(i) = st.actions.patterns.iter().position(|a| a == "*") else {
                continue;
            };
            if st.resources.negated || !st.resources.patterns.iter().any(|r| r == "*") {
                continue;
            }
            let what = if st.has_condition() {
                "allows every action on every resource (under a condition)"
            } else {
                "allows every action on every resource"
            };
            out.push(
                Finding::new(
                    &RULE,
                    ctx.locate(
                        &st.location,
                        "/Action",
                        Some((i, st.actions.patterns.len())),
                    ),
                    format!("this statement {what}: administrator access"),
                )
                .with_help("replace it with the actions and ARNs `tighten scan` prints"),
            );
        }
    }
    out
}
