//! `tighten lookup`. Stub: owned by the helper that builds this command.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct LookupArgs {}

pub fn run(_args: LookupArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tighten lookup is not built yet")
}
