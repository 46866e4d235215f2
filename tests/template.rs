//! SAM and CloudFormation templates as context: environment, event sources,
//! platform needs and the role's current policy, read from real templates
//! (the cases' SAM templates and hand-written ones in `tests/templates/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::json;
use tighten::context::{
    ALL_PLATFORM_ACTIONS, EventSource, EventSourceKind, FunctionContext, Template, TemplateError,
    load_template,
};
use tighten::need::Source;

const R: &str = "${AWS::Region}";
const A: &str = "${AWS::AccountId}";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/templates")
        .join(name)
}

fn load(name: &str) -> Template {
    load_template(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

fn only(t: &Template) -> &FunctionContext {
    assert_eq!(t.functions.len(), 1, "{:?}", t.functions);
    &t.functions[0]
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// action -> resources of the platform needs.
fn platform(f: &FunctionContext) -> BTreeMap<String, BTreeSet<String>> {
    f.platform_needs()
        .iter()
        .map(|n| (n.action.clone(), n.resources.clone()))
        .collect()
}

fn needs(pairs: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
    pairs
        .iter()
        .map(|(a, rs)| (a.to_string(), rs.iter().map(|r| r.to_string()).collect()))
        .collect()
}

/// Origins without the `path#` prefix, in order.
fn origins(f: &FunctionContext) -> Vec<String> {
    f.current_policy
        .documents
        .iter()
        .map(|d| {
            d.origin
                .split_once('#')
                .map(|(_, o)| o.to_string())
                .unwrap_or_else(|| d.origin.clone())
        })
        .collect()
}

fn document<'a>(f: &'a FunctionContext, origin_suffix: &str) -> &'a serde_json::Value {
    &f.current_policy
        .documents
        .iter()
        .find(|d| d.origin.ends_with(origin_suffix))
        .unwrap_or_else(|| panic!("no policy {origin_suffix} in {:?}", origins(f)))
        .document
}

fn logs(log_group: &str) -> Vec<(String, Vec<String>)> {
    let group = format!("arn:aws:logs:{R}:{A}:log-group:{log_group}");
    let streams = format!("{group}:*");
    vec![
        ("logs:CreateLogGroup".into(), vec![group, streams.clone()]),
        ("logs:CreateLogStream".into(), vec![streams.clone()]),
        ("logs:PutLogEvents".into(), vec![streams]),
    ]
}

fn with(
    base: Vec<(String, Vec<String>)>,
    more: &[(&str, &[&str])],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = base
        .into_iter()
        .map(|(a, rs)| (a, rs.into_iter().collect()))
        .collect();
    m.extend(needs(more));
    m
}

#[test]
fn case24_globals_tracing_sqs_event_and_policy_templates() {
    let t = load("case24-sqs-worker.yaml");
    let f = only(&t);
    assert_eq!(f.logical_id, "OrderIntakeFunction");
    assert_eq!(f.function_name.as_deref(), Some("order-intake-worker"));
    assert_eq!(f.handler.as_deref(), Some("app.handler"));
    // Runtime and Tracing come from Globals.Function.
    assert_eq!(f.runtime.as_deref(), Some("python3.12"));
    assert!(f.tracing_active);
    assert_eq!(f.tracing_line, Some(10));
    assert!(!f.in_vpc);
    assert_eq!(
        f.env,
        env(&[
            ("LOG_LEVEL", "INFO"),
            ("ORDERS_TABLE", "orders"),
            ("RECEIPTS_BUCKET", "example-order-receipts"),
        ])
    );
    let queue = format!("arn:aws:sqs:{R}:{A}:order-intake");
    assert_eq!(
        f.event_sources,
        vec![EventSource {
            name: "IntakeQueue".into(),
            kind: EventSourceKind::Sqs,
            target: Some(queue.clone()),
            line: 25,
            sam_event: true,
            kms_key: None,
        }]
    );
    assert_eq!(
        f.code_dir(&fixture("case24-sqs-worker.yaml")),
        Some(fixture("src/"))
    );

    let q = [queue.as_str()];
    assert_eq!(
        platform(f),
        with(
            logs("/aws/lambda/order-intake-worker"),
            &[
                ("sqs:DeleteMessage", &q),
                ("sqs:GetQueueAttributes", &q),
                ("sqs:ReceiveMessage", &q),
                ("xray:PutTelemetryRecords", &["*"]),
                ("xray:PutTraceSegments", &["*"]),
            ]
        )
    );

    assert_eq!(
        origins(f),
        [
            "OrderIntakeFunction/Policies[0]/DynamoDBCrudPolicy",
            "OrderIntakeFunction/Policies[1]/S3CrudPolicy",
            "OrderIntakeFunction/Policies[2]/SQSPollerPolicy",
            "OrderIntakeFunction/SAM:AWSLambdaBasicExecutionRole",
            "OrderIntakeFunction/SAM:AWSXrayWriteOnlyAccess",
            "OrderIntakeFunction/SAM:AWSLambdaSQSQueueExecutionRole",
        ]
    );
    assert!(
        f.current_policy.warnings.is_empty(),
        "{:?}",
        f.current_policy.warnings
    );
    // SAM's DynamoDBCrudPolicy definition with TableName bound to `orders`.
    assert_eq!(
        document(f, "/DynamoDBCrudPolicy"),
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Action": [
                    "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem",
                    "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem",
                    "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem",
                    "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"
                ],
                "Effect": "Allow",
                "Resource": [
                    format!("arn:aws:dynamodb:{R}:{A}:table/orders"),
                    format!("arn:aws:dynamodb:{R}:{A}:table/orders/index/*"),
                ]
            }]
        })
    );
    // QueueName via `!GetAtt IntakeQueue.QueueName`.
    assert_eq!(
        document(f, "/SQSPollerPolicy")["Statement"][0]["Resource"],
        json!(queue)
    );
    assert_eq!(
        document(f, "/S3CrudPolicy")["Statement"][0]["Resource"],
        json!([
            "arn:aws:s3:::example-order-receipts",
            "arn:aws:s3:::example-order-receipts/*"
        ])
    );
    // The SAM-attached managed policies are the bundled AWS documents.
    let table = tighten::actionmap::table();
    assert_eq!(
        Some(document(f, "/SAM:AWSLambdaSQSQueueExecutionRole")),
        table.managed_policy("AWSLambdaSQSQueueExecutionRole")
    );
    let line_of = |suffix: &str| {
        f.current_policy
            .documents
            .iter()
            .find(|d| d.origin.ends_with(suffix))
            .and_then(|d| d.line)
    };
    assert_eq!(line_of("/DynamoDBCrudPolicy"), Some(33));
    assert_eq!(line_of("/SAM:AWSXrayWriteOnlyAccess"), Some(10));
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn case25_names_via_sub_parameter_default_queue_url_and_secret_arn() {
    let t = load("case25-inline-wildcard.yaml");
    let f = only(&t);
    assert_eq!(f.function_name.as_deref(), Some("prod-payment-settlement"));
    assert_eq!(
        f.env,
        env(&[
            ("BALANCES_TABLE", "prod-balances"),
            ("LEDGER_TABLE", "prod-ledger"),
            (
                "PROVIDER_SECRET_ARN",
                "arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/payments/provider-??????"
            ),
            (
                "RESULTS_QUEUE_URL",
                "https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/prod-payment-settlement-results"
            ),
        ])
    );
    let queue = format!("arn:aws:sqs:{R}:{A}:prod-payment-provider-events");
    assert_eq!(f.event_sources.len(), 1);
    assert_eq!(f.event_sources[0].target.as_deref(), Some(queue.as_str()));
    assert_eq!(
        f.platform_needs()
            .iter()
            .find(|n| n.action == "sqs:ReceiveMessage")
            .map(|n| n.resources.clone()),
        Some(BTreeSet::from([queue.clone()]))
    );
    assert_eq!(
        origins(f),
        [
            "SettlementFunction/Policies[0]",
            "SettlementFunction/SAM:AWSLambdaBasicExecutionRole",
            "SettlementFunction/SAM:AWSXrayWriteOnlyAccess",
            "SettlementFunction/SAM:AWSLambdaSQSQueueExecutionRole",
        ]
    );
    assert_eq!(
        document(f, "/Policies[0]"),
        &json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "DataAccess", "Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "*"},
                {"Sid": "Messaging", "Effect": "Allow", "Action": ["sqs:*"],
                 "Resource": format!("arn:aws:sqs:{R}:{A}:*")},
                {"Sid": "Secrets", "Effect": "Allow",
                 "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "kms:*"],
                 "Resource": "*"}
            ]
        })
    );
    assert_eq!(f.current_policy.documents[0].line, Some(34));
}

