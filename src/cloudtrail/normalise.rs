//! From records to needs. Each selected record becomes an observed call
//! (event source, event name, the resource ARNs it names, its outcome);
//! identical calls are counted together, and only the distinct calls are
//! mapped through the bundled table, so a million records cost a few
//! hundred lookups. Resources come from `resources[]` and from the
//! `requestParameters` keys that name them, and are generalised to the
//! resource type's ARN format: no per-object ARNs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::actionmap::{self, ActionSpec, Mapping};
use crate::need::{Need, NeedSet, Source};

use super::record::TrailRecord;
use super::select::RoleSelector;
use super::window::{TimeWindow, format_time, parse_rfc3339};
use super::{RecordError, TrailEvidence, TrailStats, UnmappedEvent};

/// The error codes that mean the role lacked a permission: the call is a
/// need that is missing, not a grant in use.
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>
pub fn is_access_denied(error_code: &str) -> bool {
    matches!(
        error_code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "Client.UnauthorizedOperation"
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Succeeded,
    /// Failed for a reason other than authorisation: the call got past IAM.
    Failed,
    Denied,
}

/// Which side of a two-resource call an ARN was named for, when the request
/// says (`sourceKeyId` / `destinationKeyId` of KMS `ReEncrypt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceRole {
    Source,
    Destination,
}

