//! `tighten check`. Stub: owned by the helper that builds this command.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {}

pub fn run(_args: CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tighten check is not built yet")
}
