//! The command-line surface of design.md. Subcommands that later issues bring are listed with
//! the issue that brings them, and refuse to run rather than pretend.
mod data;
mod env;
mod loss;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "prefbench",
    version,
    about = "Reproduce and stress-test preference optimisation for LLM-based recommendation (the DynamicPO paper and the methods it builds on)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment matrix and write its report (default: the offline `demo` preset).
    Run(run::RunArgs),
    /// Rebuild `report.md` and the figures of an output directory from its records.
    Report {
        /// Output directory of an earlier run.
        #[arg(default_value = "prefbench-out/demo")]
        dir: PathBuf,
    },
    /// Compare two result sets and fail on a regression [not built yet: issue 4].
    Compare { base: PathBuf, new: PathBuf },
    /// Download, verify, prepare and describe datasets.
    Data {
        #[command(subcommand)]
        command: data::DataCommand,
    },
    /// Work with results stores [not built yet: `merge` arrives with issue 3].
    Results {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Evaluate objectives on golden vectors, for cross-checking implementations.
    Loss {
        #[command(subcommand)]
        command: loss::LossCommand,
    },
    /// Print versions, threads and devices.
    Env,
}

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command.unwrap_or(Command::Run(run::RunArgs::default())) {
        Command::Run(args) => run::run(args),
        Command::Report { dir } => {
            println!("{}", crate::report::write(&dir)?.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Env => env::print(),
        Command::Loss { command } => loss::run(command),
        Command::Compare { .. } => not_built("compare", 4),
        Command::Data { command } => data::run(command).map(|()| ExitCode::SUCCESS),
        Command::Results { .. } => not_built("results merge", 3),
    }
}

fn not_built(what: &str, issue: u32) -> Result<ExitCode> {
    eprintln!("`prefbench {what}` is not built yet: it arrives with issue {issue}.");
    Ok(ExitCode::from(2))
}
