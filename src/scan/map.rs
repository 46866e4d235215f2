//! Map: an `SdkCall` becomes IAM actions on resource ARNs, through the
//! bundled table. ARNs come from the table's IAM ARN formats, filled from the
//! call's arguments; what cannot be known becomes `*` inside the ARN. Only
//! actions with no resource type get a bare `"*"`.

use std::collections::{BTreeMap, BTreeSet};

use super::interp::{OpRef, SdkCall};
use super::value::{Piece, SVal, ValSet, Value, strings};
use crate::actionmap::{ActionSpec, ArgCondition, Mapping, Operation, table};

pub struct Mapped {
    pub action: String,
    pub resources: BTreeSet<String>,
    pub optional: bool,
}

/// A call's needs, and what else it needs that its arguments cannot name
/// (the operation's caveat), for a warning at the call.
pub struct MappedCall {
    pub needs: Vec<Mapped>,
    pub caveat: Option<&'static str>,
}

pub struct MapContext<'a> {
    pub region: Option<&'a str>,
    pub account: Option<&'a str>,
    pub env: &'a BTreeMap<String, String>,
}

/// Maps one call. `Err` carries the reason it cannot be mapped (unknown
/// service or method, or an operation with no IAM action): reported as
/// unresolved, never guessed.
pub fn map_call(call: &SdkCall, cx: &MapContext) -> Result<MappedCall, String> {
    let svc = table()
        .service(&call.sdk.svc)
        .ok_or_else(|| format!("unknown boto3 service `{}`", call.sdk.svc))?;
    let op: Option<&Operation> = match &call.op {
        OpRef::Method(m) => svc.operation_by_method(m).or_else(|| svc.paginator(m)),
        OpRef::Operation(o) => svc.operation(o),
        OpRef::Waiter(w) => svc.waiter(w),
    };
    let op = op.ok_or_else(|| {
        format!(
            "`{}` is not an operation of boto3 service `{}`",
            call.display, call.sdk.svc
        )
    })?;
    let specs = match &op.mapping {
        Mapping::Permissionless => {
            return Ok(MappedCall {
                needs: vec![],
                caveat: op.caveat.as_deref(),
            });
        }
        Mapping::Unresolved => {
            return Err(format!(
                "no IAM action is known for {}:{}",
                svc.iam_prefix, op.name
            ));
        }
        Mapping::Actions(specs) => specs,
    };
    // Known environment values (from a template or --env) become literals
    // before the ARN is built, so a queue URL from the environment still
    // yields its queue name.
    let resolved;
    let call = if cx.env.is_empty() {
        call
    } else {
        resolved = SdkCall {
            args: call
                .args
                .iter()
                .map(|(k, v)| (k.clone(), resolve_set(v, cx.env, 0)))
                .collect(),
            ..call.clone()
        };
        &resolved
    };
    let mut out = Vec::new();
    for spec in specs {
        match applies(spec, &call.args) {
            Applies::Yes => {}
            Applies::No => continue,
            Applies::Unknown => {
                return Err(format!(
                    "{}: the statement is not known statically, so neither is the action",
                    call.display
                ));
            }
        }
        let resources = resources_for(spec, call, &op.name, cx);
        out.push(Mapped {
            action: spec.action.clone(),
            resources,
            optional: spec.optional,
        });
    }
    Ok(MappedCall {
        needs: out,
        caveat: op.caveat.as_deref(),
    })
}

fn resolve_set(v: &ValSet, env: &BTreeMap<String, String>, depth: usize) -> ValSet {
    if depth > 8 {
        return v.clone();
    }
    v.iter()
        .map(|x| match x {
            Value::Str(s) => Value::Str(SVal(
                s.0.iter()
                    .fold(SVal::default(), |mut acc, p| {
                        match p {
                            Piece::Env(e) => match env.get(e) {
                                Some(val) => acc.push(Piece::Lit(val.clone())),
                                None => acc.push(p.clone()),
                            },
                            other => acc.push(other.clone()),
                        }
                        acc
                    })
                    .0,
            )),
            Value::Dict(d) => Value::Dict(
                d.iter()
                    .map(|(k, vv)| (k.clone(), resolve_set(vv, env, depth + 1)))
                    .collect(),
            ),
            Value::List(l) => {
                Value::List(l.iter().map(|vv| resolve_set(vv, env, depth + 1)).collect())
            }
            other => other.clone(),
        })
        .collect()
}