#[test]
fn case26_managed_policies_by_name_and_topic_ref() {
    let t = load("case26-managed-policies.yaml");
    let f = only(&t);
    assert_eq!(
        f.env.get("READY_TOPIC_ARN").map(String::as_str),
        Some("arn:aws:sns:${AWS::Region}:${AWS::AccountId}:media-ready")
    );
    assert_eq!(f.handler.as_deref(), Some("ingest.main.lambda_handler"));
    assert_eq!(
        origins(f),
        [
            "MediaIngestFunction/Policies[0]/AmazonS3FullAccess",
            "MediaIngestFunction/Policies[1]/AmazonDynamoDBFullAccess",
            "MediaIngestFunction/Policies[2]",
            "MediaIngestFunction/SAM:AWSLambdaBasicExecutionRole",
            "MediaIngestFunction/SAM:AWSXrayWriteOnlyAccess",
            "MediaIngestFunction/SAM:AWSLambdaSQSQueueExecutionRole",
        ]
    );
    let table = tighten::actionmap::table();
    assert_eq!(
        Some(document(f, "/AmazonS3FullAccess")),
        table.managed_policy("AmazonS3FullAccess")
    );
    assert_eq!(
        document(f, "/Policies[2]"),
        &json!({"Statement": [{"Effect": "Allow", "Action": "sns:*", "Resource": "*"}]})
    );
    let queue = format!("arn:aws:sqs:{R}:{A}:media-upload-notifications");
    assert_eq!(
        platform(f).get("sqs:DeleteMessage"),
        Some(&BTreeSet::from([queue]))
    );
}

#[test]
fn case01_explicit_role_reads_the_iam_role_and_sam_attaches_nothing() {
    let t = load("case01-parameter-store.yaml");
    let f = only(&t);
    assert_eq!(
        f.env,
        env(&[
            ("APP_CONFIG_PATH", "parameterStoreBlog"),
            ("AWS_XRAY_TRACING_NAME", "ParameterStoreBlogFunctionDev"),
            ("ENV", "dev"),
        ])
    );
    assert!(f.tracing_active);
    assert_eq!(
        origins(f),
        [
            "ParameterStoreBlogFunctionRoleDev/Policies[0]/ParameterStoreBlogDevParameterAccess",
            "ParameterStoreBlogFunctionRoleDev/Policies[1]/ParameterStoreBlogDevXRayAccess",
            "ParameterStoreBlogFunctionRoleDev/ManagedPolicyArns[0]/arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        ]
    );
    assert_eq!(
        document(f, "ParameterStoreBlogDevParameterAccess"),
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["ssm:GetParameter*"],
                "Resource": format!("arn:aws:ssm:{R}:{A}:parameter/dev/parameterStoreBlog*")
            }]
        })
    );
    assert_eq!(
        platform(f),
        with(
            logs("/aws/lambda/ParameterStoreBlogFunctionDev"),
            &[
                ("xray:PutTelemetryRecords", &["*"]),
                ("xray:PutTraceSegments", &["*"]),
            ]
        )
    );
}

