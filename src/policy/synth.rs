//! Synthesis: needs in, the smallest deterministic policy out.
//!
//! Actions are grouped by the exact set of resources they need, so every
//! statement grants its actions on exactly the resources the evidence shows.
//! Actions that have no resource type sit in their own `"*"` statement.
//! Never a wildcard action: every action is copied from a `Need`, and needs
//! hold exact action names only.

use std::collections::{BTreeMap, BTreeSet};

use super::document::{OneOrMany, PolicyDocument, Statement};
use crate::need::Need;

pub fn synthesize(needs: &[Need]) -> PolicyDocument {
    let mut groups: BTreeMap<BTreeSet<String>, BTreeSet<String>> = BTreeMap::new();
    for n in needs {
        if n.resources.is_empty() {
            continue;
        }
        let res = if n.resources.contains("*") {
            BTreeSet::from(["*".to_string()])
        } else {
            n.resources.clone()
        };
        groups.entry(res).or_default().insert(n.action.clone());
    }
    let mut statements: Vec<(String, Statement)> = groups
        .into_iter()
        .map(|(res, actions)| {
            let sid = sid_for(&actions, &res);
            let st = Statement {
                sid: None,
                effect: "Allow".into(),
                action: Some(OneOrMany::from_vec(actions.into_iter().collect())),
                not_action: None,
                resource: Some(OneOrMany::from_vec(res.into_iter().collect())),
                not_resource: None,
                condition: None,
            };
            (sid, st)
        })
        .collect();
    // "*" statements last, others by Sid; Sids made unique by a counter.
    statements.sort_by(|a, b| {
        let star = |s: &Statement| s.resource == Some(OneOrMany::One("*".into()));
        (star(&a.1), &a.0).cmp(&(star(&b.1), &b.0))
    });
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let statement = statements
        .into_iter()
        .map(|(sid, mut st)| {
            let n = seen.entry(sid.clone()).or_insert(0);
            *n += 1;
            st.sid = Some(if *n == 1 { sid } else { format!("{sid}{n}") });
            st
        })
        .collect();
    PolicyDocument {
        version: "2012-10-17".into(),
        statement,
    }
}

/// A Sid says what a statement is for: the services and, for `"*"`, that
/// the actions take no resource. Sids are alphanumeric only (IAM's rule).
fn sid_for(actions: &BTreeSet<String>, res: &BTreeSet<String>) -> String {
    let services: BTreeSet<String> = actions
        .iter()
        .filter_map(|a| a.split(':').next())
        .map(|s| {
            s.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let mut c = p.chars();
                    match c.next() {
                        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                        None => String::new(),
                    }
                })
                .collect::<String>()
        })
        .collect();
    let mut sid: String = services.into_iter().collect();
    if res.len() == 1 && res.contains("*") {
        sid.push_str("NoResourceType");
    }
    sid
}
