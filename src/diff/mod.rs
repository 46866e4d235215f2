//! The semantic diff between what a role is granted and what it needs, as
//! data (rendering lives with the commands that print it).
//!
//! Per action and resource: `removed` (granted now, not needed; wildcards
//! in the current policy are expanded against the full IAM action list, so
//! `s3:*` shows exactly which S3 actions go away), `kept` (needed and
//! allowed), `missing` (needed and not allowed: an AccessDenied waiting to
//! happen), `conditional` (allowed only under a condition), and `narrowed`
//! (needed actions granted on more resources than they need). Optional
//! needs that are not granted are listed apart, in `optional_missing`.
//! The decisions come from the evaluator, so Deny statements, `NotAction`,
//! `NotResource` and boundaries count the way IAM counts them.

pub mod unified;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::need::{Need, Source};
use crate::policy::current::CurrentPolicy;
use crate::policy::eval::{Decision, Evaluation, Evaluator};
use crate::policy::parse::{
    Effect, Location, ParseOptions, ParsedStatement, PolicyError, PolicySet, parse_current,
};
use crate::policy::pattern::{ActionIndex, Pattern, Subject};
use crate::policy::{PolicyDocument, Statement};

/// A granted action no need uses. The sets are shared (`Arc`) between the
/// actions the same statements grant: an `AdministratorAccess` diff holds
/// one copy, not twenty thousand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Removed {
    pub action: String,
    pub service: String,
    /// Resource patterns as granted.
    #[serde(serialize_with = "shared")]
    pub resources: Arc<BTreeSet<String>>,
    /// Granted through `NotResource`: every resource except these.
    #[serde(serialize_with = "shared", skip_serializing_if = "is_empty_shared")]
    pub not_resources: Arc<BTreeSet<String>>,
    /// Every grant of it has a `Condition`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub conditional: bool,
    #[serde(serialize_with = "shared")]
    pub granted_by: Arc<BTreeSet<Location>>,
}

fn shared<T: Serialize, S: serde::Serializer>(v: &Arc<T>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref().serialize(s)
}

fn is_empty_shared<T>(v: &Arc<BTreeSet<T>>) -> bool {
    v.is_empty()
}

/// A needed action on one resource that the current policy allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kept {
    pub action: String,
    pub service: String,
    pub resource: String,
    pub granted_by: Vec<Location>,
    pub sources: Vec<Source>,
}

/// A needed action on one resource that the current policy does not allow
/// outright (or allows only under a condition, for `conditional`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub action: String,
    pub service: String,
    pub resource: String,
    pub decision: Decision,
    /// Allow statements that match only conditionally.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_by: Vec<Location>,
    /// Deny statements that match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denied_by: Vec<Location>,
    pub optional: bool,
    /// Why a conditional entry is conditional, or what a missing one hinges on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where the need comes from (the code line, the trail, the platform).
    pub sources: Vec<Source>,
}

/// A needed action granted on resources other than exactly the needed ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Narrowed {
    pub action: String,
    pub service: String,
    pub granted: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub granted_not_resources: BTreeSet<String>,
    pub needed: BTreeSet<String>,
    pub granted_by: BTreeSet<Location>,
}

