//! Platform needs: what the Lambda service does with the function's role,
//! whatever the code does. Writing to the function's log group, sending
//! X-Ray segments when tracing is active, managing ENIs in a VPC, polling
//! SQS / Kinesis / DynamoDB-stream event sources, and delivering failed
//! asynchronous events to a dead-letter queue or topic.
//! <https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>

use super::{EventSourceKind, FunctionContext};
use crate::need::{NeedSet, Source};

/// CloudWatch Logs authorizes `CreateLogStream`/`PutLogEvents` against the
/// log-stream form `log-group:NAME:log-stream:...`, which `log-group:NAME:*`
/// covers. For `CreateLogGroup` the IAM reference gives `log-group:NAME`
/// while AWS's own scoped Lambda policies (and Serverless Framework's) grant
/// it on `log-group:NAME:*`; both forms name only this log group, so both
/// are listed rather than guessing which one IAM evaluates.
const LOG_STREAM_ACTIONS: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];

/// `xray:PutTraceSegments` and `PutTelemetryRecords` have no resource type.
const XRAY_ACTIONS: [&str; 2] = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];

/// Lambda creates and deletes the ENIs itself, with IDs not known in
/// advance, and checks `CreateNetworkInterface` against `*` when the function
/// is configured; AWS's `AWSLambdaVPCAccessExecutionRole` grants these (and
/// `DescribeSubnets`, added to it in 2024) on `*` for that reason.
/// <https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions>
const ENI_ACTIONS: [&str; 6] = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
];

const SQS_POLL: [&str; 3] = [
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
];

const KINESIS_POLL: [&str; 5] = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
];

const DYNAMODB_STREAM_POLL: [&str; 3] = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
];

/// What the MSK event source poller does: read the cluster's brokers and
/// reach them through network interfaces in the cluster's VPC, as AWS's
/// `AWSLambdaMSKExecutionRole` grants.
/// <https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html>
const MSK_CLUSTER_ACTIONS: [&str; 2] = ["kafka:DescribeCluster", "kafka:DescribeClusterV2"];
const MSK_ANY_ACTIONS: [&str; 7] = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "kafka:GetBootstrapBrokers",
];

/// Every action `platform_needs` can emit, for tests that check them
/// against the IAM action list.
pub const ALL_PLATFORM_ACTIONS: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:ListStreams",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
    "kms:Decrypt",
    "sqs:SendMessage",
    "sns:Publish",
    "kafka:DescribeCluster",
    "kafka:DescribeClusterV2",
    "kafka:GetBootstrapBrokers",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
];

/// X-Ray and VPC needs of a deployed function, from its configuration as
/// the Lambda API reports it (no template line to point at).
pub fn configuration_needs(function: &str, tracing_active: bool, in_vpc: bool) -> NeedSet {
    let mut needs = NeedSet::new();
    let src = |reason: &str| Source::Platform {
        reason: format!("{reason} (configuration of {function})"),
        file: None,
        line: None,
    };
    if tracing_active {
        for action in XRAY_ACTIONS {
            needs.add(
                action,
                ["*".to_string()],
                false,
                src("active tracing sends segments to X-Ray"),
            );
        }
    }
    if in_vpc {
        for action in ENI_ACTIONS {
            needs.add(
                action,
                ["*".to_string()],
                false,
                src("Lambda manages the function's network interfaces in its VPC"),
            );
        }
    }
    needs
}

impl FunctionContext {
    fn platform(&self, reason: String, line: usize) -> Source {
        Source::Platform {
            reason,
            file: Some(self.file.clone()),
            line: Some(line),
        }
    }

