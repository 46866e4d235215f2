//! The `tighten` binary: parse arguments, run, choose the exit code.
//! Exit codes: 0 success / no findings, 1 findings (check), 2 error.

use std::process::ExitCode;

use clap::Parser;

// The scanner allocates many small, short-lived values (tree-sitter's parse
// stacks, the interpreter's value sets); mimalloc serves them faster than
// glibc's allocator, with threads that do not contend.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
