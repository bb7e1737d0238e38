//! `prefbench results merge`: joins the stores of shards or machines into one.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use prefbench_results::store::{merge, write_records};

use crate::output::prepare_dir;
use crate::plan::results_file;

#[derive(Subcommand)]
pub enum ResultsCommand {
    /// Join results stores (output directories or results.jsonl files) into OUT, one record per
    /// run id; two different records with one id are refused. Build the report with
    /// `prefbench report OUT`.
    Merge {
        /// Stores to join, in order (the first copy of a record is kept).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// An output directory (gets results.jsonl), or a .jsonl file. An existing store there
        /// is joined too.
        #[arg(short, long)]
        out: PathBuf,
    },
}

pub fn run(command: ResultsCommand) -> Result<ExitCode> {
    let ResultsCommand::Merge { inputs, out } = command;
    let target = if out.extension().is_some_and(|e| e == "jsonl") {
        out.clone()
    } else {
        prepare_dir(&out)?;
        out.join("results.jsonl")
    };
    let mut files = Vec::new();
    for input in &inputs {
        let file = results_file(input);
        if !file.is_file() {
            bail!(
                "{}: no results store there (expected an output directory with results.jsonl, \
                 or a .jsonl file)",
                input.display()
            );
        }
        files.push(file);
    }
    if target.is_file() && !files.contains(&target) {
        files.insert(0, target.clone());
    }
    let records = merge(&files).context("cannot merge the results stores")?;
    write_records(&target, &records)?;
    println!(
        "{} records from {} stores in {}",
        records.len(),
        files.len(),
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}
