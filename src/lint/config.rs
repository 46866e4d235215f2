//! The `tighten.toml` / `.tighten.toml` configuration of `tighten check`:
//! per-rule switches and severities, ignores (each with a required
//! `reason`), and actions a role may hold though the code does not use them.
//! Unknown keys are errors, so a typo never silently turns a rule off.
//!
//! ```toml
//! fail-on = "medium"
//! allowed-actions = ["xray:PutTraceSegments"]
//!
//! [rules.wildcard-resource]
//! severity = "low"
//!
//! [rules.access-level-mismatch]
//! enabled = false
//!
//! [[ignore]]
//! rule = "unused-permission"
//! action = "s3:ListBucket"
//! reason = "listed by the nightly report job that shares this role"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Finding, Severity, rules};
use crate::policy::pattern::Pattern;

/// File names looked for, in each directory from PATH upwards.
pub const FILE_NAMES: [&str; 2] = ["tighten.toml", ".tighten.toml"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    /// toml's message names the key, line and column.
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Where the configuration was read from (not a key of the file).
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// Default for `--fail-on`.
    pub fail_on: Option<Severity>,
    /// Per-rule settings, by rule id.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    #[serde(default)]
    pub ignore: Vec<Ignore>,
    /// Actions (or action patterns) the role may hold without the code
    /// needing them: not reported as unused or as an access-level mismatch.
    #[serde(default)]
    pub allowed_actions: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleConfig {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
}

/// Drops the findings it matches: every key given must match.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Ignore {
    /// A rule id.
    pub rule: Option<String>,
    /// An IAM action or pattern (`s3:Get*`), matched against the finding's
    /// actions case-insensitively.
    pub action: Option<String>,
    /// The role or function checked (`--role`, `--function`, or the
    /// template function's logical id).
    pub role: Option<String>,
    /// A file path or glob (`*` and `?`) matched against the finding's file.
    pub path: Option<String>,
    /// Why: required, so every exception explains itself in review.
    pub reason: String,
}

impl Config {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        let mut c = Config::parse(&text, &file)?;
        c.file = Some(path.to_path_buf());
        Ok(c)
    }

    /// Parses configuration text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            file: file.to_string(),
            message,
        };
        let known: BTreeSet<&str> = rules::RULES.iter().map(|r| r.id).collect();
        for id in c.rules.keys() {
            if !known.contains(id.as_str()) {
                return Err(invalid(format!(
                    "[rules.{id}]: no such rule (see `tighten rules`)"
                )));
            }
        }
        for (i, ig) in c.ignore.iter().enumerate() {
            if let Some(id) = &ig.rule
                && !known.contains(id.as_str())
            {
                return Err(invalid(format!(
                    "ignore[{i}].rule: no such rule `{id}` (see `tighten rules`)"
                )));
            }
            if ig.reason.trim().is_empty() {
                return Err(invalid(format!("ignore[{i}].reason: must not be empty")));
            }
            if ig.rule.is_none() && ig.action.is_none() && ig.role.is_none() && ig.path.is_none() {
                return Err(invalid(format!(
                    "ignore[{i}]: give at least one of rule, action, role, path"
                )));
            }
        }
        Ok(c)
    }

    /// `tighten.toml` or `.tighten.toml` in the directory of `start` or the
    /// nearest one above it.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let abs = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = if abs.is_dir() {
            Some(abs.as_path())
        } else {
            abs.parent()
        };
        while let Some(d) = dir {
            for name in FILE_NAMES {
                let p = d.join(name);
                if p.is_file() {
                    return Some(p);
                }
            }
            dir = d.parent();
        }
        None
    }

    pub fn enabled(&self, rule: &str) -> bool {
        self.rules.get(rule).and_then(|r| r.enabled).unwrap_or(true)
    }

    pub fn severity(&self, rule: &str) -> Option<Severity> {
        self.rules.get(rule).and_then(|r| r.severity)
    }

    /// Lower-cased actions from `allowed-actions`, patterns expanded.
    pub fn allowed_action_set(&self) -> BTreeSet<String> {
        let index = crate::policy::ActionIndex::bundled();
        let mut out = BTreeSet::new();
        for a in &self.allowed_actions {
            if a.contains(['*', '?']) {
                out.extend(index.expand(a).iter().map(|x| x.to_ascii_lowercase()));
            } else {
                out.insert(a.to_ascii_lowercase());
            }
        }
        out
    }

    /// Whether an `ignore` entry matches the finding.
    pub fn ignores(&self, f: &Finding, role: Option<&str>) -> bool {
        self.ignore.iter().any(|ig| {
            ig.rule.as_deref().is_none_or(|r| r == f.rule())
                && ig.role.as_deref().is_none_or(|r| Some(r) == role)
                && ig.path.as_deref().is_none_or(|p| {
                    let pat = Pattern::resource(p);
                    [&f.location().file, &f.location().origin]
                        .into_iter()
                        .flatten()
                        .any(|file| pat.matches_str(file) || pat.matches_str(&normal(file)))
                })
                && ig.action.as_deref().is_none_or(|a| {
                    let pat = Pattern::action(a);
                    !f.actions().is_empty()
                        && f.actions()
                            .iter()
                            .all(|x| pat.matches_str(&x.to_ascii_lowercase()))
                })
        })
    }
}

