//! CloudTrail evidence end to end: real-format log files (gzip and plain, the
//! AWSLogs tree, an organisation trail), the LookupEvents and Athena sources
//! against a stub of each API on 127.0.0.1, bad input, and the CLI.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use tighten::cloudtrail::{TrailEvidence, TrailSourceArgs, collect};
use tighten::need::Source;

const ACCT: &str = "111122223333";

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cloudtrail")
        .join(p)
}

fn files_args(path: &str, role: &str) -> TrailSourceArgs {
    TrailSourceArgs {
        trail_logs: vec![fixture(path)],
        role: Some(role.to_string()),
        since: Some("2024-01-01".into()),
        until: Some("2024-06-01".into()),
        ..TrailSourceArgs::default()
    }
}

fn needs(ev: &TrailEvidence) -> BTreeMap<String, BTreeSet<String>> {
    ev.needs
        .iter()
        .map(|n| (n.action.clone(), n.resources.clone()))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn trail_source(ev: &TrailEvidence, action: &str) -> (u64, String, String) {
    let n = ev
        .needs
        .needs
        .get(action)
        .unwrap_or_else(|| panic!("no need {action}"));
    match &n.sources[..] {
        [
            Source::Trail {
                count,
                first_seen,
                last_seen,
            },
        ] => (
            *count,
            first_seen.clone().unwrap(),
            last_seen.clone().unwrap(),
        ),
        other => panic!("{action}: sources {other:?}"),
    }
}

#[test]
fn log_tree_gives_exact_actions_and_resources() {
    let ev = collect(&files_args("trail", "orders-worker"))
        .unwrap()
        .unwrap();
    let kms = |k: &str| format!("arn:aws:kms:eu-west-1:{ACCT}:key/{k}");
    let key1 = kms("1111aaaa-0000-0000-0000-000000000001");
    let key2 = kms("2222bbbb-0000-0000-0000-000000000002");
    let expected: BTreeMap<String, BTreeSet<String>> = [
        ("cloudwatch:PutMetricData", set(&["*"])),
        (
            "dynamodb:DescribeTable",
            set(&[
                &format!("arn:aws:dynamodb:eu-west-1:{ACCT}:table/orders"),
                &format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"),
            ]),
        ),
        (
            "dynamodb:Query",
            set(&[&format!(
                "arn:aws:dynamodb:us-east-1:{ACCT}:table/orders/index/by-customer"
            )]),
        ),
        ("kms:ReEncryptFrom", set(&[&key1])),
        ("kms:ReEncryptTo", set(&[&key2])),
        (
            "lambda:InvokeFunction",
            set(&[&format!("arn:aws:lambda:eu-west-1:{ACCT}:function:notify")]),
        ),
        ("s3:GetObject", set(&["arn:aws:s3:::orders-bucket/*"])),
        ("s3:ListBucket", set(&["arn:aws:s3:::orders-bucket"])),
        (
            "ses:SendEmail",
            set(&[&format!(
                "arn:aws:ses:us-east-1:{ACCT}:identity/${{IdentityName}}"
            )]),
        ),
        (
            "sqs:SendMessage",
            set(&[&format!("arn:aws:sqs:eu-west-1:{ACCT}:orders-out")]),
        ),
        (
            "ssm:GetParameter",
            set(&[&format!(
                "arn:aws:ssm:eu-west-1:{ACCT}:parameter/orders/config"
            )]),
        ),
        (
            "states:StartExecution",
            set(&[&format!(
                "arn:aws:states:eu-west-1:{ACCT}:stateMachine:fulfil"
            )]),
        ),
    ]
    .into_iter()
    .map(|(a, r)| (a.to_string(), r))
    .collect();
    assert_eq!(needs(&ev), expected);
    let table = tighten::actionmap::table();
    for n in ev.needs.iter().chain(&ev.denied) {
        assert!(
            table.is_known_action(&n.action),
            "{} is not an IAM action",
            n.action
        );
    }

    // Two calls a day apart, merged with their first and last time.
    assert_eq!(
        trail_source(&ev, "cloudwatch:PutMetricData"),
        (
            2,
            "2024-05-01T12:00:04Z".into(),
            "2024-05-02T08:00:04Z".into()
        )
    );
    assert_eq!(trail_source(&ev, "s3:GetObject").0, 2);

    // AccessDenied is a missing need, not a grant in use.
    let denied: Vec<(&str, &BTreeSet<String>)> = ev
        .denied
        .iter()
        .map(|n| (n.action.as_str(), &n.resources))
        .collect();
    assert_eq!(
        denied,
        vec![(
            "kms:Decrypt",
            &set(&[&kms("3333cccc-0000-0000-0000-000000000003")])
        )]
    );
    assert!(!ev.needs.needs.contains_key("kms:Decrypt"));

    let unmapped: Vec<(&str, &str, u64)> = ev
        .unmapped
        .iter()
        .map(|u| (u.event_source.as_str(), u.event_name.as_str(), u.count))
        .collect();
    assert_eq!(
        unmapped,
        vec![
            ("made-up.amazonaws.com", "DoSomething", 1),
            ("sts.amazonaws.com", "GetCallerIdentity", 1),
        ]
    );

    let st = &ev.stats;
    assert_eq!(st.files, 3, "the digest file is skipped");
    assert_eq!(st.records, 21);
    assert_eq!(st.skipped_other_roles, 3);
    assert_eq!(st.outside_window, 1);
    assert_eq!(st.matched, 17);
    assert_eq!(st.failed_calls, 1);
    assert_eq!(st.denied_calls, 1);
    assert!(st.errors.is_empty(), "{:?}", st.errors);
}

#[test]
fn other_role_by_arn_sees_only_its_own_calls() {
    let role = format!("arn:aws:iam::{ACCT}:role/reporting");
    let ev = collect(&files_args("trail", &role)).unwrap().unwrap();
    let got: BTreeSet<String> = needs(&ev).into_keys().collect();
    assert_eq!(
        got,
        set(&["dynamodb:DescribeTable", "iam:ListRoles", "s3:DeleteBucket"])
    );
    assert_eq!(
        ev.needs.needs["s3:DeleteBucket"].resources,
        set(&["arn:aws:s3:::reports"])
    );
    assert_eq!(ev.stats.matched, 3);
}

#[test]
fn window_selects_by_event_time() {
    let mut args = files_args("trail", "orders-worker");
    args.since = Some("2024-05-03T00:00:00Z".into());
    let ev = collect(&args).unwrap().unwrap();
    let got: BTreeSet<String> = needs(&ev).into_keys().collect();
    assert_eq!(
        got,
        set(&["dynamodb:DescribeTable", "dynamodb:Query", "ses:SendEmail"])
    );
    assert_eq!(ev.stats.matched, 3);
    assert_eq!(ev.stats.outside_window, 15);
}

#[test]
fn bad_input_is_reported_and_good_records_kept() {
    let ev = collect(&files_args("bad", "orders-worker"))
        .unwrap()
        .unwrap();
    let errs: Vec<(String, Option<usize>, String)> = ev
        .stats
        .errors
        .iter()
        .map(|e| {
            let file = PathBuf::from(&e.file);
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            (name, e.record, e.message.clone())
        })
        .collect();
    let find = |name: &str| errs.iter().filter(|e| e.0 == name).collect::<Vec<_>>();
    let missing = find("missing-event-source.json");
    assert_eq!(missing.len(), 2, "{errs:?}");
    assert_eq!(missing[0].1, Some(1));
    assert!(missing[0].2.contains("eventSource"));
    assert_eq!(missing[1].1, Some(2));
    assert!(missing[1].2.contains("not a JSON object"));
    let not_ct = find("not-cloudtrail.json");
    assert_eq!(not_ct.len(), 1);
    assert_eq!(not_ct[0].1, None);
    assert!(not_ct[0].2.contains("Records"));
    let trunc = find("truncated.json.gz");
    assert_eq!(trunc.len(), 1, "{errs:?}");
    let lost_from = trunc[0]
        .1
        .expect("the truncated file names its first lost record");
    assert!(lost_from > 0 && lost_from < 40, "{lost_from}");

    // Everything readable is kept: the good file, the good record next to
    // the broken ones, and the truncated file's complete records.
    assert_eq!(trail_source(&ev, "cloudwatch:PutMetricData").0, 2);
    assert!(ev.needs.needs.contains_key("states:StartExecution"));
    assert_eq!(trail_source(&ev, "ssm:GetParameter").0, lost_from as u64);
    assert_eq!(
        ev.needs.needs["ssm:GetParameter"].resources.len(),
        lost_from
    );
}

fn tighten(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tighten"));
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/tighten-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/tighten-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDTESTTESTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "testsecret")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_MAX_ATTEMPTS", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn policy_actions(policy: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for st in policy["Statement"].as_array().unwrap() {
        match &st["Action"] {
            Value::String(s) => {
                out.insert(s.clone());
            }
            Value::Array(a) => out.extend(a.iter().map(|v| v.as_str().unwrap().to_string())),
            other => panic!("Action {other}"),
        }
    }
    out
}

