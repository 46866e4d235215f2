//! Reading `AWS::Serverless::Function` (with `Globals.Function` merged in
//! the way the SAM transform merges it) and `AWS::Lambda::Function`
//! resources into `FunctionContext`s, including their event sources.

use std::collections::BTreeMap;

use super::resolve::{Resolver, referenced_resource, text};
use super::role;
use super::sections::Resource;
use super::tvalue::{Entry, Node, TValue};
use super::{DeadLetter, EventSource, EventSourceKind, FunctionContext, KmsKey};
use crate::policy::current::CurrentPolicy;

pub const SAM_FUNCTION: &str = "AWS::Serverless::Function";
pub const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";

/// Every function of the template, in document order.
pub fn read_all(r: &mut Resolver, keys: &BTreeMap<String, KmsKey>) -> Vec<FunctionContext> {
    let t = r.t;
    let mut out = Vec::new();
    for id in &t.order {
        let Some(resource) = t.resources.get(id) else {
            continue;
        };
        let is_function = resource.kind == SAM_FUNCTION || resource.kind == LAMBDA_FUNCTION;
        if is_function && !r.exists(id) {
            let condition = resource.condition.clone().unwrap_or_default();
            r.warn(
                resource.line,
                format!("`{id}` is not created: its condition `{condition}` is false with these parameter values"),
            );
            continue;
        }
        match resource.kind.as_str() {
            SAM_FUNCTION => out.push(read_function(r, resource, true, keys)),
            LAMBDA_FUNCTION => out.push(read_function(r, resource, false, keys)),
            _ => {}
        }
    }
    out
}

/// SAM's globals rules: mappings merge key by key, lists are the globals'
/// items followed by the function's, anything else the function's value.
/// <https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html>
pub fn merge_globals(global: &TValue, local: &TValue) -> TValue {
    match (&global.node, &local.node) {
        (Node::Map(g), Node::Map(l)) => {
            let mut entries: Vec<Entry> = g.clone();
            for e in l {
                match entries.iter_mut().find(|x| x.key == e.key) {
                    Some(existing) => {
                        existing.value = merge_globals(&existing.value, &e.value);
                        existing.line = e.line;
                    }
                    None => entries.push(e.clone()),
                }
            }
            TValue::new(local.line, Node::Map(entries))
        }
        (Node::List(g), Node::List(l)) => {
            let mut items = g.clone();
            items.extend(l.iter().cloned());
            TValue::new(local.line, Node::List(items))
        }
        _ => local.clone(),
    }
}

fn read_function(
    r: &mut Resolver,
    resource: &Resource,
    sam: bool,
    keys: &BTreeMap<String, KmsKey>,
) -> FunctionContext {
    let id = resource.id.as_str();
    let props = match (&r.t.function_globals, sam) {
        (Some(g), true) => merge_globals(g, &resource.properties),
        _ => resource.properties.clone(),
    };
    let function_name = props
        .get("FunctionName")
        .and_then(|v| r.resolve_text(v, "FunctionName"));
    let handler = props
        .get("Handler")
        .and_then(|v| r.resolve_text(v, "Handler"));
    let runtime = props
        .get("Runtime")
        .and_then(|v| r.resolve_text(v, "Runtime"));
    let code_uri = if sam {
        props
            .get("CodeUri")
            .and_then(|v| code_location(r, v, "Bucket", "Key"))
    } else {
        props
            .get("Code")
            .and_then(|v| code_location(r, v, "S3Bucket", "S3Key"))
    };
    let env = environment(r, &props);

    let (tracing_active, tracing_line) = if sam {
        match props.entry("Tracing") {
            Some(e) => (
                r.resolve_text(&e.value, "Tracing").as_deref() == Some("Active"),
                Some(e.line),
            ),
            None => (false, None),
        }
    } else {
        match props.get("TracingConfig").and_then(|t| t.entry("Mode")) {
            Some(e) => (
                r.resolve_text(&e.value, "TracingConfig.Mode").as_deref() == Some("Active"),
                Some(e.line),
            ),
            None => (false, None),
        }
    };

    let (in_vpc, vpc_line) = match props.entry("VpcConfig") {
        Some(e) => (vpc_attached(r, &e.value), Some(e.line)),
        None => (false, None),
    };

    let log_group = props
        .get("LoggingConfig")
        .and_then(|l| l.get("LogGroup"))
        .and_then(|v| r.resolve_text(v, "LoggingConfig.LogGroup"))
        .unwrap_or_else(|| match &function_name {
            Some(name) => format!("/aws/lambda/{name}"),
            None => format!("/aws/lambda/${{{id}}}"),
        });

    let dead_letter = dead_letter(r, &props, sam);

    let mut event_sources = if sam {
        sam_events(r, &props)
    } else {
        Vec::new()
    };
    event_sources.extend(event_source_mappings(r, id, function_name.as_deref()));
    for e in &mut event_sources {
        e.kms_key = e
            .target
            .as_ref()
            .and_then(|t| keys.get(t))
            .map(|k| k.key_arn.clone());
    }

    let mut ctx = FunctionContext {
        logical_id: id.to_string(),
        resource_type: resource.kind.clone(),
        file: r.t.file.clone(),
        line: resource.line,
        function_name,
        code_uri,
        handler,
        runtime,
        env,
        tracing_active,
        tracing_line,
        in_vpc,
        vpc_line,
        log_group,
        dead_letter,
        event_sources,
        current_policy: CurrentPolicy::default(),
    };
    ctx.current_policy = role::current_policy(r, &ctx, &props, sam);
    ctx
}