/// `./a/b` and `a/b` are one path to an ignore entry.
fn normal(p: &str) -> String {
    p.trim_start_matches("./").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{FindingLocation, rules::by_id};

    fn finding(rule: &str, file: &str, actions: &[&str]) -> Finding {
        let rule = by_id(rule).expect("rule");
        Finding::new(rule, FindingLocation::source_line(file, 3), "m")
            .with_actions(actions.iter().copied())
    }

    #[test]
    fn ignores_match_on_every_key_given() {
        let c = Config::parse(
            r#"
[[ignore]]
rule = "unused-permission"
action = "s3:Get*"
path = "infra/*.json"
reason = "shared with the report job"
"#,
            "tighten.toml",
        )
        .expect("valid");
        let hit = finding("unused-permission", "./infra/role.json", &["s3:GetObject"]);
        assert!(c.ignores(&hit, None));
        let other_action = finding("unused-permission", "infra/role.json", &["s3:PutObject"]);
        assert!(!c.ignores(&other_action, None));
        let other_rule = finding("wildcard-action", "infra/role.json", &["s3:GetObject"]);
        assert!(!c.ignores(&other_rule, None));
        let other_path = finding("unused-permission", "src/role.json", &["s3:GetObject"]);
        assert!(!c.ignores(&other_path, None));
    }

    #[test]
    fn ignores_by_role_need_that_role() {
        let c = Config::parse(
            "[[ignore]]\nrole = \"OrderIntake\"\nreason = \"legacy\"\n",
            "t.toml",
        )
        .expect("valid");
        let f = finding("admin-access", "template.yaml", &[]);
        assert!(c.ignores(&f, Some("OrderIntake")));
        assert!(!c.ignores(&f, Some("Other")));
        assert!(!c.ignores(&f, None));
    }

    #[test]
    fn bad_files_name_what_is_wrong() {
        let err = |text: &str| {
            Config::parse(text, "t.toml")
                .expect_err("invalid")
                .to_string()
        };
        assert!(err("fail-on = \"severe\"\n").contains("line 1"));
        assert!(err("[[ignore]]\nrule = \"x-rule\"\nreason = \"r\"\n").contains("x-rule"));
        assert!(err("[[ignore]]\nreason = \"r\"\n").contains("at least one of"));
        assert!(err("[[ignore]]\nrule = \"admin-access\"\nreason = \" \"\n").contains("reason"));
        assert!(err("alowed-actions = []\n").contains("alowed-actions"));
    }
}