#[test]
fn cli_prints_policy_json_report_and_text() {
    let trail = fixture("trail");
    let base = [
        "trail",
        "--trail-logs",
        trail.to_str().unwrap(),
        "--role",
        "orders-worker",
        "--since",
        "2024-01-01",
        "--until",
        "2024-06-01",
    ];
    let policy = stdout_json(&tighten(&base, &[]));
    let actions = policy_actions(&policy);
    assert!(actions.contains("s3:ListBucket") && actions.contains("kms:ReEncryptTo"));
    assert!(
        !actions.contains("kms:Decrypt"),
        "denied calls are not granted"
    );
    assert!(actions.iter().all(|a| !a.contains('*')));

    let mut json_args = base.to_vec();
    json_args.extend(["--format", "json"]);
    let report = stdout_json(&tighten(&json_args, &[]));
    assert_eq!(report["version"], 1);
    let first = &report["needs"][0];
    assert_eq!(first["action"], "cloudwatch:PutMetricData");
    assert_eq!(first["sources"][0]["kind"], "trail");
    assert_eq!(first["sources"][0]["count"], 2);
    assert_eq!(report["denied"][0]["action"], "kms:Decrypt");
    assert_eq!(report["stats"]["matched"], 17);
    assert_eq!(report["unmapped"][1]["event_name"], "GetCallerIdentity");

    let mut text_args = base.to_vec();
    text_args.extend(["--format", "text"]);
    let out = tighten(&text_args, &[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Denied (1 actions"), "{text}");
    assert!(text.contains("17 of the role in the window"), "{text}");
}

#[test]
fn cli_errors_exit_2_and_name_the_problem() {
    let trail = fixture("trail");
    let out = tighten(&["trail", "--trail-logs", trail.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--role is required"));

    let out = tighten(
        &["trail", "--trail-logs", "/nonexistent/trail", "--role", "r"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/trail"));

    let out = tighten(
        &[
            "trail",
            "--trail-logs",
            trail.to_str().unwrap(),
            "--role",
            "r",
            "--since",
            "last tuesday",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));

    let out = tighten(&["trail"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no CloudTrail source"));
}

// ---- a stub of the AWS JSON protocol on 127.0.0.1 ----

struct Request {
    target: String,
    body: Value,
    at: Instant,
}

type Handler = dyn Fn(&str, &Value, usize) -> (u16, Value) + Send + Sync;

/// Serves JSON-protocol requests: `handler(target, body, n)` answers the
/// n-th request (from 0). Returns the port and the requests seen.
fn stub_server(handler: Box<Handler>) -> (u16, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
    let handler: Arc<Handler> = Arc::from(handler);
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { break };
            let seen = seen2.clone();
            let handler = handler.clone();
            std::thread::spawn(move || serve_conn(conn, &*handler, &seen));
        }
    });
    (port, seen)
}

fn serve_conn(conn: TcpStream, handler: &Handler, seen: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut len = 0usize;
        let mut target = String::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => len = v.trim().parse().unwrap(),
                    "x-amz-target" => target = v.trim().to_string(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let n = {
            let mut s = seen.lock().unwrap();
            s.push(Request {
                target: target.clone(),
                body: body.clone(),
                at: Instant::now(),
            });
            s.len() - 1
        };
        let (status, reply) = handler(&target, &body, n);
        let reply = reply.to_string();
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: req-{n}\r\nContent-Length: {}\r\n\r\n",
            if status == 200 { "OK" } else { "Bad Request" },
            reply.len()
        );
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn record(time: &str, source: &str, name: &str, role: &str, params: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": format!("arn:aws:sts::{ACCT}:assumed-role/{role}/fn"),
            "accountId": ACCT,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{ACCT}:role/{role}")}}
        },
        "eventTime": time,
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "requestParameters": params,
        "recipientAccountId": ACCT
    })
}

fn lookup_event(rec: &Value) -> Value {
    json!({
        "EventId": "e",
        "EventName": rec["eventName"],
        "EventTime": 1714564800,
        "EventSource": rec["eventSource"],
        "CloudTrailEvent": rec.to_string()
    })
}

fn aws_env(port: u16) -> Vec<(&'static str, String)> {
    vec![("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))]
}

#[test]
fn lookup_events_pages_respects_rate_and_retries_a_throttle() {
    // The SDK sends the short form of the model's
    // `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101` target.
    const TARGET: &str = "CloudTrail_20131101.LookupEvents";
    let pages = [
        vec![
            record(
                "2024-05-01T10:00:00Z",
                "ssm.amazonaws.com",
                "GetParameter",
                "worker",
                json!({"name": "/app/a"}),
            ),
            record(
                "2024-05-01T10:00:01Z",
                "s3.amazonaws.com",
                "CreateBucket",
                "someone-else",
                json!({"bucketName": "x"}),
            ),
        ],
        vec![record(
            "2024-05-01T11:00:00Z",
            "monitoring.amazonaws.com",
            "PutMetricData",
            "worker",
            json!({}),
        )],
        vec![record(
            "2024-05-01T12:00:00Z",
            "ssm.amazonaws.com",
            "GetParameter",
            "worker",
            json!({"name": "/app/b"}),
        )],
    ];
    let (port, seen) = stub_server(Box::new(move |target, body, n| {
        assert_eq!(target, TARGET);
        if n == 0 {
            return (
                400,
                json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
            );
        }
        let page = match body.get("NextToken").and_then(Value::as_str) {
            None => 0,
            Some("page-2") => 1,
            Some("page-3") => 2,
            Some(t) => panic!("unexpected token {t}"),
        };
        let mut reply = json!({"Events": pages[page].iter().map(lookup_event).collect::<Vec<_>>()});
        if page < 2 {
            reply["NextToken"] = json!(format!("page-{}", page + 2));
        }
        (200, reply)
    }));
    let out = tighten(
        &[
            "trail",
            "--trail-lookup",
            "--role",
            "worker",
            "--since",
            "2024-04-01",
            "--until",
            "2024-06-01",
            "--format",
            "json",
        ],
        &aws_env(port),
    );
    let report = stdout_json(&out);
    let got: BTreeMap<String, Value> = report["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["action"].as_str().unwrap().to_string(),
                n["resources"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        BTreeMap::from([
            ("cloudwatch:PutMetricData".to_string(), json!(["*"])),
            (
                "ssm:GetParameter".to_string(),
                json!([
                    format!("arn:aws:ssm:eu-west-1:{ACCT}:parameter/app/a"),
                    format!("arn:aws:ssm:eu-west-1:{ACCT}:parameter/app/b")
                ])
            ),
        ])
    );
    assert_eq!(report["stats"]["records"], 4);
    assert_eq!(report["stats"]["skipped_other_roles"], 1);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4, "one throttled request, then three pages");
    assert!(
        seen[1].body.get("NextToken").is_none(),
        "the throttled request is retried as is"
    );
    assert_eq!(seen[3].body["NextToken"], "page-3");
    assert_eq!(seen[1].body["StartTime"].as_f64(), Some(1_711_929_600.0));
    for w in seen.windows(2) {
        let gap = w[1].at.duration_since(w[0].at);
        assert!(
            gap.as_millis() >= 450,
            "requests {gap:?} apart: over 2 per second"
        );
    }
}

fn athena_row(cells: &[&str]) -> Value {
    json!({"Data": cells.iter().map(|c| if c.is_empty() { json!({}) } else { json!({"VarCharValue": c}) }).collect::<Vec<_>>()})
}

const ATHENA_COLUMNS: &[&str] = &[
    "eventsource",
    "eventname",
    "awsregion",
    "recipientaccountid",
    "errorcode",
    "resource_arns",
    "has_key",
    "bucket_name",
    "table_name",
    "index_name",
    "queue_url",
    "function_name",
    "topic_arn",
    "state_machine_arn",
    "secret_id",
    "key_id",
    "source_key_id",
    "destination_key_id",
    "name",
    "path",
    "log_group_name",
    "stream_name",
    "delivery_stream_name",
    "event_bus_name",
    "model_id",
    "calls",
    "first_seen",
    "last_seen",
];

fn athena_data_row(
    source: &str,
    name: &str,
    error: &str,
    resources: &str,
    set_cols: &[(&str, &str)],
    calls: &str,
) -> Value {
    let cells: Vec<&str> = ATHENA_COLUMNS
        .iter()
        .map(|c| match *c {
            "eventsource" => source,
            "eventname" => name,
            "awsregion" => "eu-west-1",
            "recipientaccountid" => ACCT,
            "errorcode" => error,
            "resource_arns" => resources,
            "has_key" => "false",
            "calls" => calls,
            "first_seen" => "2024-05-01T10:00:00Z",
            "last_seen" => "2024-05-20T10:00:00Z",
            other => set_cols
                .iter()
                .find(|(k, _)| *k == other)
                .map_or("", |(_, v)| *v),
        })
        .collect();
    athena_row(&cells)
}

#[test]
fn athena_query_runs_polls_and_pages_results() {
    let (port2, seen2) = athena_lifecycle_server();
    let out = tighten(
        &[
            "trail",
            "--trail-athena",
            "--athena-table",
            "cloudtrail.logs",
            "--athena-workgroup",
            "primary",
            "--role",
            &format!("arn:aws:iam::{ACCT}:role/worker"),
            "--since",
            "2024-05-01",
            "--until",
            "2024-06-01",
            "--format",
            "json",
        ],
        &aws_env(port2),
    );
    let report = stdout_json(&out);
    assert_eq!(report["needs"][0]["action"], "dynamodb:DescribeTable");
    assert_eq!(
        report["needs"][0]["resources"],
        json!([format!("arn:aws:dynamodb:eu-west-1:{ACCT}:table/orders")])
    );
    assert_eq!(report["needs"][0]["sources"][0]["count"], 41);
    assert_eq!(
        report["needs"][0]["sources"][0]["last_seen"],
        "2024-05-20T10:00:00Z"
    );
    assert_eq!(report["needs"][1]["action"], "s3:ListBucket");
    assert_eq!(
        report["needs"][1]["resources"],
        json!(["arn:aws:s3:::data"])
    );
    assert_eq!(report["denied"][0]["action"], "kms:Decrypt");
    assert_eq!(report["stats"]["matched"], 51);

    let seen = seen2.lock().unwrap();
    let ops: Vec<&str> = seen
        .iter()
        .map(|r| r.target.strip_prefix("AmazonAthena.").unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "StartQueryExecution",
            "GetQueryExecution",
            "GetQueryExecution",
            "GetQueryResults",
            "GetQueryResults"
        ]
    );
    let sql = seen[0].body["QueryString"].as_str().unwrap();
    assert!(
        sql.contains(&format!(
            "sessionissuer.arn = 'arn:aws:iam::{ACCT}:role/worker'"
        )),
        "{sql}"
    );
    assert!(sql.contains("FROM \"cloudtrail\".\"logs\""));
    assert!(sql.contains("eventtime >= '2024-05-01T00:00:00Z'"));
}

/// An Athena whose query is RUNNING at the first poll and SUCCEEDED at the
/// next, with results on two pages (the first starting with the header row).
fn athena_lifecycle_server() -> (u16, Arc<Mutex<Vec<Request>>>) {
    let polls = Arc::new(Mutex::new(0u32));
    stub_server(Box::new(move |target, body, _n| {
        let op = target.strip_prefix("AmazonAthena.").unwrap();
        match op {
            "StartQueryExecution" => {
                assert_eq!(body["WorkGroup"], "primary");
                (200, json!({"QueryExecutionId": "q-1"}))
            }
            "GetQueryExecution" => {
                assert_eq!(body["QueryExecutionId"], "q-1");
                let mut p = polls.lock().unwrap();
                *p += 1;
                let state = if *p == 1 { "RUNNING" } else { "SUCCEEDED" };
                (
                    200,
                    json!({"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": state}}}),
                )
            }
            "GetQueryResults" => match body.get("NextToken").and_then(Value::as_str) {
                None => (
                    200,
                    json!({"ResultSet": {"Rows": [
                        athena_row(ATHENA_COLUMNS),
                        athena_data_row("dynamodb.amazonaws.com", "DescribeTable", "", "", &[("table_name", "orders")], "41"),
                    ]}, "NextToken": "rows-2"}),
                ),
                Some("rows-2") => (
                    200,
                    json!({"ResultSet": {"Rows": [
                        athena_data_row("kms.amazonaws.com", "Decrypt", "AccessDeniedException",
                            &format!("arn:aws:kms:eu-west-1:{ACCT}:key/k1"), &[], "3"),
                        athena_data_row("s3.amazonaws.com", "ListObjects", "", "arn:aws:s3:::data", &[("bucket_name", "data")], "7"),
                    ]}}),
                ),
                Some(t) => panic!("token {t}"),
            },
            other => panic!("unexpected {other}"),
        }
    }))
}

#[test]
fn athena_failure_reports_the_reason() {
    let (port, _seen) = stub_server(Box::new(|target, _body, _n| match target {
        "AmazonAthena.StartQueryExecution" => (200, json!({"QueryExecutionId": "q-9"})),
        "AmazonAthena.GetQueryExecution" => (
            200,
            json!({"QueryExecution": {"QueryExecutionId": "q-9", "Status": {
                "State": "FAILED",
                "StateChangeReason": "TABLE_NOT_FOUND: line 3:6: Table 'awsdatacatalog.cloudtrail.logs' does not exist"
            }}}),
        ),
        other => panic!("unexpected {other}"),
    }));
    let out = tighten(
        &[
            "trail",
            "--trail-athena",
            "--athena-table",
            "cloudtrail.logs",
            "--athena-workgroup",
            "primary",
            "--role",
            "worker",
        ],
        &aws_env(port),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TABLE_NOT_FOUND") && err.contains("q-9 failed"),
        "{err}"
    );
}

#[test]
fn print_sql_shows_the_query_without_running_it() {
    let out = tighten(
        &[
            "trail",
            "--trail-athena",
            "--athena-table",
            "cloudtrail.logs",
            "--athena-workgroup",
            "primary",
            "--role",
            "svc.worker+1",
            "--since",
            "2024-05-01",
            "--until",
            "2024-06-01",
            "--print-sql",
        ],
        // No server listens here: running the query would fail.
        &aws_env(9),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sql = String::from_utf8(out.stdout).unwrap();
    assert!(sql.contains("SELECT eventsource"), "{sql}");
    assert!(sql.contains(":role/(.*/)?svc\\.worker\\+1$"), "{sql}");
    assert!(sql.contains("GROUP BY 1, 2"), "{sql}");

    let out = tighten(
        &[
            "trail",
            "--trail-athena",
            "--athena-table",
            "x'; DROP TABLE y; --",
            "--athena-workgroup",
            "w",
            "--role",
            "worker",
            "--print-sql",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--athena-table"));
}

struct CountingSink(usize);

impl<'de> tighten::cloudtrail::record::RecordSink<'de> for CountingSink {
    fn record(&mut self, index: usize, _slot: tighten::cloudtrail::record::RecordSlot<'de>) {
        assert_eq!(index, self.0, "records arrive in order");
        self.0 += 1;
    }
}

#[test]
fn every_prefix_of_a_log_file_reads_without_panicking() {
    let path = fixture(&format!(
        "trail/AWSLogs/{ACCT}/CloudTrail/eu-west-1/2024/05/02/{ACCT}_CloudTrail_eu-west-1_20240502T0805Z_Q0pLs9Ze.json"
    ));
    let bytes = std::fs::read(path).unwrap();
    let mut last = 0;
    for cut in 0..bytes.len() {
        let mut sink = CountingSink(0);
        let res = tighten::cloudtrail::record::read_log_file(&bytes[..cut], &mut sink);
        // Only whitespace may be cut from a complete file.
        if bytes[cut..].iter().all(u8::is_ascii_whitespace) {
            assert!(res.is_ok());
        } else {
            assert!(res.is_err(), "a file cut at {cut} reads as complete");
        }
        assert!(sink.0 >= last, "cutting later never loses records");
        last = sink.0;
    }
    assert_eq!(last, 7);
}

#[test]
fn fields_of_unexpected_types_read_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let who = json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::{ACCT}:assumed-role/worker/fn")});
    let file = json!({"Records": [
        {"eventSource": 5, "eventName": "GetParameter", "eventTime": "2024-05-01T00:00:00Z", "userIdentity": who},
        {"eventSource": "ssm.amazonaws.com", "eventName": "GetParameter", "eventTime": "2024-05-01T00:00:01Z",
         "awsRegion": "eu-west-1", "recipientAccountId": ACCT, "userIdentity": who,
         "requestParameters": {"name": {"nested": true}, "names": "not-a-list"}, "resources": "nope"},
        {"eventSource": "monitoring.amazonaws.com", "eventName": "PutMetricData", "eventTime": "yesterday",
         "userIdentity": who},
        {"eventSource": "monitoring.amazonaws.com", "eventName": "PutMetricData", "eventTime": "2024-05-01T00:00:02Z",
         "userIdentity": [1, 2], "requestParameters": "x"},
        null
    ]});
    std::fs::write(dir.path().join("odd.json"), file.to_string()).unwrap();
    let mut args = files_args("trail", "worker");
    args.trail_logs = vec![dir.path().to_path_buf()];
    let ev = collect(&args).unwrap().unwrap();
    // The SSM call is kept; its unreadable `name` gives no resource, so the
    // parameter ARN keeps a visible placeholder for the name.
    let ssm = &ev.needs.needs["ssm:GetParameter"].resources;
    assert_eq!(ssm.len(), 1);
    let arn = ssm.iter().next().unwrap();
    assert!(
        arn.starts_with(&format!("arn:aws:ssm:eu-west-1:{ACCT}:parameter/")),
        "{arn}"
    );
    assert!(arn.contains("${"), "{arn}");
    let errs: Vec<(Option<usize>, &str)> = ev
        .stats
        .errors
        .iter()
        .map(|e| (e.record, e.message.as_str()))
        .collect();
    assert_eq!(
        errs,
        vec![
            (Some(0), "record has no eventSource"),
            (Some(2), "record has no valid eventTime"),
            (Some(4), "record is not a JSON object"),
        ]
    );
    // A record whose userIdentity is not an object belongs to no role.
    assert_eq!(ev.stats.skipped_other_roles, 1);
    assert_eq!(ev.stats.records, 5);
}

#[test]
fn invalid_utf8_stops_the_file_at_that_record_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let good = record(
        "2024-05-01T00:00:00Z",
        "monitoring.amazonaws.com",
        "PutMetricData",
        "worker",
        json!({}),
    );
    let mut bytes = format!("{{\"Records\":[{good},").into_bytes();
    bytes.extend_from_slice(b"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"Get\xff\"}]}");
    std::fs::write(dir.path().join("bad-utf8.json"), bytes).unwrap();
    let mut args = files_args("trail", "worker");
    args.trail_logs = vec![dir.path().to_path_buf()];
    let ev = collect(&args).unwrap().unwrap();
    assert!(ev.needs.needs.contains_key("cloudwatch:PutMetricData"));
    assert_eq!(ev.stats.errors.len(), 1);
    assert_eq!(ev.stats.errors[0].record, Some(1));
    assert!(
        ev.stats.errors[0].message.contains("invalid"),
        "{:?}",
        ev.stats.errors
    );
}
