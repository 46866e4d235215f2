//! `tighten check`'s rules over a role's current policy and what the code
//! needs: the `Finding` type (which cannot exist without a location), rule
//! metadata, the ordered registry in `rules/`, the configuration file, the
//! glue that gathers the inputs, and the four output formats.
//!
//! Data flows one way: `input` builds a [`CheckContext`], every enabled
//! rule reads it and returns findings, `config` drops ignored ones and sets
//! severities, and `output`/`sarif` render them. Nothing here picks an exit
//! code: `cli::check` does, from [`Summary::failed`].

pub mod config;
pub mod input;
pub mod output;
pub mod rules;
pub mod sarif;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diff::PolicyDiff;
use crate::need::Need;
use crate::policy::json::{JsonValue, Kind};
use crate::policy::parse::{Location, ParsedStatement, PolicySet};

/// How bad a finding is. Ordered: `Low < Medium < High`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding points: a line of a policy file or template (with the
/// JSON pointer of the element inside the policy document), or a line of
/// Python source for a missing permission. A policy read from AWS has no
/// file; its origin (`inline:NAME`, a managed policy ARN) names it instead.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingLocation {
    /// The file, as given on the command line or found by the scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column in `file`, when the policy's JSON was read from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// JSON pointer inside the policy document (`/Statement/1/Action/0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The policy's origin: `inline:NAME`, a managed policy ARN, or
    /// `template.yaml#LogicalId/Policies[0]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl FindingLocation {
    /// A line of Python source (or of a template, for a platform need).
    pub fn source_line(file: &str, line: usize) -> FindingLocation {
        FindingLocation {
            file: Some(file.to_string()),
            line: (line > 0).then_some(line),
            column: None,
            pointer: None,
            origin: None,
        }
    }

    /// What a reader looks at first: `file:line:column` or the origin.
    pub fn head(&self) -> String {
        let mut s = match (&self.file, &self.origin) {
            (Some(f), _) => f.clone(),
            (None, Some(o)) => o.clone(),
            (None, None) => "?".to_string(),
        };
        if let Some(l) = self.line {
            s += &format!(":{l}");
            if let Some(c) = self.column {
                s += &format!(":{c}");
            }
        }
        s
    }
}

/// One problem a rule found. Built only through [`Finding::new`], which
/// takes the location: there is no finding without one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    rule: &'static str,
    severity: Severity,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    location: FindingLocation,
    /// The IAM actions the finding is about, for `ignore` by action.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    actions: BTreeSet<String>,
}

impl Finding {
    pub fn new(rule: &Rule, location: FindingLocation, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.id,
            severity: rule.severity,
            message: message.into(),
            help: None,
            location,
            actions: BTreeSet::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn with_actions<I, S>(mut self, actions: I) -> Finding
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.actions.extend(actions.into_iter().map(Into::into));
        self
    }

    pub fn rule(&self) -> &'static str {
        self.rule
    }
    pub fn severity(&self) -> Severity {
        self.severity
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }
    pub fn location(&self) -> &FindingLocation {
        &self.location
    }
    pub fn actions(&self) -> &BTreeSet<String> {
        &self.actions
    }

    fn sort_key(&self) -> (FindingLocation, &'static str, String) {
        (self.location.clone(), self.rule, self.message.clone())
    }
}

/// A rule: stable id, default severity, one-line summary, its
/// documentation (the `//!` comment of its file) and the check itself.
pub struct Rule {
    /// Stable kebab-case id, used in config files, output and docs anchors.
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The rule file's source, from which [`Rule::doc`] takes the `//!`
    /// comment: one text is both the code's documentation and the user's.
    pub source: &'static str,
    pub check: fn(&CheckContext) -> Vec<Finding>,
}

impl Rule {
    /// The rule's documentation in Markdown (its file's `//!` comment).
    pub fn doc(&self) -> String {
        let mut out = String::new();
        for line in self.source.lines() {
            let Some(rest) = line.strip_prefix("//!") else {
                break;
            };
            out += rest.strip_prefix(' ').unwrap_or(rest);
            out += "\n";
        }
        out
    }
}

/// Everything a rule may look at.
pub struct CheckContext {
    /// The current policy: identity policies and boundary.
    pub policies: PolicySet,
    /// What the function needs: code, template platform, CloudTrail;
    /// optional needs included and marked.
    pub needs: Vec<Need>,
    /// The semantic diff of `needs` against `policies`.
    pub diff: PolicyDiff,
    /// Lower-cased actions the configuration allows whether or not the code
    /// needs them (`allowed-actions`).
    pub allowed_actions: BTreeSet<String>,
    /// Whether CloudTrail was read, so "unused" also means "not seen".
    pub trail_read: bool,
    /// Parsed JSON of policy files, by file name, to locate the element a
    /// finding is about to its line and column.
    pub trees: BTreeMap<String, JsonValue>,
    /// The scanned directory: code sources name files relative to it.
    pub source_root: PathBuf,
}