fn present(v: &ValSet) -> bool {
    !v.iter()
        .all(|x| matches!(x, Value::Bool(false) | Value::NoneV))
}

enum Applies {
    Yes,
    No,
    /// Depends on text that is not known statically (a PartiQL statement
    /// built at run time).
    Unknown,
}

fn applies(spec: &ActionSpec, args: &BTreeMap<String, ValSet>) -> Applies {
    if let Some(u) = &spec.unless_arg
        && args.get(u).map(present).unwrap_or(false)
    {
        return Applies::No;
    }
    let yes = |b: bool| if b { Applies::Yes } else { Applies::No };
    match spec.if_condition() {
        None => Applies::Yes,
        Some(ArgCondition::Present(a)) => yes(args.get(a).map(present).unwrap_or(false)),
        Some(ArgCondition::ItemKind { list, kind }) => {
            yes(!items_of_kind(args.get(list), kind).is_empty())
        }
        Some(ArgCondition::StartsWith { list, arg, keyword }) => {
            let mut texts: Vec<SVal> = Vec::new();
            match list {
                Some(l) => {
                    for v in args.get(l).into_iter().flatten() {
                        if let Value::List(items) = v {
                            for it in items.iter().flatten() {
                                if let Value::Dict(d) = it {
                                    texts.extend(d.get(arg).map(strings).unwrap_or_default());
                                }
                            }
                        }
                    }
                }
                None => texts.extend(args.get(arg).map(strings).unwrap_or_default()),
            }
            let mut unknown = false;
            for t in &texts {
                match t.0.first() {
                    Some(Piece::Lit(l)) if !l.trim().is_empty() => {
                        if ArgCondition::keyword_matches(keyword, l) {
                            return Applies::Yes;
                        }
                    }
                    _ => unknown = true,
                }
            }
            if unknown || texts.is_empty() {
                Applies::Unknown
            } else {
                Applies::No
            }
        }
    }
}

