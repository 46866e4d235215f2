//! Rule `privilege-escalation`: the policy allows a known way for the role
//! to raise its own rights.
//!
//! ## What it does
//! Evaluates, with tighten's local IAM evaluator and after wildcard
//! expansion (so `iam:*` and `*` count), whether the current policy allows
//! every action of each privilege escalation method catalogued by Rhino
//! Security Labs, plus `iam:PassRole` on `"*"`:
//!
//! | method | actions |
//! | --- | --- |
//! | 1 | `iam:CreatePolicyVersion` |
//! | 2 | `iam:SetDefaultPolicyVersion` |
//! | 3 | `iam:PassRole` + `ec2:RunInstances` |
//! | 4 | `iam:CreateAccessKey` |
//! | 5 | `iam:CreateLoginProfile` |
//! | 6 | `iam:UpdateLoginProfile` |
//! | 7 | `iam:AttachUserPolicy` |
//! | 8 | `iam:AttachGroupPolicy` |
//! | 9 | `iam:AttachRolePolicy` |
//! | 10 | `iam:PutUserPolicy` |
//! | 11 | `iam:PutGroupPolicy` |
//! | 12 | `iam:PutRolePolicy` |
//! | 13 | `iam:AddUserToGroup` |
//! | 14 | `iam:UpdateAssumeRolePolicy` |
//! | 15 | `iam:PassRole` + `lambda:CreateFunction` + `lambda:InvokeFunction` |
//! | 16 | `iam:PassRole` + `lambda:CreateFunction` + `lambda:CreateEventSourceMapping` |
//! | 17 | `lambda:UpdateFunctionCode` |
//! | 18 | `iam:PassRole` + `glue:CreateDevEndpoint` |
//! | 19 | `glue:UpdateDevEndpoint` |
//! | 20 | `iam:PassRole` + `cloudformation:CreateStack` |
//! | 21 | `iam:PassRole` + `datapipeline:CreatePipeline` + `datapipeline:PutPipelineDefinition` |
//! | - | `iam:PassRole` on `"*"`: hand any role in the account to a service |
//!
//! An action counts when it is allowed on some resource (outright or under
//! a condition), except for the last row, which needs `"*"` itself. The
//! finding sits on the statement that grants the method's first action.
//!
//! ## Why is this bad?
//! A function with one of these can make itself (or a principal it
//! creates) administrator: write a new default version of a policy it is
//! attached to, attach `AdministratorAccess` to its own role, or pass a
//! more privileged role to new compute it controls. Any code execution in
//! the function becomes control of the account.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction",
//!  "lambda:InvokeFunction"], "Resource": "*"}
//! ```
//!
//! ## Use instead
//! Grant only what the code calls, on the ARNs it calls them on; when a
//! function must pass a role, name that role and add an `iam:PassedToService`
//! condition:
//! ```json
//! {"Effect": "Allow", "Action": "iam:PassRole",
//!  "Resource": "arn:aws:iam::123456789012:role/etl-job",
//!  "Condition": {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}}
//! ```
//!
//! ## References
//! - [Rhino Security Labs: AWS IAM privilege escalation methods and mitigation](https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/)
//! - [Granting a user permissions to pass a role](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html)

use std::collections::BTreeMap;

use crate::lint::{CheckContext, Finding, Rule, Severity};
use crate::policy::parse::Location;
use crate::policy::pattern::Pattern;
use crate::policy::{Decision, Evaluator};

pub const RULE: Rule = Rule {
    id: "privilege-escalation",
    severity: Severity::High,
    summary: "The policy allows a known way for the role to raise its own rights",
    source: include_str!("privilege_escalation.rs"),
    check,
};