impl CheckContext {
    /// Lower-cased actions the function needs, plus the configured extras.
    pub fn needed_actions(&self) -> BTreeSet<String> {
        let mut s: BTreeSet<String> = self
            .needs
            .iter()
            .map(|n| n.action.to_ascii_lowercase())
            .collect();
        s.extend(self.allowed_actions.iter().cloned());
        s
    }

    /// A code source's file as a path a reader (or code scanning) can open.
    pub fn source_file(&self, file: &str) -> String {
        if Path::new(file).is_absolute() || self.source_root.as_os_str().is_empty() {
            return file.to_string();
        }
        self.source_root.join(file).display().to_string()
    }

    /// The identity policies' statements (the boundary is only a ceiling,
    /// whose breadth is its purpose, so rules about breadth skip it).
    pub fn statements(&self) -> impl Iterator<Item = &ParsedStatement> {
        self.policies.identity_statements()
    }

    /// The statement at `loc`, when it is one of the identity statements.
    /// Rules that ask many times use [`CheckContext::statement_map`].
    pub fn statement_at(&self, loc: &Location) -> Option<&ParsedStatement> {
        self.statements().find(|s| &s.location == loc)
    }

    /// The identity statements by location, for repeated lookups.
    pub fn statement_map(&self) -> BTreeMap<&Location, &ParsedStatement> {
        self.statements().map(|s| (&s.location, s)).collect()
    }

    /// Location of an element of a statement: `suffix` is a pointer below
    /// the statement (`/Action`, `/Resource`); `index` is `(i, len)`: the
    /// `i`th of the `len` patterns written there. Line and column come from
    /// the file when it was parsed.
    pub fn locate(
        &self,
        loc: &Location,
        suffix: &str,
        index: Option<(usize, usize)>,
    ) -> FindingLocation {
        let mut pointer = format!("{}{suffix}", loc.pointer);
        let mut line = loc.line.filter(|l| *l > 0);
        let mut column = None;
        let tree = loc.file.as_ref().and_then(|f| self.trees.get(f));
        if let Some(node) = tree.and_then(|t| walk(t, &pointer)) {
            let node = match (index, &node.kind) {
                (Some((i, _)), Kind::Array(items)) => match items.get(i) {
                    Some(item) => {
                        pointer = format!("{pointer}/{i}");
                        item
                    }
                    None => node,
                },
                _ => node,
            };
            line = Some(node.pos.line);
            column = Some(node.pos.column);
        } else if let Some((i, len)) = index
            && len > 1
        {
            // Without the file's JSON, a single pattern is taken to be
            // written as a string (`"s3:*"`, not `["s3:*"]`).
            pointer = format!("{pointer}/{i}");
        }
        FindingLocation {
            file: loc.file.clone(),
            line,
            column,
            pointer: Some(pointer),
            origin: Some(loc.origin.clone()),
        }
    }
}

/// The node at a JSON pointer.
fn walk<'a>(root: &'a JsonValue, pointer: &str) -> Option<&'a JsonValue> {
    let mut node = root;
    for part in pointer.split('/').skip(1) {
        let key = part.replace("~1", "/").replace("~0", "~");
        node = match &node.kind {
            Kind::Object(_) => node.get(&key)?,
            Kind::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Counts and the verdict of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// Findings dropped by `ignore` entries of the configuration.
    pub ignored: usize,
    pub fail_on: Option<Severity>,
    /// Some finding is at or above `fail_on`.
    pub failed: bool,
}

impl Summary {
    pub fn of(findings: &[Finding], ignored: usize, fail_on: Severity) -> Summary {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        Summary {
            total: findings.len(),
            high: count(Severity::High),
            medium: count(Severity::Medium),
            low: count(Severity::Low),
            ignored,
            fail_on: Some(fail_on),
            failed: findings.iter().any(|f| f.severity >= fail_on),
        }
    }
}

/// Runs every rule the configuration enables, applies its severities and
/// ignores, and sorts the findings. Returns the findings and how many were
/// ignored.
pub fn run(
    ctx: &CheckContext,
    config: &config::Config,
    role: Option<&str>,
) -> (Vec<Finding>, usize) {
    let mut out = Vec::new();
    let mut ignored = 0;
    for rule in rules::RULES {
        if !config.enabled(rule.id) {
            continue;
        }
        let severity = config.severity(rule.id).unwrap_or(rule.severity);
        for mut f in (rule.check)(ctx) {
            f.severity = severity;
            if config.ignores(&f, role) {
                ignored += 1;
            } else {
                out.push(f);
            }
        }
    }
    out.sort_by_cached_key(Finding::sort_key);
    out.dedup();
    (out, ignored)
}

/// `a, b, c (and 12 more)`: long action lists stay readable.
pub fn short_list<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(AsRef::as_ref).collect();
    let mut s = shown.join(", ");
    if items.len() > max {
        s += &format!(" (and {} more)", items.len() - max);
    }
    s
}
