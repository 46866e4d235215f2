//! Local evaluation of identity policies for one request (action, resource
//! ARN), following IAM's logic for a single account
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>):
//! an explicit Deny wins, then an Allow, else the request is implicitly
//! denied; a permission boundary intersects (both must allow).
//!
//! No request context is modelled, so a statement with a `Condition`, or
//! one whose resource only matches through a policy variable
//! (`${aws:username}`), matches "conditionally": a conditional Allow gives
//! `ConditionallyAllowed`, a conditional Deny turns an Allow into
//! `ConditionallyAllowed` and never into `Denied`.

use serde::Serialize;

use super::document::PolicyDocument;
use super::parse::{
    Effect, Location, ParsedPolicy, ParsedStatement, PolicyError, PolicySet, parse_model,
};
use super::pattern::{Pattern, Subject};
use crate::need::Need;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    /// An explicit Deny matched.
    Denied,
    /// No Allow matched (implicit deny).
    NotAllowed,
    /// Allowed only if some condition holds.
    ConditionallyAllowed,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

/// The decision and the statements behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub decision: Decision,
    /// Allow statements that match (conditionally or not).
    pub allowed_by: Vec<Location>,
    /// Deny statements that match (conditionally or not), in the identity
    /// policies or the boundary.
    pub denied_by: Vec<Location>,
    /// Allow statements of the permission boundary that match: they do not
    /// grant, they let the identity policies' grant through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub boundary_allows: Vec<Location>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Match {
    No,
    Conditional,
    Yes,
}

#[derive(Clone, Debug)]
struct CompiledStatement {
    location: Location,
    effect: Effect,
    actions: Vec<Pattern>,
    not_action: bool,
    resources: Vec<Pattern>,
    not_resource: bool,
    conditional: bool,
}

impl CompiledStatement {
    fn new(st: &ParsedStatement) -> CompiledStatement {
        CompiledStatement {
            location: st.location.clone(),
            effect: st.effect,
            actions: st
                .actions
                .patterns
                .iter()
                .map(|p| Pattern::action(p))
                .collect(),
            not_action: st.actions.negated,
            resources: st
                .resources
                .patterns
                .iter()
                .map(|p| Pattern::resource(p))
                .collect(),
            not_resource: st.resources.negated,
            conditional: st.has_condition(),
        }
    }

    fn matches(&self, action: &Subject, resource: &Subject, symbolic: bool) -> Match {
        let action_hit = self.actions.iter().any(|p| p.matches(action, false));
        if action_hit == self.not_action {
            return Match::No;
        }
        let strict = self.resources.iter().any(|p| p.matches(resource, false));
        let lenient = |p: &Pattern| {
            if symbolic {
                p.may_match(resource)
            } else {
                p.has_vars() && p.matches(resource, true)
            }
        };
        let resource_match = if self.not_resource {
            // A NotResource whose variable might name the resource can only
            // be known at request time.
            let lenient = self.resources.iter().any(lenient);
            match (strict, lenient) {
                (true, _) => Match::No,
                (false, true) => Match::Conditional,
                (false, false) => Match::Yes,
            }
        } else if strict {
            Match::Yes
        } else if self.resources.iter().any(lenient) {
            Match::Conditional
        } else {
            Match::No
        };
        match resource_match {
            Match::Yes if self.conditional => Match::Conditional,
            m => m,
        }
    }
}

/// One policy's compiled statements.
#[derive(Clone, Debug, Default)]
struct Compiled {
    statements: Vec<CompiledStatement>,
}

impl Compiled {
    fn new<'a>(statements: impl Iterator<Item = &'a ParsedStatement>) -> Compiled {
        Compiled {
            statements: statements.map(CompiledStatement::new).collect(),
        }
    }

    fn evaluate(
        &self,
        action: &Subject,
        resource: &Subject,
        symbolic: bool,
        out: &mut Evaluation,
    ) -> Decision {
        let mut allow = Match::No;
        let mut deny = Match::No;
        for st in &self.statements {
            let m = st.matches(action, resource, symbolic);
            if m == Match::No {
                continue;
            }
            match st.effect {
                Effect::Allow => {
                    allow = allow.max(m);
                    out.allowed_by.push(st.location.clone());
                }
                Effect::Deny => {
                    deny = deny.max(m);
                    out.denied_by.push(st.location.clone());
                }
            }
        }
        match (deny, allow) {
            (Match::Yes, _) => Decision::Denied,
            (_, Match::No) => Decision::NotAllowed,
            (Match::No, Match::Yes) => Decision::Allowed,
            _ => Decision::ConditionallyAllowed,
        }
    }
}

