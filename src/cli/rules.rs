//! `tighten rules [ID]`: the list of check rules, one rule's documentation,
//! or (`--markdown`) the whole reference that `docs/rules.md` holds.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

use crate::lint::rules::{RULES, by_id, markdown};

#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    /// A rule id (`wildcard-action`) whose documentation to print.
    ///
    /// Without it, lists every rule with its default severity and summary.
    pub id: Option<String>,

    /// Print the Markdown rule reference (the content of docs/rules.md).
    ///
    /// Regenerate the checked-in file with
    /// `tighten rules --markdown > docs/rules.md`.
    #[arg(long, conflicts_with = "id")]
    pub markdown: bool,

    /// Print the list as JSON (`[{"id", "severity", "summary"}]`).
    #[arg(long, conflicts_with_all = ["id", "markdown"])]
    pub json: bool,
}

pub fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    let text = if args.markdown {
        markdown()
    } else if args.json {
        let list: Vec<serde_json::Value> = RULES
            .iter()
            .map(|r| serde_json::json!({"id": r.id, "severity": r.severity, "summary": r.summary}))
            .collect();
        serde_json::to_string_pretty(&list)? + "\n"
    } else if let Some(id) = &args.id {
        match by_id(id) {
            Some(r) => format!("{} (default severity: {})\n\n{}", r.id, r.severity, r.doc()),
            None => {
                let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                bail!("no rule `{id}`; the rules are: {}", ids.join(", "));
            }
        }
    } else {
        let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
        RULES
            .iter()
            .map(|r| {
                format!(
                    "{:<width$}  {:<6}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.summary
                )
            })
            .collect()
    };
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}
