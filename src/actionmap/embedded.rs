//! The embedded files of `action-maps/` and their on-disk shapes: short-keyed
//! JSON written by `action-maps/generate.py`, turned into the public types of
//! `actionmap` one line at a time. Tests parse every line, so a line that does
//! not parse here is a generator bug, reported as "not found" rather than a
//! panic.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{ActionSpec, IamAction, IamPrefix, Mapping, Operation, Service, Stats, Via};

pub(super) const SERVICES: &str = include_str!("../../action-maps/services.jsonl");
pub(super) const IAM: &str = include_str!("../../action-maps/iam.jsonl");
pub(super) const RESOURCES: &str = include_str!("../../action-maps/resources.jsonl");
pub(super) const META: &str = include_str!("../../action-maps/meta.json");
pub(super) const SAM_TEMPLATES: &str = include_str!("../../action-maps/sam-policy-templates.json");
pub(super) const MANAGED: &str = include_str!("../../action-maps/managed-policies.json");

/// A sorted index over the lines of one JSON-lines file, each parsed on
/// first use.
pub(super) struct Lines<T> {
    entries: Vec<Entry<T>>,
    parse: fn(&'static str) -> Option<T>,
}

struct Entry<T> {
    key: &'static str,
    line: &'static str,
    parsed: OnceLock<Option<T>>,
}

impl<T> Lines<T> {
    pub(super) fn index(text: &'static str, parse: fn(&'static str) -> Option<T>) -> Self {
        let mut entries: Vec<Entry<T>> = index_keys(text)
            .map(|(key, line)| Entry {
                key,
                line,
                parsed: OnceLock::new(),
            })
            .collect();
        entries.sort_by(|a, b| a.key.cmp(b.key));
        Lines { entries, parse }
    }

    pub(super) fn get(&self, key: &str) -> Option<&T> {
        let i = self.entries.binary_search_by(|e| e.key.cmp(key)).ok()?;
        let e = &self.entries[i];
        e.parsed.get_or_init(|| (self.parse)(e.line)).as_ref()
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|e| e.key)
    }
}

/// (key, line) of each line: every line starts `{"k":"KEY",`, so the key is
/// read without parsing the line.
pub(super) fn index_keys(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.split('\n').filter_map(|line| {
        let rest = line.get(6..)?;
        let end = rest.find('"')?;
        Some((&rest[..end], line))
    })
}

#[derive(Deserialize)]
pub(super) struct ServiceLine {
    n: String,
    p: String,
    ep: String,
    sn: String,
    o: Vec<OpLine>,
    #[serde(default)]
    pg: Vec<String>,
    #[serde(default)]
    w: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct OpLine {
    n: String,
    m: String,
    #[serde(default)]
    v: Option<String>,
    #[serde(default)]
    a: Option<Vec<SpecLine>>,
    #[serde(default)]
    p: u8,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    c: Option<String>,
}

#[derive(Deserialize)]
struct SpecLine {
    a: String,
    #[serde(default)]
    r: Vec<String>,
    #[serde(default)]
    o: u8,
    #[serde(default, rename = "if")]
    if_arg: Option<String>,
    #[serde(default)]
    un: Option<String>,
    #[serde(default)]
    ro: Option<String>,
}

impl ServiceLine {
    pub(super) fn parse(line: &'static str) -> Option<Service> {
        let raw: ServiceLine = serde_json::from_str(line).ok()?;
        let mut operations: Vec<Operation> =
            raw.o.into_iter().map(OpLine::into_operation).collect();
        operations.sort_by(|a, b| a.method.cmp(&b.method));
        let by_name = operations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.name.clone(), i))
            .collect();
        let mut paginators = raw.pg;
        paginators.sort_unstable();
        let resource_line = index_keys(RESOURCES)
            .find(|(k, _)| *k == raw.n)
            .map(|(_, l)| l);
        Some(Service {
            name: raw.n,
            iam_prefix: raw.p,
            endpoint_prefix: raw.ep,
            signing_name: raw.sn,
            operations,
            by_name,
            paginators,
            waiters: raw.w,
            resource_line,
            resource_model: OnceLock::new(),
        })
    }
}