    /// The needs the Lambda platform has of the role for this function.
    pub fn platform_needs(&self) -> NeedSet {
        let mut needs = NeedSet::new();
        let group_arn = format!(
            "arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{}",
            self.log_group
        );
        let logs = || {
            self.platform(
                format!("Lambda writes the function's logs to {}", self.log_group),
                self.line,
            )
        };
        needs.add(
            "logs:CreateLogGroup",
            [group_arn.clone(), format!("{group_arn}:*")],
            false,
            logs(),
        );
        for action in LOG_STREAM_ACTIONS {
            needs.add(action, [format!("{group_arn}:*")], false, logs());
        }
        if self.tracing_active {
            let line = self.tracing_line.unwrap_or(self.line);
            for action in XRAY_ACTIONS {
                needs.add(
                    action,
                    ["*".to_string()],
                    false,
                    self.platform("active tracing sends segments to X-Ray".to_string(), line),
                );
            }
        }
        if self.in_vpc {
            let line = self.vpc_line.unwrap_or(self.line);
            for action in ENI_ACTIONS {
                needs.add(
                    action,
                    ["*".to_string()],
                    false,
                    self.platform(
                        "Lambda manages the function's network interfaces in its VPC".to_string(),
                        line,
                    ),
                );
            }
        }
        for e in &self.event_sources {
            let Some(target) = e.target.clone() else {
                continue;
            };
            if e.kind == EventSourceKind::Msk {
                let reason = format!("the MSK event source `{}` is polled by Lambda", e.name);
                for action in MSK_CLUSTER_ACTIONS {
                    needs.add(
                        action,
                        [target.clone()],
                        false,
                        self.platform(reason.clone(), e.line),
                    );
                }
                for action in MSK_ANY_ACTIONS {
                    needs.add(
                        action,
                        ["*".to_string()],
                        false,
                        self.platform(reason.clone(), e.line),
                    );
                }
                continue;
            }
            let (polled, listing): (&[&str], Option<&str>) = match e.kind {
                EventSourceKind::Sqs => (&SQS_POLL, None),
                EventSourceKind::Kinesis => (&KINESIS_POLL, Some("kinesis:ListStreams")),
                EventSourceKind::DynamoDb => (&DYNAMODB_STREAM_POLL, Some("dynamodb:ListStreams")),
                _ => continue,
            };
            let reason = format!(
                "the {} event source `{}` is polled by Lambda",
                kind_label(&e.kind),
                e.name
            );
            for action in polled {
                needs.add(
                    action,
                    [target.clone()],
                    false,
                    self.platform(reason.clone(), e.line),
                );
            }
            if let Some(action) = listing {
                needs.add(
                    action,
                    ["*".to_string()],
                    false,
                    self.platform(reason.clone(), e.line),
                );
            }
            if let Some(key) = &e.kms_key {
                needs.add(
                    "kms:Decrypt",
                    [key.clone()],
                    false,
                    self.platform(
                        format!("{reason}; it is encrypted with a customer managed KMS key"),
                        e.line,
                    ),
                );
            }
        }
        if let Some(dlq) = &self.dead_letter {
            let action = if dlq.topic {
                "sns:Publish"
            } else {
                "sqs:SendMessage"
            };
            needs.add(
                action,
                [dlq.target.clone()],
                false,
                self.platform(
                    "Lambda sends failed asynchronous events to the dead-letter target".to_string(),
                    dlq.line,
                ),
            );
        }
        needs
    }
}

fn kind_label(kind: &EventSourceKind) -> &'static str {
    match kind {
        EventSourceKind::Sqs => "SQS",
        EventSourceKind::Kinesis => "Kinesis",
        EventSourceKind::DynamoDb => "DynamoDB stream",
        _ => "",
    }
}

#[cfg(test)]
mod configuration_tests {
    use super::configuration_needs;

    #[test]
    fn deployed_tracing_and_vpc_become_needs() {
        let none = configuration_needs("fn", false, false);
        assert!(none.needs.is_empty());
        let both = configuration_needs("fn", true, true);
        assert!(both.needs.contains_key("xray:PutTraceSegments"));
        assert!(both.needs.contains_key("ec2:CreateNetworkInterface"));
        assert!(
            both.iter()
                .all(|n| n.resources.contains("*") && !n.optional)
        );
    }
}
