//! Actions CloudTrail does not record by default, so their absence from a
//! trail says nothing: "unobservable", not "unused".
//!
//! Data events (object- and item-level calls) are logged only when a trail
//! opts in with event selectors, and event history (LookupEvents) never has
//! them; `iam:PassRole` is an authorisation check inside another call, not a
//! call of its own. <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html>

/// Actions whose calls are data events or are never logged as events.
const UNOBSERVABLE: &[&str] = &[
    // S3 object-level and list calls: data events (AWS::S3::Object).
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectAttributes",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectTagging",
    "s3:RestoreObject",
    // DynamoDB item-level calls and streams: data events (AWS::DynamoDB::Table, ::Stream).
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
    // Lambda invocations: data events (AWS::Lambda::Function).
    "lambda:InvokeFunction",
    "lambda:InvokeFunctionUrl",
    // SQS message calls: data events (AWS::SQS::Queue).
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
    // SNS publishing: data events (AWS::SNS::Topic).
    "sns:Publish",
    // Kinesis record calls: data events (AWS::Kinesis::Stream).
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
    "kinesis:SubscribeToShard",
    // Firehose record calls are not logged.
    "firehose:PutRecord",
    "firehose:PutRecordBatch",
    // Data-plane calls a function makes through its platform: not logged as
    // management events.
    "logs:PutLogEvents",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
    // API Gateway invocations and WebSocket connection management.
    "execute-api:Invoke",
    "execute-api:ManageConnections",
    // Checked when a role is handed to a service; never an event itself.
    "iam:PassRole",
];

/// Whether CloudTrail (by default) never shows this action being used.
/// Case-insensitive, as IAM action names are.
pub fn unobservable(action: &str) -> bool {
    UNOBSERVABLE.iter().any(|a| a.eq_ignore_ascii_case(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_events_are_unobservable_management_events_are_not() {
        assert!(unobservable("s3:GetObject"));
        assert!(unobservable("DYNAMODB:putitem"));
        assert!(unobservable("iam:PassRole"));
        assert!(!unobservable("kms:Decrypt"));
        assert!(!unobservable("ssm:GetParameter"));
        assert!(!unobservable("s3:CreateBucket"));
    }
}