#[test]
fn cloudformation_json_lambda_with_role_policy_managed_policy_and_mapping() {
    let t = load("cfn-lambda-role.json");
    let f = only(&t);
    assert_eq!(f.resource_type, "AWS::Lambda::Function");
    assert_eq!(f.line, 73);
    assert_eq!(f.function_name.as_deref(), Some("staging-click-worker"));
    assert_eq!(
        f.code_uri.as_deref(),
        Some("s3://deploy-artifacts/click-worker.zip")
    );
    assert_eq!(f.code_dir(&fixture("cfn-lambda-role.json")), None);
    let stream = format!("arn:aws:kinesis:{R}:{A}:stream/staging-clicks");
    assert_eq!(
        f.env,
        env(&[
            ("ARCHIVE_BUCKET", "staging-click-archive"),
            ("REGION_NAME", R),
            ("STAGE", "staging"),
            ("STREAM_ARN", &stream),
        ])
    );
    assert!(f.tracing_active);
    assert!(f.in_vpc);
    assert_eq!(
        f.event_sources,
        vec![EventSource {
            name: "ClickMapping".into(),
            kind: EventSourceKind::Kinesis,
            target: Some(stream.clone()),
            line: 93,
            sam_event: false,
            kms_key: None,
        }]
    );
    // UnrelatedPolicy is attached to another role and must not appear.
    assert_eq!(
        origins(f),
        [
            "WorkerRole/Policies[0]/archive-read",
            "WorkerRole/ManagedPolicyArns[0]/arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
            "WorkerRole/ManagedPolicyArns[1]/ArchiveWritePolicy",
            "WorkerLogsPolicy",
        ]
    );
    assert_eq!(
        document(f, "archive-read")["Statement"][0]["Resource"],
        json!("arn:aws:s3:::staging-click-archive/*")
    );
    assert_eq!(
        document(f, "/ArchiveWritePolicy"),
        &json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"],
                           "Resource": "arn:aws:s3:::staging-click-archive/clicks/*"}]
        })
    );
    assert_eq!(
        document(f, "#WorkerLogsPolicy"),
        &json!({"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})
    );
    let s = [stream.as_str()];
    let star: &[&str] = &["*"];
    assert_eq!(
        platform(f),
        with(
            logs("/aws/lambda/staging-click-worker"),
            &[
                ("ec2:AssignPrivateIpAddresses", star),
                ("ec2:CreateNetworkInterface", star),
                ("ec2:DeleteNetworkInterface", star),
                ("ec2:DescribeNetworkInterfaces", star),
                ("ec2:DescribeSubnets", star),
                ("ec2:UnassignPrivateIpAddresses", star),
                ("kinesis:DescribeStream", &s),
                ("kinesis:DescribeStreamSummary", &s),
                ("kinesis:GetRecords", &s),
                ("kinesis:GetShardIterator", &s),
                ("kinesis:ListShards", &s),
                ("kinesis:ListStreams", star),
                ("xray:PutTelemetryRecords", star),
                ("xray:PutTraceSegments", star),
            ]
        )
    );
    // Provenance points at the template lines that cause each need.
    let source_line = |action: &str| {
        f.platform_needs()
            .iter()
            .find(|n| n.action == action)
            .and_then(|n| match &n.sources[0] {
                Source::Platform { line, file, .. } => {
                    assert_eq!(file.as_deref(), Some(f.file.as_str()));
                    *line
                }
                other => panic!("{other:?}"),
            })
    };
    assert_eq!(source_line("kinesis:GetRecords"), Some(93));
    assert_eq!(source_line("ec2:CreateNetworkInterface"), Some(82));
    assert_eq!(source_line("xray:PutTraceSegments"), Some(81));
    assert_eq!(source_line("logs:PutLogEvents"), Some(73));
}

#[test]
fn globals_merge_vpc_streams_conditions_and_mappings() {
    let t = load("sam-globals-streams.yaml");
    assert_eq!(t.functions.len(), 2);
    let counter = t.function("ClickCounter").expect("ClickCounter");
    assert_eq!(counter.function_name, None);
    assert_eq!(counter.log_group, "/aws/lambda/${ClickCounter}");
    assert_eq!(
        counter.env,
        env(&[
            ("COUNTERS_TABLE", "counters"),
            ("FIRST_SUBNET", "subnet-aaa"),
            ("LITERAL", "${NotAVariable}-dev"),
            // The function's value wins over Globals.
            ("LOG_LEVEL", "INFO"),
            ("MODE", "relaxed"),
            ("SECOND_PART", "b"),
            ("STAGE", "dev"),
            (
                "TABLE_ARN",
                "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/counters"
            ),
        ])
    );
    assert!(counter.tracing_active);
    assert!(counter.in_vpc);
    assert_eq!(counter.vpc_line, Some(34));
    let dlq = counter.dead_letter.as_ref().expect("dead letter queue");
    // The queue has no QueueName: CloudFormation generates it.
    assert_eq!(dlq.target, "${FailedQueue.Arn}");
    let stream = format!("arn:aws:kinesis:{R}:{A}:stream/dev-clicks");
    assert_eq!(counter.event_sources[0].kind, EventSourceKind::Kinesis);
    assert_eq!(
        counter.event_sources[0].target.as_deref(),
        Some(stream.as_str())
    );
    let p = platform(counter);
    assert_eq!(
        p.get("sqs:SendMessage"),
        Some(&BTreeSet::from(["${FailedQueue.Arn}".to_string()]))
    );
    assert_eq!(p.get("kinesis:GetRecords"), Some(&BTreeSet::from([stream])));
    assert!(p.contains_key("ec2:CreateNetworkInterface"));
    // `!If [IsProd, ..., !Ref AWS::NoValue]` with Stage=dev adds nothing.
    assert_eq!(
        origins(counter),
        [
            "ClickCounter/Policies[0]/DynamoDBCrudPolicy",
            "ClickCounter/SAM:AWSLambdaBasicExecutionRole",
            "ClickCounter/SAM:AWSXrayWriteOnlyAccess",
            "ClickCounter/SAM:AWSLambdaVPCAccessExecutionRole",
            "ClickCounter/SAM:AWSLambdaKinesisExecutionRole",
            "ClickCounter/SAM:DeadLetterQueue",
        ]
    );
    assert_eq!(
        document(counter, "/SAM:DeadLetterQueue"),
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "${FailedQueue.Arn}"}]})
    );

    let auditor = t.function("SessionAuditor").expect("SessionAuditor");
    assert_eq!(
        auditor.env,
        env(&[
            ("ALERT_TOPIC", "${Fn::If:UsesAlerts}"),
            ("LOG_LEVEL", "DEBUG"),
            ("STAGE", "dev"),
        ])
    );
    // `Tracing: PassThrough` and `VpcConfig: !Ref AWS::NoValue` override Globals.
    assert!(!auditor.tracing_active);
    assert!(!auditor.in_vpc);
    assert_eq!(auditor.log_group, "/custom/auditor");
    let stream = format!("arn:aws:dynamodb:{R}:{A}:table/dev-sessions/stream/*");
    let s = [stream.as_str()];
    assert_eq!(
        platform(auditor),
        with(
            logs("/custom/auditor"),
            &[
                ("dynamodb:DescribeStream", &s),
                ("dynamodb:GetRecords", &s),
                ("dynamodb:GetShardIterator", &s),
                ("dynamodb:ListStreams", &["*"]),
            ]
        )
    );
    assert_eq!(
        origins(auditor),
        [
            "SessionAuditor/Policies/AmazonDynamoDBReadOnlyAccess",
            "SessionAuditor/SAM:AWSLambdaBasicExecutionRole",
            "SessionAuditor/SAM:AWSLambdaDynamoDBExecutionRole",
        ]
    );
    let file = fixture("sam-globals-streams.yaml").display().to_string();
    assert_eq!(
        t.warnings,
        [
            format!(
                "{file}:12: parameter `AlertTopicArn` has no Default; kept as ${{AlertTopicArn}}"
            ),
            format!(
                "{file}:116: condition `UsesAlerts` cannot be decided from the template; `Fn::If` kept as a placeholder"
            ),
        ]
    );
}

