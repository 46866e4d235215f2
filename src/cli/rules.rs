//! `tighten rules [ID]`. Stub: owned by the check helper.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct RulesArgs {}

pub fn run(_args: RulesArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("tighten rules is not built yet")
}
