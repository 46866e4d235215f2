//! Rendering findings as text (compiler style, coloured on a terminal
//! only), versioned JSON, and GitHub workflow annotations. SARIF lives in
//! `sarif.rs`. Renderers only format: the findings arrive sorted.

use std::path::Path;

use serde_json::json;

use super::{Finding, Severity, Summary};

/// Output formats of `tighten check`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `file:line:col: severity[rule] message` and a `= help:` line.
    Text,
    /// `{"version": 1, "findings": [...], "summary": {...}}`.
    Json,
    /// SARIF 2.1.0 for code scanning (`github/codeql-action/upload-sarif`).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...,line=...::`).
    Github,
}

/// ANSI colours, on only when asked (a terminal without `NO_COLOR`).
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(self, s: Severity, text: &str) -> String {
        match s {
            Severity::High => self.wrap("1;31", text),
            Severity::Medium => self.wrap("1;33", text),
            Severity::Low => self.wrap("1;36", text),
        }
    }
    fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
}

pub fn text(findings: &[Finding], summary: &Summary, warnings: &[String], paint: Paint) -> String {
    let mut o = String::new();
    for f in findings {
        let l = f.location();
        let label = format!("{}[{}]", f.severity(), f.rule());
        o += &format!(
            "{}: {} {}\n",
            paint.bold(&l.head()),
            paint.severity(f.severity(), &label),
            f.message()
        );
        let mut notes = Vec::new();
        if let Some(p) = &l.pointer {
            match (&l.origin, &l.file) {
                (Some(origin), Some(file)) if origin != file => {
                    notes.push(format!("in {origin} at {p}"))
                }
                _ => notes.push(format!("at {p}")),
            }
        }
        for n in notes {
            o += &format!("  {} {n}\n", paint.dim("="));
        }
        if let Some(h) = f.help() {
            o += &format!("  {} {h}\n", paint.dim("= help:"));
        }
    }
    for w in warnings {
        o += &format!("{} {w}\n", paint.wrap("33", "warning:"));
    }
    let fail_on = summary.fail_on.unwrap_or(Severity::Medium);
    if summary.total == 0 {
        o += "tighten check: no findings";
    } else {
        o += &format!(
            "tighten check: {} finding(s): {} high, {} medium, {} low",
            summary.total, summary.high, summary.medium, summary.low
        );
    }
    if summary.ignored > 0 {
        o += &format!(" ({} ignored by configuration)", summary.ignored);
    }
    o += &format!(
        "; {} at or above --fail-on {fail_on}\n",
        if summary.failed { "some" } else { "none" }
    );
    o
}

pub fn json(findings: &[Finding], summary: &Summary, warnings: &[String]) -> String {
    let v = json!({
        "version": 1,
        "findings": findings,
        "summary": summary,
        "warnings": warnings,
    });
    // Serialising our own plain data cannot fail.
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Workflow commands: `::error file=F,line=L,col=C,title=T::message`, with
/// paths relative to `cwd` (the workspace), as annotations need them.
/// <https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions>
pub fn github(findings: &[Finding], cwd: &Path) -> String {
    let mut o = String::new();
    for f in findings {
        let level = match f.severity() {
            Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "notice",
        };
        let l = f.location();
        let mut props = Vec::new();
        if let Some(file) = &l.file {
            let rel = Path::new(file)
                .strip_prefix(cwd)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| file.clone());
            let rel = rel.trim_start_matches("./");
            props.push(format!("file={}", escape_property(rel)));
            if let Some(line) = l.line {
                props.push(format!("line={line}"));
                if let Some(c) = l.column {
                    props.push(format!("col={c}"));
                }
            }
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("tighten {}[{}]", f.severity(), f.rule()))
        ));
        let mut message = f.message().to_string();
        if l.file.is_none()
            && let Some(origin) = &l.origin
        {
            message = format!("{origin}: {message}");
        }
        if let Some(h) = f.help() {
            message += &format!("\nhelp: {h}");
        }
        o += &format!("::{level} {}::{}\n", props.join(","), escape_data(&message));
    }
    o
}

/// Warnings (unresolved calls, unread policies) as `::warning` lines.
pub fn github_warnings(warnings: &[String]) -> String {
    warnings
        .iter()
        .map(|w| format!("::warning title=tighten::{}\n", escape_data(w)))
        .collect()
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_their_separators() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(escape_data("x: y, z"), "x: y, z");
    }
}