/// Identity policies plus an optional permission boundary, compiled once
/// and asked many requests.
#[derive(Clone, Debug, Default)]
pub struct Evaluator {
    identity: Compiled,
    boundary: Option<Compiled>,
    symbolic: bool,
}

impl Evaluator {
    pub fn new<'a>(identity: impl IntoIterator<Item = &'a ParsedStatement>) -> Evaluator {
        Evaluator {
            identity: Compiled::new(identity.into_iter()),
            boundary: None,
            symbolic: false,
        }
    }

    /// Treats the request's unknowns (`${BUCKET}`, `${AWS::AccountId}`, a
    /// `*` for a name read at run time) as "could be anything": a statement
    /// that matches only for some values matches conditionally. Off by
    /// default, where a literal matches a placeholder only when identical.
    pub fn with_symbolic_placeholders(mut self, on: bool) -> Evaluator {
        self.symbolic = on;
        self
    }

    /// Adds a permission boundary: a request is allowed only if both allow.
    pub fn with_boundary<'a>(
        mut self,
        boundary: impl IntoIterator<Item = &'a ParsedStatement>,
    ) -> Evaluator {
        self.boundary = Some(Compiled::new(boundary.into_iter()));
        self
    }

    pub fn from_policy_set(set: &PolicySet) -> Evaluator {
        let e = Evaluator::new(set.identity_statements());
        match &set.boundary {
            Some(b) => e.with_boundary(&b.statements),
            None => e,
        }
    }

    pub fn from_policy(policy: &ParsedPolicy) -> Evaluator {
        Evaluator::new(&policy.statements)
    }

    /// Decides whether `action` on `resource` (an ARN, possibly with `${...}`
    /// placeholders, or `*` for actions without a resource type) is allowed.
    pub fn evaluate(&self, action: &str, resource: &str) -> Evaluation {
        let a = Subject::action(action);
        let r = Subject::resource(resource);
        let mut out = Evaluation {
            decision: Decision::NotAllowed,
            allowed_by: Vec::new(),
            denied_by: Vec::new(),
            boundary_allows: Vec::new(),
        };
        let id = self.identity.evaluate(&a, &r, self.symbolic, &mut out);
        let decision = match &self.boundary {
            None => id,
            Some(b) => {
                let mut bout = Evaluation {
                    decision: Decision::NotAllowed,
                    allowed_by: Vec::new(),
                    denied_by: Vec::new(),
                    boundary_allows: Vec::new(),
                };
                let bd = b.evaluate(&a, &r, self.symbolic, &mut bout);
                out.denied_by.extend(bout.denied_by);
                out.boundary_allows = bout.allowed_by;
                combine(id, bd)
            }
        };
        out.decision = decision;
        out
    }

    pub fn decision(&self, action: &str, resource: &str) -> Decision {
        self.evaluate(action, resource).decision
    }
}

/// Intersection of two decisions (identity and boundary).
fn combine(a: Decision, b: Decision) -> Decision {
    use Decision::*;
    match (a, b) {
        (Denied, _) | (_, Denied) => Denied,
        (NotAllowed, _) | (_, NotAllowed) => NotAllowed,
        (ConditionallyAllowed, _) | (_, ConditionallyAllowed) => ConditionallyAllowed,
        (Allowed, Allowed) => Allowed,
    }
}

/// A need (action on one resource) that a policy does not allow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unallowed {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
}

/// The needs (each action on each of its resources) that `doc` does not
/// allow outright. Empty means the policy works for every need.
pub fn unallowed_needs(
    doc: &PolicyDocument,
    needs: &[Need],
) -> Result<Vec<Unallowed>, PolicyError> {
    let policy = parse_model(doc, "suggested policy")?;
    let ev = Evaluator::from_policy(&policy);
    let mut out = Vec::new();
    for n in needs {
        for r in &n.resources {
            let d = ev.decision(&n.action, r);
            if !d.is_allowed() {
                out.push(Unallowed {
                    action: n.action.clone(),
                    resource: r.clone(),
                    decision: d,
                });
            }
        }
    }
    Ok(out)
}
