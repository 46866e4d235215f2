//! `tighten trail`. Stub: owned by the helper that builds this command.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct TrailArgs {}

pub fn run(_args: TrailArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tighten trail is not built yet")
}
