//! Runs an experiment matrix: prepare each dataset, train one SFT reference per (dataset,
//! seed, policy), then every pending PO run, appending each finished record to
//! `results.jsonl` at once; runs already in the store are skipped, so a rerun completes an
//! interrupted matrix.
//!
//! One process owns an output directory (see `lock`) and its store. `--shard I/N` narrows the
//! matrix to a deterministic part; `--jobs N` trains in N child processes (see `jobs`).
use std::path::PathBuf;

use anyhow::{Context, Result};
use prefbench_datasets::FetchOptions;
use prefbench_results::store::{truncate_partial_tail, ResultsStore, StoreError};
use prefbench_results::RunRecord;
use prefbench_vocabulary::PolicyConfig;
use serde::Deserialize;
use tch::Device;

use crate::config::ExperimentConfig;
use crate::environment::Environment;
use crate::failures::{FailureLog, RunFailure};
use crate::jobs;
use crate::lock::OutputLock;
use crate::matrix::{self, Group};
use crate::output::prepare_dir;
use crate::progress::MatrixProgress;
use crate::report;
use crate::shard::{self, Shard};
use crate::signals;
use crate::stages::{policy_note, prepare_datasets, run_po, Prepared, Reference};
use prefbench_datasets::write_atomic;

/// How and where to run, beyond the config itself.
pub struct RunOptions {
    pub out: PathBuf,
    pub device: Device,
    /// libtorch intra-op threads of each run.
    pub threads: usize,
    /// Cache, mirror and offline settings for public datasets.
    pub fetch: FetchOptions,
    /// Extracted archive members for the datasets whose recipe accepts them (`lastfm-raw`).
    pub from: Option<PathBuf>,
}

/// Which part of the matrix this process runs, and in how many jobs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub shard: Option<Shard>,
    pub jobs: usize,
}

/// How a matrix run ended.
pub enum Finished {
    /// Every selected run is stored; the report's path.
    Report(PathBuf),
    /// Stopped by a signal; the stored records are whole, the rest runs on the next call.
    Interrupted,
}

/// Runs every pending run of the matrix (or of its shard) and writes the report.
pub fn run(
    config: &ExperimentConfig,
    options: &RunOptions,
    schedule: Schedule,
) -> Result<Finished> {
    prepare_dir(&options.out)?;
    let _lock = OutputLock::acquire(&options.out)?;
    signals::install();
    tch::set_num_threads(options.threads as i32);
    write_atomic(
        &options.out.join("config.yaml"),
        config.to_yaml()?.as_bytes(),
    )?;
    let environment = serde_json::to_value(Environment::capture())?;
    write_atomic(
        &options.out.join("env.json"),
        serde_json::to_string_pretty(&environment)?.as_bytes(),
    )?;

    let datasets = prepare_datasets(config, options)?;
    let matrix = matrix::expand(config, &dataset_hashes(&datasets));
    let mut store = open_store(options)?;
    let failures = FailureLog::reset(&options.out)?;
    let selected = match schedule.shard {
        Some(s) => shard::select(config, matrix::groups(&matrix), s.index - 1, s.count),
        None => matrix::groups(&matrix),
    };
    let selected_runs: usize = selected.iter().map(|g| g.runs.len()).sum();
    let pending = matrix::groups(
        selected
            .iter()
            .flat_map(|g| g.runs.iter().copied())
            .filter(|r| !store.contains(&r.id)),
    );
    let pending_runs: usize = pending.iter().map(|g| g.runs.len()).sum();
    let jobs = schedule.jobs.min(pending.len()).max(1);
    let mut progress = MatrixProgress::new(pending_runs, jobs);
    progress.line(&format!(
        "{} runs in the matrix{}, {} already in {}, {} to run on {:?} in {jobs} job(s) of {} \
         thread(s)",
        matrix.len(),
        schedule
            .shard
            .map_or_else(String::new, |s| format!(" ({selected_runs} in shard {s})")),
        selected_runs - pending_runs,
        store.path().display(),
        pending_runs,
        options.device,
        options.threads
    ));
    let complete = if jobs > 1 {
        jobs::run(
            config,
            options,
            &pending,
            jobs,
            &mut store,
            &failures,
            &mut progress,
        )?
    } else {
        train_groups(
            config,
            &datasets,
            &pending,
            options,
            &environment,
            &mut progress,
            |outcome, progress| keep(outcome, &mut store, &failures, progress),
        )?
    };
    progress.finish();
    if !complete {
        return Ok(Finished::Interrupted);
    }
    report::write(&options.out).map(Finished::Report)
}

