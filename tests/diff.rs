//! `tighten diff` end to end: the binary on a Python fixture
//! (tests/python/diff_s3_dynamodb: s3 get_object and a DynamoDB Table
//! get_item on literal names) against current policies under
//! tests/policies/diff/, asserting the removed, kept and missing sets
//! exactly; plus the diff library on a small action list, bad input and
//! a 500-statement policy.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

#[path = "support/moto.rs"]
mod moto;

use serde_json::{Value, json};
use tighten::diff::diff;
use tighten::need::{Need, Source};
use tighten::policy::parse::parse_policy_text;
use tighten::policy::{ActionIndex, Decision};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> String {
    root().join(rel).display().to_string()
}

fn tighten(args: &[&str]) -> Output {
    tighten_at(args, "http://127.0.0.1:9")
}

/// Runs the binary with AWS pointed at `endpoint` (loopback only).
fn tighten_at(args: &[&str], endpoint: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tighten"))
        .args(args)
        .env("NO_COLOR", "1")
        // AWS is never reached by these tests; keep the SDK off the network
        // should a code path ever build a client.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .output()
        .expect("run tighten")
}

const REGION_ACCOUNT: [&str; 4] = ["--region", "us-east-1", "--account", "123456789012"];

fn diff_json(current: &str) -> Value {
    let src = fixture("tests/python/diff_s3_dynamodb");
    let cur = fixture(&format!("tests/policies/diff/{current}"));
    let mut args = vec![
        "diff",
        src.as_str(),
        "--current",
        cur.as_str(),
        "--format",
        "json",
    ];
    args.extend(REGION_ACCOUNT);
    let out = tighten(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// The scanner adds an optional `kms:Decrypt` to `s3.get_object` (objects
/// may be SSE-KMS encrypted); its key is the scanner's business, not the
/// diff's, so these tests leave that optional need out of their sets.
const SCANNER_OPTIONAL: &str = "kms:Decrypt";

/// `action` or `action on resource` for each entry of a list field.
fn set(v: &Value, field: &str, with_resource: bool) -> BTreeSet<String> {
    v[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is not an array: {v}"))
        .iter()
        .filter(|e| e["action"] != SCANNER_OPTIONAL)
        .map(|e| {
            let a = e["action"].as_str().unwrap_or_default().to_string();
            if with_resource {
                format!("{a} on {}", e["resource"].as_str().unwrap_or_default())
            } else {
                a
            }
        })
        .collect()
}

fn strings(xs: &[&str]) -> BTreeSet<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

const LOG_GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${FunctionName}";
const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/orders";
const OBJECT: &str = "arn:aws:s3:::reports-bucket/daily.csv";

fn all_needed() -> BTreeSet<String> {
    strings(&[
        &format!("dynamodb:GetItem on {TABLE}"),
        &format!("logs:CreateLogGroup on {LOG_GROUP}"),
        &format!("logs:CreateLogStream on {LOG_GROUP}:*"),
        &format!("logs:PutLogEvents on {LOG_GROUP}:*"),
        &format!("s3:GetObject on {OBJECT}"),
    ])
}

/// The bundled action list, read independently of the diff's expansion.
fn bundled_actions() -> Vec<String> {
    tighten::actionmap::table()
        .all_actions()
        .iter()
        .map(|a| a.name.clone())
        .collect()
}

#[test]
fn administrator_access_removes_every_other_action() {
    let v = diff_json("admin.json");
    assert_eq!(v["version"], 1);
    for field in [
        "current",
        "suggested",
        "removed",
        "kept",
        "missing",
        "unified_diff",
    ] {
        assert!(v.get(field).is_some(), "no {field}");
    }
    assert_eq!(set(&v, "kept", true), all_needed());
    assert!(v["missing"].as_array().unwrap().is_empty());
    let all = bundled_actions();
    assert!(all.len() > 10_000, "bundled list has {} actions", all.len());
    let needed = strings(&[
        SCANNER_OPTIONAL,
        "dynamodb:GetItem",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "s3:GetObject",
    ]);
    let want: BTreeSet<String> = all.into_iter().filter(|a| !needed.contains(a)).collect();
    let removed = set(&v, "removed", false);
    assert_eq!(removed.len(), want.len());
    assert_eq!(removed, want);
    // Every removed action is granted on "*" by the one statement.
    let first = &v["removed"][0];
    assert_eq!(first["resources"], serde_json::json!(["*"]));
    assert!(
        first["granted_by"][0]
            .as_str()
            .unwrap()
            .ends_with("admin.json:4 /Statement/0")
    );
    // Each needed action was granted on more than it needs.
    let mut narrowed = needed.clone();
    narrowed.remove(SCANNER_OPTIONAL);
    assert_eq!(set(&v, "narrowed", false), narrowed);
    // The suggested policy grants exactly the needs.
    let suggested = v["suggested"].to_string();
    assert!(!suggested.contains("\"*\""), "{suggested}");
}

#[test]
fn s3_star_shows_exactly_which_s3_actions_go() {
    let v = diff_json("s3-star.json");
    let s3: BTreeSet<String> = bundled_actions()
        .into_iter()
        .filter(|a| a.starts_with("s3:"))
        .filter(|a| a != "s3:GetObject")
        .collect();
    assert!(s3.len() > 100);
    assert_eq!(set(&v, "removed", false), s3);
    assert_eq!(set(&v, "kept", true), all_needed());
    assert!(v["missing"].as_array().unwrap().is_empty());
    let removed_services: BTreeSet<&str> = v["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(removed_services, BTreeSet::from(["s3"]));
    assert_eq!(v["summary"]["s3"]["removed"], s3.len());
}

#[test]
fn scoped_policy_missing_an_action() {
    let v = diff_json("scoped-missing.json");
    assert_eq!(
        set(&v, "missing", true),
        strings(&[&format!("dynamodb:GetItem on {TABLE}")])
    );
    let missing = &v["missing"][0];
    assert_eq!(missing["decision"], "not_allowed");
    // The reader sees the code line behind the need.
    assert_eq!(missing["sources"][0]["file"], "handler.py");
    assert_eq!(missing["sources"][0]["line"], 10);
    assert_eq!(set(&v, "removed", false), strings(&["dynamodb:PutItem"]));
    assert_eq!(
        v["removed"][0]["resources"],
        serde_json::json!([TABLE]),
        "removed keeps the resources as granted"
    );
    let mut kept = all_needed();
    kept.remove(&format!("dynamodb:GetItem on {TABLE}"));
    assert_eq!(set(&v, "kept", true), kept);
    // The typo grants nothing and is reported, not dropped.
    assert_eq!(
        set(&v, "unknown_actions", false),
        strings(&["dynamodb:GetItme"])
    );
    let udiff = v["unified_diff"].as_str().unwrap();
    assert!(udiff.starts_with("--- current\n+++ suggested\n"), "{udiff}");
    assert!(udiff.contains("-        \"dynamodb:PutItem\""), "{udiff}");
}

#[test]
fn explicit_deny_makes_a_need_missing() {
    let v = diff_json("deny-reports.json");
    assert_eq!(
        set(&v, "missing", true),
        strings(&[&format!("s3:GetObject on {OBJECT}")])
    );
    let m = &v["missing"][0];
    assert_eq!(m["decision"], "denied");
    assert!(
        m["denied_by"][0]
            .as_str()
            .unwrap()
            .contains("deny-reports.json:9 /Statement/1")
    );
}

#[test]
fn text_output_lists_missing_first_with_code_lines() {
    let src = fixture("tests/python/diff_s3_dynamodb");
    let cur = fixture("tests/policies/diff/scoped-missing.json");
    let mut args = vec!["diff", src.as_str(), "--current", cur.as_str()];
    args.extend(REGION_ACCOUNT);
    let out = tighten(&args);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b'),
        "colour with NO_COLOR / not a terminal"
    );
    assert!(text.contains("1 removed, 4 kept, 1 missing"), "{text}");
    let missing = text.find("Missing").expect("missing section");
    let removed = text.find("Removed").expect("removed section");
    let udiff = text.find("--- current").expect("unified diff");
    assert!(missing < removed && removed < udiff, "{text}");
    assert!(
        text.contains(&format!("dynamodb:GetItem on {TABLE}  (not granted)")),
        "{text}"
    );
    assert!(text.contains("handler.py:10: Table.get_item"), "{text}");
    assert!(text.contains("dynamodb:GetItme at "), "{text}");
}

#[test]
fn administrator_access_text_is_summarised_per_service() {
    let src = fixture("tests/python/diff_s3_dynamodb");
    let cur = fixture("tests/policies/diff/admin.json");
    let out = tighten(&["diff", src.as_str(), "--current", cur.as_str()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("services (full list: --format json)"),
        "{text}"
    );
    assert!(
        text.lines().count() < 200,
        "AdministratorAccess text is not summarised"
    );
}

#[test]
fn bad_input_names_file_line_and_field() {
    let src = fixture("tests/python/diff_s3_dynamodb");
    let bad = fixture("tests/policies/diff/bad-effect.json");
    let out = tighten(&["diff", src.as_str(), "--current", bad.as_str()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad-effect.json:10: Statement[1].Effect must be \"Allow\" or \"Deny\""),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let invalid = fixture("tests/policies/diff/invalid.json");
    let out = tighten(&["diff", src.as_str(), "--current", invalid.as_str()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid.json:4:24: invalid JSON"), "{err}");

    let out = tighten(&["diff", src.as_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no current policy to compare"));

    let out = tighten(&[
        "diff",
        src.as_str(),
        "--current",
        "/nonexistent/policy.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/policy.json"));
}

#[test]
fn account_authorization_details_with_role() {
    let src = fixture("tests/python/diff_s3_dynamodb");
    let dump = fixture("tests/policies/account-details.json");
    let out = tighten(&[
        "diff",
        &src,
        "--current",
        &dump,
        "--role",
        "other-role",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["missing"].as_array().unwrap().is_empty());
    assert!(v["removed"].as_array().unwrap().len() > 10_000);
    let out = tighten(&["diff", &src, "--current", &dump]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pick one with --role"));
}

fn need(action: &str, resource: &str, optional: bool) -> Need {
    Need {
        action: action.into(),
        resources: BTreeSet::from([resource.to_string()]),
        optional,
        sources: vec![Source::Code {
            file: "app.py".into(),
            line: 3,
            call: "x".into(),
        }],
    }
}

#[test]
fn library_diff_on_a_small_action_list() {
    let actions = ActionIndex::new([
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "kms:Decrypt",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
    ]);
    let policy = r#"{"Statement":[
{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
{"Effect":"Allow","NotAction":["s3:*","kms:*"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"}]}"#;
    let set = parse_policy_text(policy, "p.json", None).unwrap();
    let needs = [
        need("s3:GetObject", "arn:aws:s3:::b/k", false),
        need("s3:GetObject", "arn:aws:s3:::${BUCKET}/k", false),
        need("sqs:SendMessage", "arn:aws:sqs:r:1:q", false),
        need("kms:Decrypt", "arn:aws:kms:r:1:key/k", true),
        need("s3:ListBucket", "arn:aws:s3:::b", false),
    ];
    let d = diff(&needs, &set, &actions, false);
    let names = |v: Vec<&str>| v.into_iter().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        d.kept.iter().map(|k| k.action.as_str()).collect::<Vec<_>>(),
        ["s3:GetObject"]
    );
    assert_eq!(
        d.conditional
            .iter()
            .map(|c| format!("{} {}", c.action, c.resource))
            .collect::<Vec<_>>(),
        names(vec![
            "s3:GetObject arn:aws:s3:::${BUCKET}/k",
            "sqs:SendMessage arn:aws:sqs:r:1:q"
        ])
    );
    assert_eq!(
        d.missing
            .iter()
            .map(|m| (m.action.as_str(), m.decision))
            .collect::<Vec<_>>(),
        [("s3:ListBucket", Decision::NotAllowed)]
    );
    assert_eq!(
        d.optional_missing
            .iter()
            .map(|m| m.action.as_str())
            .collect::<Vec<_>>(),
        ["kms:Decrypt"]
    );
    // NotAction grants every other action: sqs:ReceiveMessage goes; the
    // conditional grant is marked so.
    let removed: Vec<(&str, bool)> = d
        .removed
        .iter()
        .map(|r| (r.action.as_str(), r.conditional))
        .collect();
    assert_eq!(
        removed,
        [("s3:PutObject", false), ("sqs:ReceiveMessage", true)]
    );
    // With --include-optional the optional need counts as missing.
    let d = diff(&needs, &set, &actions, true);
    assert!(d.optional_missing.is_empty());
    assert!(d.missing.iter().any(|m| m.action == "kms:Decrypt"));
}

#[test]
fn five_hundred_statement_policy_diffs_fast() {
    let all = bundled_actions();
    let actions = ActionIndex::new(&all);
    let mut text = String::from("{\"Version\":\"2012-10-17\",\"Statement\":[");
    for i in 0..500 {
        if i > 0 {
            text.push(',');
        }
        // One AdministratorAccess-like statement, the rest the wildcards
        // and literals real policies are made of.
        let action = match i % 5 {
            _ if i == 1 => "\"*\"".to_string(),
            0 | 1 => "\"s3:*\"".to_string(),
            2 => "[\"dynamodb:Get*\",\"dynamodb:Query\"]".to_string(),
            3 => "\"ec2:Describe*\"".to_string(),
            _ => format!("\"{}\"", all[i * 37 % all.len()]),
        };
        text.push_str(&format!(
            "{{\"Effect\":\"Allow\",\"Action\":{action},\"Resource\":\"arn:aws:s3:::bucket-{i}/*\"}}"
        ));
    }
    text.push_str("]}");
    let set = parse_policy_text(&text, "big.json", None).unwrap();
    let needs = [need("s3:GetObject", "arn:aws:s3:::bucket-5/k", false)];
    let start = std::time::Instant::now();
    let d = diff(&needs, &set, &actions, false);
    let took = start.elapsed();
    assert_eq!(d.kept.len(), 1);
    assert_eq!(d.removed.len(), all.len() - 1);
    // A debug build on a shared 2-core machine; release is far faster.
    assert!(took.as_secs_f64() < 5.0, "500-statement diff took {took:?}");
    eprintln!("500-statement diff (debug build): {took:?}");
}

fn sam_json(extra: &[&str]) -> Value {
    let src = fixture("tests/python/diff_sam/src");
    let template = fixture("tests/python/diff_sam/template.yaml");
    let mut args = vec![
        "diff",
        src.as_str(),
        "--template",
        template.as_str(),
        "--format",
        "json",
    ];
    args.extend(extra);
    let out = tighten(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn template_gives_current_policy_env_and_platform_needs() {
    let v = sam_json(&[]);
    let table = "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders";
    let group = "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/worker:*";
    // TABLE_NAME comes from the template's environment; the SQS event
    // source and the log group are platform needs.
    let kept = set(&v, "kept", false);
    assert_eq!(
        kept,
        strings(&[
            "dynamodb:GetItem",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
        ])
    );
    assert!(set(&v, "kept", true).contains(&format!("dynamodb:GetItem on {table}")));
    assert!(set(&v, "kept", true).contains(&format!("logs:PutLogEvents on {group}")));
    assert!(v["missing"].as_array().unwrap().is_empty());
    // DynamoDBCrudPolicy minus GetItem, and all of s3:*.
    let crud_rest = strings(&[
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
    ]);
    let s3: BTreeSet<String> = bundled_actions()
        .into_iter()
        .filter(|a| a.starts_with("s3:"))
        .collect();
    let want: BTreeSet<String> = crud_rest.union(&s3).cloned().collect();
    assert_eq!(set(&v, "removed", false), want);
    assert!(
        v["current_sources"][0]["origin"]
            .as_str()
            .unwrap()
            .contains("Worker")
    );
}

#[test]
fn current_file_is_compared_while_template_gives_context() {
    let cur = fixture("tests/policies/diff/scoped-missing.json");
    let mut extra = vec!["--current", cur.as_str()];
    extra.extend(REGION_ACCOUNT);
    let v = sam_json(&extra);
    let q = |a: &str| format!("{a} on ${{Jobs.Arn}}");
    assert_eq!(
        set(&v, "missing", true),
        strings(&[
            &format!("dynamodb:GetItem on {TABLE}"),
            &q("sqs:DeleteMessage"),
            &q("sqs:GetQueueAttributes"),
            &q("sqs:ReceiveMessage"),
        ])
    );
    assert_eq!(
        set(&v, "removed", false),
        strings(&["dynamodb:PutItem", "s3:GetObject"])
    );
}

/// Creates `diff-role` with an inline `s3:*` policy in moto's IAM.
/// An SDK configuration for moto at `endpoint`, with test credentials.
async fn moto_config(endpoint: &str) -> tighten::aws::SdkConfig {
    let opts = tighten::aws::AwsOptions {
        profile: None,
        region: Some("us-east-1".to_string()),
        endpoint_url: Some(endpoint.to_string()),
    };
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "tests");
    tighten::aws::sdk_config(&opts)
        .await
        .into_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .build()
}

/// Creates role `name` with one inline policy in moto's IAM; returns its ARN.
async fn create_role(config: &tighten::aws::SdkConfig, name: &str, policy: Value) -> String {
    let iam = aws_sdk_iam::Client::new(config);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let role = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("create role");
    iam.put_role_policy()
        .role_name(name)
        .policy_name(format!("{name}-inline"))
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("put role policy");
    role.role().map(|r| r.arn().to_string()).expect("role ARN")
}

#[test]
fn role_read_from_iam_via_moto() {
    let Some(server) = moto::MotoServer::start() else {
        return;
    };
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    tighten::aws::block_on(async {
        let config = moto_config(&server.endpoint).await;
        create_role(&config, "diff-role", policy).await
    })
    .expect("runtime");
    let src = fixture("tests/python/diff_s3_dynamodb");
    let out = tighten_at(
        &[
            "diff",
            &src,
            "--role",
            "diff-role",
            "--region",
            "us-east-1",
            "--format",
            "json",
        ],
        &server.endpoint,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["current_sources"][0]["origin"], "inline:diff-role-inline");
    // The account comes from the role's ARN, so the needs are pinned.
    assert_eq!(
        set(&v, "missing", true),
        strings(&[
            &format!("dynamodb:GetItem on {TABLE}"),
            &format!("logs:CreateLogGroup on {LOG_GROUP}"),
            &format!("logs:CreateLogStream on {LOG_GROUP}:*"),
            &format!("logs:PutLogEvents on {LOG_GROUP}:*"),
        ])
    );
    assert_eq!(
        set(&v, "kept", true),
        strings(&[&format!("s3:GetObject on {OBJECT}")])
    );
    let s3: BTreeSet<String> = bundled_actions()
        .into_iter()
        .filter(|a| a.starts_with("s3:") && a != "s3:GetObject")
        .collect();
    assert_eq!(set(&v, "removed", false), s3);
}

/// Case 02 of the development set (seed handler and its role's policy,
/// copied into tests/): `logs:*`, `ecs:Describe*` and grants that belong
/// to other principals.
#[test]
fn seed_case_02_ecs_metrics() {
    let src = fixture("tests/python/diff_case02");
    let cur = fixture("tests/policies/case02-current-policy.json");
    let out = tighten(&["diff", &src, "--current", &cur, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["missing"].as_array().unwrap().is_empty());
    assert_eq!(
        set(&v, "kept", false),
        strings(&[
            "cloudwatch:PutMetricData",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ])
    );
    // The cluster name comes from the event: granted for one cluster, so
    // it depends on the name at run time.
    assert_eq!(
        set(&v, "conditional", true),
        strings(&[
            "ecs:DescribeClusters on arn:aws:ecs:${AWS::Region}:${AWS::AccountId}:cluster/*"
        ])
    );
    let all = bundled_actions();
    let want: BTreeSet<String> = all
        .iter()
        .filter(|a| {
            (a.starts_with("logs:")
                && ![
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ]
                .contains(&a.as_str()))
                || (a.starts_with("ecs:Describe") && *a != "ecs:DescribeClusters")
        })
        .cloned()
        .chain([
            "lambda:InvokeFunction".to_string(),
            "states:StartExecution".to_string(),
        ])
        .collect();
    assert_eq!(set(&v, "removed", false), want);
}

/// Colour on a terminal only, and never with NO_COLOR: run under
/// util-linux `script`, which gives the child a pseudo-terminal.
#[test]
fn colour_only_on_a_terminal_without_no_color() {
    if Command::new("script").arg("--version").output().is_err() {
        println!("SKIPPED: `script` (util-linux) not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_tighten");
    let src = fixture("tests/python/diff_s3_dynamodb");
    let cur = fixture("tests/policies/diff/scoped-missing.json");
    let cmd = format!("{bin} diff {src} --current {cur}");
    let run = |no_color: Option<&str>| {
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.output().expect("run script");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = run(None);
    assert!(coloured.contains("\x1b[31m"), "{coloured}");
    assert!(coloured.contains("Missing"), "{coloured}");
    let plain = run(Some("1"));
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(plain.contains("Missing"), "{plain}");
}

#[test]
fn ten_thousand_statement_policy_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    let mut text = String::from("{\"Version\":\"2012-10-17\",\"Statement\":[\n");
    for i in 0..10_000 {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            "{{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"sqs:Send*\"],\"Resource\":\"arn:aws:s3:::bucket-{i}/*\"}}"
        ));
    }
    text.push_str("\n]}\n");
    std::fs::write(&path, text).unwrap();
    let src = fixture("tests/python/diff_s3_dynamodb");
    let start = std::time::Instant::now();
    let out = tighten(&[
        "diff",
        &src,
        "--current",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let took = start.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        set(&v, "removed", false),
        strings(&["sqs:SendMessage", "sqs:SendMessageBatch"])
            .into_iter()
            .filter(|a| bundled_actions().contains(a))
            .collect()
    );
    // s3:GetObject is granted, but on 10,000 other buckets.
    assert!(set(&v, "missing", false).contains("s3:GetObject"));
    assert_eq!(
        v["removed"][0]["granted_by"].as_array().unwrap().len(),
        10_000
    );
    assert!(took.as_secs() < 30, "took {took:?}");
}

#[test]
fn log_group_follows_function_and_no_logs_leaves_it_out() {
    let src = fixture("tests/python/diff_s3_dynamodb");
    let cur = fixture("tests/policies/diff/s3-star.json");
    let run = |extra: &[&str]| -> Value {
        let mut args = vec![
            "diff",
            src.as_str(),
            "--current",
            cur.as_str(),
            "--format",
            "json",
        ];
        args.extend(extra);
        let out = tighten(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = run(&["--function", "orders-fn"]);
    assert!(
        set(&v, "kept", true).contains(
            "logs:CreateLogGroup on arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/orders-fn"
        ),
        "{}",
        v["kept"]
    );
    let v = run(&[
        "--no-logs",
        "--region",
        "us-east-1",
        "--account",
        "123456789012",
    ]);
    assert_eq!(
        set(&v, "kept", false),
        strings(&["dynamodb:GetItem", "s3:GetObject"])
    );
    // The grants stay, needed by nothing now.
    assert!(set(&v, "removed", false).contains("logs:PutLogEvents"));
}

#[test]
fn function_read_from_lambda_via_moto() {
    let Some(server) = moto::MotoServer::start() else {
        return;
    };
    // Grants exactly the needs once TABLE_NAME (from the function's
    // environment) and the account (from the role's ARN) are known.
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem",
         "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/worker-fn*"},
        {"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": "*"}]});
    tighten::aws::block_on(async {
        use aws_sdk_lambda::primitives::Blob;
        use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
        let config = moto_config(&server.endpoint).await;
        let role_arn = create_role(&config, "worker-role", policy).await;
        // The smallest valid zip: an empty end-of-central-directory record.
        let mut zip = b"PK\x05\x06".to_vec();
        zip.resize(22, 0);
        aws_sdk_lambda::Client::new(&config)
            .create_function()
            .function_name("worker-fn")
            .runtime(Runtime::Python312)
            .role(role_arn)
            .handler("app.handler")
            .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
            .environment(
                Environment::builder()
                    .variables("TABLE_NAME", "orders")
                    .build(),
            )
            .send()
            .await
            .expect("create function");
    })
    .expect("runtime");
    let src = fixture("tests/python/diff_sam/src");
    let out = tighten_at(
        &[
            "diff",
            &src,
            "--function",
            "worker-fn",
            "--region",
            "us-east-1",
            "--format",
            "json",
        ],
        &server.endpoint,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/worker-fn";
    assert_eq!(
        set(&v, "kept", true),
        strings(&[
            &format!("dynamodb:GetItem on {TABLE}"),
            &format!("logs:CreateLogGroup on {group}"),
            &format!("logs:CreateLogStream on {group}:*"),
            &format!("logs:PutLogEvents on {group}:*"),
        ])
    );
    assert!(v["missing"].as_array().unwrap().is_empty());
    assert_eq!(
        set(&v, "removed", false),
        strings(&["dynamodb:DeleteTable"])
    );
}

#[test]
fn diff_current_reads_template_intrinsics_as_placeholders() {
    use tighten::policy::current::{CurrentPolicy, SourcedPolicy};
    let current = CurrentPolicy {
        documents: vec![SourcedPolicy {
            origin: "template.yaml#Fn/Policies[0]".into(),
            file: Some("template.yaml".into()),
            line: Some(12),
            document: json!({"Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Jobs", "Arn"]}},
                {"Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": {"Fn::Sub": "arn:aws:s3:::${Bucket}/*"}}]}),
        }],
        boundary: None,
        warnings: vec![],
    };
    let actions = ActionIndex::new(["sqs:SendMessage", "s3:GetObject", "s3:PutObject"]);
    let needs = [
        need("sqs:SendMessage", "${Jobs.Arn}", false),
        need("s3:GetObject", "arn:aws:s3:::${Bucket}/report.csv", false),
    ];
    let d = tighten::diff::diff_current(&needs, &current, &actions, false).unwrap();
    assert_eq!(d.kept.len(), 2, "{:?}", d.missing);
    assert_eq!(
        d.kept[0].granted_by[0].to_string(),
        "template.yaml:12 (template.yaml#Fn/Policies[0]) /Statement/1"
    );
    // A value IAM would reject is an error naming the document.
    let mut bad = current.clone();
    bad.documents[0].document = json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Join": ["", []]}}]});
    let e = tighten::diff::diff_current(&needs, &bad, &actions, false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "template.yaml:12: PolicyDocument.Statement[0].Resource must be a string, found an object"
    );
}

/// CloudTrail evidence in the diff: actions the role was seen using stay
/// (kept, even when no code line needs them), and removals are split into
/// never-used and unobservable.
#[test]
fn cloudtrail_keeps_observed_actions_and_splits_removals() {
    let dir = tempfile::tempdir().unwrap();
    let admin = dir.path().join("admin.json");
    std::fs::write(
        &admin,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    let out = tighten(&[
        "diff",
        &fixture("tests/python/alias_import"),
        "--current",
        admin.to_str().unwrap(),
        "--trail-logs",
        &fixture("tests/cloudtrail/trail"),
        "--trail-role",
        "orders-worker",
        "--since",
        "2000-01-01",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kept = set(&v, "kept", false);
    // From the code...
    assert!(kept.contains("s3:GetObject"), "{kept:?}");
    // ...and from CloudTrail only (the trail fixture's SES and Step Functions calls).
    assert!(kept.contains("ses:SendEmail"), "{kept:?}");
    assert!(kept.contains("states:StartExecution"), "{kept:?}");
    let ct = &v["cloudtrail"];
    assert_eq!(ct["stats"]["matched"], 18);
    let never: BTreeSet<String> = ct["removed_never_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    let unobservable: BTreeSet<String> = ct["removed_unobservable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert!(unobservable.contains("iam:PassRole"));
    assert!(unobservable.contains("dynamodb:PutItem"));
    assert!(never.contains("iam:CreateUser"));
    assert!(never.is_disjoint(&unobservable));
    assert!(!never.contains("ses:SendEmail"));
}
