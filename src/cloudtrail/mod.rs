//! CloudTrail as evidence: which IAM actions a role's sessions really used.
//!
//! This module owns the records and their sources (log files on disk, the
//! LookupEvents API, Athena over a trail's S3 bucket), the selection of the
//! role's sessions in a time window, and the normalisation of
//! `eventSource` + `eventName` to IAM actions on generalised resources. It
//! returns a [`TrailEvidence`]; it prints nothing but progress.

use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::need::{Need, NeedSet};

pub mod athena;
pub mod files;
pub mod lookup;
pub mod normalise;
pub mod observability;
pub mod record;
pub mod s3;
mod sdk;
pub mod select;
pub mod window;

pub use normalise::Observations;
pub use observability::unobservable;
pub use select::RoleSelector;
pub use window::TimeWindow;

/// What CloudTrail shows about a role.
#[derive(Debug, Default)]
pub struct TrailEvidence {
    /// Actions the role used (and was allowed), each with a `Source::Trail`.
    pub needs: NeedSet,
    /// Actions the role tried and was denied: needs that are missing, not
    /// grants in use.
    pub denied: Vec<Need>,
    /// Events that map to no IAM action, with why; never guessed.
    pub unmapped: Vec<UnmappedEvent>,
    pub stats: TrailStats,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnmappedEvent {
    pub event_source: String,
    pub event_name: String,
    pub count: u64,
    pub reason: String,
}

/// A record or file that could not be read; the run goes on without it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RecordError {
    pub file: String,
    /// Index in the file's `Records` array, when the error is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TrailStats {
    /// Log files read (0 for the API sources).
    pub files: u64,
    /// Records read, whoever made them.
    pub records: u64,
    /// Records of the role's sessions inside the time window.
    pub matched: u64,
    pub skipped_other_roles: u64,
    pub outside_window: u64,
    /// Matched calls that failed for a reason other than authorisation.
    pub failed_calls: u64,
    /// Matched calls denied by IAM.
    pub denied_calls: u64,
    pub errors: Vec<RecordError>,
}

impl TrailStats {
    pub fn merge(&mut self, o: TrailStats) {
        self.files += o.files;
        self.records += o.records;
        self.matched += o.matched;
        self.skipped_other_roles += o.skipped_other_roles;
        self.outside_window += o.outside_window;
        self.failed_calls += o.failed_calls;
        self.denied_calls += o.denied_calls;
        self.errors.extend(o.errors);
    }
}

/// The CloudTrail source and selection flags, shared by `tighten trail` and
/// `tighten scan` (which flattens them).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TrailSourceArgs {
    /// CloudTrail log files or directories to read.
    ///
    /// Files as trails deliver them (`{"Records": [...]}`, `.json` or
    /// `.json.gz`), or a directory holding them at any depth, such as a
    /// synced `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/` tree or an
    /// organisation trail's `AWSLogs/<org-id>/<account>/...`. Digest files
    /// are skipped. `s3://bucket/prefix` reads the trail's bucket directly
    /// (ListObjectsV2 and GetObject, one object in memory at a time).
    /// Repeat the flag to read several.
    #[arg(long = "trail-logs", value_name = "DIR|FILE|s3://BUCKET/PREFIX")]
    pub trail_logs: Vec<PathBuf>,

    /// Read the role's events from CloudTrail's LookupEvents API.
    ///
    /// Management events only (data events such as s3:GetObject are never in
    /// event history), the last 90 days, in the configured region. Requests
    /// are limited to 2 per second, AWS's quota for the API, and throttled
    /// requests are retried with exponential backoff.
    #[arg(long = "trail-lookup")]
    pub trail_lookup: bool,

    /// Narrow LookupEvents to this user name (a role session's name).
    ///
    /// For a Lambda function's role the session name is the function's name.
    /// Without it every event in the window is fetched and filtered here.
    #[arg(
        long = "lookup-username",
        value_name = "SESSION",
        requires = "trail_lookup"
    )]
    pub lookup_username: Option<String>,

    /// Aggregate the role's events with Athena over a CloudTrail table.
    ///
    /// tighten writes one query (the role's sessions in the time window,
    /// grouped by event source, event name, resources and error code), runs
    /// it in the work group and reads the grouped rows. Needs
    /// --athena-table and --athena-workgroup.
    #[arg(long = "trail-athena", requires_all = ["athena_table", "athena_workgroup"])]
    pub trail_athena: bool,

    /// The Athena table over the trail, `database.table` or `table`.
    ///
    /// A table created with CloudTrail's standard schema (the console's
    /// "Create Athena table" or the documented CREATE TABLE).
    #[arg(long = "athena-table", value_name = "DB.TABLE")]
    pub athena_table: Option<String>,

    /// The Athena work group the query runs in.
    ///
    /// Its settings (engine version, result location, data-scanned limit)
    /// apply to the query.
    #[arg(long = "athena-workgroup", value_name = "NAME")]
    pub athena_workgroup: Option<String>,

    /// Where Athena writes the query's results, `s3://bucket/prefix/`.
    ///
    /// Needed only when the work group has no output location of its own.
    #[arg(long = "athena-output", value_name = "S3_URI")]
    pub athena_output: Option<String>,

    /// Print the Athena query and exit without running it.
    ///
    /// For review before it runs (and is billed).
    #[arg(long = "print-sql")]
    pub print_sql: bool,

    /// The role whose sessions to read: a name or an ARN.
    ///
    /// A name matches the role under any path (`role/NAME` and
    /// `role/path/NAME`); an ARN matches exactly. Sessions are found by
    /// `userIdentity.sessionContext.sessionIssuer.arn` and by the
    /// `assumed-role/NAME/SESSION` ARN of the caller.
    #[arg(long = "role", value_name = "NAME|ARN")]
    pub role: Option<String>,

    /// Start of the window: RFC 3339 time, date, or duration before now.
    ///
    /// `2024-05-01T00:00:00Z`, `2024-05-01` (midnight UTC) or `90d`, `12h`,
    /// `2w`. Default: 90 days before now.
    #[arg(long = "since", value_name = "TIME")]
    pub since: Option<String>,

    /// End of the window (exclusive), same forms as --since.
    ///
    /// Default: now. A duration counts back from now (`--until 7d` ends the
    /// window a week ago).
    #[arg(long = "until", value_name = "TIME")]
    pub until: Option<String>,
}