/// SAM `DeadLetterQueue {Type, TargetArn}` / Lambda `DeadLetterConfig
/// {TargetArn}`. A topic is told by SAM's `Type`, else by the target: an SNS
/// ARN or a template `AWS::SNS::Topic`.
fn dead_letter(r: &mut Resolver, props: &TValue, sam: bool) -> Option<DeadLetter> {
    let (key, field) = if sam {
        ("DeadLetterQueue", "DeadLetterQueue.TargetArn")
    } else {
        ("DeadLetterConfig", "DeadLetterConfig.TargetArn")
    };
    let e = props.entry(key)?;
    let target_value = e.value.get("TargetArn")?;
    let target = r.resolve_text(target_value, field)?;
    let declared = e
        .value
        .get("Type")
        .and_then(|t| r.resolve_text(t, "DeadLetterQueue.Type"));
    let in_template = referenced_resource(target_value)
        .and_then(|id| r.t.resources.get(id))
        .map(|res| res.kind.as_str());
    let topic = match declared.as_deref() {
        Some(t) => t.eq_ignore_ascii_case("SNS"),
        None => target.starts_with("arn:aws:sns:") || in_template == Some("AWS::SNS::Topic"),
    };
    Some(DeadLetter {
        target,
        line: e.line,
        topic,
    })
}

/// `CodeUri: path` / `Code: {S3Bucket, S3Key}`; inline code has no location.
fn code_location(r: &mut Resolver, v: &TValue, bucket: &str, key: &str) -> Option<String> {
    if v.as_map().is_some() {
        let b = v.get(bucket).and_then(|b| r.resolve_text(b, bucket))?;
        let k = v
            .get(key)
            .and_then(|k| r.resolve_text(k, key))
            .unwrap_or_default();
        return Some(format!("s3://{b}/{k}"));
    }
    r.resolve_text(v, "CodeUri")
}

fn environment(r: &mut Resolver, props: &TValue) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let Some(vars) = props.get("Environment").and_then(|e| e.get("Variables")) else {
        return env;
    };
    let Some(entries) = vars.as_map() else {
        r.warn(
            vars.line,
            format!(
                "`Environment.Variables` should be a mapping, found {}",
                vars.kind()
            ),
        );
        return env;
    };
    for e in entries {
        if let Some(value) = r.resolve_text(&e.value, &e.key) {
            env.insert(e.key.clone(), value);
        }
    }
    env
}

/// A `VpcConfig` puts the function in a VPC unless it resolves to nothing
/// (`!Ref AWS::NoValue`, an `!If` that picks it) or lists no subnets.
fn vpc_attached(r: &mut Resolver, v: &TValue) -> bool {
    match r.resolve(v) {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Object(m)) => match m.get("SubnetIds") {
            Some(serde_json::Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
            None => !m.is_empty(),
        },
        Some(_) => true,
    }
}

fn sam_events(r: &mut Resolver, props: &TValue) -> Vec<EventSource> {
    let mut out = Vec::new();
    let Some(events) = props.get("Events") else {
        return out;
    };
    let Some(entries) = events.as_map() else {
        r.warn(
            events.line,
            format!("`Events` should be a mapping, found {}", events.kind()),
        );
        return out;
    };
    for e in entries {
        let kind_text = e
            .value
            .get("Type")
            .and_then(|t| r.resolve_text(t, "Type"))
            .unwrap_or_default();
        let p = e
            .value
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| TValue::new(e.line, Node::Map(Vec::new())));
        let field = |r: &mut Resolver, key: &str| p.get(key).and_then(|v| r.resolve_text(v, key));
        let (kind, target) = match kind_text.as_str() {
            "SQS" => {
                let queue = field(r, "Queue").map(|q| match queue_arn_from_url(&q) {
                    Some(arn) => {
                        r.warn(
                            e.line,
                            format!(
                                "event `{}`: `Queue` should be the queue ARN, not its URL",
                                e.key
                            ),
                        );
                        arn
                    }
                    None => q,
                });
                (EventSourceKind::Sqs, queue)
            }
            "Kinesis" => (EventSourceKind::Kinesis, field(r, "Stream")),
            "DynamoDB" => (EventSourceKind::DynamoDb, field(r, "Stream")),
            "MSK" => (EventSourceKind::Msk, field(r, "Stream")),
            "S3" => (EventSourceKind::S3, field(r, "Bucket")),
            "SNS" => (EventSourceKind::Sns, field(r, "Topic")),
            "Schedule" | "ScheduleV2" => (EventSourceKind::Schedule, field(r, "Schedule")),
            "CloudWatchEvent" | "EventBridgeRule" => {
                (EventSourceKind::EventBridge, field(r, "EventBusName"))
            }
            "Api" | "HttpApi" => {
                let method = field(r, "Method").map(|m| m.to_uppercase());
                let path = field(r, "Path");
                let target = match (method, path) {
                    (Some(m), Some(p)) => Some(format!("{m} {p}")),
                    (None, Some(p)) => Some(p),
                    _ => None,
                };
                let kind = if kind_text == "Api" {
                    EventSourceKind::Api
                } else {
                    EventSourceKind::HttpApi
                };
                (kind, target)
            }
            "" => {
                r.warn(e.line, format!("event `{}` has no `Type`", e.key));
                (EventSourceKind::Other(String::new()), None)
            }
            other => (EventSourceKind::Other(other.to_string()), None),
        };
        out.push(EventSource {
            name: e.key.clone(),
            kind,
            target,
            line: e.line,
            sam_event: true,
            kms_key: None,
        });
    }
    out
}