/// DynamoDB transactions: the dicts under `TransactItems[].Put` etc.
fn items_of_kind(list: Option<&ValSet>, kind: &str) -> Vec<BTreeMap<String, ValSet>> {
    let mut out = Vec::new();
    for v in list.into_iter().flatten() {
        if let Value::List(items) = v {
            for it in items.iter().flatten() {
                if let Value::Dict(d) = it
                    && let Some(inner) = d.get(kind)
                {
                    for x in inner {
                        if let Value::Dict(m) = x {
                            out.push(m.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

fn resources_for(
    spec: &ActionSpec,
    call: &SdkCall,
    op_name: &str,
    cx: &MapContext,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if spec.resource_types.is_empty() {
        out.insert("*".to_string());
        return out;
    }
    let prefix = spec.action.split(':').next().unwrap_or("");
    // Argument sets: transactions scope each action to its items' tables.
    let arg_sets: Vec<BTreeMap<String, ValSet>> = match spec.if_condition() {
        Some(ArgCondition::ItemKind { list, kind }) => items_of_kind(call.args.get(list), kind),
        _ => vec![call.args.clone()],
    };
    let iam = table().iam_action(&spec.action);
    // Optional resource types of the action that the operation's spec does
    // not list (a Redshift `dbname` when `DbName` is passed, an SES
    // configuration set): added when the call names them.
    let extra: Vec<String> = iam
        .map(|a| {
            a.resource_types
                .iter()
                .filter(|(t, required)| !required && !spec.resource_types.contains(t))
                .map(|(t, _)| t.clone())
                .collect()
        })
        .unwrap_or_default();
    let none_required = iam
        .map(|a| a.resource_types.iter().all(|(_, required)| !required))
        .unwrap_or(false);
    for args in &arg_sets {
        let mut candidates: Vec<Filled> = Vec::new();
        for rt in &spec.resource_types {
            let Some(fmt) = table().arn_format(prefix, rt) else {
                continue;
            };
            candidates.push(fill(fmt, prefix, rt, args, spec, call, op_name, cx));
        }
        if candidates.is_empty() {
            out.insert("*".to_string());
            continue;
        }
        // An action whose resource types are all optional (PutMetricData's
        // OTLP datasets) is granted on "*" unless the call names one.
        if none_required && candidates.iter().all(|c| c.named.is_empty()) {
            out.insert("*".to_string());
            continue;
        }
        // Several resource types (a DynamoDB table or its index): keep the
        // most specific one the arguments name.
        // Score: placeholders the call names, then fewest left unknown.
        let score = |c: &Filled| (c.named.len(), usize::MAX - c.unfilled());
        let best = candidates.iter().map(score).max().unwrap_or((0, 0));
        // Glue's Data Catalog is a hierarchy: a request on a table is
        // authorised on the catalog, on its database and on the table, and
        // the policy must allow each of them.
        let hierarchy = prefix == "glue"
            && spec
                .resource_types
                .iter()
                .all(|t| GLUE_CATALOG_TYPES.contains(&t.as_str()));
        if hierarchy {
            for c in &candidates {
                out.extend(c.arns.iter().cloned());
            }
        } else if spec.resource_types.len() > 1 && best.0 > 0 {
            for c in candidates.iter().filter(|c| score(c) == best) {
                out.extend(c.arns.iter().cloned());
            }
        } else {
            out.extend(candidates[0].arns.iter().cloned());
        }
        let base: BTreeSet<&String> = candidates
            .iter()
            .flat_map(|c| c.placeholders.iter())
            .collect();
        for rt in &extra {
            let Some(fmt) = table().arn_format(prefix, rt) else {
                continue;
            };
            let f = fill(fmt, prefix, rt, args, spec, call, op_name, cx);
            if f.named.iter().any(|p| !base.contains(p)) && !f.whole {
                out.extend(f.arns);
            }
        }
    }
    if out.is_empty() {
        out.insert("*".to_string());
    }
    out
}

/// Glue Data Catalog resource types, each level of which a request on a
/// lower level is also authorised on.
/// <https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html>
const GLUE_CATALOG_TYPES: &[&str] = &[
    "rootcatalog",
    "catalog",
    "database",
    "table",
    "tableversion",
    "userdefinedfunction",
    "connection",
];

/// Fills an ARN format; returns how many resource-specific placeholders
/// came from arguments, and the ARNs.
#[allow(clippy::too_many_arguments)]
fn fill(
    fmt: &str,
    prefix: &str,
    rt: &str,
    args: &BTreeMap<String, ValSet>,
    spec: &ActionSpec,
    call: &SdkCall,
    op_name: &str,
    cx: &MapContext,
) -> Filled {
    let region = call
        .sdk
        .region
        .as_deref()
        .or(cx.region)
        .unwrap_or("${AWS::Region}")
        .to_string();
    let account = cx.account.unwrap_or("${AWS::AccountId}").to_string();
    // An argument that names the whole resource (`RoleArn` for a role,
    // `stateMachineArn`) wins over piecing the format together.
    let rt_key = format!("{}arn", rt.replace(['-', '_'], "").to_ascii_lowercase());
    if let Some((k, v)) = args.iter().find(|(k, _)| k.to_ascii_lowercase() == rt_key) {
        return Filled {
            named: vec![k.clone()],
            placeholders: vec![],
            whole: true,
            arns: flat_strings(v)
                .iter()
                .map(|s| render(s, cx.env, false))
                .collect(),
        };
    }
    let mut results: Vec<String> = vec![String::new()];
    let mut named: Vec<String> = Vec::new();
    let mut placeholders: Vec<String> = Vec::new();
    let mut rest = fmt;
    while let Some(start) = rest.find("${") {
        let lit = &rest[..start];
        results.iter_mut().for_each(|r| r.push_str(lit));
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let ph = &rest[start + 2..start + end];
        rest = &rest[start + end + 1..];
        placeholders.push(ph.to_string());
        let vals: Vec<String> = match ph {
            "Partition" => vec!["aws".into()],
            "Region" => vec![region.clone()],
            "Account" | "AccountId" => vec![account.clone()],
            _ => match arg_for(ph, prefix, rt, args, spec, op_name) {
                Some(ArgVal::Whole(v)) => {
                    named.push(ph.to_string());
                    return Filled {
                        named,
                        placeholders,
                        whole: true,
                        arns: v.iter().map(|s| render(s, cx.env, false)).collect(),
                    };
                }
                Some(ArgVal::Part(v)) => {
                    named.push(ph.to_string());
                    let key_like = matches!(ph, "ObjectName" | "ParameterNameWithoutLeadingSlash");
                    v.iter().map(|s| render(s, cx.env, key_like)).collect()
                }
                None => vec!["*".into()],
            },
        };
        let mut next = Vec::new();
        for r in &results {
            for v in &vals {
                next.push(format!("{r}{v}"));
            }
        }
        results = next;
    }
    results.iter_mut().for_each(|r| r.push_str(rest));
    // "arn:...:secret:NAME" needs the random suffix Secrets Manager adds.
    if prefix == "secretsmanager" && rt.eq_ignore_ascii_case("secret") && !named.is_empty() {
        for r in results.iter_mut() {
            if !r.ends_with('*') && !r.ends_with("-??????") {
                r.push_str("-??????");
            }
        }
    }
    Filled {
        named,
        placeholders,
        whole: false,
        arns: results,
    }
}

impl Filled {
    fn unfilled(&self) -> usize {
        self.placeholders
            .iter()
            .filter(|p| !matches!(p.as_str(), "Partition" | "Region" | "Account" | "AccountId"))
            .filter(|p| !self.named.contains(p))
            .count()
    }
}

struct Filled {
    /// Placeholders filled from the call's arguments.
    named: Vec<String>,
    /// Every placeholder of the format.
    placeholders: Vec<String>,
    /// An argument gave the whole ARN.
    whole: bool,
    arns: Vec<String>,
}

enum ArgVal {
    /// The argument is the whole ARN.
    Whole(Vec<SVal>),
    /// The argument fills this placeholder.
    Part(Vec<SVal>),
}

/// Which call argument fills an ARN placeholder.
fn arg_for(
    ph: &str,
    prefix: &str,
    rt: &str,
    args: &BTreeMap<String, ValSet>,
    spec: &ActionSpec,
    op_name: &str,
) -> Option<ArgVal> {
    let base = ph
        .strip_suffix("Name")
        .or_else(|| ph.strip_suffix("Id"))
        .unwrap_or(ph);
    let mut names: Vec<String> = vec![
        ph.to_string(),
        base.to_string(),
        format!("{base}Name"),
        format!("{base}Id"),
        format!("{base}Arn"),
        format!("{base}Url"),
        format!("{base}Identifier"),
    ];
    let special: &[&str] = match (prefix, ph) {
        ("s3", "ObjectName") => &["Key"],
        ("s3", "BucketName") => &["Bucket"],
        ("sqs", "QueueName") => &["QueueUrl", "QueueName"],
        ("ssm", "ParameterNameWithoutLeadingSlash") => &["Name", "Names", "Path"],
        ("kms", "KeyId") => match spec.role.as_deref() {
            Some("source") => &["SourceKeyId"],
            Some("destination") => &["DestinationKeyId"],
            _ => &["KeyId"],
        },
        ("bedrock", _) => &["modelId"],
        ("states", _) => &["stateMachineArn", "executionArn", "activityArn"],
        ("events", "EventBusName") => &["EventBusName"],
        ("ses", "IdentityName") => &[
            "FromEmailAddressIdentityArn",
            "FromEmailAddress",
            "Source",
            "EmailIdentity",
        ],
        ("execute-api", _) => &[],
        // The Data API names its cluster and secret by ARN.
        ("rds-data", _) => &["resourceArn"],
        ("secretsmanager", "SecretId") => &["SecretId", "secretArn"],
        // Glue names a table or database `Name` in the call that is about
        // it (`get_table(DatabaseName=..., Name=...)`, `get_database(Name=...)`);
        // Athena names the database in `QueryExecutionContext.Database`.
        ("glue", "DatabaseName") => &["DatabaseName", "Name", "Database"],
        ("glue", "TableName") => &["TableName", "Name"],
        _ => &[],
    };
    if prefix == "kms" {
        // Only key arguments name a KMS key: an S3 `Key` is an object key,
        // and the implicit KMS needs of other services name no key at all.
        names = special
            .iter()
            .map(|s| s.to_string())
            .chain(
                ["SSEKMSKeyId", "KmsKeyId", "KMSKeyId"]
                    .iter()
                    .map(|s| s.to_string()),
            )
            .collect();
    } else if !special.is_empty() {
        names = special.iter().map(|s| s.to_string()).chain(names).collect();
    }
    if prefix == "execute-api" {
        let method = match op_name {
            "PostToConnection" => "POST",
            "DeleteConnection" => "DELETE",
            "GetConnection" => "GET",
            _ => "*",
        };
        return match ph {
            "Method" => Some(ArgVal::Part(vec![SVal::lit(method)])),
            "ApiSpecificResourcePath" => Some(ArgVal::Part(vec![SVal::lit("@connections/*")])),
            _ => None,
        };
    }
    // A copy's source object (CopySource) and an Athena query's results
    // (its output location) are named by a bucket and a key only: neither
    // fills an access point's name.
    let copy_source = prefix == "s3" && spec.role.as_deref() == Some("source");
    let athena_results = prefix == "s3" && op_name == "StartQueryExecution";
    if (copy_source || athena_results) && ph != "BucketName" && ph != "ObjectName" {
        return None;
    }
    if copy_source {
        let cs = args.get("CopySource")?;
        let mut out = Vec::new();
        for v in cs {
            match v {
                Value::Dict(d) => {
                    let key = if ph == "BucketName" { "Bucket" } else { "Key" };
                    out.extend(
                        d.get(key)
                            .map(strings)
                            .unwrap_or_else(|| vec![SVal::unknown()]),
                    );
                }
                Value::Str(s) => {
                    // "bucket/key": split on the first literal slash.
                    out.push(split_copy_source(s, ph == "BucketName"));
                }
                _ => out.push(SVal::unknown()),
            }
        }
        return Some(ArgVal::Part(out));
    }
    // Athena writes a query's results under its output location
    // (`ResultConfiguration.OutputLocation`, `s3://bucket/prefix/`).
    if athena_results {
        let loc = args
            .get("ResultConfiguration")
            .and_then(|v| find_nested(v, &["OutputLocation".to_string()], 0))?;
        let parts = loc
            .iter()
            .map(|u| s3_url_part(u, ph == "BucketName"))
            .collect();
        return Some(ArgVal::Part(parts));
    }
    // An S3 copy's destination is Bucket/Key, like any other call's.
    for n in &names {
        let Some((arg_name, v)) = find_arg(args, n) else {
            continue;
        };
        let vals = flat_strings(v);
        // A queue URL names the queue's region and account: a queue in
        // another account or region is granted there, not in the function's.
        if prefix == "sqs"
            && arg_name == "QueueUrl"
            && !vals.is_empty()
            && let Some(arns) = vals.iter().map(sqs_queue_arn).collect::<Option<Vec<_>>>()
        {
            return Some(ArgVal::Whole(arns));
        }
        let whole = vals.iter().all(|s| looks_like_arn(s, &arg_name));
        if whole && !vals.is_empty() {
            return Some(ArgVal::Whole(vals));
        }
        let vals: Vec<SVal> = vals
            .into_iter()
            .map(|s| match (prefix, ph, arg_name.as_str()) {
                ("sqs", _, "QueueUrl") => last_segment(&s),
                ("ssm", _, _) => strip_leading_slash(&s),
                ("ses", "IdentityName", "FromEmailAddress" | "Source") => email_domain(&s),
                _ => s,
            })
            .collect();
        let _ = rt;
        return Some(ArgVal::Part(vals));
    }
    // PartiQL names its table in the statement text.
    if prefix == "dynamodb"
        && ph == "TableName"
        && let Some((_, st)) = find_arg(args, "Statement")
    {
        let tables: Vec<SVal> = strings(st)
            .iter()
            .map(|s| {
                s.as_lit()
                    .and_then(|t| partiql_table(&t))
                    .map(|t| SVal::lit(&t))
                    .unwrap_or_else(SVal::unknown)
            })
            .collect();
        return Some(ArgVal::Part(tables));
    }
    // Nested arguments (`Entries[].EventBusName`).
    for v in args.values() {
        if let Some(found) = find_nested(v, &names, 0) {
            return Some(ArgVal::Part(found));
        }
    }
    if prefix == "events" && ph == "EventBusName" {
        return Some(ArgVal::Part(vec![SVal::lit("default")]));
    }
    // A query started without a WorkGroup runs in the primary workgroup.
    if prefix == "athena" && ph == "WorkGroupName" && op_name == "StartQueryExecution" {
        return Some(ArgVal::Part(vec![SVal::lit("primary")]));
    }
    None
}

/// The table a PartiQL statement works on: the name after FROM, INTO or
/// UPDATE (`SELECT * FROM "orders"."by-date"` is table `orders`).
fn partiql_table(statement: &str) -> Option<String> {
    let upper = statement.to_ascii_uppercase();
    let at = ["FROM", "INTO", "UPDATE"]
        .iter()
        .filter_map(|k| {
            upper.match_indices(k).find(|(i, _)| {
                let before = upper[..*i].chars().next_back();
                let after = upper[i + k.len()..].chars().next();
                before.is_none_or(|c| c.is_whitespace()) && after.is_some_and(|c| c.is_whitespace())
            })
        })
        .map(|(i, k)| i + k.len())
        .min()?;
    let rest = statement[at..].trim_start();
    let name: String = if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next()?.to_string()
    } else {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect::<String>()
            .split('.')
            .next()?
            .to_string()
    };
    if name.is_empty() { None } else { Some(name) }
}

fn find_arg<'a>(args: &'a BTreeMap<String, ValSet>, name: &str) -> Option<(String, &'a ValSet)> {
    args.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(k, v)| (k.clone(), v))
}

fn find_nested(v: &ValSet, names: &[String], depth: usize) -> Option<Vec<SVal>> {
    if depth > 4 {
        return None;
    }
    for x in v {
        match x {
            Value::Dict(d) => {
                for n in names {
                    if let Some((_, vv)) = find_arg(d, n) {
                        return Some(flat_strings(vv));
                    }
                }
                for vv in d.values() {
                    if let Some(f) = find_nested(vv, names, depth + 1) {
                        return Some(f);
                    }
                }
            }
            Value::List(items) => {
                for it in items {
                    if let Some(f) = find_nested(it, names, depth + 1) {
                        return Some(f);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Strings of a value set, looking into lists (`Names=[a, b]`).
fn flat_strings(v: &ValSet) -> Vec<SVal> {
    let mut out = Vec::new();
    let mut plain = ValSet::new();
    for x in v {
        match x {
            Value::List(items) => {
                for it in items {
                    for s in flat_strings(it) {
                        if !out.contains(&s) {
                            out.push(s);
                        }
                    }
                }
            }
            other => {
                plain.insert(other.clone());
            }
        }
    }
    if !plain.is_empty() || out.is_empty() {
        for s in strings(&plain) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// A value is a whole ARN when it starts with `arn:`, or when it is one
/// environment variable passed to an `...Arn` argument or named like one.
fn looks_like_arn(s: &SVal, arg_name: &str) -> bool {
    if let Some(Piece::Lit(l)) = s.0.first()
        && l.starts_with("arn:")
    {
        return true;
    }
    if let [Piece::Env(e)] = s.0.as_slice() {
        let e = e.to_ascii_uppercase();
        return e.ends_with("ARN")
            || e.contains("_ARN_")
            || arg_name.to_ascii_lowercase().ends_with("arn");
    }
    false
}

/// The ARN of the queue a literal queue URL names
/// (`https://sqs.us-east-1.amazonaws.com/123456789012/jobs`, the legacy
/// `https://us-east-1.queue.amazonaws.com/...` and `queue.amazonaws.com`,
/// VPC endpoint names, China regions); `None` when any part is not known.
fn sqs_queue_arn(url: &SVal) -> Option<SVal> {
    let url = url.as_lit()?;
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let (account, name) = path.trim_end_matches('/').split_once('/')?;
    let host = host.strip_suffix(".cn").unwrap_or(host);
    let host = host.strip_suffix(".amazonaws.com")?;
    let region = if host == "queue" {
        "us-east-1"
    } else if let Some(r) = host.strip_suffix(".queue") {
        r
    } else if let Some((_, r)) = host.split_once("sqs.") {
        r.strip_suffix(".vpce").unwrap_or(r)
    } else {
        return None;
    };
    let region_ok = region == "${AWS::Region}"
        || (!region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    let account_ok = account == "${AWS::AccountId}"
        || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    if !region_ok || !account_ok || name.is_empty() || name.contains('/') {
        return None;
    }
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    Some(SVal::lit(&format!(
        "arn:{partition}:sqs:{region}:{account}:{name}"
    )))
}

fn last_segment(s: &SVal) -> SVal {
    // A queue URL ends in the queue name after the last literal '/'.
    let mut out = SVal::default();
    for p in s.0.iter().rev() {
        match p {
            Piece::Lit(l) => {
                if let Some(i) = l.rfind('/') {
                    let mut head = SVal(vec![Piece::Lit(l[i + 1..].to_string())]);
                    if head.0 == vec![Piece::Lit(String::new())] {
                        head.0.clear();
                    }
                    let mut r = head;
                    for x in out.0.iter().rev() {
                        r.push(x.clone());
                    }
                    return r;
                }
                out.0.insert(0, p.clone());
                continue;
            }
            other => out.0.insert(0, other.clone()),
        }
    }
    // No slash: a URL from the environment; the name cannot be known.
    if s.0.iter().all(|p| matches!(p, Piece::Lit(_))) {
        s.clone()
    } else {
        SVal::unknown()
    }
}

/// SES authorises sending on the verified identity: for an address, its
/// domain (or the address itself when verified alone; the domain covers the
/// common case).
fn email_domain(s: &SVal) -> SVal {
    let mut out = SVal::default();
    let mut after = false;
    for p in &s.0 {
        if after {
            out.push(p.clone());
            continue;
        }
        if let Piece::Lit(l) = p
            && let Some(i) = l.rfind('@')
        {
            out.push(Piece::Lit(l[i + 1..].to_string()));
            after = true;
        }
    }
    if after { out } else { SVal::unknown() }
}

fn strip_leading_slash(s: &SVal) -> SVal {
    let mut out = s.clone();
    if let Some(Piece::Lit(l)) = out.0.first_mut()
        && let Some(rest) = l.strip_prefix('/')
    {
        *l = rest.to_string();
    }
    out
}

fn split_copy_source(s: &SVal, bucket: bool) -> SVal {
    match split_first_slash(s) {
        Some((head, _)) if bucket => head,
        Some((_, tail)) => tail,
        None => SVal::unknown(),
    }
}

/// Splits a value at its first literal slash: `bucket/key` into `bucket`
/// and `key`. `None` when no literal part holds a slash.
fn split_first_slash(s: &SVal) -> Option<(SVal, SVal)> {
    let mut head = SVal::default();
    let mut tail = SVal::default();
    let mut in_tail = false;
    for p in &s.0 {
        if in_tail {
            tail.push(p.clone());
            continue;
        }
        match p {
            Piece::Lit(l) => match l.find('/') {
                Some(i) => {
                    head.push(Piece::Lit(l[..i].to_string()));
                    tail.push(Piece::Lit(l[i + 1..].to_string()));
                    in_tail = true;
                }
                None => head.push(p.clone()),
            },
            _ => head.push(p.clone()),
        }
    }
    in_tail.then_some((head, tail))
}

/// The bucket (`bucket`) or the key prefix of an `s3://bucket/prefix` URL;
/// the key ends open (`prefix*`), since the service names the objects it
/// writes there. Unknown when the URL is not a literal `s3://` one.
fn s3_url_part(url: &SVal, bucket: bool) -> SVal {
    let Some(Piece::Lit(first)) = url.0.first() else {
        return SVal::unknown();
    };
    let Some(rest) = first.strip_prefix("s3://") else {
        return SVal::unknown();
    };
    let mut stripped = url.clone();
    stripped.0[0] = Piece::Lit(rest.to_string());
    let (head, mut tail) = split_first_slash(&stripped).unwrap_or((stripped, SVal::default()));
    if bucket {
        return head;
    }
    tail.push(Piece::Unknown);
    tail
}

/// Renders a value into an ARN part. Key-like parts (S3 keys, parameter
/// paths) stop at the first unknown piece with `*`: `"web/" + name + ".png"`
/// is `web/*`, which covers every key the code can write.
fn render(s: &SVal, env: &BTreeMap<String, String>, key_like: bool) -> String {
    if key_like && let Some(i) = s.0.iter().position(|p| matches!(p, Piece::Unknown)) {
        let mut head = SVal(s.0[..i].to_vec());
        head.push(Piece::Unknown);
        return head.render(env);
    }
    s.render(env)
}
