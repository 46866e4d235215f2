//! Python parsing and binding resolution: source tree in, `SdkCall`s and
//! `Need`s out. OWNER: lead. Other modules call `scan_path`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::need::NeedSet;

#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Pin `${AWS::Region}` / `${AWS::AccountId}` when given.
    pub region: Option<String>,
    pub account: Option<String>,
    /// Values for `${NAME}` placeholders (environment variables from a
    /// template or the Lambda configuration).
    pub env: BTreeMap<String, String>,
}

/// A call whose IAM action cannot be known statically.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unresolved {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    pub needs: NeedSet,
    pub unresolved: Vec<Unresolved>,
    pub warnings: Vec<String>,
    pub files_scanned: usize,
}

/// Scans a directory (or one file) of Python source.
pub fn scan_path(_path: &Path, _opts: &ScanOptions) -> anyhow::Result<ScanReport> {
    Ok(ScanReport::default())
}