/// `AWS::Lambda::EventSourceMapping` resources whose `FunctionName` points at
/// this function by `!Ref`, `!GetAtt`, name or ARN.
fn event_source_mappings(r: &mut Resolver, id: &str, name: Option<&str>) -> Vec<EventSource> {
    let t = r.t;
    let mut out = Vec::new();
    for mid in &t.event_source_mappings {
        let Some(m) = t.resources.get(mid) else {
            continue;
        };
        if !r.exists(mid) {
            continue;
        }
        let Some(target_fn) = m.prop("FunctionName") else {
            continue;
        };
        let points_here = match referenced_resource(target_fn) {
            Some(rid) => rid == id,
            None => match (r.resolve(target_fn).as_ref().and_then(text), name) {
                (Some(s), Some(n)) => s == n || s.ends_with(&format!(":function:{n}")),
                _ => false,
            },
        };
        if !points_here {
            continue;
        }
        let arn = m
            .prop("EventSourceArn")
            .and_then(|v| r.resolve_text(v, "EventSourceArn"));
        let kind = match arn.as_deref() {
            Some(a) if a.starts_with("arn:aws:sqs:") => EventSourceKind::Sqs,
            Some(a) if a.starts_with("arn:aws:kinesis:") => EventSourceKind::Kinesis,
            Some(a) if a.starts_with("arn:aws:dynamodb:") => EventSourceKind::DynamoDb,
            Some(a) if a.starts_with("arn:aws:kafka:") => EventSourceKind::Msk,
            _ => EventSourceKind::Other("EventSourceMapping".to_string()),
        };
        out.push(EventSource {
            name: mid.clone(),
            kind,
            target: arn,
            line: m.line,
            sam_event: false,
            kms_key: None,
        });
    }
    out
}

/// `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` -> the queue ARN.
fn queue_arn_from_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://sqs.")?;
    let (region, rest) = rest.split_once(".amazonaws.com/")?;
    let (account, name) = rest.split_once('/')?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globals_merge_maps_append_lists_and_let_the_function_win() {
        let global = TValue::parse(
            "Timeout: 3\nLayers: [g1]\nEnvironment:\n  Variables: {A: g, B: g}\nTracing: Active\n",
        )
        .expect("globals");
        let local = TValue::parse(
            "Timeout: 30\nLayers: [f1]\nEnvironment:\n  Variables: {B: f, C: f}\nTracing: !Ref AWS::NoValue\n",
        )
        .expect("function");
        let merged = merge_globals(&global, &local);
        assert_eq!(merged.get("Timeout").map(|v| &v.node), Some(&Node::Int(30)));
        let layers: Vec<&str> = merged
            .get("Layers")
            .and_then(TValue::as_list)
            .map(|l| l.iter().filter_map(TValue::as_str).collect())
            .unwrap_or_default();
        assert_eq!(layers, ["g1", "f1"]);
        let vars: Vec<(&str, &str)> = merged
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(TValue::as_map)
            .map(|m| {
                m.iter()
                    .map(|e| (e.key.as_str(), e.value.as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(vars, [("A", "g"), ("B", "f"), ("C", "f")]);
        assert_eq!(
            merged.get("Tracing").map(|v| &v.node),
            Some(&Node::Ref("AWS::NoValue".into()))
        );
    }

    #[test]
    fn queue_urls_become_arns() {
        assert_eq!(
            queue_arn_from_url("https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/jobs")
                .as_deref(),
            Some("arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:jobs")
        );
        assert_eq!(queue_arn_from_url("arn:aws:sqs:r:a:jobs"), None);
        assert_eq!(queue_arn_from_url("https://sqs.r.amazonaws.com/a/"), None);
    }
}
