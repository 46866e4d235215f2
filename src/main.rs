//! The `tighten` binary: parse arguments, run, choose the exit code.
//! Exit codes: 0 success / no findings, 1 findings (check), 2 error.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tighten::cli::Cli::parse();
    match tighten::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