#[test]
fn ref_cycle_is_a_placeholder_and_a_warning() {
    let t = load("ref-cycle.yaml");
    let f = only(&t);
    let url = f.env.get("A_URL").expect("A_URL");
    assert!(
        url.starts_with("https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/")
            && url.contains("${Queue"),
        "{url}"
    );
    assert!(
        t.warnings
            .iter()
            .any(|w| w.contains("ref-cycle.yaml:10: reference cycle QueueA -> QueueB -> QueueA")),
        "{:?}",
        t.warnings
    );
    assert!(
        t.warnings
            .iter()
            .any(|w| w.contains("ref-cycle.yaml:6: reference cycle QueueB -> QueueA -> QueueB")),
        "{:?}",
        t.warnings
    );
}

#[test]
fn unknown_intrinsics_and_references_become_named_placeholders() {
    let t = load("unknown-intrinsic.yaml");
    let f = only(&t);
    assert_eq!(
        f.env,
        env(&[
            ("BAD_JOIN", "${Fn::Join}"),
            ("FROBNICATED", "${Fn::Frobnicate}"),
            ("IMPORTED", "${ImportValue:shared-orders-table}"),
            ("LONG_FORM", "${Fn::Transmogrify}"),
            ("MISSING_ATT", "${Nope.Arn}"),
            ("MISSING_REF", "${NoSuchThing}"),
            ("PLAIN", "ok"),
        ])
    );
    let file = fixture("unknown-intrinsic.yaml").display().to_string();
    let lines: Vec<&str> = t
        .warnings
        .iter()
        .map(|w| w.strip_prefix(&format!("{file}:")).unwrap_or(w))
        .map(|w| w.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        lines,
        ["11", "12", "13", "14", "15", "16"],
        "{:?}",
        t.warnings
    );
    assert!(t.warnings[0].contains("unknown intrinsic function `Fn::Frobnicate`"));
    assert!(t.warnings[2].contains("`!Ref NoSuchThing`"));
    // Policies that cannot be read are named, never dropped in silence.
    assert_eq!(
        f.current_policy.warnings,
        [
            format!(
                "{file}:19: Worker/Policies[0]/NoSuchPolicyTemplate: SAM policy template `NoSuchPolicyTemplate` is not in the bundled table; its grants are not counted"
            ),
            format!(
                "{file}:21: Worker/Policies[1]/AWSNoSuchManagedPolicy: AWS managed policy `AWSNoSuchManagedPolicy` is not in the bundled table; its grants are not counted"
            ),
        ]
    );
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let err = load_template(&fixture("malformed.yaml")).expect_err("malformed");
    let msg = format!("{err:#}");
    assert!(msg.contains("malformed.yaml:10:"), "{msg}");
    assert!(msg.contains("`B: x`"), "{msg}");
    match err.downcast_ref::<TemplateError>() {
        Some(TemplateError::Syntax { line, .. }) => assert_eq!(*line, 10),
        other => panic!("{other:?}"),
    }
}

#[test]
fn resource_without_type_names_the_field() {
    let err = load_template(&fixture("missing-type.yaml")).expect_err("no Type");
    match err.downcast_ref::<TemplateError>() {
        Some(TemplateError::Structure { line, field, .. }) => {
            assert_eq!((*line, field.as_str()), (5, "Resources.Worker.Type"));
        }
        other => panic!("{other:?}"),
    }
    assert!(format!("{err}").contains("missing-type.yaml:5: `Resources.Worker.Type`"));
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, &str, &str)] = &[
        (
            "broken.json",
            "{\n  \"Resources\": {\n    \"A\": {\"Type\": \"AWS::SQS::Queue\",,}\n  }\n}\n",
            "broken.json:3:",
        ),
        (
            "list.yaml",
            "- a\n- b\n",
            "`(document)` a template is a mapping",
        ),
        ("noresources.yaml", "Parameters: {}\n", "`Resources`"),
        (
            "resources-list.yaml",
            "Resources:\n  - A\n",
            "list.yaml:1: `Resources` must be a mapping",
        ),
        (
            "props.yaml",
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: [1]\n",
            "props.yaml:4: `Resources.F.Properties`",
        ),
        (
            "params.yaml",
            "Parameters: 3\nResources: {}\n",
            "params.yaml:1: `Parameters`",
        ),
        ("empty.yaml", "", "`(document)`"),
    ];
    for (name, text, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        let msg = format!("{:#}", load_template(&p).expect_err(name));
        assert!(msg.contains(want), "{name}: {msg}");
    }
    let missing = dir.path().join("nope.yaml");
    let msg = format!("{:#}", load_template(&missing).expect_err("missing"));
    assert!(
        msg.contains("cannot read template") && msg.contains("nope.yaml"),
        "{msg}"
    );

    // Odd but valid shapes inside properties are warnings, not errors.
    let odd = dir.path().join("odd.yaml");
    std::fs::write(
        &odd,
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment:\n        Variables: [1, 2]\n      Events: 7\n      Policies: [{Foo: 1, Bar: 2}, 42]\n      Role: !GetAtt\n",
    )
    .expect("write");
    let t = load_template(&odd).expect("odd shapes load");
    assert!(t.functions[0].env.is_empty());
    let tail = |ws: &[String]| -> Vec<String> {
        ws.iter()
            .map(|w| {
                w.split_once("odd.yaml:")
                    .map_or(w.clone(), |(_, t)| t.to_string())
            })
            .collect()
    };
    assert_eq!(
        tail(&t.warnings),
        [
            "6: `Environment.Variables` should be a mapping, found a list",
            "7: `Events` should be a mapping, found a number",
            "10: `Fn::GetAtt` has an argument of the wrong shape (a string); kept as a placeholder",
        ]
    );
    assert_eq!(
        tail(&t.functions[0].current_policy.warnings),
        [
            "8: `F` has a `Role`, so SAM ignores its `Policies`",
            "9: `F` uses role `${Fn::GetAtt}` defined outside this template; read it from IAM to get its current policy",
        ]
    );
}

