//! `tighten trail`: what CloudTrail shows a role using, as a policy, a
//! versioned JSON report or text. The evidence comes from
//! [`crate::cloudtrail`]; this file only renders it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::cloudtrail::{
    self, RecordError, TrailEvidence, TrailSourceArgs, TrailStats, UnmappedEvent,
};
use crate::need::{Need, Source};
use crate::policy::synth::synthesize;

#[derive(clap::Args, Debug)]
pub struct TrailArgs {
    #[command(flatten)]
    pub source: TrailSourceArgs,

    /// Output: a policy, a JSON report, or text.
    ///
    /// `policy` prints the observed actions as a minimal IAM policy (denied
    /// calls are not in it: they are listed on stderr). `json` prints the
    /// versioned report: needs with their trail counts and first/last seen,
    /// denied calls, unmapped events and read statistics. `text` prints the
    /// same for people.
    #[arg(long, value_enum, default_value_t = TrailFormat::Policy)]
    pub format: TrailFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrailFormat {
    Policy,
    Json,
    Text,
}

/// The `--format json` document. `version` changes when a field changes
/// meaning or goes away.
#[derive(Serialize)]
struct TrailReport<'a> {
    version: u32,
    needs: Vec<&'a Need>,
    denied: &'a [Need],
    unmapped: &'a [UnmappedEvent],
    stats: &'a TrailStats,
}

pub fn run(args: TrailArgs) -> anyhow::Result<ExitCode> {
    if args.source.print_sql {
        let sql = cloudtrail::athena_sql(&args.source)?
            .context("--print-sql prints the Athena query: add --athena-table")?;
        emit(&sql)?;
        return Ok(ExitCode::SUCCESS);
    }
    let evidence = cloudtrail::collect(&args.source)?.context(
        "no CloudTrail source: give --trail-logs DIR|FILE, --trail-lookup or --trail-athena",
    )?;
    let out = match args.format {
        TrailFormat::Policy => {
            warn_summary(&evidence);
            synthesize(&evidence.needs.for_policy(false)).to_pretty_json() + "\n"
        }
        TrailFormat::Json => {
            let report = TrailReport {
                version: 1,
                needs: evidence.needs.iter().collect(),
                denied: &evidence.denied,
                unmapped: &evidence.unmapped,
                stats: &evidence.stats,
            };
            serde_json::to_string_pretty(&report).context("rendering the JSON report")? + "\n"
        }
        TrailFormat::Text => render_text(&evidence),
    };
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn emit(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

fn trail_source(n: &Need) -> Option<(u64, &str, &str)> {
    n.sources.iter().find_map(|s| match s {
        Source::Trail {
            count,
            first_seen,
            last_seen,
        } => Some((
            *count,
            first_seen.as_deref().unwrap_or("?"),
            last_seen.as_deref().unwrap_or("?"),
        )),
        _ => None,
    })
}

fn error_line(e: &RecordError) -> String {
    match e.record {
        Some(i) => format!("{}: record {i}: {}", e.file, e.message),
        None => format!("{}: {}", e.file, e.message),
    }
}

/// With `--format policy` stdout is the policy only; what did not make it
/// into the policy goes to stderr so it is not lost.
fn warn_summary(ev: &TrailEvidence) {
    for n in &ev.denied {
        let res: Vec<&str> = n.resources.iter().map(String::as_str).collect();
        eprintln!(
            "denied: {} on {} (needed, not granted)",
            n.action,
            res.join(", ")
        );
    }
    for u in &ev.unmapped {
        eprintln!(
            "unmapped: {} {} ({} calls): {}",
            u.event_source, u.event_name, u.count, u.reason
        );
    }
    for e in &ev.stats.errors {
        eprintln!("warning: {}", error_line(e));
    }
    if ev.stats.matched == 0 {
        eprintln!(
            "warning: no records of the role in the window ({} records read, {} of other roles, {} outside the window)",
            ev.stats.records, ev.stats.skipped_other_roles, ev.stats.outside_window
        );
    }
}

fn render_text(ev: &TrailEvidence) -> String {
    let mut s = String::new();
    let line = |s: &mut String, n: &Need| {
        let (count, first, last) = trail_source(n).unwrap_or((0, "?", "?"));
        let res: Vec<&str> = n.resources.iter().map(String::as_str).collect();
        let note = if cloudtrail::unobservable(&n.action) {
            "  (data event)"
        } else {
            ""
        };
        s.push_str(&format!(
            "  {:<40} {count:>7} calls  {first} .. {last}{note}\n      on {}\n",
            n.action,
            res.join(", ")
        ));
    };
    s.push_str(&format!("Used ({} actions):\n", ev.needs.needs.len()));
    for n in ev.needs.iter() {
        line(&mut s, n);
    }
    if !ev.denied.is_empty() {
        s.push_str(&format!(
            "\nDenied ({} actions: needed, not granted):\n",
            ev.denied.len()
        ));
        for n in &ev.denied {
            line(&mut s, n);
        }
    }
    if !ev.unmapped.is_empty() {
        s.push_str("\nNot mapped to an IAM action:\n");
        for u in &ev.unmapped {
            s.push_str(&format!(
                "  {} {} ({} calls): {}\n",
                u.event_source, u.event_name, u.count, u.reason
            ));
        }
    }
    let st = &ev.stats;
    s.push_str(&format!(
        "\nRead {} files, {} records: {} of the role in the window ({} failed, {} denied), {} of other roles, {} outside the window, {} errors.\n",
        st.files,
        st.records,
        st.matched,
        st.failed_calls,
        st.denied_calls,
        st.skipped_other_roles,
        st.outside_window,
        st.errors.len()
    ));
    for e in &st.errors {
        s.push_str(&format!("  error: {}\n", error_line(e)));
    }
    s.push_str(
        "\nCloudTrail does not record data events (object and item reads and writes, invocations, \
messages) unless the trail opts in: their absence means unobservable, not unused.\n",
    );
    s
}
