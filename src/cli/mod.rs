//! Command-line definitions. Each subcommand's flags and entry point live in
//! their own file; this module only lists them and holds shared flags.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod check;
pub mod diff;
pub mod generate;
pub mod lookup;
pub mod rules;
pub mod scan;
pub mod trail;

#[derive(Parser, Debug)]
#[command(
    name = "tighten",
    version,
    about = "Cut AWS IAM roles for Lambda functions down to least privilege",
    long_about = "tighten reads a Lambda's Python source (and optionally its SAM/CloudFormation \
template, its deployed role and CloudTrail), works out the IAM actions the code really needs, \
and prints the minimal policy, a diff against the current one, or CI findings."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a Python source tree and print the policy its boto3 calls need.
    Scan(scan::ScanArgs),
    /// Show the IAM actions a boto3 call needs, from the bundled table.
    Lookup(lookup::LookupArgs),
    /// Compare the role's current policy with what the code needs.
    Diff(diff::DiffArgs),
    /// Print the actions CloudTrail saw a role use.
    Trail(trail::TrailArgs),
    /// CI gate: flag over-broad and missing permissions.
    Check(check::CheckArgs),
    /// List the check rules, or print one rule's documentation.
    Rules(rules::RulesArgs),
    /// Shell completions and the man page, from these definitions.
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

/// Runs the parsed command; the exit code is chosen here and in `main` only.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Lookup(a) => lookup::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Trail(a) => trail::run(a),
        Command::Check(a) => check::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Generate(a) => generate::run(a),
    }
}
