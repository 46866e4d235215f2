//! CloudTrail event history through the LookupEvents API: management events
//! of the last 90 days in one region. The API allows 2 requests per second
//! per account and region, so requests are spaced client-side and a
//! `ThrottlingException` is retried with exponential backoff.
//! <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};

use super::normalise::Observations;
use super::record::TrailRecord;
use super::select::RoleSelector;
use super::window::TimeWindow;

/// Where LookupEvents records are reported from in errors.
pub const SOURCE_NAME: &str = "LookupEvents";

#[derive(Clone, Debug)]
pub struct LookupOptions {
    pub window: TimeWindow,
    /// `Username` lookup attribute: the session name.
    pub username: Option<String>,
    /// Least time between two requests (AWS's quota: 2 per second).
    pub min_interval: Duration,
    /// Retries of one throttled request before giving up.
    pub max_retries: u32,
    /// First backoff after a throttle; doubled on each retry.
    pub backoff: Duration,
}

impl LookupOptions {
    pub fn new(window: TimeWindow) -> Self {
        LookupOptions {
            window,
            username: None,
            min_interval: Duration::from_millis(500),
            max_retries: 5,
            backoff: Duration::from_millis(500),
        }
    }
}

/// Spaces requests at least `interval` apart.
struct RateLimiter {
    interval: Duration,
    last: Option<Instant>,
}

impl RateLimiter {
    async fn wait(&mut self) {
        if let Some(last) = self.last {
            let due = last + self.interval;
            let now = Instant::now();
            if due > now {
                tokio::time::sleep(due - now).await;
            }
        }
        self.last = Some(Instant::now());
    }
}

/// Pages through the role's events and observes each one.
pub async fn lookup(
    client: &aws_sdk_cloudtrail::Client,
    opts: &LookupOptions,
    role: &RoleSelector,
) -> anyhow::Result<Observations> {
    let mut obs = Observations::default();
    let mut limiter = RateLimiter {
        interval: opts.min_interval,
        last: None,
    };
    let progress = std::io::stderr().is_terminal();
    let mut token: Option<String> = None;
    let mut index = 0usize;
    let mut pages = 0u64;
    loop {
        let mut attempt = 0u32;
        let out = loop {
            limiter.wait().await;
            let mut req = client
                .lookup_events()
                .start_time(DateTime::from_secs(opts.window.since))
                .end_time(DateTime::from_secs(opts.window.until))
                .max_results(50)
                .set_next_token(token.clone());
            if let Some(u) = &opts.username {
                req = req.lookup_attributes(
                    LookupAttribute::builder()
                        .attribute_key(LookupAttributeKey::Username)
                        .attribute_value(u)
                        .build()?,
                );
            }
            match req.send().await {
                Ok(out) => break out,
                Err(e) if is_throttle(e.code()) && attempt < opts.max_retries => {
                    let wait = opts.backoff * 2u32.saturating_pow(attempt);
                    attempt += 1;
                    if progress {
                        eprint!("\rLookupEvents: throttled, retrying in {wait:?}   ");
                    }
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    let code = e.code().unwrap_or("error").to_string();
                    let msg = e.message().map(str::to_string).unwrap_or_else(|| {
                        aws_sdk_cloudtrail::error::DisplayErrorContext(&e).to_string()
                    });
                    anyhow::bail!("page {}: {code}: {msg}", pages + 1);
                }
            }
        };
        pages += 1;
        for ev in out.events() {
            let Some(json) = ev.cloud_trail_event() else {
                obs.stats.records += 1;
                obs.error(
                    SOURCE_NAME,
                    Some(index),
                    "event has no CloudTrailEvent".into(),
                );
                index += 1;
                continue;
            };
            match serde_json::from_str::<TrailRecord<'_>>(json) {
                Ok(rec) => obs.observe(&rec, role, &opts.window, SOURCE_NAME, index),
                Err(e) => {
                    obs.stats.records += 1;
                    obs.error(
                        SOURCE_NAME,
                        Some(index),
                        format!("invalid CloudTrailEvent: {e}"),
                    );
                }
            }
            index += 1;
        }
        if progress {
            eprint!(
                "\rLookupEvents: {pages} pages, {index} events, {} of the role's   ",
                obs.stats.matched
            );
        }
        token = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    if progress {
        eprintln!();
    }
    Ok(obs)
}

fn is_throttle(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ThrottlingException"
                | "Throttling"
                | "TooManyRequestsException"
                | "RequestLimitExceeded"
        )
    )
}