#[test]
fn function_selection_lists_the_available_ids() {
    let t = load("sam-globals-streams.yaml");
    assert_eq!(
        t.select(Some("SessionAuditor"))
            .map(|f| f.logical_id.as_str())
            .ok(),
        Some("SessionAuditor")
    );
    let e = t.select(Some("Nope")).expect_err("absent");
    assert!(
        e.to_string().ends_with(
            "no Lambda function `Nope`; the template defines: ClickCounter, SessionAuditor"
        ),
        "{e}"
    );
    let e = t.select(None).expect_err("ambiguous");
    assert!(matches!(e, TemplateError::FunctionAmbiguous { .. }), "{e}");
    assert!(e.to_string().contains("ClickCounter, SessionAuditor"));
    let single = load("case24-sqs-worker.yaml");
    assert_eq!(
        single.select(None).map(|f| f.logical_id.as_str()).ok(),
        Some("OrderIntakeFunction")
    );
}

/// Every platform action exists in IAM with this casing, and sits on `"*"`
/// exactly when it has no required resource type, except the ENI actions
/// Lambda performs on interfaces it creates itself.
#[test]
fn platform_actions_exist_in_iam_and_scope_resources() {
    let tsv = std::fs::read_to_string(fixture("iam-platform-actions.tsv")).expect("tsv");
    let required: BTreeMap<&str, bool> = tsv
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?, !cols.next().unwrap_or("").is_empty()))
        })
        .collect();
    let table = tighten::actionmap::table();
    for a in ALL_PLATFORM_ACTIONS {
        assert!(required.contains_key(a), "{a} is not an IAM action");
        assert!(
            table.iam_action(a).is_some(),
            "{a} is not in the bundled table"
        );
    }
    let eni_on_star = [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:UnassignPrivateIpAddresses",
    ];
    let mut seen = BTreeSet::new();
    for name in [
        "case01-parameter-store.yaml",
        "case24-sqs-worker.yaml",
        "case25-inline-wildcard.yaml",
        "case26-managed-policies.yaml",
        "cfn-lambda-role.json",
        "sam-globals-streams.yaml",
        "kms-encrypted-sources.yaml",
        "msk-consumer.yaml",
    ] {
        for f in &load(name).functions {
            for n in f.platform_needs().iter() {
                assert!(
                    ALL_PLATFORM_ACTIONS.contains(&n.action.as_str()),
                    "{}",
                    n.action
                );
                let on_star = n.resources == BTreeSet::from(["*".to_string()]);
                let has_type = required[n.action.as_str()];
                if eni_on_star.contains(&n.action.as_str()) {
                    assert!(on_star);
                } else {
                    assert_eq!(on_star, !has_type, "{} {:?}", n.action, n.resources);
                }
                assert!(!n.optional);
                seen.insert(n.action.clone());
            }
        }
    }
    // The fixtures exercise every platform action.
    let unexercised: Vec<&&str> = ALL_PLATFORM_ACTIONS
        .iter()
        .filter(|a| !seen.contains(**a))
        .collect();
    assert!(unexercised.is_empty(), "{unexercised:?}");
}

#[test]
fn customer_managed_keys_of_sources_and_stores() {
    let t = load("kms-encrypted-sources.yaml");
    let keys: BTreeMap<&str, &str> = t
        .kms_keys
        .iter()
        .map(|(arn, k)| (arn.as_str(), k.key_arn.as_str()))
        .collect();
    let data_key = format!("arn:aws:kms:{R}:{A}:key/${{DataKey}}");
    let stream_key = format!("arn:aws:kms:{R}:{A}:key/${{StreamKey}}");
    let bucket_key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let jobs = format!("arn:aws:sqs:{R}:{A}:jobs");
    let events = format!("arn:aws:kinesis:{R}:{A}:stream/events");
    let table = format!("arn:aws:dynamodb:{R}:{A}:table/results");
    let table_stream = format!("{table}/stream/*");
    // PlainQueue uses the AWS managed alias/aws/sqs: no grant in the role.
    // ApiSecret names an alias the template does not define: a warning.
    assert_eq!(
        keys,
        BTreeMap::from([
            ("arn:aws:s3:::example-archive", bucket_key),
            (events.as_str(), stream_key.as_str()),
            (table.as_str(), data_key.as_str()),
            (table_stream.as_str(), data_key.as_str()),
            (jobs.as_str(), data_key.as_str()),
        ])
    );
    assert_eq!(t.kms_keys[&jobs].resource, "JobsQueue");
    assert_eq!(t.kms_keys[&jobs].line, 31);
    assert!(
        t.warnings
            .iter()
            .any(|w| w.contains(":78: KMS alias `alias/not-in-this-template`")),
        "{:?}",
        t.warnings
    );

    let f = only(&t);
    let p = platform(f);
    assert_eq!(
        p.get("kms:Decrypt"),
        Some(&BTreeSet::from([data_key, stream_key]))
    );
    let plain = format!("arn:aws:sqs:{R}:{A}:plain");
    assert_eq!(
        p.get("sqs:ReceiveMessage"),
        Some(&BTreeSet::from([jobs, plain]))
    );
    assert_eq!(p.get("kinesis:GetRecords"), Some(&BTreeSet::from([events])));
}