/// What became of one run of the matrix.
pub enum RunOutcome {
    Finished(Box<RunRecord>),
    /// It diverged (or its SFT reference did); the matrix goes on.
    Failed(RunFailure),
}

/// Trains `groups` in order, one reference per group, handing each run's outcome to
/// `finished`; returns false when a signal stopped it between runs. A divergence ends only
/// the runs it concerns; any other error stops the matrix.
pub fn train_groups(
    config: &ExperimentConfig,
    datasets: &[Prepared],
    groups: &[Group],
    options: &RunOptions,
    environment: &serde_json::Value,
    progress: &mut MatrixProgress,
    mut finished: impl FnMut(RunOutcome, &mut MatrixProgress) -> Result<()>,
) -> Result<bool> {
    for group in groups {
        let prepared = datasets
            .iter()
            .find(|d| d.dataset.name == group.dataset)
            .with_context(|| format!("dataset `{}` was not prepared", group.dataset))?;
        if signals::interrupted() {
            return Ok(false);
        }
        let reference =
            match Reference::train(config, prepared, group.seed, group.model, options, progress) {
                Ok(reference) => reference,
                Err(error) => {
                    let error = error.context("the SFT reference of this run diverged");
                    let failures: Option<Vec<RunFailure>> = group
                        .runs
                        .iter()
                        .map(|spec| RunFailure::of(spec, &error))
                        .collect();
                    for failure in failures.ok_or(error)? {
                        finished(RunOutcome::Failed(failure), progress)?;
                    }
                    continue;
                }
            };
        for &spec in &group.runs {
            if signals::interrupted() {
                return Ok(false);
            }
            let outcome = match run_po(
                config,
                prepared,
                &reference,
                spec,
                options,
                environment,
                progress,
            ) {
                Ok(record) => RunOutcome::Finished(Box::new(record)),
                Err(error) => RunOutcome::Failed(RunFailure::of(spec, &error).ok_or(error)?),
            };
            finished(outcome, progress)?;
        }
    }
    Ok(true)
}

/// Stores a finished run, or logs a failed one, and tells the progress display.
pub fn keep(
    outcome: RunOutcome,
    store: &mut ResultsStore,
    failures: &FailureLog,
    progress: &mut MatrixProgress,
) -> Result<()> {
    match outcome {
        RunOutcome::Finished(record) => {
            store.append(&record)?;
            progress.run_done(&summary(&record));
        }
        RunOutcome::Failed(failure) => {
            failures.append(&failure)?;
            progress.run_done(&format!(
                "{} {} K={} seed={}: FAILED: {}",
                failure.dataset, failure.method, failure.k, failure.seed, failure.error
            ));
        }
    }
    Ok(())
}

/// The (name, content hash) of each prepared dataset, which enter every run id.
pub fn dataset_hashes(datasets: &[Prepared]) -> Vec<(String, String)> {
    datasets
        .iter()
        .map(|d| (d.dataset.name.clone(), d.content_hash.clone()))
        .collect()
}

/// One line on a finished run.
pub fn summary(record: &RunRecord) -> String {
    let model = PolicyConfig::deserialize(&record.spec["model"]).unwrap_or_default();
    format!(
        "{}{} {} K={} seed={}: test HR@1 {:.4} at epoch {} of {} (last {:.4}; SFT {:.4})",
        record.cell.dataset,
        policy_note(&model),
        record.cell.method,
        record.cell.k,
        record.seed,
        record.test.hr_at_1,
        record.selected_epoch,
        record.epochs.len(),
        record.epochs.last().map_or(f64::NAN, |e| e.test.hr_at_1),
        record.sft.test.hr_at_1
    )
}

/// Opens the store; a last line cut by a killed process is that run's unfinished record, so
/// it is dropped (with a warning) and the run is trained again.
fn open_store(options: &RunOptions) -> Result<ResultsStore> {
    let path = options.out.join("results.jsonl");
    match ResultsStore::open(&path) {
        Err(StoreError::PartialTail { line, .. }) => {
            eprintln!(
                "warning: {}:{line}: dropped the incomplete last line left by a killed run; \
                 that run is trained again",
                path.display()
            );
            truncate_partial_tail(&path)?;
            Ok(ResultsStore::open(&path)?)
        }
        other => Ok(other?),
    }
}
