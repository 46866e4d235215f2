//! The AWS SDK clients the API sources use, on [`crate::aws::sdk_config`].
//! Retries are off in the clients: the sources retry throttling themselves,
//! so the LookupEvents rate limit counts every attempt.

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;

use crate::aws::{AwsOptions, sdk_config};

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}

/// The standard chain (environment, profile, SSO, `AWS_ENDPOINT_URL`) with
/// client retries disabled.
pub async fn load_config() -> anyhow::Result<SdkConfig> {
    let config = sdk_config(&AwsOptions::default())
        .await
        .to_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    if config.region().is_none() {
        anyhow::bail!(
            "no AWS region: CloudTrail event history and Athena are regional; set AWS_REGION or a profile's region"
        );
    }
    Ok(config)
}

pub fn cloudtrail_client(config: &SdkConfig) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(config)
}

pub fn athena_client(config: &SdkConfig) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::new(config)
}