#[test]
fn case25_secret_key_is_the_templates_cmk() {
    let t = load("case25-inline-wildcard.yaml");
    let secret = only(&t).env["PROVIDER_SECRET_ARN"].clone();
    let key = t.kms_keys.get(&secret).expect("secret key");
    assert_eq!(
        (key.key_arn.as_str(), key.resource.as_str()),
        (
            "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${PaymentsKey}",
            "ProviderSecret"
        )
    );
    assert_eq!(t.kms_keys.len(), 1);
}

/// Every prefix of every fixture (and a few mutations) loads or fails with
/// an error: no input makes the reader panic.
#[test]
fn truncated_and_mutated_templates_never_panic() {
    let mut loaded = 0;
    let mut failed = 0;
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(fixture("")).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "tsv") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let mut cuts: Vec<usize> = (0..text.len()).step_by(71).collect();
        cuts.push(text.len());
        for cut in cuts {
            if !text.is_char_boundary(cut) {
                continue;
            }
            for variant in [
                text[..cut].to_string(),
                text[..cut]
                    .replace("!Ref", "!GetAtt")
                    .replace("Fn::Sub", "Fn::Join"),
                text[..cut].replace("Type: AWS::", "Type: !Ref AWS::"),
            ] {
                match tighten::context::parse_template(&dir.path().join("t.yaml"), &variant) {
                    Ok(t) => {
                        loaded += 1;
                        for f in &t.functions {
                            let _ = f.platform_needs();
                        }
                    }
                    Err(_) => failed += 1,
                }
            }
        }
    }
    assert!(
        loaded > 100 && failed > 100,
        "{loaded} loaded, {failed} failed"
    );
}

