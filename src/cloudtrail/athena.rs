//! Athena over a trail's S3 bucket: the engine organisations already run
//! for CloudTrail at scale. tighten writes one aggregate query (the role's
//! sessions in the window, grouped by event source, event name, resources,
//! the request parameters that name resources, and error code), runs it,
//! and reads the grouped rows, so the scanning happens in Athena.
//!
//! The table is CloudTrail's standard Athena schema:
//! <https://docs.aws.amazon.com/athena/latest/ug/cloudtrail-logs.html>

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_athena::error::ProvideErrorMetadata;
use aws_sdk_athena::types::{QueryExecutionState, ResultConfiguration};

use super::normalise::{CallCount, Observations};
use super::record::{Lenient, LenientStr, LenientVec, RequestParameters, ResourceRef, TrailRecord};
use super::select::RoleSelector;
use super::window::{TimeWindow, format_time, parse_rfc3339};

/// Where Athena rows are reported from in errors.
pub const SOURCE_NAME: &str = "Athena";

/// First wait between two GetQueryExecution polls; it grows to 5 s.
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);

#[derive(Clone, Debug)]
pub struct AthenaQuery {
    pub table: String,
    pub workgroup: String,
    pub output: Option<String>,
    pub sql: String,
    pub poll: Duration,
}

/// `requestParameters` keys the query extracts, with the record field each
/// one fills. `key` is only tested for presence: objects become `bucket/*`.
const PARAM_COLUMNS: &[(&str, &str)] = &[
    ("bucketName", "bucket_name"),
    ("tableName", "table_name"),
    ("indexName", "index_name"),
    ("queueUrl", "queue_url"),
    ("functionName", "function_name"),
    ("topicArn", "topic_arn"),
    ("stateMachineArn", "state_machine_arn"),
    ("secretId", "secret_id"),
    ("keyId", "key_id"),
    ("sourceKeyId", "source_key_id"),
    ("destinationKeyId", "destination_key_id"),
    ("name", "name"),
    ("path", "path"),
    ("logGroupName", "log_group_name"),
    ("streamName", "stream_name"),
    ("deliveryStreamName", "delivery_stream_name"),
    ("eventBusName", "event_bus_name"),
    ("modelId", "model_id"),
];

/// `db.table` or `table`, each part a plain identifier, double-quoted.
fn quoted_table(table: &str) -> anyhow::Result<String> {
    let parts: Vec<&str> = table.split('.').collect();
    let ok = (1..=2).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if !ok {
        anyhow::bail!(
            "--athena-table {table:?}: expected `database.table` or `table` (letters, digits, _ and -)"
        );
    }
    Ok(parts
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join("."))
}

