//! The AWS edge: the only module that names `aws_sdk_*` types. It builds the
//! SDK configuration (credential chain, region, endpoint, TLS, timeouts) and
//! reads, never writes, what tighten needs from Lambda, IAM and STS, handing
//! the rest of the crate its own types.

use std::future::Future;
use std::time::Duration;

pub use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

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
    // With aws-config's default features off there is no default HTTPS
    // client, so we pick the one TLS stack the crate carries.
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime for AWS calls: {e}"))?;
    Ok(runtime.block_on(f))
}