impl ResourceRole {
    fn as_table_role(self) -> &'static str {
        match self {
            ResourceRole::Source => "source",
            ResourceRole::Destination => "destination",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObservedResource {
    pub arn: String,
    pub role: Option<ResourceRole>,
}

/// One distinct call shape; the unit of counting and of mapping.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObservedCall {
    pub event_source: String,
    pub event_name: String,
    pub region: String,
    pub account: String,
    pub resources: Vec<ObservedResource>,
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallCount {
    pub count: u64,
    pub first: i64,
    pub last: i64,
}

impl CallCount {
    fn add(&mut self, o: CallCount) {
        self.count += o.count;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }
}

/// Everything read so far, before mapping. Built per file (or per thread)
/// and merged.
#[derive(Debug, Default)]
pub struct Observations {
    pub calls: HashMap<ObservedCall, CallCount>,
    pub stats: TrailStats,
}

impl Observations {
    /// Counts one record: selects it by role and time, and keeps what it
    /// called on which resources.
    pub fn observe(
        &mut self,
        rec: &TrailRecord<'_>,
        role: &RoleSelector,
        window: &TimeWindow,
        file: &str,
        index: usize,
    ) {
        self.stats.records += 1;
        let (Some(source), Some(name)) = (rec.event_source.get(), rec.event_name.get()) else {
            let missing = if rec.event_source.get().is_none() {
                "eventSource"
            } else {
                "eventName"
            };
            self.error(file, Some(index), format!("record has no {missing}"));
            return;
        };
        if !role.matches(rec.issuer_arn(), rec.identity_arn()) {
            self.stats.skipped_other_roles += 1;
            return;
        }
        let Some(time) = rec.event_time.get().and_then(parse_rfc3339) else {
            self.error(
                file,
                Some(index),
                "record has no valid eventTime".to_string(),
            );
            return;
        };
        if !window.contains(time) {
            self.stats.outside_window += 1;
            return;
        }
        self.stats.matched += 1;
        let outcome = outcome_of(rec.error_code.get());
        let region = rec.aws_region.get().unwrap_or("").to_string();
        let account = rec.account().unwrap_or("").to_string();
        let resources = record_resources(rec, source, &region, &account);
        let call = ObservedCall {
            event_source: source.to_string(),
            event_name: name.to_string(),
            region,
            account,
            resources,
            outcome,
        };
        self.add(
            call,
            CallCount {
                count: 1,
                first: time,
                last: time,
            },
        );
    }

    /// Counts a group of calls already selected and counted elsewhere (an
    /// Athena result row): `rec` carries the group's columns.
    pub fn observe_group(&mut self, rec: &TrailRecord<'_>, count: CallCount) -> Result<(), String> {
        let (Some(source), Some(name)) = (rec.event_source.get(), rec.event_name.get()) else {
            return Err("row has no eventsource or eventname".into());
        };
        self.stats.records += count.count;
        self.stats.matched += count.count;
        let region = rec.aws_region.get().unwrap_or("").to_string();
        let account = rec.account().unwrap_or("").to_string();
        let call = ObservedCall {
            event_source: source.to_string(),
            event_name: name.to_string(),
            resources: record_resources(rec, source, &region, &account),
            region,
            account,
            outcome: outcome_of(rec.error_code.get()),
        };
        self.add(call, count);
        Ok(())
    }

    pub fn add(&mut self, call: ObservedCall, count: CallCount) {
        match self.calls.get_mut(&call) {
            Some(c) => c.add(count),
            None => {
                self.calls.insert(call, count);
            }
        }
    }

    pub fn error(&mut self, file: &str, record: Option<usize>, message: String) {
        self.stats.errors.push(RecordError {
            file: file.to_string(),
            record,
            message,
        });
    }

    pub fn merge(&mut self, other: Observations) {
        for (k, v) in other.calls {
            self.add(k, v);
        }
        self.stats.merge(other.stats);
    }

    /// Maps every distinct call through the bundled table.
    pub fn into_evidence(self) -> TrailEvidence {
        let mut needs = NeedSet::new();
        let mut denied = NeedSet::new();
        let mut unmapped: BTreeMap<(String, String, &'static str), u64> = BTreeMap::new();
        let mut stats = self.stats;
        // Sorted so merged first/last times and resources are deterministic.
        let mut calls: Vec<(ObservedCall, CallCount)> = self.calls.into_iter().collect();
        calls.sort_by(|a, b| a.0.cmp(&b.0));
        // Counts per (action, outcome) are summed before becoming sources.
        let mut per_action: BTreeMap<(bool, String), (BTreeSet<String>, CallCount)> =
            BTreeMap::new();
        for (call, count) in calls {
            match call.outcome {
                Outcome::Failed => stats.failed_calls += count.count,
                Outcome::Denied => stats.denied_calls += count.count,
                Outcome::Succeeded => {}
            }
            let specs = match map_event(&call.event_source, &call.event_name) {
                Ok(specs) => specs,
                Err(reason) => {
                    *unmapped
                        .entry((call.event_source.clone(), call.event_name.clone(), reason))
                        .or_default() += count.count;
                    continue;
                }
            };
            for spec in &specs {
                let resources = resources_for(spec, &call);
                let e = per_action
                    .entry((call.outcome == Outcome::Denied, spec.action.clone()))
                    .or_insert_with(|| (BTreeSet::new(), CallCount { count: 0, ..count }));
                e.0.extend(resources);
                e.1.add(count);
            }
        }
        for ((is_denied, action), (resources, count)) in per_action {
            let source = Source::Trail {
                count: count.count,
                first_seen: Some(format_time(count.first)),
                last_seen: Some(format_time(count.last)),
            };
            let set = if is_denied { &mut denied } else { &mut needs };
            set.add(&action, resources, false, source);
        }
        TrailEvidence {
            needs,
            denied: denied.needs.into_values().collect::<Vec<Need>>(),
            unmapped: unmapped
                .into_iter()
                .map(
                    |((event_source, event_name, reason), count)| UnmappedEvent {
                        event_source,
                        event_name,
                        count,
                        reason: reason.to_string(),
                    },
                )
                .collect(),
            stats,
        }
    }
}

fn outcome_of(error_code: Option<&str>) -> Outcome {
    match error_code {
        None | Some("") => Outcome::Succeeded,
        Some(c) if is_access_denied(c) => Outcome::Denied,
        Some(_) => Outcome::Failed,
    }
}

/// The IAM actions behind an event, or why there are none.
pub fn map_event(event_source: &str, event_name: &str) -> Result<Vec<ActionSpec>, &'static str> {
    let table = actionmap::table();
    // Every service behind the source is tried: `GetRecords` on
    // `dynamodb.amazonaws.com` is DynamoDB Streams. Date-suffixed names of
    // old API versions (`Invoke20150331`) are resolved by the table.
    let (_, op) = table
        .operation_for_event(event_source, event_name)
        .ok_or_else(|| {
            if table.services_for_event_source(event_source).is_empty() {
                "unknown event source"
            } else {
                "unknown operation"
            }
        })?;
    match &op.mapping {
        Mapping::Permissionless => Err("needs no permission"),
        Mapping::Unresolved => Err("no IAM action known for this operation"),
        Mapping::Actions(specs) => {
            // Argument-dependent actions cannot be decided from the record
            // (CloudTrail does not log every argument), and optional ones
            // were not observed: only the unconditional actions are evidence.
            let specs: Vec<ActionSpec> = specs
                .iter()
                .filter(|s| s.if_arg.is_none() && !s.optional)
                .filter(|s| table.is_known_action(&s.action))
                .cloned()
                .collect();
            if specs.is_empty() {
                Err("no unconditional IAM action")
            } else {
                Ok(specs)
            }
        }
    }
}

fn resources_for(spec: &ActionSpec, call: &ObservedCall) -> BTreeSet<String> {
    if spec.resource_types.is_empty() {
        return BTreeSet::from(["*".to_string()]);
    }
    let table = actionmap::table();
    let prefix = spec.action.split(':').next().unwrap_or("");
    let formats: Vec<&str> = spec
        .resource_types
        .iter()
        .filter_map(|rt| table.arn_format(prefix, rt))
        .collect();
    let wanted = spec.role.as_deref();
    let pick = |tagged_only: bool| -> BTreeSet<String> {
        call.resources
            .iter()
            .filter(|r| match (wanted, r.role) {
                (Some(w), Some(have)) => have.as_table_role() == w,
                (Some(_), None) => !tagged_only,
                (None, _) => true,
            })
            .filter_map(|r| generalise(&formats, &r.arn))
            .collect()
    };
    let mut out = pick(true);
    if out.is_empty() && wanted.is_some() {
        out = pick(false);
    }
    if out.is_empty() {
        // Nothing in the record names the resource. An action whose resource
        // types are all optional in IAM's definition (cloudwatch:PutMetricData
        // and its `dataset`) is granted on "*"; otherwise the format with the
        // parts the record gives, the rest left as visible placeholders.
        let required = table.iam_action(&spec.action).map_or(Vec::new(), |a| {
            a.resource_types
                .iter()
                .filter(|(_, req)| *req)
                .filter_map(|(rt, _)| table.arn_format(prefix, rt))
                .collect::<Vec<&str>>()
        });
        match required.first().or(formats.first()) {
            Some(f) if !required.is_empty() => {
                out.insert(fill_known(f, call));
            }
            _ => {
                out.insert("*".to_string());
            }
        }
    }
    out
}

fn fill_known(format: &str, call: &ObservedCall) -> String {
    let mut s = format.replace("${Partition}", "aws");
    if !call.region.is_empty() {
        s = s.replace("${Region}", &call.region);
    }
    if !call.account.is_empty() {
        s = s.replace("${Account}", &call.account);
    }
    s
}

enum Tok<'a> {
    Lit(&'a str),
    Var(&'a str),
}

fn tokens(format: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            out.push(Tok::Lit(&rest[..start]));
        }
        match rest[start..].find('}') {
            Some(end) => {
                out.push(Tok::Var(&rest[start + 2..start + end]));
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push(Tok::Lit(&rest[start..]));
                rest = "";
            }
        }
    }
    if !rest.is_empty() {
        out.push(Tok::Lit(rest));
    }
    out
}

/// Matches `arn` against an IAM ARN format; placeholders match shortest
/// first and never span a `:`, except the last one, which takes the rest.
fn match_format<'a>(toks: &[Tok<'_>], arn: &'a str, caps: &mut Vec<&'a str>) -> bool {
    match toks.split_first() {
        None => arn.is_empty(),
        Some((Tok::Lit(l), rest)) => {
            arn.starts_with(l) && match_format(rest, &arn[l.len()..], caps)
        }
        Some((Tok::Var(_), rest)) => {
            if rest.is_empty() {
                caps.push(arn);
                return !arn.is_empty();
            }
            let limit = arn.find(':').unwrap_or(arn.len());
            for i in 0..=limit {
                if !arn.is_char_boundary(i) {
                    continue;
                }
                caps.push(&arn[..i]);
                if match_format(rest, &arn[i..], caps) {
                    return true;
                }
                caps.pop();
            }
            false
        }
    }
}

