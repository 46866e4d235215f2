//! The local IAM evaluator: a table of cases over IAM's evaluation rules,
//! malformed policies, and a property test that checks the evaluator against
//! a naive second implementation on generated policies and requests.

use tighten::policy::parse::parse_policy_text;
use tighten::policy::{ActionIndex, Decision, Evaluator, PolicySet, expand_action_pattern_in};

use Decision::{Allowed as A, ConditionallyAllowed as C, Denied as D, NotAllowed as N};

fn policy(statements: &str) -> PolicySet {
    let text = format!("{{\"Version\":\"2012-10-17\",\"Statement\":[{statements}]}}");
    parse_policy_text(&text, "case.json", None).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn decide(statements: &str, boundary: Option<&str>, action: &str, resource: &str) -> Decision {
    let id = policy(statements);
    let mut ev = Evaluator::from_policy_set(&id);
    if let Some(b) = boundary {
        let b = policy(b);
        ev = ev.with_boundary(b.identity_statements());
    }
    ev.decision(action, resource)
}

const S3_GET_ALL: &str = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;

/// (name, statements, boundary, action, resource, expected)
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    Decision,
);

const CASES: &[Case] = &[
    // Default deny and plain allow.
    (
        "empty policy denies",
        r#"{"Effect":"Deny","Action":"x:Y","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "exact allow",
        S3_GET_ALL,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "other action not allowed",
        S3_GET_ALL,
        None,
        "s3:PutObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "other service not allowed",
        S3_GET_ALL,
        None,
        "sqs:GetObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "star resource covers no-resource action",
        S3_GET_ALL,
        None,
        "s3:GetObject",
        "*",
        A,
    ),
    // Explicit deny precedence.
    (
        "deny beats allow",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        D,
    ),
    (
        "deny order does not matter",
        r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        D,
    ),
    (
        "deny on other action leaves allow",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "deny on other resource leaves allow",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "deny on matching resource",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::secret/k",
        D,
    ),
    (
        "deny alone is still a deny",
        r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "*",
        D,
    ),
    (
        "deny star action beats admin",
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}"#,
        None,
        "iam:PassRole",
        "*",
        D,
    ),
    // Action wildcards and case.
    (
        "star action",
        r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
        None,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:us-east-1:1:table/t",
        A,
    ),
    (
        "service star",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        None,
        "s3:PutObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "service star other service",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        None,
        "s3control:PutObject",
        "*",
        N,
    ),
    (
        "prefix star",
        r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#,
        None,
        "s3:GetObjectVersion",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "prefix star miss",
        r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#,
        None,
        "s3:PutObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "infix star",
        r#"{"Effect":"Allow","Action":"s3:*Object","Resource":"*"}"#,
        None,
        "s3:DeleteObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "infix star miss",
        r#"{"Effect":"Allow","Action":"s3:*Object","Resource":"*"}"#,
        None,
        "s3:DeleteObjects",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "question mark one char",
        r#"{"Effect":"Allow","Action":"sqs:?eceiveMessage","Resource":"*"}"#,
        None,
        "sqs:ReceiveMessage",
        "*",
        A,
    ),
    (
        "question mark not zero chars",
        r#"{"Effect":"Allow","Action":"sqs:?ReceiveMessage","Resource":"*"}"#,
        None,
        "sqs:ReceiveMessage",
        "*",
        N,
    ),
    (
        "question mark not two chars",
        r#"{"Effect":"Allow","Action":"s3:GetObject?","Resource":"*"}"#,
        None,
        "s3:GetObjectAcl",
        "*",
        N,
    ),
    (
        "action case-insensitive in policy",
        r#"{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "*",
        A,
    ),
    (
        "action case-insensitive in request",
        S3_GET_ALL,
        None,
        "S3:GETOBJECT",
        "*",
        A,
    ),
    (
        "wildcard in service part",
        r#"{"Effect":"Allow","Action":"s?s:SendMessage","Resource":"*"}"#,
        None,
        "sqs:SendMessage",
        "*",
        A,
    ),
    (
        "star across colon",
        r#"{"Effect":"Allow","Action":"*:Describe*","Resource":"*"}"#,
        None,
        "ec2:DescribeInstances",
        "*",
        A,
    ),
    (
        "action list",
        r#"{"Effect":"Allow","Action":["sqs:SendMessage","s3:GetObject"],"Resource":"*"}"#,
        None,
        "s3:GetObject",
        "*",
        A,
    ),
    // NotAction.
    (
        "notaction allow grants others",
        r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "notaction allow excludes listed",
        r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#,
        None,
        "iam:PassRole",
        "*",
        N,
    ),
    (
        "notaction deny denies others",
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":["s3:GetObject"],"Resource":"*"}"#,
        None,
        "s3:PutObject",
        "*",
        D,
    ),
    (
        "notaction deny spares listed",
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":["s3:GetObject"],"Resource":"*"}"#,
        None,
        "s3:GetObject",
        "*",
        A,
    ),
    (
        "notaction case-insensitive",
        r#"{"Effect":"Allow","NotAction":"IAM:*","Resource":"*"}"#,
        None,
        "iam:CreateUser",
        "*",
        N,
    ),
    // Resources: wildcards, case, placeholders.
    (
        "resource exact",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "resource case-sensitive",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/k"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "resource prefix star",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/a/b/c",
        A,
    ),
    (
        "bucket pattern does not cover objects",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "object pattern does not cover bucket",
        r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}"#,
        None,
        "s3:ListBucket",
        "arn:aws:s3:::b",
        N,
    ),
    (
        "star in region and account",
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:q"}"#,
        None,
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:123456789012:q",
        A,
    ),
    (
        "question mark in resource",
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:q?"}"#,
        None,
        "sqs:SendMessage",
        "arn:aws:sqs:r:1:q1",
        A,
    ),
    (
        "question mark in resource needs a char",
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:q?"}"#,
        None,
        "sqs:SendMessage",
        "arn:aws:sqs:r:1:q",
        N,
    ),
    (
        "secret suffix pattern",
        r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:r:1:secret:db-??????"}"#,
        None,
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:r:1:secret:db-AbC123",
        A,
    ),
    (
        "arn pattern does not cover star request",
        r#"{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:*:*"}"#,
        None,
        "sqs:ListQueues",
        "*",
        N,
    ),
    (
        "resource list",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "placeholder covered by star",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}",
        A,
    ),
    (
        "placeholder identical",
        r#"{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/t"}"#,
        None,
        "dynamodb:GetItem",
        "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/t",
        A,
    ),
    (
        "literal does not match placeholder",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::mybucket/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}/k",
        N,
    ),
    (
        "question mark does not match placeholder",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::?/k"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::${B}/k",
        N,
    ),
    (
        "star region covers placeholder region",
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:q"}"#,
        None,
        "sqs:SendMessage",
        "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q",
        A,
    ),
    (
        "escaped star is literal",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "escaped star matches star",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/*",
        A,
    ),
    (
        "policy variable is conditional",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::home/alice/k",
        C,
    ),
    (
        "policy variable elsewhere no match",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::other/alice/k",
        N,
    ),
    // NotResource.
    (
        "notresource allow grants others",
        r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "notresource allow excludes listed",
        r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::secret/k",
        N,
    ),
    (
        "notresource deny",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::ok","arn:aws:s3:::ok/*"]}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::other/k",
        D,
    ),
    (
        "notresource deny spares listed",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::ok","arn:aws:s3:::ok/*"]}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::ok/k",
        A,
    ),
    (
        "notaction and notresource",
        r#"{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::x"}"#,
        None,
        "s3:GetObject",
        "arn:aws:s3:::y",
        A,
    ),
    (
        "notresource star request",
        r#"{"Effect":"Allow","Action":"sqs:ListQueues","NotResource":"arn:aws:sqs:*:*:secret"}"#,
        None,
        "sqs:ListQueues",
        "*",
        A,
    ),
    // Conditions.
    (
        "conditional allow",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
        None,
        "s3:GetObject",
        "*",
        C,
    ),
    (
        "conditional allow plus plain allow",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "*",
        A,
    ),
    (
        "conditional deny weakens allow",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
        None,
        "s3:GetObject",
        "*",
        C,
    ),
    (
        "conditional deny without allow",
        r#"{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
        None,
        "s3:GetObject",
        "*",
        N,
    ),
    (
        "plain deny beats conditional allow",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#,
        None,
        "s3:GetObject",
        "*",
        D,
    ),
    (
        "empty condition is no condition",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}}"#,
        None,
        "s3:GetObject",
        "*",
        A,
    ),
    (
        "condition on non-matching statement ignored",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
        None,
        "s3:GetObject",
        "*",
        A,
    ),
    // Permission boundaries.
    (
        "boundary allows too",
        S3_GET_ALL,
        Some(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        A,
    ),
    (
        "boundary does not allow",
        S3_GET_ALL,
        Some(r#"{"Effect":"Allow","Action":"sqs:*","Resource":"*"}"#),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        N,
    ),
    (
        "boundary alone grants nothing",
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}"#,
        Some(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#),
        "s3:GetObject",
        "*",
        N,
    ),
    (
        "boundary deny",
        r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
        Some(
            r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#,
        ),
        "iam:PassRole",
        "*",
        D,
    ),
    (
        "boundary narrows resource",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        Some(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::ok/*"}"#),
        "s3:GetObject",
        "arn:aws:s3:::other/k",
        N,
    ),
    (
        "boundary resource ok",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        Some(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::ok/*"}"#),
        "s3:GetObject",
        "arn:aws:s3:::ok/k",
        A,
    ),
    (
        "boundary conditional",
        S3_GET_ALL,
        Some(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
        ),
        "s3:GetObject",
        "*",
        C,
    ),
    (
        "identity deny beats boundary allow",
        r#"{"Effect":"Deny","Action":"s3:*","Resource":"*"}"#,
        Some(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#),
        "s3:GetObject",
        "*",
        D,
    ),
];

#[test]
fn evaluation_table() {
    assert!(CASES.len() >= 60, "only {} cases", CASES.len());
    let mut failures = Vec::new();
    for (name, statements, boundary, action, resource, want) in CASES {
        let got = decide(statements, *boundary, action, resource);
        if got != *want {
            failures.push(format!(
                "{name}: {action} on {resource}: got {got:?}, want {want:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn evaluation_names_the_statements() {
    let set = policy(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},
{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}"#,
    );
    let ev = Evaluator::from_policy_set(&set).evaluate("s3:GetObject", "arn:aws:s3:::secret/k");
    assert_eq!(ev.decision, D);
    assert_eq!(ev.allowed_by.len(), 1);
    assert_eq!(ev.allowed_by[0].pointer, "/Statement/0");
    assert_eq!(ev.denied_by[0].pointer, "/Statement/1");
    assert_eq!(ev.denied_by[0].line, Some(2));
    assert_eq!(ev.denied_by[0].to_string(), "case.json:2 /Statement/1");
}

/// (name, statements, action, resource, expected) with the request's
/// unknowns treated as "could be anything" (`with_symbolic_placeholders`).
const SYMBOLIC: &[(&str, &str, &str, &str, Decision)] = &[
    (
        "literal grant, placeholder need",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::mybucket/*"}"#,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}/k",
        C,
    ),
    (
        "other bucket cannot match",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::mybucket/*"}"#,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}-x/k",
        C,
    ),
    (
        "fixed suffix mismatch",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::mybucket/a.csv"}"#,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}/b.csv",
        N,
    ),
    (
        "account placeholder vs literal account",
        r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:q"}"#,
        "sqs:SendMessage",
        "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q",
        C,
    ),
    (
        "run-time name vs one named grant",
        r#"{"Effect":"Allow","Action":"ecs:DescribeClusters","Resource":"arn:aws:ecs:*:*:cluster/prod"}"#,
        "ecs:DescribeClusters",
        "arn:aws:ecs:${AWS::Region}:${AWS::AccountId}:cluster/*",
        C,
    ),
    (
        "strict match stays allowed",
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}"#,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}/k",
        A,
    ),
    (
        "star request is not an unknown",
        r#"{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"arn:aws:sqs:*:*:*"}"#,
        "sqs:ListQueues",
        "*",
        N,
    ),
    (
        "deny that may match weakens",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}"#,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}/k",
        C,
    ),
    (
        "deny that cannot match",
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}"#,
        "s3:GetObject",
        "arn:aws:sqs:${R}:1:q",
        A,
    ),
    (
        "action mismatch still no",
        r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::mybucket/*"}"#,
        "s3:GetObject",
        "arn:aws:s3:::${BUCKET}/k",
        N,
    ),
];

#[test]
fn symbolic_placeholders() {
    let mut failures = Vec::new();
    for (name, statements, action, resource, want) in SYMBOLIC {
        let ev = Evaluator::from_policy_set(&policy(statements)).with_symbolic_placeholders(true);
        let got = ev.decision(action, resource);
        if got != *want {
            failures.push(format!(
                "{name}: {action} on {resource}: got {got:?}, want {want:?}"
            ));
        }
        // Symbolic mode only adds doubt: it never refuses what strict mode
        // allows, nor lifts a strict Deny.
        let strict = Evaluator::from_policy_set(&policy(statements)).decision(action, resource);
        let consistent = match strict {
            A => got == A || got == C,
            D => got == D,
            _ => true,
        };
        if !consistent {
            failures.push(format!("{name}: strict {strict:?} but symbolic {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// (name, policy text, expected error text)
const MALFORMED: &[(&str, &str, &str)] = &[
    (
        "bad effect",
        "{\"Statement\":[\n{\"Effect\":\"allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        "bad.json:2: Statement[0].Effect must be \"Allow\" or \"Deny\"",
    ),
    (
        "missing effect",
        "{\"Statement\":{\"Action\":\"*\",\"Resource\":\"*\"}}",
        "bad.json:1: Statement.Effect is missing",
    ),
    (
        "missing action",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Resource\":\"*\"}]}",
        "bad.json:1: Statement[0].Action is missing",
    ),
    (
        "missing resource",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}]}",
        "bad.json:1: Statement[0].Resource is missing",
    ),
    (
        "both action and notaction",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"NotAction\":\"s3:PutObject\",\"Resource\":\"*\"}]}",
        "Statement[0].NotAction cannot be used together with Action/NotAction",
    ),
    (
        "both resource and notresource",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"NotResource\":\"*\"}]}",
        "Statement[0].NotResource cannot be used together",
    ),
    (
        "action not a string",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":5,\"Resource\":\"*\"}]}",
        "Statement[0].Action must be a string, found a number",
    ),
    (
        "action without service",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"GetObject\"],\"Resource\":\"*\"}]}",
        "Statement[0].Action[1] \"GetObject\" is not an action",
    ),
    (
        "empty action list",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}]}",
        "Statement[0].Action must not be an empty list",
    ),
    (
        "unknown field",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Actions\":\"*\",\"Resource\":\"*\"}]}",
        "Statement[0].Actions is not a statement field",
    ),
    (
        "principal",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        "Statement[0].Principal is not allowed in an identity policy",
    ),
    (
        "condition not object",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":[]}]}",
        "Statement[0].Condition must be an object",
    ),
    (
        "bad version",
        "{\"Version\":\"2012-10-18\",\"Statement\":[]}",
        "bad.json:1: Version must be",
    ),
    (
        "statement not a list",
        "{\"Statement\":\"x\"}",
        "bad.json:1: Statement must be an object or an array, found a string",
    ),
    (
        "statement entry not object",
        "{\"Statement\":[\n\n[]]}",
        "bad.json:3: Statement[0] must be an object, found an array",
    ),
    (
        "duplicate key",
        "{\"Statement\":[{\"Effect\":\"Allow\",\n\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        "bad.json:2: Statement[0].Effect appears twice",
    ),
    (
        "not a policy",
        "{\"Foo\":1}",
        "bad.json: not a policy document",
    ),
    (
        "invalid json",
        "{\"Statement\":[\n  {\"Effect\": \"Allow\",}\n]}",
        "bad.json:2:22: invalid JSON",
    ),
    (
        "truncated json",
        "{\"Statement\":[",
        "bad.json:1:15: invalid JSON",
    ),
    (
        "top level array",
        "[1,2]",
        "bad.json: not a policy document",
    ),
];

#[test]
fn malformed_policies_name_file_line_and_field() {
    let mut failures = Vec::new();
    for (name, text, want) in MALFORMED {
        match parse_policy_text(text, "bad.json", None) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) if !e.to_string().contains(want) => {
                failures.push(format!("{name}: got {e}, want {want}"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hostile_json_gives_errors_not_crashes() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let e = parse_policy_text(&deep, "deep.json", None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("deep.json:1:"), "{e}");
    let deep_obj = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    assert!(parse_policy_text(&deep_obj, "deep.json", None).is_err());
    // Every prefix of a real policy: errors, never a panic.
    let text = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A\u00e9","Effect":"Allow","Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    for end in 0..text.len() {
        if text.is_char_boundary(end) {
            let _ = parse_policy_text(&text[..end], "p.json", None);
        }
    }
    let mut rng = Rng(7);
    let alphabet: &[u8] = b"{}[]:,\"\\ u0e-1.ntrfalsS*";
    for _ in 0..2000 {
        let len = rng.below(40);
        let s: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())] as char)
            .collect();
        let _ = parse_policy_text(&s, "fuzz.json", None);
    }
}

#[test]
fn ten_thousand_statements_parse_and_evaluate_fast() {
    let mut text = String::from("{\"Version\":\"2012-10-17\",\"Statement\":[\n");
    for i in 0..10_000 {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            "{{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:Put*\"],\"Resource\":\"arn:aws:s3:::bucket-{i}/*\"}}"
        ));
    }
    text.push_str("\n]}");
    let start = std::time::Instant::now();
    let set = parse_policy_text(&text, "big.json", None).unwrap();
    let st = &set.identity[0].statements;
    assert_eq!(st.len(), 10_000);
    assert_eq!(st[9_999].location.line, Some(10_001));
    let ev = Evaluator::from_policy_set(&set);
    assert_eq!(ev.decision("s3:PutObject", "arn:aws:s3:::bucket-9999/k"), A);
    assert_eq!(
        ev.decision("s3:PutObject", "arn:aws:s3:::bucket-10000/k"),
        N
    );
    // Generous bound for a debug build on a shared 2-core machine.
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
}

#[test]
fn account_authorization_details_pick_role_and_resolve_managed_policies() {
    let text = include_str!("policies/account-details.json");
    let set = parse_policy_text(text, "auth.json", Some("app-role")).unwrap();
    let origins: Vec<&str> = set.identity.iter().map(|p| p.origin.as_str()).collect();
    assert_eq!(
        origins,
        [
            "inline:ReadTable",
            "arn:aws:iam::123456789012:policy/AppQueues"
        ]
    );
    let ev = Evaluator::from_policy_set(&set);
    // Inline policy given URL-encoded, as the IAM API returns it.
    assert_eq!(
        ev.decision(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/app"
        ),
        A
    );
    // Managed policy: the default version (v2), not v1.
    assert_eq!(
        ev.decision("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs"),
        A
    );
    assert_eq!(
        ev.decision("sqs:DeleteQueue", "arn:aws:sqs:us-east-1:123456789012:jobs"),
        N
    );
    // Boundary from Policies[] denies what it does not allow.
    assert!(set.boundary.is_some());
    assert_eq!(
        ev.decision(
            "dynamodb:DeleteTable",
            "arn:aws:dynamodb:us-east-1:123456789012:table/app"
        ),
        N
    );
    let st = &set.identity[1].statements[0];
    assert_eq!(
        st.location.pointer,
        "/Policies/0/PolicyVersionList/1/Document/Statement/0"
    );
    assert!(st.location.line.is_some());
    // Two roles in the dump: without --role it is an error that names them.
    let e = parse_policy_text(text, "auth.json", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("app-role") && e.contains("other-role"), "{e}");
    let e = parse_policy_text(text, "auth.json", Some("nope"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no role \"nope\""), "{e}");
    // By ARN too.
    let by_arn = parse_policy_text(
        text,
        "auth.json",
        Some("arn:aws:iam::123456789012:role/other-role"),
    )
    .unwrap();
    assert_eq!(by_arn.identity.len(), 1);
}

#[test]
fn get_role_policy_output() {
    let text = r#"{"RoleName":"r","PolicyName":"p","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}}"#;
    let set = parse_policy_text(text, "grp.json", None).unwrap();
    assert_eq!(set.identity[0].origin, "inline:p");
    assert_eq!(
        set.identity[0].statements[0].location.pointer,
        "/PolicyDocument/Statement/0"
    );
    let encoded = r#"{"RoleName":"r","PolicyName":"p","PolicyDocument":"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D"}"#;
    let set = parse_policy_text(encoded, "grp.json", None).unwrap();
    assert_eq!(
        Evaluator::from_policy_set(&set).decision("s3:GetObject", "*"),
        D
    );
}

#[test]
fn expansion_against_a_given_list() {
    let idx = ActionIndex::new([
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:PutObject",
        "sqs:SendMessage",
        "s3express:GetObject",
    ]);
    assert_eq!(
        expand_action_pattern_in("s3:Get*", &idx),
        ["s3:GetObject", "s3:GetObjectAcl"]
    );
    assert_eq!(
        expand_action_pattern_in("s3:getobject", &idx),
        ["s3:GetObject"]
    );
    assert_eq!(
        expand_action_pattern_in("s3:GetObject?", &idx),
        Vec::<String>::new()
    );
    assert_eq!(
        expand_action_pattern_in("s3*:GetObject", &idx),
        ["s3:GetObject", "s3express:GetObject"]
    );
    assert_eq!(expand_action_pattern_in("*", &idx).len(), 5);
    assert_eq!(
        expand_action_pattern_in("s3:Nope", &idx),
        Vec::<String>::new()
    );
}

// ---- property test: the evaluator against a naive implementation ----

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Backtracking glob over characters: the definition, not the fast path.
fn naive_glob(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|k| naive_glob(rest, &t[k..])),
        Some(('?', rest)) => !t.is_empty() && naive_glob(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && naive_glob(rest, &t[1..]),
    }
}

struct NaiveStatement {
    allow: bool,
    not_action: bool,
    actions: Vec<String>,
    not_resource: bool,
    resources: Vec<String>,
    conditional: bool,
}

fn naive_matches(st: &NaiveStatement, action: &str, resource: &str) -> bool {
    let chars = |s: &str| s.chars().collect::<Vec<_>>();
    let a = st
        .actions
        .iter()
        .any(|p| naive_glob(&chars(&p.to_lowercase()), &chars(&action.to_lowercase())));
    let r = st
        .resources
        .iter()
        .any(|p| naive_glob(&chars(p), &chars(resource)));
    a != st.not_action && r != st.not_resource
}

fn naive_decide(statements: &[NaiveStatement], action: &str, resource: &str) -> Decision {
    let hits: Vec<&NaiveStatement> = statements
        .iter()
        .filter(|s| naive_matches(s, action, resource))
        .collect();
    if hits.iter().any(|s| !s.allow && !s.conditional) {
        return D;
    }
    let plain_allow = hits.iter().any(|s| s.allow && !s.conditional);
    let cond_allow = hits.iter().any(|s| s.allow && s.conditional);
    let cond_deny = hits.iter().any(|s| !s.allow && s.conditional);
    match (plain_allow, cond_allow, cond_deny) {
        (true, _, false) => A,
        (true, _, true) | (false, true, _) => C,
        (false, false, _) => N,
    }
}

fn gen_pattern(rng: &mut Rng, alphabet: &[&str], max: usize) -> String {
    let len = rng.below(max + 1);
    (0..len).map(|_| rng.pick(alphabet)).collect()
}

fn to_json(s: &NaiveStatement) -> String {
    let list = |v: &[String]| serde_json::to_string(v).unwrap();
    format!(
        "{{\"Effect\":\"{}\",\"{}\":{},\"{}\":{}{}}}",
        if s.allow { "Allow" } else { "Deny" },
        if s.not_action { "NotAction" } else { "Action" },
        list(&s.actions),
        if s.not_resource {
            "NotResource"
        } else {
            "Resource"
        },
        list(&s.resources),
        if s.conditional {
            ",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}"
        } else {
            ""
        }
    )
}

#[test]
fn property_evaluator_agrees_with_naive_implementation() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let name_alpha = ["a", "b", "A", "B", "*", "?"];
    let res_alpha = ["a", "b", "/", ":", "*", "?", "*", "A"];
    let mut checked = 0;
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..400 {
        let n = 1 + rng.below(4);
        let statements: Vec<NaiveStatement> = (0..n)
            .map(|_| NaiveStatement {
                allow: rng.below(3) > 0,
                not_action: rng.below(5) == 0,
                actions: (0..1 + rng.below(2))
                    .map(|_| {
                        if rng.below(8) == 0 {
                            "*".to_string()
                        } else {
                            format!(
                                "{}:{}",
                                rng.pick(&["s", "S", "t", "?"]),
                                gen_pattern(&mut rng, &name_alpha, 4) + "x"
                            )
                        }
                    })
                    .collect(),
                not_resource: rng.below(5) == 0,
                resources: (0..1 + rng.below(2))
                    .map(|_| gen_pattern(&mut rng, &res_alpha, 6))
                    .filter(|s| !s.is_empty())
                    .chain(std::iter::once("zz".to_string()))
                    .collect(),
                conditional: rng.below(4) == 0,
            })
            .collect();
        let text = format!(
            "{{\"Statement\":[{}]}}",
            statements.iter().map(to_json).collect::<Vec<_>>().join(",")
        );
        let set =
            parse_policy_text(&text, "gen.json", None).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let ev = Evaluator::from_policy_set(&set);
        for _ in 0..20 {
            let action = format!(
                "{}:{}x",
                rng.pick(&["s", "S", "t"]),
                gen_pattern(&mut rng, &["a", "b", "A", "B"], 4)
            );
            let resource = gen_pattern(&mut rng, &["a", "b", "/", ":", "A"], 6);
            let resource = if resource.is_empty() {
                "*".to_string()
            } else {
                resource
            };
            let want = naive_decide(&statements, &action, &resource);
            let got = ev.decision(&action, &resource);
            assert_eq!(got, want, "{action} on {resource}\n{text}");
            *seen.entry(format!("{got:?}")).or_insert(0) += 1;
            checked += 1;
        }
    }
    assert_eq!(checked, 8000);
    // The generator reaches every outcome, so agreement means something.
    for d in ["Allowed", "Denied", "NotAllowed", "ConditionallyAllowed"] {
        assert!(
            seen.get(d).copied().unwrap_or(0) > 100,
            "{d} too rare: {seen:?}"
        );
    }
}

#[test]
fn property_glob_agrees_with_naive_on_resources() {
    let mut rng = Rng(42);
    for _ in 0..5000 {
        let p = gen_pattern(&mut rng, &["a", "b", "*", "?", "*"], 8);
        let p = if p.is_empty() { "a".to_string() } else { p };
        let t = gen_pattern(&mut rng, &["a", "b"], 9);
        let text = format!(
            "{{\"Statement\":{{\"Effect\":\"Allow\",\"Action\":\"s:x\",\"Resource\":\"{p}\"}}}}"
        );
        let set = parse_policy_text(&text, "g.json", None).unwrap();
        let got = Evaluator::from_policy_set(&set).decision("s:x", &t) == A;
        let want = naive_glob(
            &p.chars().collect::<Vec<_>>(),
            &t.chars().collect::<Vec<_>>(),
        );
        assert_eq!(got, want, "pattern {p:?} text {t:?}");
    }
}

#[test]
fn property_symbolic_match_agrees_with_brute_force() {
    // A request with one `${X}` may match a pattern exactly when some value
    // of X makes it match. Values up to 5 characters over the alphabet
    // suffice for patterns this short.
    let mut rng = Rng(2024);
    let alphabet = ['a', 'b', '/'];
    let mut values = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..5 {
        frontier = frontier
            .iter()
            .flat_map(|v| alphabet.iter().map(move |c| format!("{v}{c}")))
            .collect();
        values.extend(frontier.iter().cloned());
    }
    let mut agreed = [0usize; 2];
    for _ in 0..1500 {
        let p = gen_pattern(&mut rng, &["a", "b", "/", "*", "?"], 5);
        let p = if p.is_empty() { "a".to_string() } else { p };
        let before = gen_pattern(&mut rng, &["a", "b", "/"], 2);
        let after = gen_pattern(&mut rng, &["a", "b", "/"], 2);
        let request = format!("{before}${{X}}{after}");
        let text = format!(
            "{{\"Statement\":{{\"Effect\":\"Allow\",\"Action\":\"s:x\",\"Resource\":\"{p}\"}}}}"
        );
        let set = parse_policy_text(&text, "g.json", None).unwrap();
        let got = Evaluator::from_policy_set(&set)
            .with_symbolic_placeholders(true)
            .decision("s:x", &request)
            != N;
        let pc: Vec<char> = p.chars().collect();
        let want = values.iter().any(|v| {
            let t: Vec<char> = format!("{before}{v}{after}").chars().collect();
            naive_glob(&pc, &t)
        });
        assert_eq!(got, want, "pattern {p:?} request {request:?}");
        agreed[usize::from(got)] += 1;
    }
    assert!(agreed[0] > 100 && agreed[1] > 100, "{agreed:?}");
}

#[test]
fn boundary_statements_are_named_apart() {
    let id = policy(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let boundary = policy(
        r#"{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#,
    );
    let ev = Evaluator::from_policy_set(&id).with_boundary(boundary.identity_statements());
    let s3 = ev.evaluate("s3:GetObject", "*");
    assert_eq!(s3.decision, A);
    assert_eq!(s3.allowed_by.len(), 1, "only the identity statement grants");
    assert_eq!(s3.boundary_allows.len(), 1);
    let iam = ev.evaluate("iam:PassRole", "*");
    assert_eq!(iam.decision, D);
    assert_eq!(iam.denied_by.len(), 1);
    assert_eq!(iam.denied_by[0].pointer, "/Statement/1");
    let sqs = ev.evaluate("sqs:SendMessage", "*");
    assert_eq!(sqs.decision, N);
    assert!(sqs.boundary_allows.is_empty());
}
