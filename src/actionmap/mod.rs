//! The bundled service-action table (`action-maps/`), embedded in the binary,
//! and its lookups. OWNER: action-table helper. This file is a stub that fixes
//! the API the scanner, CloudTrail, diff and check code rely on.

use serde::Serialize;

/// Where an operation's action came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The operation name is the IAM action name.
    Name,
    /// A reviewed correction in `overrides.toml`.
    Override,
}

/// One IAM action an operation needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionSpec {
    /// Exact IAM action, `prefix:Name`.
    pub action: String,
    /// IAM resource type names (keys of the service's ARN formats) the action
    /// is scoped to for this operation; empty = the action has no resource type.
    pub resource_types: Vec<String>,
    pub optional: bool,
    /// Needed only when this argument is present and not false
    /// (`VersionId`, `WithDecryption`), or for DynamoDB transactions an item
    /// kind such as `TransactItems[].Put`.
    pub if_arg: Option<String>,
    /// Not needed when this argument is present (`GetObject` vs `VersionId`).
    pub unless_arg: Option<String>,
    /// Which resource the action applies to when an operation touches
    /// several: `source` or `destination` for copies, `None` otherwise.
    pub role: Option<String>,
    pub via: Via,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Mapping {
    Actions(Vec<ActionSpec>),
    /// Needs no permission (`sts:GetCallerIdentity`).
    Permissionless,
    /// No IAM action could be found; never guessed.
    Unresolved,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operation {
    /// botocore operation name (PascalCase), or the helper name for boto3's
    /// injected helpers.
    pub name: String,
    /// boto3 method name (snake_case), from botocore's own mapping.
    pub method: String,
    pub mapping: Mapping,
    /// The override's reason, when an override applies.
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Service {
    /// boto3 service name (`stepfunctions`).
    pub name: String,
    /// IAM service prefix (`states`).
    pub iam_prefix: String,
    pub endpoint_prefix: String,
    pub signing_name: String,
}

impl Service {
    pub fn operation(&self, _op: &str) -> Option<&Operation> {
        None
    }
    pub fn operation_by_method(&self, _method: &str) -> Option<&Operation> {
        None
    }
    /// Paginator by the boto3 name given to `get_paginator` (the method name).
    pub fn paginator(&self, _method: &str) -> Option<&Operation> {
        None
    }
    /// Waiter by the boto3 name given to `get_waiter` (`bucket_exists`): the
    /// operation it polls.
    pub fn waiter(&self, _name: &str) -> Option<&Operation> {
        None
    }
    /// boto3's resource model (`resources-1.json`) for this service, if any.
    pub fn resource_model(&self) -> Option<&serde_json::Value> {
        None
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct IamAction {
    /// `prefix:Name`, exact IAM casing.
    pub name: String,
    pub access_level: String,
    /// (resource type name, required)
    pub resource_types: Vec<(String, bool)>,
    pub condition_keys: Vec<String>,
}

pub struct Table {}

/// The embedded table, loaded once.
pub fn table() -> &'static Table {
    static T: Table = Table {};
    &T
}

impl Table {
    /// By boto3 service name (`s3`, `stepfunctions`, `bedrock-runtime`).
    pub fn service(&self, _boto_name: &str) -> Option<&Service> {
        None
    }
    pub fn service_names(&self) -> Vec<&str> {
        Vec::new()
    }
    /// By CloudTrail `eventSource` (`monitoring.amazonaws.com`).
    pub fn service_for_event_source(&self, _event_source: &str) -> Option<&Service> {
        None
    }
    /// Exact IAM action name.
    pub fn iam_action(&self, _action: &str) -> Option<&IamAction> {
        None
    }
    /// Case-insensitive match, returning the action with IAM's casing.
    pub fn iam_action_ci(&self, _action: &str) -> Option<&IamAction> {
        None
    }
    pub fn is_known_action(&self, action: &str) -> bool {
        self.iam_action(action).is_some()
    }
    /// Every IAM action, sorted (for wildcard expansion).
    pub fn all_actions(&self) -> Vec<&IamAction> {
        Vec::new()
    }
    /// ARN format of an IAM resource type, e.g. (`s3`, `object`) ->
    /// `arn:${Partition}:s3:::${BucketName}/${ObjectName}`.
    pub fn arn_format(&self, _iam_prefix: &str, _resource_type: &str) -> Option<&str> {
        None
    }
    /// A SAM policy template (`DynamoDBCrudPolicy`) as the SAM translator
    /// defines it: `{"Parameters": {...}, "Definition": {"Statement": [...]}}`.
    pub fn sam_policy_template(&self, _name: &str) -> Option<&serde_json::Value> {
        None
    }
    /// An AWS managed policy document by name or ARN.
    pub fn managed_policy(&self, _name_or_arn: &str) -> Option<&serde_json::Value> {
        None
    }
}
