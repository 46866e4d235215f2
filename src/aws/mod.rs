//! The AWS edge: the only module that names `aws_sdk_*` types. It builds the
//! SDK configuration (credential chain, region, endpoint, TLS, timeouts) and
//! reads, never writes, what tighten needs from Lambda, IAM and STS, handing
//! the rest of the crate its own types.

mod error;
mod iam;
mod lambda;
mod sts;

use std::future::Future;
use std::time::Duration;

pub use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

pub use error::{AwsError, from_sdk_error};
pub use iam::{IamSource, RoleInfo, parse_policy_document, role_name};
pub use lambda::{FunctionConfig, LambdaSource};
pub use sts::StsSource;

use crate::policy::current::{CurrentPolicy, SourcedPolicy};

/// The IAM action behind every AWS call this module makes: reads only.
/// `docs/aws.md` publishes a policy granting them; tests keep this list, the
/// code and that policy in step.
pub const ACTIONS_USED: &[&str] = &[
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "lambda:GetFunctionConfiguration",
    "sts:GetCallerIdentity",
];

/// Where and as whom tighten talks to AWS. Every field is optional: the SDK's
/// own chain (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `~/.aws/config`)
/// fills what is left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// Named profile from `~/.aws/config` / `~/.aws/credentials`.
    pub profile: Option<String>,
    /// Region such as `us-east-1`.
    pub region: Option<String>,
    /// Endpoint for every service, e.g. a local moto server.
    pub endpoint_url: Option<String>,
}

/// Pinned so an SDK upgrade cannot change retry or timeout behaviour behind
/// our back; bump it deliberately.
fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_11_17()
}

/// Bounds every call so an unreachable or silent endpoint ends in an error
/// instead of a hang: a CLI user would rather see "cannot reach" than wait.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(30))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(90))
        .build()
}

