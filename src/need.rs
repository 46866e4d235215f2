//! `Need`: one IAM action the role needs, the resources it needs it on, and
//! the evidence behind it. Every stage that finds evidence (scan, CloudTrail,
//! template) produces needs; synthesis and the diff only read them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use foldhash::fast::FixedState;

use serde::{Deserialize, Serialize};

/// Where a need comes from. Serialised as `{"kind": "code", ...}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A boto3 call in the scanned source tree.
    Code {
        file: String,
        line: usize,
        call: String,
    },
    /// Records in CloudTrail for this role's sessions.
    Trail {
        count: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        first_seen: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_seen: Option<String>,
    },
    /// The function's configuration: log group, tracing, VPC, event sources.
    Platform {
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<usize>,
    },
}

/// One IAM action with the resources it is needed on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    /// Exact IAM action name, `service:Action`; never a wildcard.
    pub action: String,
    /// Resource ARNs (with `${...}` placeholders) or `"*"` for actions that
    /// have no resource type.
    pub resources: BTreeSet<String>,
    /// Needed only in some configurations (KMS for customer managed keys).
    pub optional: bool,
    pub sources: Vec<Source>,
}

/// Needs keyed by action, merged as evidence arrives. Keyed by action so the
/// output order is deterministic.
#[derive(Clone, Debug, Default)]
pub struct NeedSet {
    pub needs: BTreeMap<String, Need>,
    /// (action, source) pairs already in `needs`: a large tree gives one
    /// action thousands of sources, and a linear search made `add` quadratic.
    /// By action, then source: a lookup borrows both, and only a new pair
    /// is cloned.
    seen: HashMap<String, HashSet<Source, FixedState>, FixedState>,
}

impl NeedSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds evidence for `action` on `resources`. A need that is required by
    /// any source is required, on the resources the required sources name.
    pub fn add(
        &mut self,
        action: &str,
        resources: impl IntoIterator<Item = String>,
        optional: bool,
        source: Source,
    ) {
        let need = self
            .needs
            .entry(action.to_string())
            .or_insert_with(|| Need {
                action: action.to_string(),
                resources: BTreeSet::new(),
                optional,
                sources: Vec::new(),
            });
        // Optional resources are guesses for a configuration (`key/*` for
        // whatever key encrypts a secret); a required need says which
        // resource it really is. Mixing them would widen the required grant.
        match (need.optional, optional) {
            (true, false) => {
                need.optional = false;
                need.resources = resources.into_iter().collect();
            }
            (false, true) => {}
            _ => need.resources.extend(resources),
        }
        let seen = match self.seen.get_mut(action) {
            Some(s) => s,
            None => self.seen.entry(action.to_string()).or_default(),
        };
        if !seen.contains(&source) {
            need.sources.push(source.clone());
            seen.insert(source);
        }
    }

    pub fn merge(&mut self, other: NeedSet) {
        for (_, n) in other.needs {
            for s in n.sources.clone() {
                self.add(&n.action, n.resources.clone(), n.optional, s);
            }
            if n.sources.is_empty() {
                let e = self.needs.entry(n.action.clone()).or_insert(n.clone());
                e.resources.extend(n.resources);
            }
        }
    }

    /// The needs that go into a policy: required ones, plus optional ones
    /// when asked. A need on `"*"` keeps only `"*"`.
    pub fn for_policy(&self, include_optional: bool) -> Vec<Need> {
        self.needs
            .values()
            .filter(|n| include_optional || !n.optional)
            .map(|n| {
                let mut n = n.clone();
                if n.resources.contains("*") {
                    n.resources = BTreeSet::from(["*".to_string()]);
                }
                n
            })
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Need> {
        self.needs.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: usize) -> Source {
        Source::Code {
            file: "app.py".into(),
            line,
            call: "x".into(),
        }
    }

    #[test]
    fn a_required_need_replaces_optional_guesses_and_is_not_widened_by_them() {
        let mut set = NeedSet::new();
        set.add("kms:Decrypt", ["key/*".to_string()], true, code(1));
        set.add("kms:Decrypt", ["key/abc".to_string()], false, code(2));
        set.add("kms:Decrypt", ["key/*".to_string()], true, code(3));
        let n = &set.needs["kms:Decrypt"];
        assert!(!n.optional);
        assert_eq!(n.resources, BTreeSet::from(["key/abc".to_string()]));
        assert_eq!(n.sources.len(), 3);
    }

    #[test]
    fn optional_needs_stay_optional_and_union() {
        let mut set = NeedSet::new();
        set.add("s3:AbortMultipartUpload", ["a".to_string()], true, code(1));
        set.add("s3:AbortMultipartUpload", ["b".to_string()], true, code(2));
        let n = &set.needs["s3:AbortMultipartUpload"];
        assert!(n.optional);
        assert_eq!(n.resources.len(), 2);
        assert!(set.for_policy(false).is_empty());
        assert_eq!(set.for_policy(true).len(), 1);
    }
}
