//! CloudTrail log files on disk, as trails deliver them to S3:
//! `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, and for
//! organisation trails `AWSLogs/<org-id>/<account>/CloudTrail/...`.
//!
//! Files are read in parallel, one at a time per thread into a reused
//! buffer, and their records streamed: memory is bounded by the largest
//! file (CloudTrail delivers a file every few minutes), not by the trail.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

use super::normalise::Observations;
use super::record::{LogFileError, RecordSink, RecordSlot, read_log_file};
use super::select::RoleSelector;
use super::window::TimeWindow;

/// Log files under `path` (or `path` itself), sorted. Digest and Insights
/// files share the tree but hold no API records.
pub fn log_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(out);
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ft = entry.file_type()?;
            if ft.is_dir() {
                if !NOT_LOG_FOLDERS.contains(&&*name) {
                    stack.push(p);
                }
            } else if is_log_file(&name) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

struct FileSink<'o> {
    obs: &'o mut Observations,
    role: &'o RoleSelector,
    window: &'o TimeWindow,
    file: &'o str,
}

impl<'de> RecordSink<'de> for FileSink<'_> {
    fn record(&mut self, index: usize, slot: RecordSlot<'de>) {
        match slot {
            RecordSlot::Record(r) => self
                .obs
                .observe(&r, self.role, self.window, self.file, index),
            RecordSlot::NotObject => {
                self.obs.stats.records += 1;
                self.obs
                    .error(self.file, Some(index), "record is not a JSON object".into());
            }
        }
    }
}

/// Reads one file's bytes (gunzipped when they start with gzip's magic)
/// into `buf` and streams its records into `obs`. Errors are recorded
/// against the file; what was read before an error is kept.
pub fn read_file(
    path: &Path,
    buf: &mut Vec<u8>,
    role: &RoleSelector,
    window: &TimeWindow,
    obs: &mut Observations,
) {
    let name = path.display().to_string();
    buf.clear();
    let read = File::open(path).and_then(|mut f| {
        let mut magic = [0u8; 2];
        let n = f.read(&mut magic)?;
        buf.extend_from_slice(&magic[..n]);
        if n == 2 && magic == [0x1f, 0x8b] {
            buf.clear();
            let f = std::io::Cursor::new(magic).chain(f);
            MultiGzDecoder::new(f).read_to_end(buf).map(|_| ())
        } else {
            f.read_to_end(buf).map(|_| ())
        }
    });
    read_records(&name, buf, read, role, window, obs);
}

/// Reads a log file already in memory (an S3 object's body), gunzipped into
/// `buf` when it is gzip. Errors as for [`read_file`].
pub fn read_bytes(
    name: &str,
    data: &[u8],
    buf: &mut Vec<u8>,
    role: &RoleSelector,
    window: &TimeWindow,
    obs: &mut Observations,
) {
    if data.starts_with(&[0x1f, 0x8b]) {
        buf.clear();
        let read = MultiGzDecoder::new(data).read_to_end(buf).map(|_| ());
        read_records(name, buf, read, role, window, obs);
    } else {
        read_records(name, data, Ok(()), role, window, obs);
    }
}

/// Streams the records of one log file's JSON into `obs`; `read` is how
/// reading (and decompressing) it ended.
fn read_records(
    name: &str,
    json: &[u8],
    read: std::io::Result<()>,
    role: &RoleSelector,
    window: &TimeWindow,
    obs: &mut Observations,
) {
    obs.stats.files += 1;
    let mut sink = FileSink {
        obs: &mut *obs,
        role,
        window,
        file: name,
    };
    let parsed = read_log_file(json, &mut sink);
    match (read, parsed) {
        (Ok(()), Ok(_)) => {}
        // On a read error the JSON is what was decompressed before it: a
        // truncated gzip still yields its complete records, and the error
        // names the first record lost.
        (Err(e), Err(LogFileError::Json { records, .. })) => {
            obs.error(
                name,
                Some(records),
                format!("unreadable from this record on: {e}"),
            );
        }
        (Err(e), _) => obs.error(name, None, format!("cannot read: {e}")),
        (Ok(()), Err(e @ LogFileError::Json { records, .. })) => {
            obs.error(name, Some(records), e.to_string());
        }
        (Ok(()), Err(e)) => obs.error(name, None, e.to_string()),
    }
}

/// Folders of a trail's tree that hold no API records.
const NOT_LOG_FOLDERS: [&str; 2] = ["CloudTrail-Digest", "CloudTrail-Insight"];

/// Whether a file name or `/`-separated object key is a CloudTrail log
/// file: `.json` or `.json.gz`, outside the digest and Insights folders.
pub fn is_log_file(path: &str) -> bool {
    (path.ends_with(".json") || path.ends_with(".json.gz"))
        && !path.split('/').any(|seg| NOT_LOG_FOLDERS.contains(&seg))
}

/// Reads every log file under `paths` in parallel.
pub fn read_paths(
    paths: &[PathBuf],
    role: &RoleSelector,
    window: &TimeWindow,
) -> anyhow::Result<Observations> {
    let mut files = Vec::new();
    for p in paths {
        let mut found =
            log_files(p).map_err(|e| anyhow::anyhow!("--trail-logs {}: {e}", p.display()))?;
        if found.is_empty() {
            anyhow::bail!(
                "--trail-logs {}: no CloudTrail log files (*.json, *.json.gz) found",
                p.display()
            );
        }
        files.append(&mut found);
    }
    files.sort();
    files.dedup();
    Ok(files
        .par_iter()
        .map_init(Vec::new, |buf, path| {
            let mut obs = Observations::default();
            read_file(path, buf, role, window, &mut obs);
            obs
        })
        .reduce(Observations::default, |mut a, b| {
            a.merge(b);
            a
        }))
}
