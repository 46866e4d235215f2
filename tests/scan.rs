//! `tighten scan` end to end on fixtures under tests/python/, one folder per
//! binding pattern. Each test asserts the exact actions (logs:* aside) and
//! the resources that matter for the pattern.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

struct Scan {
    json: Value,
    stderr: String,
}

impl Scan {
    fn actions(&self) -> BTreeSet<String> {
        self.json["needs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| !n["optional"].as_bool().unwrap())
            .map(|n| n["action"].as_str().unwrap().to_string())
            .filter(|a| !a.starts_with("logs:"))
            .collect()
    }
    fn optional(&self) -> BTreeSet<String> {
        self.json["needs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["optional"].as_bool().unwrap())
            .map(|n| n["action"].as_str().unwrap().to_string())
            .collect()
    }
    fn resources(&self, action: &str) -> Vec<String> {
        let needs: BTreeMap<String, Value> = self.json["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["action"].as_str().unwrap().to_string(), n.clone()))
            .collect();
        needs[action]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    }
    fn unresolved_lines(&self) -> Vec<u64> {
        self.json["unresolved"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["line"].as_u64().unwrap())
            .collect()
    }
}

fn scan(name: &str, extra: &[&str]) -> Scan {
    scan_env(name, extra, &[])
}

fn scan_env(name: &str, extra: &[&str], env: &[(&str, &str)]) -> Scan {
    let out = Command::new(env!("CARGO_BIN_EXE_tighten"))
        .arg("scan")
        .arg(fixture(name))
        .args(["--format", "json"])
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "scan {name} failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    Scan {
        json: serde_json::from_slice(&out.stdout).unwrap(),
        stderr,
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn import_alias_and_key_prefix() {
    let s = scan("alias_import", &[]);
    assert_eq!(s.actions(), set(&["s3:GetObject"]));
    assert_eq!(
        s.resources("s3:GetObject"),
        vec!["arn:aws:s3:::reports/daily/*"]
    );
}

#[test]
fn from_import_client_and_resource_with_pinned_region() {
    let s = scan("from_import", &[]);
    assert_eq!(s.actions(), set(&["dynamodb:GetItem", "sqs:SendMessage"]));
    assert_eq!(
        s.resources("dynamodb:GetItem"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"]
    );
    // The queue URL comes from the environment: its name cannot be known.
    assert_eq!(
        s.resources("sqs:SendMessage"),
        vec!["arn:aws:sqs:eu-west-1:${AWS::AccountId}:*"]
    );
}

#[test]
fn session_client_and_argument_dependent_kms() {
    let s = scan("session_client", &[]);
    assert_eq!(s.actions(), set(&["ssm:GetParameter"]));
    assert!(s.optional().contains("kms:Decrypt"));
    assert_eq!(
        s.resources("ssm:GetParameter"),
        vec!["arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/token"]
    );
}

#[test]
fn client_on_self_attribute() {
    let s = scan("self_attr", &[]);
    assert_eq!(s.actions(), set(&["sns:Publish"]));
    assert_eq!(
        s.resources("sns:Publish"),
        vec!["arn:aws:sns:us-east-1:123456789012:alerts"]
    );
}

#[test]
fn clients_in_a_dict() {
    let s = scan("dict_clients", &[]);
    assert_eq!(s.actions(), set(&["lambda:InvokeFunction"]));
    assert_eq!(
        s.resources("lambda:InvokeFunction"),
        vec!["arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:audit-log"]
    );
}

#[test]
fn factory_in_another_module_and_parameter_passing() {
    let s = scan("factory_pkg", &[]);
    assert_eq!(s.actions(), set(&["kinesis:PutRecord"]));
    assert_eq!(
        s.resources("kinesis:PutRecord"),
        vec!["arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/clicks"]
    );
}

#[test]
fn resource_table_index_and_batch_writer() {
    let s = scan("resource_table", &[]);
    assert_eq!(
        s.actions(),
        set(&[
            "dynamodb:BatchWriteItem",
            "dynamodb:PutItem",
            "dynamodb:Query"
        ])
    );
    assert_eq!(
        s.resources("dynamodb:Query"),
        vec![
            "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ORDERS_TABLE}/index/by-customer"
        ]
    );
    // A template or --env resolves the placeholder.
    let s = scan("resource_table", &["--env", "ORDERS_TABLE=orders"]);
    assert_eq!(
        s.resources("dynamodb:PutItem"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"]
    );
}

#[test]
fn paginator_and_waiter() {
    let s = scan("paginator_waiter", &[]);
    assert_eq!(s.actions(), set(&["s3:GetObject", "s3:ListBucket"]));
    assert_eq!(s.resources("s3:ListBucket"), vec!["arn:aws:s3:::logs"]);
    assert_eq!(
        s.resources("s3:GetObject"),
        vec!["arn:aws:s3:::logs/a/done"]
    );
}

#[test]
fn transfer_helpers_copy_and_presign() {
    let s = scan("transfer_helpers", &[]);
    assert_eq!(s.actions(), set(&["s3:GetObject", "s3:PutObject"]));
    // Exactly these: the copy source's key names no access point.
    assert_eq!(
        s.resources("s3:GetObject"),
        vec![
            "arn:aws:s3:::${OUT_BUCKET}/web/index.html",
            "arn:aws:s3:::*/*",
            "arn:aws:s3:::src-bucket/in/x"
        ]
    );
    let put = s.resources("s3:PutObject");
    assert!(
        put.contains(&"arn:aws:s3:::${OUT_BUCKET}/web/*".to_string()),
        "{put:?}"
    );
    assert!(
        put.contains(&"arn:aws:s3:::${OUT_BUCKET}/archive/x".to_string()),
        "{put:?}"
    );
}

#[test]
fn getattr_with_dynamic_name_is_unresolved_never_guessed() {
    let s = scan("getattr_dynamic", &[]);
    // head_bucket by literal name resolves; the ec2 call does not.
    assert_eq!(s.actions(), set(&["s3:ListBucket"]));
    assert_eq!(s.unresolved_lines(), vec![8]);
}

#[test]
fn assumed_role_calls_are_reported_apart() {
    let s = scan("assume_role", &[]);
    assert_eq!(s.actions(), set(&["sts:AssumeRole"]));
    let foreign = s.json["assumed_role_calls"].as_array().unwrap();
    assert_eq!(foreign.len(), 1);
    assert_eq!(foreign[0]["actions"][0], "s3:ListAllMyBuckets");
}

#[test]
fn syntax_error_warns_and_keeps_calls() {
    let s = scan("syntax_error", &[]);
    assert_eq!(s.actions(), set(&["sns:Publish"]));
    assert!(s.stderr.contains("app.py:"), "{}", s.stderr);
    assert!(
        s.json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("syntax error"))
    );
}

#[test]
fn dead_code_docstrings_and_after_return_are_ignored() {
    let s = scan("dead_code", &[]);
    assert_eq!(s.actions(), set(&["dynamodb:DeleteItem"]));
}

#[test]
fn sqs_resource_lazy_attributes() {
    let s = scan("sqs_resource", &[]);
    assert_eq!(
        s.actions(),
        set(&[
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:SendMessage"
        ])
    );
    assert_eq!(
        s.resources("sqs:SendMessage"),
        vec!["arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:work"]
    );
}

#[test]
fn sns_topic_resource_and_bucket_collections() {
    let s = scan("sns_topic", &[]);
    assert_eq!(
        s.actions(),
        set(&["s3:GetObject", "s3:ListBucket", "sns:Publish"])
    );
    assert_eq!(
        s.resources("sns:Publish"),
        vec!["arn:aws:sns:eu-west-1:123456789012:ready"]
    );
    assert_eq!(s.resources("s3:ListBucket"), vec!["arn:aws:s3:::media"]);
}

#[test]
fn policy_output_is_deterministic_and_has_no_wildcard_action() {
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_tighten"))
            .arg("scan")
            .arg(fixture("transfer_helpers"))
            .output()
            .unwrap()
            .stdout
    };
    let a = run();
    assert_eq!(a, run());
    let policy: Value = serde_json::from_slice(&a).unwrap();
    for st in policy["Statement"].as_array().unwrap() {
        let actions = match &st["Action"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(v) => v.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
            _ => panic!(),
        };
        for a in actions {
            assert!(!a.contains('*'), "wildcard action {a}");
        }
    }
}

#[test]
fn missing_path_is_an_error_with_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_tighten"))
        .args(["scan", "/nonexistent/tighten-test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/tighten-test"));
}

#[test]
fn partiql_statement_decides_the_action_and_the_table() {
    let s = scan("partiql", &[]);
    assert_eq!(s.actions(), set(&["dynamodb:PartiQLSelect"]));
    assert_eq!(
        s.resources("dynamodb:PartiQLSelect"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"]
    );
    // A statement from the event: unresolved, not guessed.
    assert_eq!(s.unresolved_lines(), vec![5]);
}

#[test]
fn a_factory_fed_two_services_gives_each_call_its_own_service() {
    // `make` returns an sqs or an s3 client depending on the caller; merged
    // callers must not make `send_message` an s3 call (unresolved noise) or
    // `get_object` an sqs one.
    let s = scan("factory_two_services", &[]);
    assert_eq!(s.actions(), set(&["s3:GetObject", "sqs:SendMessage"]));
    assert!(
        s.unresolved_lines().is_empty(),
        "{:?}",
        s.json["unresolved"]
    );
}

#[test]
fn a_factory_is_evaluated_with_each_call_sites_arguments() {
    // `make_client("sns")` in one module and `make_client("iot-data")` in
    // another: the sns client must not also be an iot-data one (whose
    // `publish` is iot:Publish), and `table("orders")` must not grant on the
    // users table. A factory calling itself still ends.
    let s = scan("factory_call_site", &[]);
    assert_eq!(
        s.actions(),
        set(&[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "events:PutEvents",
            "iot:GetThingShadow",
            "sns:Publish",
        ])
    );
    assert_eq!(
        s.resources("dynamodb:GetItem"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"]
    );
    assert_eq!(
        s.resources("dynamodb:PutItem"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/users"]
    );
    // The region argument reaches only the client it was given for.
    assert_eq!(
        s.resources("iot:GetThingShadow"),
        vec!["arn:aws:iot:eu-west-1:${AWS::AccountId}:thing/sensor"]
    );
    assert!(
        s.unresolved_lines().is_empty(),
        "{:?}",
        s.json["unresolved"]
    );
}

#[test]
fn a_tree_of_independent_apps_is_interpreted_in_parts_without_losing_a_call() {
    // app_a and app_d import nothing of the others; app_b reaches lib via
    // `import lib.clients`, app_c reaches lib.notify by suffix inside a
    // function. Debug builds (this test) also interpret the tree whole and
    // assert the parts found the same calls.
    let s = scan("parts", &[]);
    assert_eq!(
        s.actions(),
        set(&[
            "dynamodb:GetItem",
            "s3:PutObject",
            "sns:Publish",
            "sqs:SendMessage",
        ])
    );
    assert_eq!(
        s.resources("s3:PutObject"),
        vec!["arn:aws:s3:::a-bucket/report.csv"]
    );
    assert_eq!(
        s.resources("sns:Publish"),
        vec!["arn:aws:sns:us-east-1:123456789012:alerts"]
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tighten"))
        .arg("scan")
        .arg(fixture("parts"))
        .env("TIGHTEN_TIMINGS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interpreter, 3 parts"), "{stderr}");
}

#[test]
fn a_literal_queue_url_grants_on_its_own_region_and_account() {
    // A queue in another account or region must be granted there; the
    // function's own ${AWS::AccountId} would be denied.
    let s = scan("sqs_urls", &[]);
    assert_eq!(
        s.resources("sqs:SendMessage"),
        vec!["arn:aws:sqs:eu-west-1:210987654321:central-intake"]
    );
    assert_eq!(
        s.resources("sqs:DeleteMessage"),
        vec!["arn:aws:sqs:us-west-2:123456789012:legacy"]
    );
    // A URL from get_queue_url is in the function's own region and account.
    assert_eq!(
        s.resources("sqs:ChangeMessageVisibility"),
        vec!["arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:local"]
    );
}

#[test]
fn a_resources_meta_client_is_that_services_client() {
    let s = scan("meta_client", &[]);
    assert_eq!(
        s.actions(),
        set(&["dynamodb:DescribeTable", "s3:PutObject"])
    );
    assert_eq!(
        s.resources("s3:PutObject"),
        vec!["arn:aws:s3:::reports/daily/report.csv"]
    );
    assert_eq!(
        s.resources("dynamodb:DescribeTable"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"]
    );
}

#[test]
fn the_data_api_needs_its_cluster_and_the_secret_it_reads() {
    // The Data API reads the credentials from `secretArn` as the caller.
    let s = scan("data_api", &[]);
    assert_eq!(
        s.actions(),
        set(&[
            "rds-data:BeginTransaction",
            "rds-data:CommitTransaction",
            "rds-data:ExecuteStatement",
            "secretsmanager:GetSecretValue",
        ])
    );
    assert_eq!(
        s.resources("rds-data:ExecuteStatement"),
        vec!["arn:aws:rds:us-east-1:123456789012:cluster:orders-db"]
    );
    assert_eq!(
        s.resources("secretsmanager:GetSecretValue"),
        vec!["${DB_SECRET_ARN}"]
    );
}

#[test]
fn transaction_items_map_to_their_own_actions_and_tables() {
    // Deeply nested item literals must survive the interpreter's value bounds.
    let s = scan("transact", &[]);
    assert_eq!(
        s.actions(),
        set(&["dynamodb:PutItem", "dynamodb:UpdateItem"])
    );
    assert_eq!(
        s.resources("dynamodb:PutItem"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${JOURNAL}"]
    );
    assert_eq!(
        s.resources("dynamodb:UpdateItem"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/members"]
    );
}

#[test]
fn an_sms_to_a_phone_number_is_granted_on_star_and_a_topic_on_its_arn() {
    // Publishing straight to a PhoneNumber has no topic to scope to: a
    // topic ARN there would be denied.
    let s = scan("sns_sms", &[]);
    assert_eq!(s.actions(), set(&["sns:Publish"]));
    assert_eq!(s.resources("sns:Publish"), vec!["*"]);
    // No topic, so no topic key: the optional KMS needs are not there.
    assert!(!s.json["needs"].to_string().contains("kms:"), "{}", s.json);
    // A topic publish keeps its ARN (and its optional KMS needs).
    let t = scan("s3_copy_source", &[]);
    assert_eq!(
        t.resources("sns:Publish"),
        vec!["arn:aws:sns:eu-west-1:123456789012:copied"]
    );
    assert!(t.json["needs"].to_string().contains("kms:GenerateDataKey"));
}

#[test]
fn a_copy_source_grants_its_bucket_and_key_only() {
    // CopySource as a dict, as "bucket/key", and boto3's managed copy: the
    // source's key fills the object ARN, never an access point's name.
    let s = scan("s3_copy_source", &[]);
    let want = vec![
        "arn:aws:s3:::incoming/in/x",
        "arn:aws:s3:::incoming/in/y",
        "arn:aws:s3:::staging/z",
    ];
    assert_eq!(s.resources("s3:GetObject"), want);
    assert_eq!(s.resources("s3:GetObjectTagging"), want);
    assert_eq!(
        s.resources("s3:PutObject"),
        vec![
            "arn:aws:s3:::${ARCHIVE_BUCKET}/a/x",
            "arn:aws:s3:::${ARCHIVE_BUCKET}/a/y",
            "arn:aws:s3:::${ARCHIVE_BUCKET}/a/z"
        ]
    );
}

#[test]
fn a_callee_runs_before_its_caller_reads_its_return() {
    // The handler reads load_config()'s return before load_config has run
    // anywhere: the callee runs then, so the handler runs once and still
    // sees the table and queue names it returns.
    let s = scan_env("callee_first", &[], &[("TIGHTEN_TIMINGS", "1")]);
    assert!(
        s.stderr
            .contains("(0 modules and 0 functions twice or more)"),
        "{}",
        s.stderr
    );
    assert_eq!(
        s.resources("dynamodb:PutItem"),
        vec!["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${ORDERS_TABLE}"]
    );
    assert_eq!(
        s.resources("sqs:SendMessage"),
        vec!["arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:intake"]
    );
}

#[test]
fn glue_grants_each_level_of_the_catalog_and_athena_its_catalog_and_results() {
    let s = scan("athena_glue", &[]);
    let glue = |r: &str| format!("arn:aws:glue:${{AWS::Region}}:${{AWS::AccountId}}:{r}");
    // A request on a table is authorised on the catalog, the database and
    // the table: all three, not the most specific one alone.
    assert_eq!(
        s.resources("glue:GetTable"),
        vec![
            glue("catalog"),
            glue("database/analytics"),
            glue("database/sales"),
            glue("table/analytics/*"),
            glue("table/sales/orders"),
        ]
    );
    // get_database names its database `Name`.
    assert_eq!(
        s.resources("glue:GetDatabase"),
        vec![
            glue("catalog"),
            glue("database/analytics"),
            glue("database/sales")
        ]
    );
    // The query: its database's tables, the primary workgroup (none named),
    // its results under the output location, nothing on access points.
    assert_eq!(
        s.resources("glue:GetPartitions"),
        vec![
            glue("catalog"),
            glue("database/analytics"),
            glue("table/analytics/*")
        ]
    );
    assert_eq!(
        s.resources("athena:StartQueryExecution"),
        vec!["arn:aws:athena:${AWS::Region}:${AWS::AccountId}:workgroup/primary"]
    );
    assert_eq!(
        s.resources("s3:PutObject"),
        vec!["arn:aws:s3:::${RESULTS_BUCKET}/athena/*"]
    );
    assert_eq!(
        s.resources("s3:GetObject"),
        vec!["arn:aws:s3:::${RESULTS_BUCKET}/athena/*"]
    );
    assert_eq!(
        s.resources("s3:ListBucket"),
        vec!["arn:aws:s3:::${RESULTS_BUCKET}"]
    );
    assert_eq!(
        s.resources("s3:GetBucketLocation"),
        vec!["arn:aws:s3:::${RESULTS_BUCKET}"]
    );
    // The tables' data location is not in the call: said at the call,
    // never granted.
    let warnings = s.json["warnings"].to_string();
    assert!(
        warnings.contains("app.py:13: athena.start_query_execution: the query also reads its tables' data from their S3 LOCATION"),
        "{warnings}"
    );
}
