//! IAM wildcard patterns (`*` and `?`) for actions and resource ARNs, and the
//! index of every IAM action that wildcards expand against.
//!
//! IAM's rules
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>,
//! `..._resource.html`, `..._variables.html`): action names match
//! case-insensitively, ARNs case-sensitively; `*` matches any run of
//! characters, `?` exactly one; `${*}`, `${?}` and `${$}` stand for the literal
//! characters. Any other `${...}` is symbolic: a policy variable in a
//! pattern (`${aws:username}`) or a placeholder in a requested ARN
//! (`${AWS::Region}`, `${BUCKET}`). A placeholder is one opaque token: `*`
//! can cover it, `?` cannot, and a literal matches it only when the text is
//! identical. A policy variable matches only the identical placeholder, or,
//! in `lenient` mode, anything (its value is known only at request time).

use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// `?`
    One,
    /// `*`
    Many,
    /// `${...}`, text included.
    Var(String),
}

/// Splits text into characters and `${...}` tokens. In a pattern, `*` and
/// `?` are wildcards; in a request they are plain characters.
fn tokens(s: &str, pattern: bool) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '$'
            && rest[1..].starts_with('{')
            && let Some(end) = rest.find('}')
        {
            let var = &rest[..=end];
            match (pattern, var) {
                (true, "${*}") => out.push(Tok::Char('*')),
                (true, "${?}") => out.push(Tok::Char('?')),
                (true, "${$}") => out.push(Tok::Char('$')),
                _ => out.push(Tok::Var(var.to_string())),
            }
            rest = &rest[end + 1..];
            continue;
        }
        out.push(match (pattern, c) {
            (true, '*') => Tok::Many,
            (true, '?') => Tok::One,
            _ => Tok::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A compiled pattern. Most patterns in real policies are exact or
/// `prefix*`, which need no token walk.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: String,
    form: Form,
    has_vars: bool,
}

#[derive(Clone, Debug)]
enum Form {
    Any,
    Exact(String),
    Prefix(String),
    Glob(Vec<Tok>),
}

/// A request (action or resource) split once, matched against many patterns.
#[derive(Clone, Debug)]
pub struct Subject {
    text: String,
    toks: Vec<Tok>,
    has_placeholders: bool,
}

impl Subject {
    pub fn action(action: &str) -> Subject {
        Subject::new(&action.to_ascii_lowercase())
    }

    pub fn resource(arn: &str) -> Subject {
        Subject::new(arn)
    }

    fn new(text: &str) -> Subject {
        let toks = tokens(text, false);
        let has_placeholders = toks.iter().any(|t| matches!(t, Tok::Var(_)));
        Subject {
            text: text.to_string(),
            toks,
            has_placeholders,
        }
    }
}

impl Pattern {
    pub fn action(p: &str) -> Pattern {
        Pattern::new(&p.to_ascii_lowercase())
    }

    pub fn resource(p: &str) -> Pattern {
        Pattern::new(p)
    }

    fn new(p: &str) -> Pattern {
        let toks = tokens(p, true);
        let has_vars = toks.iter().any(|t| matches!(t, Tok::Var(_)));
        let literal = |ts: &[Tok]| -> Option<String> {
            ts.iter()
                .map(|t| match t {
                    Tok::Char(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        let form = if toks == [Tok::Many] {
            Form::Any
        } else if let Some(s) = literal(&toks) {
            Form::Exact(s)
        } else if let Some((Tok::Many, head)) = toks.split_last()
            && let Some(s) = literal(head)
            // A `$` in the prefix could cut a placeholder of the subject
            // in half; those go through the token walk.
            && !s.contains('$')
        {
            Form::Prefix(s)
        } else {
            Form::Glob(toks)
        };
        Pattern {
            text: p.to_string(),
            form,
            has_vars,
        }
    }

    /// The pattern as written (lower-cased for actions).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern holds a policy variable, so a lenient match
    /// depends on the request's context.
    pub fn has_vars(&self) -> bool {
        self.has_vars
    }

    pub fn is_wildcard(&self) -> bool {
        !matches!(self.form, Form::Exact(_))
    }

    pub fn matches(&self, s: &Subject, lenient: bool) -> bool {
        match &self.form {
            Form::Any => true,
            // A literal never matches a placeholder token.
            Form::Exact(e) => !s.has_placeholders && *e == s.text,
            Form::Prefix(p) => s.text.starts_with(p.as_str()),
            Form::Glob(toks) => glob(toks, &s.toks, lenient),
        }
    }

    /// Whether the pattern could match the subject for some values of the
    /// unknowns on both sides: the subject's placeholders and `*` (a name the
    /// code reads at run time), and the pattern's policy variables. Used to
    /// tell "missing" from "depends on what `${BUCKET}` turns out to be".
    /// A subject of exactly `*` (an action without a resource type) is not
    /// an unknown: only a pattern that covers `*` matches it.
    pub fn may_match(&self, s: &Subject) -> bool {
        if self.matches(s, true) {
            return true;
        }
        if s.text == "*" {
            return false;
        }
        let p: Vec<Sym> = match &self.form {
            Form::Glob(toks) => toks.iter().map(|t| Sym::of(t, true)).collect(),
            Form::Any => return true,
            Form::Exact(e) | Form::Prefix(e) => {
                let mut v: Vec<Sym> = e.chars().map(|c| Sym::One(Some(c))).collect();
                if matches!(self.form, Form::Prefix(_)) {
                    v.push(Sym::Any);
                }
                v
            }
        };
        let t: Vec<Sym> = s.toks.iter().map(|t| Sym::of(t, false)).collect();
        intersects(&p, &t)
    }

    /// Matches plain text (no placeholders): for action names.
    pub fn matches_str(&self, s: &str) -> bool {
        match &self.form {
            Form::Any => true,
            Form::Exact(e) => e == s,
            Form::Prefix(p) => s.starts_with(p.as_str()),
            Form::Glob(_) => self.matches(&Subject::new(s), false),
        }
    }
}

/// Wildcard match, linear in the common case: on a mismatch, resume after
/// the last `*` one character further. That is complete for `*`-globs
/// because a later `*` can absorb whatever an earlier one would have.
fn glob(p: &[Tok], t: &[Tok], lenient: bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if let Some(pt) = p.get(pi) {
            let star_like = matches!(pt, Tok::Many) || (lenient && matches!(pt, Tok::Var(_)));
            if star_like {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            let ok = match (pt, &t[ti]) {
                (Tok::One, Tok::Char(_)) => true,
                (Tok::Char(a), Tok::Char(b)) => a == b,
                (Tok::Var(a), Tok::Var(b)) => a == b,
                _ => false,
            };
            if ok {
                pi += 1;
                ti += 1;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..]
        .iter()
        .all(|t| matches!(t, Tok::Many) || (lenient && matches!(t, Tok::Var(_))))
}

/// A token seen as a set of strings: any run of characters, or one
/// character (`None` = any).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sym {
    Any,
    One(Option<char>),
}

impl Sym {
    fn of(t: &Tok, pattern: bool) -> Sym {
        match t {
            Tok::Many | Tok::Var(_) => Sym::Any,
            Tok::One => Sym::One(None),
            // In a subject, `*` stands for a name not known statically.
            Tok::Char('*') if !pattern => Sym::Any,
            Tok::Char(c) => Sym::One(Some(*c)),
        }
    }
}

/// Whether two token sequences share a string: reachability in the product
/// of their automata, O(len(p) x len(t)) states.
fn intersects(p: &[Sym], t: &[Sym]) -> bool {
    let w = t.len() + 1;
    let mut seen = vec![false; (p.len() + 1) * w];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if std::mem::replace(&mut seen[i * w + j], true) {
            continue;
        }
        if i == p.len() && j == t.len() {
            return true;
        }
        let pi = p.get(i).copied();
        let tj = t.get(j).copied();
        if pi == Some(Sym::Any) {
            stack.push((i + 1, j));
        }
        if tj == Some(Sym::Any) {
            stack.push((i, j + 1));
        }
        // Both sides consume one common character.
        let (Some(a), Some(b)) = (pi, tj) else {
            continue;
        };
        let ca = match a {
            Sym::Any => None,
            Sym::One(c) => c,
        };
        let cb = match b {
            Sym::Any => None,
            Sym::One(c) => c,
        };
        if ca.is_some() && cb.is_some() && ca != cb {
            continue;
        }
        let ni = if a == Sym::Any { i } else { i + 1 };
        let nj = if b == Sym::Any { j } else { j + 1 };
        if (ni, nj) != (i, j) {
            stack.push((ni, nj));
        }
    }
    false
}

/// Every IAM action, grouped by service prefix so a pattern such as
/// `s3:Get*` is matched against S3's few hundred actions, not all of them.
#[derive(Clone, Debug, Default)]
pub struct ActionIndex {
    /// IAM casing, sorted.
    names: Vec<String>,
    /// Lower-cased prefix -> indices into `names`, with lower-cased names.
    by_prefix: BTreeMap<String, Vec<(usize, String)>>,
}

impl ActionIndex {
    pub fn new<I, S>(names: I) -> ActionIndex
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names: Vec<String> = names
            .into_iter()
            .map(|s| s.as_ref().trim().to_string())
            .filter(|s| s.contains(':') && !s.starts_with('#'))
            .collect();
        names.sort();
        names.dedup();
        let mut by_prefix: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
        for (i, n) in names.iter().enumerate() {
            let lower = n.to_ascii_lowercase();
            let prefix = lower.split(':').next().unwrap_or_default().to_string();
            by_prefix.entry(prefix).or_default().push((i, lower));
        }
        ActionIndex { names, by_prefix }
    }

    /// The bundled IAM action list (empty until the table is embedded).
    pub fn bundled() -> &'static ActionIndex {
        static INDEX: OnceLock<ActionIndex> = OnceLock::new();
        INDEX.get_or_init(|| {
            ActionIndex::new(
                crate::actionmap::table()
                    .all_actions()
                    .iter()
                    .map(|a| a.name.as_str()),
            )
        })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The action with IAM's casing, matched case-insensitively.
    pub fn lookup(&self, action: &str) -> Option<&str> {
        let lower = action.to_ascii_lowercase();
        let prefix = lower.split(':').next()?;
        self.by_prefix
            .get(prefix)?
            .iter()
            .find(|(_, l)| *l == lower)
            .map(|(i, _)| self.names[*i].as_str())
    }

    /// Indices (sorted) of the actions an `Action` pattern covers.
    pub fn matching(&self, pattern: &str) -> Vec<usize> {
        let p = Pattern::action(pattern);
        let lower = pattern.to_ascii_lowercase();
        match lower.split_once(':') {
            Some((prefix, _)) if !prefix.contains(['*', '?', '$']) => self
                .by_prefix
                .get(prefix)
                .map(|v| {
                    v.iter()
                        .filter(|(_, l)| p.matches_str(l))
                        .map(|(i, _)| *i)
                        .collect()
                })
                .unwrap_or_default(),
            _ => {
                let mut v: Vec<usize> = self
                    .by_prefix
                    .values()
                    .flatten()
                    .filter(|(_, l)| p.matches_str(l))
                    .map(|(i, _)| *i)
                    .collect();
                v.sort_unstable();
                v
            }
        }
    }

    /// The actions (IAM casing, sorted) an `Action` pattern covers.
    pub fn expand(&self, pattern: &str) -> Vec<String> {
        self.matching(pattern)
            .into_iter()
            .map(|i| self.names[i].clone())
            .collect()
    }
}

/// The bundled actions a pattern covers: `expand_action_pattern("s3:Get*")`.
pub fn expand_action_pattern(pattern: &str) -> Vec<String> {
    ActionIndex::bundled().expand(pattern)
}

/// The same against a given action list.
pub fn expand_action_pattern_in(pattern: &str, actions: &ActionIndex) -> Vec<String> {
    actions.expand(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Pattern::resource(p).matches(&Subject::resource(s), false)
    }

    #[test]
    fn wildcards() {
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y"));
        assert!(!m("arn:aws:s3:::b/*", "arn:aws:s3:::c/x"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b", "xxaxxbxx"));
        assert!(m("${*}", "*"));
        assert!(!m("${*}", "x"));
    }

    #[test]
    fn placeholders_are_opaque() {
        assert!(m("arn:aws:s3:::*", "arn:aws:s3:::${BUCKET}"));
        assert!(m("arn:aws:s3:::${BUCKET}/*", "arn:aws:s3:::${BUCKET}/*"));
        assert!(!m("arn:aws:s3:::mybucket", "arn:aws:s3:::${BUCKET}"));
        assert!(!m("arn:aws:s3:::?", "arn:aws:s3:::${B}"));
        assert!(!m("arn:aws:s3:::$*", "arn:aws:s3:::${B}"));
    }

    #[test]
    fn may_match_with_unknowns() {
        let mm = |p: &str, s: &str| Pattern::resource(p).may_match(&Subject::resource(s));
        assert!(mm("arn:aws:s3:::mybucket/*", "arn:aws:s3:::${BUCKET}/*"));
        assert!(mm(
            "arn:aws:ecs:*:*:cluster/ECSEsgaroth",
            "arn:aws:ecs:${AWS::Region}:${AWS::AccountId}:cluster/*"
        ));
        assert!(mm(
            "arn:aws:sqs:us-east-1:123:q",
            "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q"
        ));
        assert!(!mm(
            "arn:aws:sqs:us-east-1:123:q",
            "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:other"
        ));
        assert!(!mm("arn:aws:s3:::b/*", "arn:aws:s3:::c/${KEY}"));
        assert!(!mm("arn:aws:s3:::*", "*"));
        assert!(mm("arn:aws:s3:::a?c", "arn:aws:s3:::${X}"));
    }

    #[test]
    fn index_expands_per_prefix() {
        let idx = ActionIndex::new([
            "s3:GetObject",
            "s3:PutObject",
            "s3:GetBucketPolicy",
            "sqs:GetQueueUrl",
        ]);
        assert_eq!(
            idx.expand("S3:get*"),
            vec!["s3:GetBucketPolicy", "s3:GetObject"]
        );
        assert_eq!(idx.expand("*:Get*").len(), 3);
        assert_eq!(idx.expand("*").len(), 4);
        assert_eq!(idx.lookup("SQS:getqueueurl"), Some("sqs:GetQueueUrl"));
    }
}