#[test]
fn many_functions_resolve_independently() {
    let mut text = String::from("Transform: AWS::Serverless-2016-10-31\nResources:\n");
    for i in 0..300 {
        text.push_str(&format!(
            "  Q{i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub 'q-${{AWS::Region}}-{i}'\n  F{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.h\n      FunctionName: fn-{i}\n      Environment:\n        Variables:\n          QUEUE_URL: !Ref Q{i}\n      Events:\n        E:\n          Type: SQS\n          Properties:\n            Queue: !GetAtt Q{i}.Arn\n"
        ));
    }
    let t = tighten::context::parse_template(Path::new("many.yaml"), &text).expect("loads");
    assert_eq!(t.functions.len(), 300);
    let f = t.function("F299").expect("F299");
    assert_eq!(
        f.env["QUEUE_URL"],
        format!("https://sqs.{R}.amazonaws.com/{A}/q-{R}-299")
    );
    assert_eq!(
        platform(f).get("sqs:ReceiveMessage"),
        Some(&BTreeSet::from([format!("arn:aws:sqs:{R}:{A}:q-{R}-299")]))
    );
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn parameter_values_replace_defaults() {
    use tighten::context::{TemplateOptions, load_template_with};
    let options = TemplateOptions {
        parameters: BTreeMap::from([("Stage".to_string(), "dev".to_string())]),
    };
    let t = load_template_with(&fixture("case25-inline-wildcard.yaml"), &options).expect("loads");
    let f = only(&t);
    assert_eq!(f.function_name.as_deref(), Some("dev-payment-settlement"));
    assert_eq!(f.env["LEDGER_TABLE"], "dev-ledger");
    assert_eq!(
        f.event_sources[0].target.as_deref(),
        Some("arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:dev-payment-provider-events")
    );

    let typo = TemplateOptions {
        parameters: BTreeMap::from([("Stge".to_string(), "dev".to_string())]),
    };
    let err = load_template_with(&fixture("case25-inline-wildcard.yaml"), &typo).expect_err("typo");
    assert!(
        format!("{err}").ends_with("no parameter `Stge` to set; the template declares: Stage"),
        "{err}"
    );
}

fn inline(text: &str) -> Template {
    tighten::context::parse_template(Path::new("inline.yaml"), text).expect("parses")
}

/// One SAM function whose `Environment.Variables` are `vars` (YAML lines at
/// ten spaces of indentation), after `prelude` (more top-level sections).
fn env_of(prelude: &str, vars: &str, resources: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let text = format!(
        "{prelude}Resources:\n{resources}  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Environment:\n        Variables:\n{vars}"
    );
    let t = inline(&text);
    (t.functions[0].env.clone(), t.warnings.clone())
}

#[test]
fn sub_join_select_and_conditions_evaluate_like_cloudformation() {
    let (env, warnings) = env_of(
        "Parameters:\n  P:\n    Type: String\n    Default: v\n  N:\n    Type: Number\n    Default: 3\nConditions:\n  Yes: !Equals [!Ref P, v]\n  No: !Not [!Condition Yes]\n  Both: !And [!Condition Yes, !Condition No]\n  Either: !Or [!Condition Yes, !Condition No]\n",
        concat!(
            "          UNCLOSED: !Sub 'a-${P'\n",
            "          LITERAL: !Sub '${!P}/${P}'\n",
            "          SPACES: !Sub '${ P }'\n",
            "          PSEUDO: !Sub '${AWS::Partition}:${AWS::URLSuffix}:${AWS::StackName}'\n",
            "          VARS: !Sub ['${x}-${P}', {x: !Ref N}]\n",
            "          JOIN_NOVALUE: !Join [',', [a, !Ref AWS::NoValue, b]]\n",
            "          SELECT_OUT: !Select [5, [a, b]]\n",
            "          BOTH: !If [Both, t, f]\n",
            "          EITHER: !If [Either, t, f]\n",
            "          B64: !Base64 plain\n",
            "          NUMBER: 42\n",
            "          BOOL: true\n",
            "          DROPPED: !Ref AWS::NoValue\n",
        ),
        "",
    );
    assert_eq!(
        env,
        BTreeMap::from(
            [
                ("UNCLOSED", "a-${P"),
                ("LITERAL", "${P}/v"),
                ("SPACES", "v"),
                ("PSEUDO", "aws:amazonaws.com:${AWS::StackName}"),
                ("VARS", "3-v"),
                ("JOIN_NOVALUE", "a,b"),
                ("SELECT_OUT", "${Fn::Select}"),
                ("BOTH", "f"),
                ("EITHER", "t"),
                ("B64", "plain"),
                ("NUMBER", "42"),
                ("BOOL", "true"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        )
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("`Fn::Select` index 5 is out of range"));
}

#[test]
fn sam_policy_template_without_its_parameter_keeps_a_placeholder() {
    let t = inline(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Policies:\n        - SQSSendMessagePolicy: {}\n",
    );
    let f = &t.functions[0];
    assert_eq!(
        document(f, "/SQSSendMessagePolicy")["Statement"][0]["Resource"],
        json!(format!("arn:aws:sqs:{R}:{A}:${{QueueName}}"))
    );
    assert_eq!(
        f.current_policy.warnings,
        [
            "inline.yaml:7: SAM policy template `SQSSendMessagePolicy` needs `QueueName`; kept as ${QueueName}"
        ]
    );
}

#[test]
fn sqs_event_by_queue_url_and_ignored_policies_are_warned() {
    let t = inline(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: jobs\n  R:\n    Type: AWS::IAM::Role\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Role: !GetAtt R.Arn\n      Policies: [AmazonS3FullAccess]\n      Events:\n        Jobs:\n          Type: SQS\n          Properties:\n            Queue: !Ref Q\n",
    );
    let f = &t.functions[0];
    let arn = format!("arn:aws:sqs:{R}:{A}:jobs");
    assert_eq!(f.event_sources[0].target.as_deref(), Some(arn.as_str()));
    assert_eq!(
        t.warnings,
        ["inline.yaml:15: event `Jobs`: `Queue` should be the queue ARN, not its URL"]
    );
    // The explicit role has no policies; SAM attaches nothing to it.
    assert!(f.current_policy.documents.is_empty());
    assert_eq!(
        f.current_policy.warnings,
        ["inline.yaml:13: `F` has a `Role`, so SAM ignores its `Policies`"]
    );
}

#[test]
fn resources_under_a_false_condition_do_not_exist() {
    use tighten::context::{TemplateOptions, load_template_with};
    let t = load("conditional-resources.yaml");
    let ids: Vec<&str> = t.functions.iter().map(|f| f.logical_id.as_str()).collect();
    // OwnerNotifier's condition cannot be decided (Owner has no default).
    assert_eq!(ids, ["Worker", "OwnerNotifier"]);
    let worker = t.function("Worker").expect("Worker");
    assert_eq!(origins(worker), ["AlwaysPolicy"]);
    assert_eq!(worker.code_uri, None);
    let file = fixture("conditional-resources.yaml").display().to_string();
    assert!(
        t.warnings.contains(&format!(
            "{file}:59: `ProdAuditor` is not created: its condition `IsProd` is false with these parameter values"
        )),
        "{:?}",
        t.warnings
    );
    assert!(
        t.warnings.contains(&format!(
            "{file}:68: `OwnerNotifier` exists only when condition `HasOwner` holds, which the template cannot decide; read as existing"
        )),
        "{:?}",
        t.warnings
    );

    let prod = TemplateOptions {
        parameters: BTreeMap::from([
            ("Stage".to_string(), "prod".to_string()),
            ("Owner".to_string(), String::new()),
        ]),
    };
    let t = load_template_with(&fixture("conditional-resources.yaml"), &prod).expect("loads");
    let ids: Vec<&str> = t.functions.iter().map(|f| f.logical_id.as_str()).collect();
    assert_eq!(ids, ["Worker", "ProdAuditor"]);
    assert_eq!(
        origins(t.function("ProdAuditor").expect("ProdAuditor")),
        ["AlwaysPolicy", "ProdOnlyPolicy"]
    );
}

fn code_need(set: &mut tighten::need::NeedSet, action: &str, resource: &str, optional: bool) {
    set.add(
        action,
        [resource.to_string()],
        optional,
        Source::Code {
            file: "app.py".into(),
            line: 1,
            call: "test".into(),
        },
    );
}

#[test]
fn reading_an_encrypted_secret_needs_its_key() {
    let t = load("case25-inline-wildcard.yaml");
    let secret = only(&t).env["PROVIDER_SECRET_ARN"].clone();
    let mut code = tighten::need::NeedSet::new();
    code_need(&mut code, "secretsmanager:GetSecretValue", &secret, false);
    code_need(
        &mut code,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/prod-ledger",
        false,
    );
    let kms = t.encryption_needs(&code);
    let got: Vec<(String, Vec<String>, bool)> = kms
        .iter()
        .map(|n| {
            (
                n.action.clone(),
                n.resources.iter().cloned().collect(),
                n.optional,
            )
        })
        .collect();
    assert_eq!(
        got,
        [(
            "kms:Decrypt".to_string(),
            vec!["arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${PaymentsKey}".to_string()],
            false
        )]
    );
    match &kms.iter().next().expect("need").sources[0] {
        Source::Platform { line, reason, .. } => {
            assert_eq!(*line, Some(107));
            assert!(reason.contains("ProviderSecret"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.defined_kms_keys,
        BTreeMap::from([(
            "PaymentsKey".to_string(),
            "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${PaymentsKey}".to_string()
        )])
    );
}

#[test]
fn encrypted_buckets_queues_and_tables_bring_their_kms_needs() {
    let t = load("kms-encrypted-sources.yaml");
    let data_key = format!("arn:aws:kms:{R}:{A}:key/${{DataKey}}");
    let bucket_key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let mut code = tighten::need::NeedSet::new();
    code_need(
        &mut code,
        "s3:GetObject",
        "arn:aws:s3:::example-archive/in/*",
        false,
    );
    code_need(
        &mut code,
        "s3:PutObject",
        "arn:aws:s3:::example-archive/out/*",
        false,
    );
    code_need(
        &mut code,
        "s3:GetObject",
        "arn:aws:s3:::some-other-bucket/*",
        false,
    );
    code_need(
        &mut code,
        "sqs:SendMessage",
        &format!("arn:aws:sqs:{R}:{A}:jobs"),
        false,
    );
    code_need(
        &mut code,
        "sqs:SendMessage",
        &format!("arn:aws:sqs:{R}:{A}:plain"),
        false,
    );
    // DynamoDB authorizes its own use of the key through grants.
    code_need(
        &mut code,
        "dynamodb:GetItem",
        &format!("arn:aws:dynamodb:{R}:{A}:table/results"),
        false,
    );
    let got: BTreeMap<String, (BTreeSet<String>, bool)> = t
        .encryption_needs(&code)
        .iter()
        .map(|n| (n.action.clone(), (n.resources.clone(), n.optional)))
        .collect();
    assert_eq!(
        got,
        BTreeMap::from([
            (
                "kms:Decrypt".to_string(),
                (
                    BTreeSet::from([bucket_key.to_string(), data_key.clone()]),
                    false
                )
            ),
            (
                "kms:GenerateDataKey".to_string(),
                (BTreeSet::from([bucket_key.to_string(), data_key]), false)
            ),
        ])
    );
    // Only the multipart part of an upload needs Decrypt: alone it is optional.
    let mut upload = tighten::need::NeedSet::new();
    code_need(
        &mut upload,
        "s3:PutObject",
        "arn:aws:s3:::example-archive/out/*",
        false,
    );
    let optional: Vec<(String, bool)> = t
        .encryption_needs(&upload)
        .iter()
        .map(|n| (n.action.clone(), n.optional))
        .collect();
    assert_eq!(
        optional,
        [
            ("kms:Decrypt".to_string(), true),
            ("kms:GenerateDataKey".to_string(), false)
        ]
    );
}

#[test]
fn msk_event_source_and_sns_dead_letter_topic() {
    let t = load("msk-consumer.yaml");
    let f = only(&t);
    let cluster = "arn:aws:kafka:eu-west-1:111122223333:cluster/orders/abcd1234-ab12-cd34-ef56-abcdef123456-1";
    let topic = format!("arn:aws:sns:{R}:{A}:consumer-failures");
    assert_eq!(f.event_sources[0].kind, EventSourceKind::Msk);
    let c = [cluster];
    let star: &[&str] = &["*"];
    assert_eq!(
        platform(f),
        with(
            logs("/aws/lambda/orders-consumer"),
            &[
                ("ec2:CreateNetworkInterface", star),
                ("ec2:DeleteNetworkInterface", star),
                ("ec2:DescribeNetworkInterfaces", star),
                ("ec2:DescribeSecurityGroups", star),
                ("ec2:DescribeSubnets", star),
                ("ec2:DescribeVpcs", star),
                ("kafka:DescribeCluster", &c),
                ("kafka:DescribeClusterV2", &c),
                ("kafka:GetBootstrapBrokers", star),
                ("sns:Publish", &[topic.as_str()]),
            ]
        )
    );
    assert_eq!(
        origins(f),
        [
            "OrdersConsumer/SAM:AWSLambdaBasicExecutionRole",
            "OrdersConsumer/SAM:AWSLambdaMSKExecutionRole",
            "OrdersConsumer/SAM:DeadLetterQueue",
        ]
    );
    assert_eq!(
        document(f, "/SAM:DeadLetterQueue")["Statement"][0]["Action"],
        json!("sns:Publish")
    );
}

#[test]
fn policy_document_given_as_a_json_string() {
    let t = inline(concat!(
        "Resources:\n",
        "  R:\n",
        "    Type: AWS::IAM::Role\n",
        "    Properties:\n",
        "      Policies:\n",
        "        - PolicyName: as-text\n",
        "          PolicyDocument: '{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}'\n",
        "        - PolicyName: not-json\n",
        "          PolicyDocument: 'Allow everything'\n",
        "  F:\n",
        "    Type: AWS::Lambda::Function\n",
        "    Properties:\n",
        "      Handler: a.b\n",
        "      Role: !GetAtt R.Arn\n",
    ));
    let f = &t.functions[0];
    assert_eq!(
        document(f, "/as-text"),
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    );
    assert_eq!(
        f.current_policy.warnings,
        [
            "inline.yaml:9: R/Policies[1]/not-json: a policy document should be a mapping, found text"
        ]
    );
}

#[test]
fn sam_connectors_are_named_not_silently_skipped() {
    let t = inline(concat!(
        "Transform: AWS::Serverless-2016-10-31\n",
        "Resources:\n",
        "  T:\n",
        "    Type: AWS::DynamoDB::Table\n",
        "  F:\n",
        "    Type: AWS::Serverless::Function\n",
        "    Properties:\n",
        "      Handler: a.b\n",
        "      Connectors:\n",
        "        Writes:\n",
        "          Properties: {Destination: {Id: T}, Permissions: [Write]}\n",
        "  C:\n",
        "    Type: AWS::Serverless::Connector\n",
        "    Properties:\n",
        "      Source: {Id: F}\n",
        "      Destination: {Id: T}\n",
        "      Permissions: [Read]\n",
    ));
    assert_eq!(
        t.functions[0].current_policy.warnings,
        [
            "inline.yaml:9: `F` has embedded `Connectors`; the permissions they grant are not read",
            "inline.yaml:12: connector `C` grants `F` permissions that are not read",
        ]
    );
}

#[test]
fn dead_letter_topic_without_a_name_is_still_a_topic() {
    let t = inline(concat!(
        "Resources:\n",
        "  Failures:\n",
        "    Type: AWS::SNS::Topic\n",
        "  F:\n",
        "    Type: AWS::Lambda::Function\n",
        "    Properties:\n",
        "      Handler: a.b\n",
        "      Role: arn:aws:iam::111122223333:role/external\n",
        "      DeadLetterConfig:\n",
        "        TargetArn: !Ref Failures\n",
    ));
    let f = &t.functions[0];
    let dlq = f.dead_letter.as_ref().expect("dead letter");
    assert_eq!(
        (dlq.target.as_str(), dlq.topic, dlq.line),
        ("${Failures}", true, 9)
    );
    assert_eq!(
        platform(f).get("sns:Publish"),
        Some(&BTreeSet::from(["${Failures}".to_string()]))
    );
    assert!(!platform(f).contains_key("sqs:SendMessage"));
    // The role lives outside the template: named, not guessed.
    assert_eq!(
        f.current_policy.warnings,
        [
            "inline.yaml:8: `F` uses role `arn:aws:iam::111122223333:role/external` defined outside this template; read it from IAM to get its current policy"
        ]
    );
}
