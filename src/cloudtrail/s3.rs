//! CloudTrail log files read straight from the trail's S3 bucket:
//! `--trail-logs s3://bucket/prefix`. Objects are listed under the prefix
//! (`ListObjectsV2`, paged), the log files among them fetched one at a time
//! and streamed like files on disk, so memory holds one object at a time.

use anyhow::Context as _;
use aws_sdk_s3::error::DisplayErrorContext;

use super::files::{is_log_file, read_bytes};
use super::normalise::Observations;
use super::select::RoleSelector;
use super::window::TimeWindow;

/// `s3://bucket/prefix`, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    /// Parses `s3://bucket[/prefix]`; `None` when `s` is not an S3 URL.
    pub fn parse(s: &str) -> Option<Result<Self, String>> {
        let rest = s.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Some(Err(format!("{s}: no bucket name after s3://")));
        }
        Some(Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        }))
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// The S3 client: the shared configuration with standard retries (S3 has no
/// rate limit to respect here), path-style addressing when an endpoint is
/// set (local emulators and S3-compatible stores have no per-bucket hosts).
pub fn client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .retry_config(aws_config::retry::RetryConfig::standard())
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Lists the log files under `loc`, sorted by key.
pub async fn list_log_files(
    client: &aws_sdk_s3::Client,
    loc: &S3Location,
) -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(&loc.bucket)
        .prefix(&loc.prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            anyhow::anyhow!(
                "--trail-logs {}: cannot list the objects: {}",
                loc.url(&loc.prefix),
                DisplayErrorContext(e)
            )
        })?;
        for o in page.contents() {
            if let Some(k) = o.key()
                && is_log_file(k)
            {
                keys.push(k.to_string());
            }
        }
    }
    keys.sort();
    Ok(keys)
}

/// Reads every log file under `loc` into observations. An object that
/// cannot be fetched is an error against its name; the others are kept.
pub async fn read_s3(
    client: &aws_sdk_s3::Client,
    loc: &S3Location,
    role: &RoleSelector,
    window: &TimeWindow,
) -> anyhow::Result<Observations> {
    let keys = list_log_files(client, loc).await?;
    if keys.is_empty() {
        anyhow::bail!(
            "--trail-logs {}: no CloudTrail log files (*.json, *.json.gz) under this prefix",
            loc.url(&loc.prefix)
        );
    }
    let mut obs = Observations::default();
    let mut buf = Vec::new();
    for key in keys {
        let name = loc.url(&key);
        let body = match client
            .get_object()
            .bucket(&loc.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(out) => out
                .body
                .collect()
                .await
                .map(|b| b.into_bytes())
                .map_err(|e| e.to_string()),
            Err(e) => Err(DisplayErrorContext(e).to_string()),
        };
        match body {
            Ok(bytes) => read_bytes(&name, &bytes, &mut buf, role, window, &mut obs),
            Err(e) => {
                obs.stats.files += 1;
                obs.error(&name, None, format!("cannot read: {e}"));
            }
        }
    }
    Ok(obs)
}

/// Reads every `s3://` location, in order.
pub fn read_locations(
    rt: &tokio::runtime::Runtime,
    config: &aws_config::SdkConfig,
    locations: &[S3Location],
    role: &RoleSelector,
    window: &TimeWindow,
) -> anyhow::Result<Observations> {
    let client = client(config);
    let mut obs = Observations::default();
    for loc in locations {
        obs.merge(
            rt.block_on(read_s3(&client, loc, role, window))
                .with_context(|| format!("reading {}", loc.url(&loc.prefix)))?,
        );
    }
    Ok(obs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_prefix() {
        assert_eq!(
            S3Location::parse("s3://trail/AWSLogs/o-1/"),
            Some(Ok(S3Location {
                bucket: "trail".into(),
                prefix: "AWSLogs/o-1/".into()
            }))
        );
        assert_eq!(
            S3Location::parse("s3://trail"),
            Some(Ok(S3Location {
                bucket: "trail".into(),
                prefix: String::new()
            }))
        );
        assert!(matches!(S3Location::parse("s3:///x"), Some(Err(_))));
        assert_eq!(S3Location::parse("./logs"), None);
    }

    #[test]
    fn digest_and_insight_objects_are_not_log_files() {
        assert!(is_log_file(
            "AWSLogs/1/CloudTrail/eu-west-1/2024/05/01/1_CloudTrail_eu-west-1_x.json.gz"
        ));
        assert!(!is_log_file(
            "AWSLogs/1/CloudTrail-Digest/eu-west-1/2024/05/01/1_CloudTrail-Digest_x.json.gz"
        ));
        assert!(!is_log_file("AWSLogs/1/CloudTrail-Insight/x.json.gz"));
        assert!(!is_log_file("AWSLogs/1/CloudTrail/eu-west-1/notes.txt"));
    }
}