/// The ARN as the policy should name it, if it is one of `formats`: object
/// names become `*` (a policy names the bucket's objects, not each one).
/// The most specific format (most literal text) wins, so a DynamoDB index
/// ARN is an index, not a table whose name contains `/index/`.
pub fn generalise(formats: &[&str], arn: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for f in formats {
        let toks = tokens(f);
        let mut caps = Vec::new();
        if !match_format(&toks, arn, &mut caps) {
            continue;
        }
        let literal: usize = toks
            .iter()
            .map(|t| match t {
                Tok::Lit(l) => l.len(),
                Tok::Var(_) => 0,
            })
            .sum();
        let mut out = String::new();
        let mut ci = caps.iter();
        for t in &toks {
            match t {
                Tok::Lit(l) => out.push_str(l),
                Tok::Var(v) => {
                    let cap = ci.next().copied().unwrap_or("");
                    if *v == "ObjectName" {
                        out.push('*');
                    } else {
                        out.push_str(cap);
                    }
                }
            }
        }
        if best.as_ref().is_none_or(|(l, _)| literal > *l) {
            best = Some((literal, out));
        }
    }
    best.map(|(_, s)| s)
}

fn arn_or(value: &str, build: impl FnOnce(&str) -> String) -> String {
    if value.starts_with("arn:") {
        value.to_string()
    } else {
        build(value)
    }
}

