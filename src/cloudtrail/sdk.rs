//! The AWS SDK clients the API sources use. Retries are off in the clients:
//! the sources retry throttling themselves, so the LookupEvents rate limit
//! counts every attempt.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}

/// The standard chain: environment, profile, SSO; `AWS_ENDPOINT_URL` too.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::v2026_11_17())
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

pub fn cloudtrail_client(config: &SdkConfig) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(config)
}

pub fn athena_client(config: &SdkConfig) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::new(config)
}