/// Loads the shared SDK configuration: the normal credential chain (env vars,
/// profiles, SSO, `credential_process`), the region and endpoint from `opts`
/// or the environment (`AWS_ENDPOINT_URL` is honoured by aws-config itself),
/// and one HTTPS client on rustls with ring.
pub async fn sdk_config(opts: &AwsOptions) -> SdkConfig {
    // One HTTPS client on rustls with ring that honours `HTTPS_PROXY`,
    // `HTTP_PROXY` and `NO_PROXY`. aws-config's default features are off
    // (they would bring a second TLS stack), so it has no default client;
    // this is the one its `default-https-client` feature builds
    // (aws-smithy-runtime's `default_https_client`), with ring for aws-lc.
    let http_client =
        aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector = aws_smithy_http_client::ConnectorBuilder::default()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
    let mut loader = aws_config::defaults(behavior_version())
        .http_client(http_client)
        .timeout_config(timeouts());
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &opts.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// Runs one future to completion on a fresh current-thread runtime, for the
/// synchronous CLI code. Not for use inside an async context (tokio refuses
/// to nest runtimes).
pub fn block_on<F: Future>(f: F) -> anyhow::Result<F::Output> {
    Ok(runtime()?.block_on(f))
}

/// The SDK clients tighten reads with, and the runtime that drives them, so
/// the source traits can stay synchronous for the CLI.
pub struct AwsClients {
    runtime: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    sts: aws_sdk_sts::Client,
}

impl AwsClients {
    /// Loads the configuration for `opts` and builds the clients.
    pub fn new(opts: &AwsOptions) -> anyhow::Result<Self> {
        let runtime = runtime()?;
        let config = runtime.block_on(sdk_config(opts));
        Self::with_runtime(runtime, &config)
    }

    /// Builds the clients from a configuration the caller has adjusted (a
    /// retry policy in tests, say).
    pub fn from_config(config: &SdkConfig) -> anyhow::Result<Self> {
        Self::with_runtime(runtime()?, config)
    }

    fn with_runtime(runtime: tokio::runtime::Runtime, config: &SdkConfig) -> anyhow::Result<Self> {
        // Without a region the SDK fails late with an opaque endpoint error.
        if config.region().is_none() {
            return Err(AwsError::NoRegion.into());
        }
        Ok(AwsClients {
            runtime,
            iam: aws_sdk_iam::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
        })
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime for AWS calls: {e}"))
}

impl IamSource for AwsClients {
    fn role(&self, name_or_arn: &str) -> Result<RoleInfo, AwsError> {
        self.runtime
            .block_on(iam::fetch_role(&self.iam, name_or_arn))
    }
}

impl LambdaSource for AwsClients {
    fn get_function_configuration(&self, name: &str) -> Result<FunctionConfig, AwsError> {
        self.runtime
            .block_on(lambda::fetch_function(&self.lambda, name))
    }
}

impl StsSource for AwsClients {
    fn account_id(&self) -> Result<String, AwsError> {
        self.runtime.block_on(sts::fetch_account_id(&self.sts))
    }
}

/// The deployed function's configuration, its role's current policy and the
/// account it lives in, read from AWS.
pub fn current_for_function(
    name: &str,
    opts: &AwsOptions,
) -> anyhow::Result<(FunctionConfig, CurrentPolicy, String)> {
    let aws = AwsClients::new(opts)?;
    function_policy(&aws, &aws, &aws, name)
}

/// A role's current policy and the account it lives in, read from IAM.
/// `name_or_arn` is a role name or role ARN.
pub fn current_for_role(
    name_or_arn: &str,
    opts: &AwsOptions,
) -> anyhow::Result<(CurrentPolicy, String)> {
    let aws = AwsClients::new(opts)?;
    role_policy(&aws, &aws, name_or_arn)
}

/// `current_for_function` over any sources.
pub fn function_policy(
    lambda: &impl LambdaSource,
    iam: &impl IamSource,
    sts: &impl StsSource,
    name: &str,
) -> anyhow::Result<(FunctionConfig, CurrentPolicy, String)> {
    let function = lambda.get_function_configuration(name)?;
    let (policy, account) = role_policy(iam, sts, &function.role_arn)?;
    Ok((function, policy, account))
}

/// `current_for_role` over any sources.
pub fn role_policy(
    iam: &impl IamSource,
    sts: &impl StsSource,
    name_or_arn: &str,
) -> anyhow::Result<(CurrentPolicy, String)> {
    let role = iam.role(name_or_arn)?;
    // The role's own ARN names the account whose resources its policies
    // grant; the caller's account (STS) can differ with cross-account
    // credentials, so it is only the fallback.
    let account = match arn_account(&role.arn) {
        Some(account) => account.to_string(),
        None => sts.account_id()?,
    };
    Ok((current_policy(&role), account))
}

/// The role's policies as `CurrentPolicy`: inline policies as
/// `inline:NAME`, managed policies and the boundary by ARN.
pub fn current_policy(role: &RoleInfo) -> CurrentPolicy {
    let sourced = |origin: String, document: &serde_json::Value| SourcedPolicy {
        origin,
        file: None,
        line: None,
        document: document.clone(),
    };
    let mut documents = Vec::with_capacity(role.inline.len() + role.attached.len());
    for (name, document) in &role.inline {
        documents.push(sourced(format!("inline:{name}"), document));
    }
    for (arn, document) in &role.attached {
        documents.push(sourced(arn.clone(), document));
    }
    CurrentPolicy {
        documents,
        boundary: role
            .boundary
            .as_ref()
            .map(|(arn, document)| sourced(arn.clone(), document)),
        warnings: Vec::new(),
    }
}

/// The 12-digit account field of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`).
fn arn_account(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    struct FakeAws {
        role: RoleInfo,
        sts_calls: Cell<usize>,
    }

    impl IamSource for FakeAws {
        fn role(&self, name_or_arn: &str) -> Result<RoleInfo, AwsError> {
            if role_name(name_or_arn) == self.role.name {
                Ok(self.role.clone())
            } else {
                Err(AwsError::NotFound {
                    kind: "role",
                    name: name_or_arn.to_string(),
                    call: "iam:GetRole".to_string(),
                    message: "not here".to_string(),
                })
            }
        }
    }

    impl LambdaSource for FakeAws {
        fn get_function_configuration(&self, name: &str) -> Result<FunctionConfig, AwsError> {
            Ok(FunctionConfig {
                name: name.to_string(),
                role_arn: self.role.arn.clone(),
                ..FunctionConfig::default()
            })
        }
    }

    impl StsSource for FakeAws {
        fn account_id(&self) -> Result<String, AwsError> {
            self.sts_calls.set(self.sts_calls.get() + 1);
            Ok("210987654321".to_string())
        }
    }

    fn doc(action: &str) -> serde_json::Value {
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": action, "Resource": "*"}]})
    }

    fn fake(arn: &str) -> FakeAws {
        FakeAws {
            role: RoleInfo {
                name: "app".to_string(),
                arn: arn.to_string(),
                inline: vec![("logs".to_string(), doc("logs:PutLogEvents"))],
                attached: vec![(
                    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".to_string(),
                    doc("s3:GetObject"),
                )],
                boundary: Some((
                    "arn:aws:iam::123456789012:policy/boundary".to_string(),
                    doc("s3:*"),
                )),
            },
            sts_calls: Cell::new(0),
        }
    }

    #[test]
    fn role_policy_keeps_origins_and_boundary_apart() {
        let aws = fake("arn:aws:iam::123456789012:role/service-role/app");
        let (policy, account) = role_policy(
            &aws,
            &aws,
            "arn:aws:iam::123456789012:role/service-role/app",
        )
        .expect("role");
        assert_eq!(account, "123456789012");
        assert_eq!(aws.sts_calls.get(), 0, "the role ARN names the account");
        let origins: Vec<&str> = policy.documents.iter().map(|d| d.origin.as_str()).collect();
        assert_eq!(
            origins,
            [
                "inline:logs",
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
            ]
        );
        assert_eq!(policy.documents[0].document, doc("logs:PutLogEvents"));
        let boundary = policy.boundary.expect("boundary");
        assert_eq!(boundary.origin, "arn:aws:iam::123456789012:policy/boundary");
        assert_eq!(boundary.document, doc("s3:*"));
    }

    #[test]
    fn account_falls_back_to_sts() {
        let aws = fake("not-an-arn");
        let (_, account) = role_policy(&aws, &aws, "app").expect("role");
        assert_eq!(account, "210987654321");
        assert_eq!(aws.sts_calls.get(), 1);
    }

    #[test]
    fn function_policy_follows_the_execution_role() {
        let aws = fake("arn:aws:iam::123456789012:role/app");
        let (function, policy, _) = function_policy(&aws, &aws, &aws, "fn").expect("function");
        assert_eq!(function.name, "fn");
        assert_eq!(policy.documents.len(), 2);
        // A function whose role IAM does not know fails, naming the role.
        let mut aws = fake("arn:aws:iam::123456789012:role/app");
        aws.role.arn = "arn:aws:iam::123456789012:role/other-role".to_string();
        let err = function_policy(&aws, &aws, &aws, "fn").unwrap_err();
        assert!(err.to_string().contains("no such role"), "{err}");
    }

    /// Every `Call` the SDK code names is listed in `ACTIONS_USED`, and
    /// nothing else is.
    #[test]
    fn actions_used_match_the_calls_made() {
        let sources = [
            include_str!("iam.rs"),
            include_str!("lambda.rs"),
            include_str!("sts.rs"),
        ];
        let mut called = std::collections::BTreeSet::new();
        for source in sources {
            for marker in ["Call::about(\"", "Call::new(\""] {
                for (i, _) in source.match_indices(marker) {
                    let rest = &source[i + marker.len()..];
                    let end = rest.find('"').expect("closing quote");
                    called.insert(&rest[..end]);
                }
            }
        }
        let listed: std::collections::BTreeSet<&str> = ACTIONS_USED.iter().copied().collect();
        assert_eq!(called, listed);
        assert!(
            listed.iter().all(|a| {
                let name = a.split(':').nth(1).unwrap_or("");
                name.starts_with("Get") || name.starts_with("List")
            }),
            "{listed:?}"
        );
    }

    #[test]
    fn arn_account_needs_twelve_digits() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:role/a"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:iam::aws:policy/a"), None);
        assert_eq!(arn_account("app"), None);
    }
}