/// A SQL string literal. The role was validated to IAM's character set
/// already; quotes are doubled anyway so no input can end the literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Escapes a role name for a regular expression (`+` and `.` are legal in
/// role names and special in regex).
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() && c != '_' && c != '-' && c != '@' && c != ',' && c != '=' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The aggregate query for `role` in `window`.
pub fn query_sql(table: &str, role: &RoleSelector, window: &TimeWindow) -> anyhow::Result<String> {
    let table = quoted_table(table)?;
    let name = regex_escape(&role.name);
    let issuer = match &role.arn {
        Some(arn) => format!(
            "useridentity.sessioncontext.sessionissuer.arn = {}",
            literal(arn)
        ),
        None => format!(
            "regexp_like(useridentity.sessioncontext.sessionissuer.arn, {})",
            literal(&format!(":role/(.*/)?{name}$"))
        ),
    };
    let account = role
        .account()
        .map_or_else(|| "[0-9]+".to_string(), str::to_string);
    let assumed = format!(
        "regexp_like(useridentity.arn, {})",
        literal(&format!("^arn:[a-z-]+:sts::{account}:assumed-role/{name}/"))
    );
    let mut cols = vec![
        "eventsource".to_string(),
        "eventname".to_string(),
        "awsregion".to_string(),
        "recipientaccountid".to_string(),
        "coalesce(errorcode, '') AS errorcode".to_string(),
        // Object ARNs are cut to `bucket/*` here so groups stay few.
        "coalesce(array_join(array_sort(array_distinct(transform(resources, r -> \
regexp_replace(r.arn, '^(arn:[^:]+:s3:::[^/]+)/.+$', '$1/*')))), ' '), '') AS resource_arns"
            .to_string(),
        "(json_extract_scalar(requestparameters, '$.key') IS NOT NULL) AS has_key".to_string(),
    ];
    for (key, col) in PARAM_COLUMNS {
        cols.push(format!(
            "json_extract_scalar(requestparameters, '$.{key}') AS {col}"
        ));
    }
    let groups = cols.len();
    cols.push("count(*) AS calls".into());
    cols.push("min(eventtime) AS first_seen".into());
    cols.push("max(eventtime) AS last_seen".into());
    let group_by: Vec<String> = (1..=groups).map(|i| i.to_string()).collect();
    Ok(format!(
        "-- tighten: CloudTrail calls of role {role_name}, {since} to {until}\n\
SELECT {cols}\n\
FROM {table}\n\
WHERE ({issuer}\n       OR {assumed})\n\
  AND eventtime >= {since_lit}\n\
  AND eventtime < {until_lit}\n\
GROUP BY {group_by}\n\
ORDER BY {group_by}\n",
        role_name = role.arn.as_deref().unwrap_or(&role.name).replace('\n', " "),
        since = format_time(window.since),
        until = format_time(window.until),
        cols = cols.join(",\n       "),
        since_lit = literal(&format_time(window.since)),
        until_lit = literal(&format_time(window.until)),
        group_by = group_by.join(", "),
    ))
}

/// Runs the query and turns its rows into observations.
pub async fn run(client: &aws_sdk_athena::Client, q: &AthenaQuery) -> anyhow::Result<Observations> {
    let mut start = client
        .start_query_execution()
        .query_string(&q.sql)
        .work_group(&q.workgroup);
    if let Some(out) = &q.output {
        start =
            start.result_configuration(ResultConfiguration::builder().output_location(out).build());
    }
    let started = start
        .send()
        .await
        .map_err(|e| api_error("StartQueryExecution", &e))?;
    let id = started
        .query_execution_id()
        .ok_or_else(|| anyhow::anyhow!("StartQueryExecution returned no QueryExecutionId"))?
        .to_string();
    let mut wait = q.poll;
    loop {
        let got = client
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await
            .map_err(|e| api_error("GetQueryExecution", &e))?;
        let status = got.query_execution().and_then(|e| e.status());
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => break,
            Some(QueryExecutionState::Failed | QueryExecutionState::Cancelled) => {
                let state = status
                    .and_then(|s| s.state())
                    .map(|s| s.as_str().to_string());
                let reason = status
                    .and_then(|s| s.state_change_reason())
                    .or_else(|| {
                        status
                            .and_then(|s| s.athena_error())
                            .and_then(|e| e.error_message())
                    })
                    .unwrap_or("no reason given");
                anyhow::bail!(
                    "query {id} {}: {reason}",
                    state.unwrap_or_default().to_lowercase()
                );
            }
            _ => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
    let mut obs = Observations::default();
    let mut header: Option<HashMap<String, usize>> = None;
    let mut token: Option<String> = None;
    let mut index = 0usize;
    loop {
        let page = client
            .get_query_results()
            .query_execution_id(&id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| api_error("GetQueryResults", &e))?;
        for row in page.result_set().map(|r| r.rows()).unwrap_or_default() {
            let cells: Vec<Option<&str>> = row.data().iter().map(|d| d.var_char_value()).collect();
            let Some(cols) = &header else {
                // The first row of the first page names the columns.
                header = Some(
                    cells
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.unwrap_or("").to_string(), i))
                        .collect(),
                );
                continue;
            };
            if let Err(e) = observe_row(&mut obs, cols, &cells) {
                obs.error(SOURCE_NAME, Some(index), e);
            }
            index += 1;
        }
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(obs)
}

