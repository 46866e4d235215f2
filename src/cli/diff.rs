//! `tighten diff`. Stub: owned by the helper that builds this command.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct DiffArgs {}

pub fn run(_args: DiffArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tighten diff is not built yet")
}
