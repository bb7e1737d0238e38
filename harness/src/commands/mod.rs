//! The command-line surface (docs/design.md, CLI): one module per subcommand.
mod bench;
mod compare;
mod data;
mod env;
mod exit;
mod loss;
mod results;
mod run;
mod shards;
mod tune;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::console::outln;
use crate::manifest;

#[derive(Parser)]
#[command(
    name = "prefbench",
    version,
    about = "Reproduce and stress-test preference optimisation for LLM-based recommendation (the DynamicPO paper and the methods it builds on)",
    after_help = "Exit status: 0 success; 1 error (one `error:` line on stderr), a regression (compare) or a failed check (loss eval --check); 2 usage error or unusable input (compare); 130 interrupted (SIGINT, SIGTERM). A reader that goes away (`prefbench data list | head -1`) ends prefbench quietly by SIGPIPE (status 141 in shells); stored records stay whole."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment matrix and write its report (default: the offline `demo` preset).
    Run(run::RunArgs),
    /// Run a tuning matrix (a config with a `grid`; default: the `tune` preset) and choose each
    /// method's setting on validation HR@1 (`tune.md`, `tuned.yaml`).
    Tune(run::RunArgs),
    /// Print how many shards a matrix splits into (its (dataset, seed, policy) groups; more
    /// shards would be empty): what sizes a Slurm array or a CI shard matrix.
    Shards(shards::ShardsArgs),
    /// Rebuild `report.md`, `report.json` and the figures of an output directory from its
    /// records, then its `manifest.json`.
    Report {
        /// Output directory of an earlier run.
        #[arg(default_value = "prefbench-out/demo")]
        dir: PathBuf,
    },
    /// Check an output directory: its files against manifest.json, every record, and that
    /// the records rebuild report.md and report.json byte for byte.
    Verify {
        /// Output directory of an earlier run or report.
        dir: PathBuf,
    },
    /// Compare two result sets; exit 1 on a regression, 2 on unusable input.
    Compare(compare::CompareArgs),
    /// Download, verify, prepare and describe datasets.
    Data {
        #[command(subcommand)]
        command: data::DataCommand,
    },
    /// Work with results stores: merge the outputs of shards or machines.
    Results {
        #[command(subcommand)]
        command: results::ResultsCommand,
    },
    /// Evaluate objectives on golden vectors, for cross-checking implementations.
    Loss {
        #[command(subcommand)]
        command: loss::LossCommand,
    },
    /// Print versions, threads and devices.
    Env,
    /// Time fixed workloads on one device (usable where cargo is not, e.g. a GPU node).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command.unwrap_or(Command::Run(run::RunArgs::default())) {
        Command::Run(args) => exit::stopped_download(run::run(args)),
        Command::Tune(args) => exit::stopped_download(tune::run(args)),
        Command::Shards(args) => shards::run(args),
        Command::Report { dir } => {
            outln!("{}", manifest::report_and_seal(&dir)?.display())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { dir } => {
            let verified = manifest::verify(&dir)?;
            outln!(
                "{}: {} files match manifest.json, {} records pass their checks, report.md and \
                 report.json rebuild byte for byte",
                dir.display(),
                verified.files,
                verified.records
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Env => env::print(),
        Command::Bench { command } => bench::run(command),
        Command::Loss { command } => loss::run(command),
        Command::Compare(args) => compare::run(args),
        Command::Data { command } => {
            exit::stopped_download(data::run(command).map(|()| ExitCode::SUCCESS))
        }
        Command::Results { command } => results::run(command),
    }
}