fn observe_row(
    obs: &mut Observations,
    cols: &HashMap<String, usize>,
    cells: &[Option<&str>],
) -> Result<(), String> {
    let get = |name: &str| -> Option<&str> {
        cols.get(name)
            .and_then(|i| cells.get(*i).copied().flatten())
            .filter(|v| !v.is_empty())
    };
    let s = |name: &str| LenientStr(get(name).map(Cow::Borrowed));
    let count: u64 = get("calls")
        .and_then(|c| c.parse().ok())
        .ok_or("row has no numeric calls column")?;
    let first = get("first_seen")
        .and_then(parse_rfc3339)
        .ok_or("row has no valid first_seen")?;
    let last = get("last_seen")
        .and_then(parse_rfc3339)
        .ok_or("row has no valid last_seen")?;
    let resources = get("resource_arns")
        .map(|r| {
            r.split(' ')
                .filter(|a| !a.is_empty())
                .map(|a| {
                    Lenient(Some(ResourceRef {
                        arn: LenientStr(Some(Cow::Borrowed(a))),
                        kind: LenientStr(None),
                    }))
                })
                .collect()
        })
        .unwrap_or_default();
    let params = RequestParameters {
        bucket_name: s("bucket_name"),
        key: LenientStr((get("has_key") == Some("true")).then_some(Cow::Borrowed("*"))),
        table_name: s("table_name"),
        index_name: s("index_name"),
        queue_url: s("queue_url"),
        function_name: s("function_name"),
        topic_arn: s("topic_arn"),
        state_machine_arn: s("state_machine_arn"),
        secret_id: s("secret_id"),
        key_id: s("key_id"),
        source_key_id: s("source_key_id"),
        destination_key_id: s("destination_key_id"),
        name: s("name"),
        path: s("path"),
        log_group_name: s("log_group_name"),
        stream_name: s("stream_name"),
        delivery_stream_name: s("delivery_stream_name"),
        event_bus_name: s("event_bus_name"),
        model_id: s("model_id"),
        ..RequestParameters::default()
    };
    let rec = TrailRecord {
        event_source: s("eventsource"),
        event_name: s("eventname"),
        aws_region: s("awsregion"),
        recipient_account_id: s("recipientaccountid"),
        error_code: s("errorcode"),
        resources: LenientVec(resources),
        request_parameters: Lenient(Some(params)),
        ..TrailRecord::default()
    };
    obs.observe_group(&rec, CallCount { count, first, last })
}

fn api_error<E>(op: &str, e: &aws_sdk_athena::error::SdkError<E>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        _ => aws_sdk_athena::error::DisplayErrorContext(e).to_string(),
    };
    anyhow::anyhow!("{op}: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_quotes_and_escapes() {
        let role = RoleSelector::parse("arn:aws:iam::111122223333:role/svc/my.role+x").unwrap();
        let w = TimeWindow {
            since: 0,
            until: 86_400,
        };
        let sql = query_sql("cloudtrail.logs", &role, &w).unwrap();
        assert!(sql.contains("FROM \"cloudtrail\".\"logs\""));
        assert!(sql.contains("sessionissuer.arn = 'arn:aws:iam::111122223333:role/svc/my.role+x'"));
        assert!(sql.contains("assumed-role/my\\.role\\+x/"));
        assert!(sql.contains("eventtime >= '1970-01-01T00:00:00Z'"));
        assert!(query_sql("x; DROP TABLE y", &role, &w).is_err());
        assert!(query_sql("a.b.c", &role, &w).is_err());
    }

    #[test]
    fn literals_cannot_be_closed() {
        assert_eq!(literal("it's"), "'it''s'");
    }
}