/// `https://sqs.us-east-1.amazonaws.com/123456789012/queue` (and the legacy
/// `https://queue.amazonaws.com/...` and `https://us-east-1.queue.amazonaws.com/...`).
fn queue_arn(url: &str, region: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let account = parts.next()?;
    let name = parts.next()?;
    if account.is_empty() || name.is_empty() {
        return None;
    }
    let host_region = host
        .strip_prefix("sqs.")
        .and_then(|h| h.split_once('.').map(|(r, _)| r))
        .or_else(|| host.strip_suffix(".queue.amazonaws.com"))
        .unwrap_or(region);
    Some(format!("arn:aws:sqs:{host_region}:{account}:{name}"))
}

fn kms_arn(id: &str, region: &str, account: &str) -> String {
    arn_or(id, |id| {
        if id.starts_with("alias/") {
            format!("arn:aws:kms:{region}:{account}:{id}")
        } else {
            format!("arn:aws:kms:{region}:{account}:key/{id}")
        }
    })
}

/// The resources a record names: `resources[]`, then the request parameters
/// that name a resource of the record's own service.
fn record_resources(
    rec: &TrailRecord<'_>,
    source: &str,
    region: &str,
    account: &str,
) -> Vec<ObservedResource> {
    let mut out: BTreeSet<ObservedResource> = BTreeSet::new();
    let mut push = |arn: String, role: Option<ResourceRole>| {
        out.insert(ObservedResource { arn, role });
    };
    for r in rec.resources.0.iter().filter_map(|r| r.0.as_ref()) {
        if let Some(arn) = r.arn.get() {
            let arn = if r.kind.get() == Some("AWS::S3::Object") {
                s3_object_pattern(arn)
            } else {
                arn.to_string()
            };
            push(arn, None);
        }
    }
    let Some(p) = rec.request_parameters.0.as_ref() else {
        return out.into_iter().collect();
    };
    let service = source.strip_suffix(".amazonaws.com").unwrap_or(source);
    match service {
        "s3" => {
            if let Some(b) = p.bucket_name.get() {
                match p.key.get() {
                    Some(_) => push(format!("arn:aws:s3:::{b}/*"), None),
                    None => push(format!("arn:aws:s3:::{b}"), None),
                }
            }
        }
        "dynamodb" => {
            if let Some(t) = p.table_name.get() {
                let table = arn_or(t, |t| {
                    format!("arn:aws:dynamodb:{region}:{account}:table/{t}")
                });
                match p.index_name.get() {
                    Some(i) => push(format!("{table}/index/{i}"), None),
                    None => push(table, None),
                }
            }
        }
        "sqs" => {
            if let Some(arn) = p.queue_url.get().and_then(|u| queue_arn(u, region)) {
                push(arn, None);
            }
        }
        "lambda" => {
            if let Some(f) = p.function_name.get() {
                push(
                    arn_or(f, |f| {
                        format!("arn:aws:lambda:{region}:{account}:function:{f}")
                    }),
                    None,
                );
            }
        }
        "sns" => {
            for a in [p.topic_arn.get(), p.target_arn.get()]
                .into_iter()
                .flatten()
            {
                push(a.to_string(), None);
            }
        }
        "states" => {
            if let Some(a) = p.state_machine_arn.get() {
                push(a.to_string(), None);
            }
        }
        "secretsmanager" => {
            // A secret's ARN ends in six random characters the name lacks.
            if let Some(s) = p.secret_id.get() {
                push(
                    arn_or(s, |s| {
                        format!("arn:aws:secretsmanager:{region}:{account}:secret:{s}-??????")
                    }),
                    None,
                );
            }
        }
        "kms" => {
            if let Some(k) = p.key_id.get() {
                push(kms_arn(k, region, account), None);
            }
            if let Some(k) = p.source_key_id.get() {
                push(kms_arn(k, region, account), Some(ResourceRole::Source));
            }
            if let Some(k) = p.destination_key_id.get() {
                push(kms_arn(k, region, account), Some(ResourceRole::Destination));
            }
        }
        "ssm" => {
            let names = p
                .name
                .get()
                .into_iter()
                .chain(p.names.0.iter().filter_map(|n| n.get()));
            for n in names.chain(p.path.get()) {
                push(
                    arn_or(n, |n| {
                        format!(
                            "arn:aws:ssm:{region}:{account}:parameter/{}",
                            n.trim_start_matches('/')
                        )
                    }),
                    None,
                );
            }
        }
        "logs" => {
            if let Some(g) = p.log_group_name.get() {
                push(
                    format!("arn:aws:logs:{region}:{account}:log-group:{g}"),
                    None,
                );
            }
        }
        "kinesis" => {
            if let Some(s) = p.stream_name.get() {
                push(
                    format!("arn:aws:kinesis:{region}:{account}:stream/{s}"),
                    None,
                );
            }
        }
        "firehose" => {
            if let Some(s) = p.delivery_stream_name.get() {
                push(
                    format!("arn:aws:firehose:{region}:{account}:deliverystream/{s}"),
                    None,
                );
            }
        }
        "events" => {
            if let Some(b) = p.event_bus_name.get() {
                push(
                    arn_or(b, |b| {
                        format!("arn:aws:events:{region}:{account}:event-bus/{b}")
                    }),
                    None,
                );
            }
        }
        "bedrock" => {
            if let Some(m) = p.model_id.get() {
                push(
                    arn_or(m, |m| {
                        format!("arn:aws:bedrock:{region}::foundation-model/{m}")
                    }),
                    None,
                );
            }
        }
        "sts" => {
            if let Some(r) = p.role_arn.get() {
                push(r.to_string(), None);
            }
        }
        _ => {}
    }
    out.into_iter().collect()
}

