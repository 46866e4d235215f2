//! Arbitrary text as a policy file (document, get-role-policy,
//! get-policy-version or account-authorization dump): parsing returns a
//! located error or a policy, and evaluating any request against what
//! parsed never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tighten::policy::eval::Evaluator;
use tighten::policy::parse::parse_policy_text;

/// Requests that touch the evaluator's paths: exact names, case folding,
/// `*`/`?` patterns on both sides, placeholders, resource-less actions.
const REQUESTS: &[(&str, &str)] = &[
    ("s3:GetObject", "arn:aws:s3:::bucket/key"),
    ("S3:getobject", "arn:aws:s3:::bucket/a*?b"),
    (
        "dynamodb:PutItem",
        "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TABLE}",
    ),
    ("sts:GetCallerIdentity", "*"),
    ("iam:PassRole", "arn:aws:iam::123456789012:role/x"),
    ("", ""),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(set) = parse_policy_text(text, "fuzz.json", None) else {
        return;
    };
    for symbolic in [false, true] {
        let ev = Evaluator::from_policy_set(&set).with_symbolic_placeholders(symbolic);
        for (action, resource) in REQUESTS {
            let _ = ev.evaluate(action, resource);
        }
        // The policy's own patterns as requests: the cases a parser and a
        // matcher are most likely to disagree on.
        for st in set.identity_statements() {
            let st = st.to_statement();
            let actions: Vec<String> = st
                .action
                .iter()
                .chain(&st.not_action)
                .flat_map(|o| o.to_vec())
                .take(8)
                .collect();
            let resources: Vec<String> = st
                .resource
                .iter()
                .chain(&st.not_resource)
                .flat_map(|o| o.to_vec())
                .take(8)
                .collect();
            for a in &actions {
                for r in &resources {
                    let _ = ev.evaluate(a, r);
                }
            }
        }
    }
});
