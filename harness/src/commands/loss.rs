//! `prefbench loss eval`: our objectives on golden-vector inputs, so anyone can cross-check
//! another implementation against ours (and ours against the golden file).
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Subcommand, ValueEnum};
use prefbench_baselines::golden;

use crate::config::DeviceChoice;
use crate::console::{errln, outln};
use crate::environment::resolve_device;

#[derive(Subcommand)]
pub enum LossCommand {
    /// Compute every method of a golden-vector file; with --check, compare to its expected values.
    Eval {
        /// A file in the format of baselines/tests/fixtures/losses-public.json; at most 1024
        /// negatives per sample, and at most 2^24 k-means cut scores B·(K−1)² per case.
        file: PathBuf,
        #[arg(long, value_enum, default_value = "f64")]
        dtype: Dtype,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceChoice,
        /// Compare against the file's expected values; exit 1 on any mismatch, and when the
        /// file has no expected values at all (nothing checked is no pass).
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Dtype {
    F32,
    F64,
}

pub fn run(command: LossCommand) -> Result<ExitCode> {
    let LossCommand::Eval {
        file,
        dtype,
        device,
        check,
    } = command;
    let kind = match dtype {
        Dtype::F32 => tch::Kind::Float,
        Dtype::F64 => tch::Kind::Double,
    };
    let evaluation = golden::evaluate(&file, kind, resolve_device(device)?)?;
    if !check {
        let computed = evaluation.to_file();
        // serde_json would write `null`, which no reader of the format (--check included)
        // accepts: refuse rather than print a file that cannot be read back.
        if let Some((case, field)) = computed.first_non_finite() {
            bail!(
                "{}: case {case}: the computed {field} is not finite (NaN or ±∞), which a \
                 golden file cannot hold; nothing was written. Scale the case's inputs (β and \
                 the log-likelihoods) so the objective stays finite",
                file.display()
            );
        }
        outln!("{}", serde_json::to_string_pretty(&computed)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let summary = evaluation.check();
    outln!("{summary}")?;
    if summary.values == 0 {
        errln!(
            "error: nothing was checked: no case of {} has expected values (`expected`), so \
             --check compared 0 values",
            file.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if !summary.unchecked_cases.is_empty() {
        errln!(
            "note: {} of {} cases have no expected values and were not checked: {}",
            summary.unchecked_cases.len(),
            summary.cases,
            summary.unchecked_cases.join(", ")
        );
    }
    if summary.passed() {
        Ok(ExitCode::SUCCESS)
    } else {
        for id in &summary.failing_cases {
            outln!("failed: {id}")?;
        }
        Ok(ExitCode::FAILURE)
    }
}