/// `arn:aws:s3:::bucket/a/b.json` → `arn:aws:s3:::bucket/*`.
fn s3_object_pattern(arn: &str) -> String {
    match arn
        .strip_prefix("arn:aws:s3:::")
        .and_then(|r| r.split_once('/'))
    {
        Some((bucket, _)) => format!("arn:aws:s3:::{bucket}/*"),
        None => arn.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_suffixed_event_names_map() {
        let specs = map_event("lambda.amazonaws.com", "Invoke20150331").unwrap();
        assert_eq!(specs[0].action, "lambda:InvokeFunction");
        assert_eq!(
            map_event("nope.amazonaws.com", "X"),
            Err("unknown event source")
        );
        assert_eq!(
            map_event("s3.amazonaws.com", "NoSuchCall"),
            Err("unknown operation")
        );
    }

    #[test]
    fn formats_generalise_objects_and_prefer_specific_types() {
        let s3 = [
            "arn:${Partition}:s3:::${BucketName}",
            "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
        ];
        assert_eq!(
            generalise(&s3, "arn:aws:s3:::bucket/a/b.json").as_deref(),
            Some("arn:aws:s3:::bucket/*")
        );
        assert_eq!(
            generalise(&s3, "arn:aws:s3:::bucket").as_deref(),
            Some("arn:aws:s3:::bucket")
        );
        let ddb = [
            "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}",
            "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/index/${IndexName}",
        ];
        let idx = "arn:aws:dynamodb:eu-west-1:111122223333:table/T/index/I";
        assert_eq!(generalise(&ddb, idx).as_deref(), Some(idx));
        assert_eq!(generalise(&ddb, "arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn queue_urls_become_arns() {
        assert_eq!(
            queue_arn("https://sqs.eu-west-1.amazonaws.com/111122223333/jobs", "x").as_deref(),
            Some("arn:aws:sqs:eu-west-1:111122223333:jobs")
        );
        assert_eq!(
            queue_arn("https://queue.amazonaws.com/111122223333/jobs", "us-east-1").as_deref(),
            Some("arn:aws:sqs:us-east-1:111122223333:jobs")
        );
    }
}