/// Rhino Security Labs' methods, numbered as in their article
/// (<https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>).
pub const METHODS: &[(u8, &[&str])] = &[
    (1, &["iam:CreatePolicyVersion"]),
    (2, &["iam:SetDefaultPolicyVersion"]),
    (3, &["iam:PassRole", "ec2:RunInstances"]),
    (4, &["iam:CreateAccessKey"]),
    (5, &["iam:CreateLoginProfile"]),
    (6, &["iam:UpdateLoginProfile"]),
    (7, &["iam:AttachUserPolicy"]),
    (8, &["iam:AttachGroupPolicy"]),
    (9, &["iam:AttachRolePolicy"]),
    (10, &["iam:PutUserPolicy"]),
    (11, &["iam:PutGroupPolicy"]),
    (12, &["iam:PutRolePolicy"]),
    (13, &["iam:AddUserToGroup"]),
    (14, &["iam:UpdateAssumeRolePolicy"]),
    (
        15,
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
    ),
    (
        16,
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
    ),
    (17, &["lambda:UpdateFunctionCode"]),
    (18, &["iam:PassRole", "glue:CreateDevEndpoint"]),
    (19, &["glue:UpdateDevEndpoint"]),
    (20, &["iam:PassRole", "cloudformation:CreateStack"]),
    (
        21,
        &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
    ),
];

/// A resource that stands for "some resource": the evaluator in symbolic
/// mode matches it, conditionally, against any ARN pattern.
const SOME_RESOURCE: &str = "${AnyResource}";

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let statements = ctx.statement_map();
    let exact = Evaluator::from_policy_set(&ctx.policies);
    let symbolic = Evaluator::from_policy_set(&ctx.policies).with_symbolic_placeholders(true);
    // Statement -> (method label, actions) found there.
    let mut at: BTreeMap<Location, Vec<(String, Vec<&str>)>> = BTreeMap::new();
    for (n, actions) in METHODS {
        let mut first: Option<Location> = None;
        let mut conditional = false;
        let all = actions.iter().all(|a| {
            let ev = symbolic.evaluate(a, SOME_RESOURCE);
            let ok = matches!(
                ev.decision,
                Decision::Allowed | Decision::ConditionallyAllowed
            );
            if ok && first.is_none() && *a != "iam:PassRole" {
                first = ev.allowed_by.first().cloned();
            }
            // Every grant of it carries a Condition, which may block the path.
            conditional |= ok
                && ev
                    .allowed_by
                    .iter()
                    .all(|l| statements.get(l).is_some_and(|st| st.has_condition()));
            ok
        });
        if let (true, Some(loc)) = (all, first) {
            let label = if conditional {
                format!("method {n}, under a Condition")
            } else {
                format!("method {n}")
            };
            at.entry(loc).or_default().push((label, actions.to_vec()));
        }
    }
    let pass_any = exact.evaluate("iam:PassRole", "*");
    if pass_any.decision == Decision::Allowed
        && let Some(loc) = pass_any.allowed_by.first()
    {
        at.entry(loc.clone())
            .or_default()
            .push(("iam:PassRole on \"*\"".into(), vec!["iam:PassRole"]));
    }

    let mut out = Vec::new();
    for (loc, methods) in at {
        let first_action = methods[0]
            .1
            .iter()
            .find(|a| **a != "iam:PassRole")
            .unwrap_or(&"iam:PassRole");
        let location = match statements.get(&loc).copied() {
            Some(st) if !st.actions.negated => {
                let lower = first_action.to_ascii_lowercase();
                let i = st
                    .actions
                    .patterns
                    .iter()
                    .position(|p| Pattern::action(p).matches_str(&lower));
                ctx.locate(&loc, "/Action", i.map(|i| (i, st.actions.patterns.len())))
            }
            Some(_) => ctx.locate(&loc, "/NotAction", None),
            None => ctx.locate(&loc, "", None),
        };
        let listed: Vec<String> = methods
            .iter()
            .map(|(label, actions)| format!("{label} ({})", actions.join(" + ")))
            .collect();
        let actions: Vec<&str> = methods
            .iter()
            .flat_map(|(_, a)| a.iter().copied())
            .collect();
        out.push(
            Finding::new(
                &RULE,
                location,
                format!(
                    "allows privilege escalation: {}",
                    listed.join("; ")
                ),
            )
            .with_help("remove these actions, or scope them to named resources with conditions; see https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/")
            .with_actions(actions),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_action_is_an_iam_action() {
        let table = crate::actionmap::table();
        if table.all_actions().is_empty() {
            return;
        }
        for (n, actions) in METHODS {
            for a in *actions {
                assert!(table.is_known_action(a), "method {n}: {a}");
            }
        }
    }
}