/// An action the current policy names that is not in the IAM action list:
/// a typo or a retired action. It grants nothing and is reported, never
/// silently dropped.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnknownAction {
    pub action: String,
    pub location: Location,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServiceCounts {
    pub removed: usize,
    pub kept: usize,
    pub missing: usize,
    pub conditional: usize,
    pub optional_missing: usize,
    pub narrowed: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyDiff {
    pub removed: Vec<Removed>,
    pub kept: Vec<Kept>,
    pub missing: Vec<Missing>,
    pub conditional: Vec<Missing>,
    pub optional_missing: Vec<Missing>,
    pub narrowed: Vec<Narrowed>,
    pub unknown_actions: Vec<UnknownAction>,
    /// Counts per IAM service prefix.
    pub summary: BTreeMap<String, ServiceCounts>,
}

impl PolicyDiff {
    pub fn totals(&self) -> ServiceCounts {
        self.summary
            .values()
            .fold(ServiceCounts::default(), |mut t, c| {
                t.removed += c.removed;
                t.kept += c.kept;
                t.missing += c.missing;
                t.conditional += c.conditional;
                t.optional_missing += c.optional_missing;
                t.narrowed += c.narrowed;
                t
            })
    }
}

fn service_of(action: &str) -> String {
    action
        .split(':')
        .next()
        .unwrap_or(action)
        .to_ascii_lowercase()
}

/// What the Allow statements grant one action, accumulated over statements.
#[derive(Clone, Default)]
struct Grant {
    resources: Arc<BTreeSet<String>>,
    not_resources: Arc<BTreeSet<String>>,
    unconditional: bool,
    granted_by: Arc<BTreeSet<Location>>,
}

/// Computes the diff. `include_optional` counts optional needs as required
/// (they go to `missing` rather than `optional_missing`).
pub fn diff(
    needs: &[Need],
    current: &PolicySet,
    actions: &ActionIndex,
    include_optional: bool,
) -> PolicyDiff {
    let evaluator = Evaluator::from_policy_set(current);
    // A need on `${BUCKET}` against a grant on `mybucket` is neither kept
    // nor missing: it depends on what the placeholder turns out to be.
    let symbolic = Evaluator::from_policy_set(current).with_symbolic_placeholders(true);
    let mut out = PolicyDiff::default();

    // Needs by lower-cased action: IAM action names are case-insensitive.
    let mut needed: BTreeMap<String, Vec<&Need>> = BTreeMap::new();
    for n in needs {
        needed
            .entry(n.action.to_ascii_lowercase())
            .or_default()
            .push(n);
    }

    for n in needs {
        for r in &n.resources {
            let mut ev = evaluator.evaluate(&n.action, r);
            let mut note = None;
            if ev.decision == Decision::ConditionallyAllowed {
                note =
                    Some("a matching statement has a Condition or a policy variable".to_string());
            } else if ev.decision == Decision::NotAllowed {
                let sym = symbolic.evaluate(&n.action, r);
                if sym.decision != Decision::NotAllowed {
                    ev = Evaluation {
                        decision: Decision::ConditionallyAllowed,
                        ..sym
                    };
                    note = Some(unknowns_note(r));
                }
            }
            let service = service_of(&n.action);
            let entry = |decision| Missing {
                action: n.action.clone(),
                service: service.clone(),
                resource: r.clone(),
                decision,
                allowed_by: ev.allowed_by.clone(),
                denied_by: ev.denied_by.clone(),
                optional: n.optional,
                note: note.clone(),
                sources: n.sources.clone(),
            };
            match ev.decision {
                Decision::Allowed => out.kept.push(Kept {
                    action: n.action.clone(),
                    service: service.clone(),
                    resource: r.clone(),
                    granted_by: ev.allowed_by.clone(),
                    sources: n.sources.clone(),
                }),
                Decision::ConditionallyAllowed => out.conditional.push(entry(ev.decision)),
                d if n.optional && !include_optional => out.optional_missing.push(entry(d)),
                d => out.missing.push(entry(d)),
            }
        }
    }

    // Grants, per action of the list: the indices of the Allow statements
    // that grant it. Actions granted by the same statements share one
    // computed `Grant`, so a policy of many `*` statements stays cheap.
    let allows: Vec<&ParsedStatement> = current
        .identity_statements()
        .filter(|st| st.effect == Effect::Allow)
        .collect();
    let mut granting: Vec<Vec<u32>> = vec![Vec::new(); actions.len()];
    let mut unknown = BTreeSet::new();
    let mut hit = vec![false; actions.len()];
    // Large policies repeat the same patterns (`s3:*` in every statement).
    let mut expanded: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (si, st) in allows.iter().enumerate() {
        let mut touched = Vec::new();
        for p in &st.actions.patterns {
            let hits = expanded
                .entry(p.to_ascii_lowercase())
                .or_insert_with(|| actions.matching(p));
            if hits.is_empty() && !Pattern::action(p).is_wildcard() && !actions.is_empty() {
                unknown.insert(UnknownAction {
                    action: p.clone(),
                    location: st.location.clone(),
                });
            }
            for &i in hits.iter() {
                if !std::mem::replace(&mut hit[i], true) {
                    touched.push(i);
                }
            }
        }
        let si = u32::try_from(si).unwrap_or(u32::MAX);
        if st.actions.negated {
            for (i, g) in granting.iter_mut().enumerate() {
                if !hit[i] {
                    g.push(si);
                }
            }
        } else {
            for &i in &touched {
                granting[i].push(si);
            }
        }
        for i in touched {
            hit[i] = false;
        }
    }
    out.unknown_actions = unknown.into_iter().collect();

    let mut memo: BTreeMap<Vec<u32>, Grant> = BTreeMap::new();
    let grants = granting.into_iter().map(|sts| {
        if sts.is_empty() {
            return None;
        }
        let g = memo.entry(sts).or_insert_with_key(|sts| {
            let mut resources = BTreeSet::new();
            let mut not_resources = BTreeSet::new();
            let mut granted_by = BTreeSet::new();
            let mut unconditional = false;
            for &si in sts {
                let st = allows[si as usize];
                if st.resources.negated {
                    not_resources.extend(st.resources.patterns.iter().cloned());
                } else {
                    resources.extend(st.resources.patterns.iter().cloned());
                }
                unconditional |= !st.has_condition();
                granted_by.insert(st.location.clone());
            }
            Grant {
                resources: Arc::new(resources),
                not_resources: Arc::new(not_resources),
                unconditional,
                granted_by: Arc::new(granted_by),
            }
        });
        Some(g.clone())
    });
    for (i, g) in grants.into_iter().enumerate() {
        let Some(g) = g else { continue };
        let action = actions.name(i);
        match needed.get(&action.to_ascii_lowercase()) {
            None => out.removed.push(Removed {
                action: action.to_string(),
                service: service_of(action),
                resources: g.resources,
                not_resources: g.not_resources,
                conditional: !g.unconditional,
                granted_by: g.granted_by,
            }),
            Some(ns) => {
                let needed_res: BTreeSet<String> = ns
                    .iter()
                    .flat_map(|n| n.resources.iter().cloned())
                    .collect();
                if !g.not_resources.is_empty()
                    || g.resources.iter().any(|r| is_excess(r, &needed_res))
                {
                    out.narrowed.push(Narrowed {
                        action: action.to_string(),
                        service: service_of(action),
                        granted: g.resources.as_ref().clone(),
                        granted_not_resources: g.not_resources.as_ref().clone(),
                        needed: needed_res,
                        granted_by: g.granted_by.as_ref().clone(),
                    });
                }
            }
        }
    }

    let sort_key = |m: &Missing| (m.action.clone(), m.resource.clone());
    out.missing.sort_by_key(sort_key);
    out.conditional.sort_by_key(sort_key);
    out.optional_missing.sort_by_key(sort_key);
    out.kept
        .sort_by(|a, b| (&a.action, &a.resource).cmp(&(&b.action, &b.resource)));

    let mut summary: BTreeMap<String, ServiceCounts> = BTreeMap::new();
    for r in &out.removed {
        summary.entry(r.service.clone()).or_default().removed += 1;
    }
    for k in &out.kept {
        summary.entry(k.service.clone()).or_default().kept += 1;
    }
    for m in &out.missing {
        summary.entry(m.service.clone()).or_default().missing += 1;
    }
    for m in &out.conditional {
        summary.entry(m.service.clone()).or_default().conditional += 1;
    }
    for m in &out.optional_missing {
        summary
            .entry(m.service.clone())
            .or_default()
            .optional_missing += 1;
    }
    for n in &out.narrowed {
        summary.entry(n.service.clone()).or_default().narrowed += 1;
    }
    out.summary = summary;
    out
}

/// `diff` over a `CurrentPolicy` as the template reader and the AWS edge
/// give it (CloudFormation intrinsics read as `${...}` placeholders).
pub fn diff_current(
    needs: &[Need],
    current: &CurrentPolicy,
    actions: &ActionIndex,
    include_optional: bool,
) -> Result<PolicyDiff, PolicyError> {
    let set = parse_current(current, ParseOptions { intrinsics: true })?;
    Ok(diff(needs, &set, actions, include_optional))
}

/// A granted resource pattern is more than the needs when it is none of
/// them and either has wildcards or could not name any of them. A literal
/// ARN that is one instance of a needed `${AWS::AccountId}` ARN is not.
fn is_excess(granted: &str, needed: &BTreeSet<String>) -> bool {
    if needed.contains(granted) {
        return false;
    }
    let pattern = Pattern::resource(granted);
    pattern.is_wildcard()
        || !needed
            .iter()
            .any(|n| pattern.may_match(&Subject::resource(n)))
}

/// Names what a symbolic match depends on: the placeholders, or a name the
/// code reads at run time (`*` in the needed ARN).
fn unknowns_note(resource: &str) -> String {
    let mut unknowns: BTreeSet<&str> = BTreeSet::new();
    let mut rest = resource;
    while let Some(start) = rest.find("${") {
        match rest[start..].find('}') {
            Some(end) => {
                unknowns.insert(&rest[start..start + end + 1]);
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    let mut what: Vec<&str> = unknowns.into_iter().collect();
    if resource.contains('*') {
        what.push("a name read at run time (*)");
    }
    let pin = if resource.contains("${AWS::") {
        "; pin --region/--account"
    } else {
        ""
    };
    format!(
        "allowed only if {} match what the policy grants{pin}",
        what.join(", ")
    )
}

/// The current identity policies merged into one document, for display.
pub fn merged_current(current: &PolicySet) -> PolicyDocument {
    PolicyDocument {
        version: "2012-10-17".into(),
        statement: current
            .identity_statements()
            .map(|s| s.to_statement())
            .collect::<Vec<Statement>>(),
    }
}
