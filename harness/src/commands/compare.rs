//! `prefbench compare BASE NEW`: the regression gate of the nightly job. The comparison itself
//! lives in `prefbench_reports::compare`; this module reads the inputs and maps the outcome to
//! the exit status (0 nothing regressed, 1 a regression, 2 unusable input).
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use prefbench_reports::compare::{compare, Thresholds};
use prefbench_results::store::read_records;
use prefbench_results::RunRecord;

#[derive(Args)]
pub struct CompareArgs {
    /// The reference result set: an output directory or a `results.jsonl`.
    base: PathBuf,
    /// The result set to check: an output directory or a `results.jsonl`.
    new: PathBuf,
    /// Smallest absolute change of test HR@1 that counts.
    #[arg(long, default_value_t = Thresholds::default().hr_at_1)]
    hr_threshold: f64,
    /// Smallest relative change of PO wall-clock that counts, as a fraction (0.1 = 10%).
    #[arg(long, default_value_t = Thresholds::default().time)]
    time_threshold: f64,
}

/// Exit status on input that cannot be compared.
const UNUSABLE: u8 = 2;

pub fn run(args: CompareArgs) -> Result<ExitCode> {
    let (base, new) = match (load(&args.base), load(&args.new)) {
        (Ok(base), Ok(new)) => (base, new),
        (Err(message), _) | (_, Err(message)) => return Ok(unusable(&message)),
    };
    let thresholds = Thresholds {
        hr_at_1: args.hr_threshold,
        time: args.time_threshold,
    };
    let comparison = compare(&base, &new, thresholds);
    if comparison.shared_cells() == 0 {
        return Ok(unusable(&format!(
            "{} and {} share no (dataset, method, K) cell; compare results of the same config",
            args.base.display(),
            args.new.display()
        )));
    }
    print!("{}", comparison.to_markdown());
    Ok(if comparison.regressed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads a result set; a directory means its `results.jsonl`.
fn load(path: &Path) -> Result<Vec<RunRecord>, String> {
    let file = if path.is_dir() {
        path.join("results.jsonl")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        return Err(format!(
            "{}: no such results file; pass an output directory or a results.jsonl",
            file.display()
        ));
    }
    read_records(&file).map_err(|e| e.to_string())
}

fn unusable(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(UNUSABLE)
}
