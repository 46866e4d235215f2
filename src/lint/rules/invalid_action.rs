//! Rule `invalid-action`: a policy names an action that IAM does not
//! define, or a pattern that matches no action.
//!
//! ## What it does
//! Looks up every action in every statement (Allow and Deny) in the bundled
//! IAM action list, case-insensitively as IAM does, and suggests the
//! closest existing name. A wildcard pattern that matches no action at all
//! (`s3:Gett*`) is reported too.
//!
//! ## Why is this bad?
//! IAM accepts the policy and the typo grants nothing: the call it was
//! meant for fails with `AccessDenied` in production, and in a Deny
//! statement the guard rail silently protects nothing. Retired action names
//! behave the same way.
//!
//! ## Example
//! ```json
//! {"Effect": "Allow", "Action": "dynamodb:PutItems",
//!  "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
//! ```
//!
//! ## Use instead
//! ```json
//! {"Effect": "Allow", "Action": "dynamodb:PutItem",
//!  "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
//! ```
//!
//! ## References
//! - [Service Authorization Reference](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
//! - [IAM Access Analyzer policy validation](https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-validation.html)

use std::collections::BTreeSet;

use super::is_wildcard;
use crate::lint::{CheckContext, Finding, Rule, Severity};
use crate::policy::ActionIndex;

pub const RULE: Rule = Rule {
    id: "invalid-action",
    severity: Severity::Medium,
    summary: "An action IAM does not define (a typo grants nothing)",
    source: include_str!("invalid_action.rs"),
    check,
};

fn check(ctx: &CheckContext) -> Vec<Finding> {
    let index = ActionIndex::bundled();
    if index.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for st in ctx.statements() {
        let key = if st.actions.negated {
            "/NotAction"
        } else {
            "/Action"
        };
        let len = st.actions.patterns.len();
        for (i, p) in st.actions.patterns.iter().enumerate() {
            if p == "*" || p.contains("${") {
                continue;
            }
            let location = ctx.locate(&st.location, key, Some((i, len)));
            if is_wildcard(p) {
                if index.matching(p).is_empty() {
                    out.push(
                        Finding::new(&RULE, location, format!("`{p}` matches no IAM action"))
                            .with_help(suggestion(index, p))
                            .with_actions([p.clone()]),
                    );
                }
                continue;
            }
            if index.lookup(p).is_none() {
                out.push(
                    Finding::new(
                        &RULE,
                        location,
                        format!("`{p}` is not an IAM action: it grants nothing"),
                    )
                    .with_help(suggestion(index, p))
                    .with_actions([p.clone()]),
                );
            }
        }
    }
    out
}

/// "did you mean `x`?" from the same service, or the closest service
/// prefix when the prefix itself is unknown.
fn suggestion(index: &ActionIndex, pattern: &str) -> String {
    let lower = pattern.to_ascii_lowercase();
    let (prefix, name) = lower.split_once(':').unwrap_or(("", lower.as_str()));
    let same: Vec<&String> = index
        .names()
        .iter()
        .filter(|n| {
            n.split(':')
                .next()
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        })
        .collect();
    if same.is_empty() {
        let prefixes: BTreeSet<&str> = index
            .names()
            .iter()
            .filter_map(|n| n.split(':').next())
            .collect();
        return match closest(prefix, prefixes.iter().copied()) {
            Some(p) => format!("no IAM service has the prefix `{prefix}`; did you mean `{p}`?"),
            None => format!("no IAM service has the prefix `{prefix}`"),
        };
    }
    let bare = name.trim_end_matches('*');
    if bare.len() < name.len() {
        // `s3:Gett*`: the pattern's stem minus a stray letter or two.
        for cut in 1..=2.min(bare.len()) {
            let stem = &bare[..bare.len() - cut];
            let hit = same.iter().find_map(|n| {
                let action = n.split_once(':').map(|(_, a)| a)?;
                let head = action.get(..stem.len())?;
                head.eq_ignore_ascii_case(stem)
                    .then(|| format!("{}:{head}*", n.split(':').next().unwrap_or(prefix)))
            });
            if let Some(p) = hit {
                return format!("did you mean `{p}`?");
            }
        }
    }
    let names = same
        .iter()
        .map(|n| n.split_once(':').map(|(_, a)| a).unwrap_or(n));
    match closest(bare, names) {
        Some(best) => {
            let full = same
                .iter()
                .find(|n| n.ends_with(&format!(":{best}")))
                .map(|n| n.as_str())
                .unwrap_or(best);
            format!("did you mean `{full}`?")
        }
        None => format!("no `{prefix}` action is close to `{name}`; see `tighten lookup`"),
    }
}

/// The candidate with the smallest edit distance (case-insensitive), if
/// it is close enough to be the intended name.
fn closest<'a>(want: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let want = want.to_ascii_lowercase();
    let limit = (want.len() / 3).max(2);
    candidates
        .map(|c| (edit_distance(&want, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance over bytes (IAM names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("putitems", "putitem"), 1);
        assert_eq!(edit_distance("getobjet", "getobject"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn suggests_the_closest_action_and_prefix() {
        let index = ActionIndex::new(["s3:GetObject", "s3:PutObject", "sqs:SendMessage"]);
        assert_eq!(
            suggestion(&index, "s3:GetObjet"),
            "did you mean `s3:GetObject`?"
        );
        assert_eq!(
            suggestion(&index, "sqq:SendMessage"),
            "no IAM service has the prefix `sqq`; did you mean `sqs`?"
        );
        assert_eq!(suggestion(&index, "s3:Gett*"), "did you mean `s3:Get*`?");
    }
}
