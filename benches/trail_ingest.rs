//! CloudTrail ingest benchmark (filled in below).
fn main() {}
