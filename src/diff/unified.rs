//! The unified text diff of two policies after normalisation, so that only
//! differences in meaning show: statements, actions and resources sorted
//! and de-duplicated, every document merged into one, pretty JSON.

use std::collections::BTreeSet;

use std::time::Duration;

use similar::{Algorithm, TextDiff};

use crate::policy::{OneOrMany, PolicyDocument, Statement};

/// Sorts and de-duplicates a policy's statements and their lists.
pub fn normalise(doc: &PolicyDocument) -> PolicyDocument {
    let list = |l: &Option<OneOrMany>| {
        l.as_ref().map(|l| {
            let set: BTreeSet<String> = l.to_vec().into_iter().collect();
            OneOrMany::from_vec(set.into_iter().collect())
        })
    };
    let mut statement: Vec<Statement> = doc
        .statement
        .iter()
        .map(|s| Statement {
            sid: s.sid.clone(),
            effect: s.effect.clone(),
            action: list(&s.action),
            not_action: list(&s.not_action),
            resource: list(&s.resource),
            not_resource: list(&s.not_resource),
            condition: s.condition.clone(),
        })
        .collect();
    let key = |s: &Statement| {
        let l = |x: &Option<OneOrMany>| x.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
        (
            s.effect.clone(),
            l(&s.action),
            l(&s.not_action),
            l(&s.resource),
            l(&s.not_resource),
            s.condition.as_ref().map(|c| c.to_string()),
            s.sid.clone(),
        )
    };
    statement.sort_by_cached_key(key);
    statement.dedup();
    PolicyDocument {
        version: doc.version.clone(),
        statement,
    }
}

/// `--- current` / `+++ suggested` unified diff of the normalised policies;
/// empty when they are the same.
pub fn unified_diff(current: &PolicyDocument, suggested: &PolicyDocument) -> String {
    let a = normalise(current).to_pretty_json() + "\n";
    let b = normalise(suggested).to_pretty_json() + "\n";
    if a == b {
        return String::new();
    }
    // Myers' algorithm is O(N x D): a 10,000-statement policy against a
    // small suggestion would take seconds. Patience anchors on unique
    // lines, and the deadline bounds the worst case (the diff is then
    // coarser, never wrong).
    TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(Duration::from_millis(500))
        .diff_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header("current", "suggested")
        .to_string()
}