impl OpLine {
    fn into_operation(self) -> Operation {
        let via = if self.v.as_deref() == Some("n") {
            Via::Name
        } else {
            Via::Override
        };
        let mapping = match self.a {
            Some(specs) => Mapping::Actions(
                specs
                    .into_iter()
                    .map(|s| ActionSpec {
                        action: s.a,
                        resource_types: s.r,
                        optional: s.o != 0,
                        if_arg: s.if_arg,
                        unless_arg: s.un,
                        role: s.ro,
                        via,
                    })
                    .collect(),
            ),
            None if self.p != 0 => Mapping::Permissionless,
            None => Mapping::Unresolved,
        };
        Operation {
            name: self.n,
            method: self.m,
            mapping,
            note: self.x,
            caveat: self.c,
        }
    }
}

pub(super) fn parse_resource_model(line: &'static str) -> Option<serde_json::Value> {
    #[derive(Deserialize)]
    struct ResourceLine {
        m: serde_json::Value,
    }
    serde_json::from_str::<ResourceLine>(line).ok().map(|r| r.m)
}

#[derive(Deserialize)]
pub(super) struct IamLine {
    p: String,
    a: Vec<IamActionRow>,
    #[serde(default)]
    r: BTreeMap<String, String>,
}

/// `[name, access level, [[resource type, required 0/1]], [condition keys]]`;
/// the last two are left out when empty.
#[derive(Deserialize)]
struct IamActionRow {
    name: String,
    level: String,
    #[serde(default)]
    rtypes: Vec<(String, u8)>,
    #[serde(default)]
    ckeys: Vec<String>,
}

impl IamLine {
    pub(super) fn parse(line: &'static str) -> Option<IamPrefix> {
        let raw: IamLine = serde_json::from_str(line).ok()?;
        let mut actions: Vec<IamAction> = raw
            .a
            .into_iter()
            .map(|a| IamAction {
                name: format!("{}:{}", raw.p, a.name),
                access_level: a.level,
                resource_types: a.rtypes.into_iter().map(|(n, r)| (n, r != 0)).collect(),
                condition_keys: a.ckeys,
            })
            .collect();
        actions.sort_by(|a, b| a.name.cmp(&b.name));
        Some(IamPrefix {
            actions,
            arn_formats: raw.r,
        })
    }
}

#[derive(Deserialize, Default)]
pub(super) struct MetaFile {
    pub(super) sources: BTreeMap<String, String>,
    pub(super) date: String,
    pub(super) stats: Stats,
    pub(super) event_sources: BTreeMap<String, Vec<String>>,
    pub(super) unresolved: Vec<String>,
}

pub(super) fn parse_meta() -> MetaFile {
    serde_json::from_str(META).unwrap_or_default()
}

#[derive(Deserialize)]
pub(super) struct ManagedPolicy {
    pub(super) arn: String,
    pub(super) document: serde_json::Value,
}

pub(super) fn parse_managed() -> BTreeMap<String, ManagedPolicy> {
    serde_json::from_str(MANAGED).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_parses() {
        for (key, line) in index_keys(SERVICES) {
            assert!(
                ServiceLine::parse(line).is_some(),
                "services.jsonl line {key}"
            );
        }
        for (key, line) in index_keys(IAM) {
            assert!(IamLine::parse(line).is_some(), "iam.jsonl line {key}");
        }
        for (key, line) in index_keys(RESOURCES) {
            assert!(
                parse_resource_model(line).is_some(),
                "resources.jsonl line {key}"
            );
        }
        serde_json::from_str::<MetaFile>(META).expect("meta.json");
        serde_json::from_str::<BTreeMap<String, ManagedPolicy>>(MANAGED)
            .expect("managed-policies.json");
        serde_json::from_str::<serde_json::Value>(SAM_TEMPLATES)
            .expect("sam-policy-templates.json");
    }
}
