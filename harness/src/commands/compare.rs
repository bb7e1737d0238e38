//! `prefbench compare BASE NEW`: the regression gate of the nightly job. The comparison itself
//! lives in `prefbench_reports::compare`; this module reads the inputs and maps the outcome to
//! the exit status (0 nothing regressed, 1 a regression, 2 unusable input). Records count as
//! in `report` and `results merge`: identical copies once (with a warning), two different
//! records under one id are unusable input.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use prefbench_reports::compare::{compare, Thresholds};
use prefbench_results::store::read_unique;
use prefbench_results::RunRecord;

use crate::console::{errln, out};

#[derive(Args)]
pub struct CompareArgs {
    /// The reference result set: an output directory or a `results.jsonl`.
    base: PathBuf,
    /// The result set to check: an output directory or a `results.jsonl`.
    new: PathBuf,
    /// Smallest absolute change of test HR@1 that counts (a number ≥ 0).
    #[arg(long, default_value_t = Thresholds::default().hr_at_1, allow_negative_numbers = true)]
    hr_threshold: f64,
    /// Smallest relative change of PO wall-clock that counts, as a fraction (0.1 = 10%; ≥ 0).
    #[arg(long, default_value_t = Thresholds::default().time, allow_negative_numbers = true)]
    time_threshold: f64,
}

/// Exit status on input that cannot be compared.
const UNUSABLE: u8 = 2;

pub fn run(args: CompareArgs) -> Result<ExitCode> {
    let thresholds = match Thresholds::new(args.hr_threshold, args.time_threshold) {
        Ok(thresholds) => thresholds,
        Err(e) => return Ok(unusable(&e.to_string())),
    };
    let (base, new) = match (load(&args.base), load(&args.new)) {
        (Ok(base), Ok(new)) => (base, new),
        (Err(message), _) | (_, Err(message)) => return Ok(unusable(&message)),
    };
    let comparison = match compare(&base, &new, thresholds) {
        Ok(comparison) => comparison,
        Err(e) => return Ok(unusable(&e.to_string())),
    };
    if comparison.shared_cells() == 0 {
        return Ok(unusable(&format!(
            "{} and {} share no cell (dataset, method, K and the same settings); compare \
             results of the same config",
            args.base.display(),
            args.new.display()
        )));
    }
    out!("{}", comparison.to_markdown())?;
    Ok(if comparison.regressed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads a result set; a directory means its `results.jsonl`. Identical duplicate records
/// are dropped with one warning per run id.
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
    let unique = read_unique(std::slice::from_ref(&file)).map_err(|e| e.to_string())?;
    for duplicate in &unique.duplicates {
        errln!("warning: {}: {duplicate}", file.display());
    }
    Ok(unique.records)
}

fn unusable(message: &str) -> ExitCode {
    errln!("error: {message}");
    ExitCode::from(UNUSABLE)
}
