//! `tighten generate`: shell completions and a roff man page, built from
//! the same clap definitions as `--help`, for packagers and installers.
//! Hidden from `--help`: users rarely need it, packaging scripts do.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: Generated,
}

#[derive(clap::Subcommand, Debug)]
pub enum Generated {
    /// Print a shell completion script.
    ///
    /// `tighten generate completions bash > /etc/bash_completion.d/tighten`;
    /// zsh, fish, elvish and powershell likewise.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    ///
    /// `tighten generate man > /usr/local/share/man/man1/tighten.1`.
    Man,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    match args.what {
        Generated::Completions { shell } => {
            clap_complete::generate(shell, &mut cmd, "tighten", &mut out);
        }
        Generated::Man => clap_mangen::Man::new(cmd)
            .render(&mut out)
            .context("rendering the man page")?,
    }
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = std::io::stdout().lock().write_all(&out);
    Ok(ExitCode::SUCCESS)
}
