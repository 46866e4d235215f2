//! SARIF 2.1.0 output for code scanning
//! (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>):
//! one run, every rule's metadata under `tool.driver.rules` (so an upload
//! shows the documentation next to each alert), results with a physical
//! location relative to the working directory. GitHub reads the
//! `security-severity` property to rank alerts.

use std::path::Path;

use serde_json::{Value, json};

use super::{Finding, Rule, Severity, rules};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's scale: critical > 9, high 7-8.9, medium 4-6.9, low < 4.
/// <https://docs.github.com/en/code-security/code-scanning/managing-your-code-scanning-configuration/sarif-support-for-code-scanning>
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
    }
}

/// The first paragraph under "What it does" of a rule's documentation.
fn what_it_does(doc: &str) -> String {
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.starts_with("## What it does"))
        .skip(1);
    let para: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("## "))
        .collect();
    para.join(" ")
}

fn rule_descriptor(r: &Rule) -> Value {
    let doc = r.doc();
    json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": what_it_does(&doc)},
        "help": {"text": doc, "markdown": doc},
        "helpUri": rules::help_uri(r.id),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "tags": ["security", "iam", "least-privilege"],
            "security-severity": security_severity(r.severity),
        },
    })
}

/// A path as a URI relative to `cwd` (`/`-separated), or a `file://` URI
/// for an absolute path outside it.
fn artifact_location(file: &str, cwd: &Path) -> Value {
    let p = Path::new(file);
    let rel = if p.is_absolute() {
        match p.strip_prefix(cwd) {
            Ok(r) => r,
            Err(_) => {
                let abs = p.to_string_lossy().replace('\\', "/");
                return json!({"uri": format!("file://{abs}")});
            }
        }
    } else {
        p
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    json!({"uri": s.trim_start_matches("./"), "uriBaseId": "%SRCROOT%"})
}

fn result(f: &Finding, cwd: &Path) -> Value {
    let rule_index = rules::RULES.iter().position(|r| r.id == f.rule());
    let l = f.location();
    let mut location = serde_json::Map::new();
    if let Some(file) = &l.file {
        let mut physical = json!({
            "artifactLocation": artifact_location(file, cwd),
        });
        if let Some(line) = l.line {
            let mut region = json!({"startLine": line});
            if let Some(c) = l.column {
                region["startColumn"] = json!(c);
            }
            physical["region"] = region;
        }
        location.insert("physicalLocation".into(), physical);
    }
    if let Some(origin) = &l.origin {
        let name = match &l.pointer {
            Some(p) => format!("{origin}{p}"),
            None => origin.clone(),
        };
        location.insert(
            "logicalLocations".into(),
            json!([{"fullyQualifiedName": name, "kind": "object"}]),
        );
    }
    let mut message = f.message().to_string();
    if let Some(h) = f.help() {
        message += &format!("\nhelp: {h}");
    }
    let mut r = json!({
        "ruleId": f.rule(),
        "level": level(f.severity()),
        "message": {"text": message},
        "locations": [Value::Object(location)],
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    r
}

/// The SARIF log for `findings`; paths are made relative to `cwd`.
pub fn sarif(findings: &[Finding], cwd: &Path) -> String {
    let log = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tighten",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": rules::docs_url(),
                "rules": rules::RULES.iter().map(rule_descriptor).collect::<Vec<_>>(),
            }},
            "results": findings.iter().map(|f| result(f, cwd)).collect::<Vec<_>>(),
            "columnKind": "unicodeCodePoints",
        }],
    });
    // Serialising our own plain data cannot fail.
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_working_directory() {
        let cwd = Path::new("/repo");
        let uri = |f: &str| artifact_location(f, cwd)["uri"].clone();
        assert_eq!(uri("/repo/src/app.py"), "src/app.py");
        assert_eq!(uri("./policy.json"), "policy.json");
        assert_eq!(uri("/elsewhere/p.json"), "file:///elsewhere/p.json");
    }

    #[test]
    fn full_description_is_the_first_paragraph_of_what_it_does() {
        let doc = "Rule x.\n\n## What it does\nFinds a\nthing.\n\nMore.\n## Why is this bad?\n";
        assert_eq!(what_it_does(doc), "Finds a thing.");
    }
}
