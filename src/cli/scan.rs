//! `tighten scan`.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ScanArgs {}

pub fn run(_args: ScanArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tighten scan is not built yet")
}