impl TrailSourceArgs {
    /// Whether any CloudTrail source was asked for.
    pub fn any_source(&self) -> bool {
        !self.trail_logs.is_empty() || self.trail_lookup || self.trail_athena
    }

    fn selection(&self) -> anyhow::Result<(RoleSelector, TimeWindow)> {
        let role = self.role.as_deref().context(
            "--role is required with a CloudTrail source: the role whose sessions to read",
        )?;
        let role = RoleSelector::parse(role).map_err(anyhow::Error::msg)?;
        let window = TimeWindow::parse(
            self.since.as_deref(),
            self.until.as_deref(),
            window::now_unix(),
        )
        .map_err(anyhow::Error::msg)?;
        Ok((role, window))
    }
}

/// The Athena query `--print-sql` shows, or `None` when Athena is not asked
/// for. Callers print it and stop instead of calling [`collect`].
pub fn athena_sql(args: &TrailSourceArgs) -> anyhow::Result<Option<String>> {
    if !args.trail_athena && !args.print_sql {
        return Ok(None);
    }
    let table = args
        .athena_table
        .as_deref()
        .context("--print-sql needs --athena-table")?;
    let (role, window) = args.selection()?;
    Ok(Some(athena::query_sql(table, &role, &window)?))
}

/// Reads every source the flags name and returns the role's evidence, or
/// `None` when no CloudTrail flag was given.
pub fn collect(args: &TrailSourceArgs) -> anyhow::Result<Option<TrailEvidence>> {
    if !args.any_source() {
        if args.role.is_some() || args.since.is_some() || args.until.is_some() {
            anyhow::bail!(
                "--role/--since/--until select CloudTrail events: add a source (--trail-logs, --trail-lookup or --trail-athena)"
            );
        }
        return Ok(None);
    }
    let (role, window) = args.selection()?;
    let mut obs = Observations::default();
    // `s3://bucket/prefix` entries are read through the S3 API, the rest
    // from disk.
    let mut buckets = Vec::new();
    let mut local = Vec::new();
    for p in &args.trail_logs {
        match s3::S3Location::parse(&p.to_string_lossy()) {
            Some(loc) => buckets.push(loc.map_err(|e| anyhow::anyhow!("--trail-logs {e}"))?),
            None => local.push(p.clone()),
        }
    }
    if !local.is_empty() {
        obs.merge(files::read_paths(&local, &role, &window)?);
    }
    if !buckets.is_empty() || args.trail_lookup || args.trail_athena {
        // One runtime and one configuration for every AWS source.
        let rt = sdk::runtime()?;
        let config = rt.block_on(sdk::load_config())?;
        if !buckets.is_empty() {
            obs.merge(s3::read_locations(&rt, &config, &buckets, &role, &window)?);
        }
        if args.trail_lookup {
            let opts = lookup::LookupOptions {
                username: args.lookup_username.clone(),
                ..lookup::LookupOptions::new(window)
            };
            let client = sdk::cloudtrail_client(&config);
            obs.merge(
                rt.block_on(lookup::lookup(&client, &opts, &role))
                    .context("CloudTrail LookupEvents")?,
            );
        }
        if args.trail_athena {
            let q = athena::AthenaQuery {
                table: args.athena_table.clone().unwrap_or_default(),
                workgroup: args.athena_workgroup.clone().unwrap_or_default(),
                output: args.athena_output.clone(),
                sql: athena_sql(args)?.unwrap_or_default(),
                poll: athena::DEFAULT_POLL,
            };
            let client = sdk::athena_client(&config);
            obs.merge(
                rt.block_on(athena::run(&client, &q))
                    .context("Athena query")?,
            );
        }
    }
    obs.stats.errors.sort();
    Ok(Some(obs.into_evidence()))
}
