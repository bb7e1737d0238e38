//! Training a list of (dataset, seed, policy) groups in one process, reference then runs,
//! handing each outcome on; the local runner and a `--jobs` child differ only in where the
//! outcomes go.
use anyhow::{Context as _, Result};
use prefbench_baselines::train::TrainError;
use prefbench_results::RunRecord;

use super::context::Context;
use super::stages::{run_po, Prepared, Reference};
use crate::failures::RunFailure;
use crate::observe::Observer;
use crate::plan::matrix::Group;

/// Whether a set of runs was trained to the end or stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trained {
    /// Every run was trained and handed on.
    All,
    /// The stop token stopped it; the run in flight, if any, was dropped.
    Stopped,
}

/// What became of one run of the matrix.
pub enum RunOutcome {
    Finished(Box<RunRecord>),
    /// It diverged (or its SFT reference did); the matrix goes on.
    Failed(RunFailure),
}

/// Trains `groups` in order, one reference per group, handing each run's outcome to
/// `finished`. A stop (between runs, or inside one, which is then dropped) ends it with
/// [`Trained::Stopped`]; a divergence ends only the runs it concerns; any other error stops
/// the matrix.
pub fn train_groups(
    context: &Context,
    datasets: &[Prepared],
    groups: &[Group],
    observer: &mut dyn Observer,
    mut finished: impl FnMut(RunOutcome, &mut dyn Observer) -> Result<()>,
) -> Result<Trained> {
    for group in groups {
        let prepared = datasets
            .iter()
            .find(|d| d.dataset.name == group.dataset)
            .with_context(|| format!("dataset `{}` was not prepared", group.dataset))?;
        if context.stop.is_stopped() {
            return Ok(Trained::Stopped);
        }
        let reference = match Reference::train(context, prepared, group.seed, group.model, observer)
        {
            Ok(reference) => reference,
            Err(error) if stopped(&error) => return Ok(Trained::Stopped),
            Err(error) => {
                let error = error.context("the SFT reference of this run diverged");
                let failures: Option<Vec<RunFailure>> = group
                    .runs
                    .iter()
                    .map(|spec| RunFailure::of(spec, &error))
                    .collect();
                for failure in failures.ok_or(error)? {
                    finished(RunOutcome::Failed(failure), observer)?;
                }
                continue;
            }
        };
        for &spec in &group.runs {
            if context.stop.is_stopped() {
                return Ok(Trained::Stopped);
            }
            let outcome = match run_po(context, prepared, &reference, spec, observer) {
                Ok(record) => RunOutcome::Finished(Box::new(record)),
                Err(error) if stopped(&error) => return Ok(Trained::Stopped),
                Err(error) => RunOutcome::Failed(RunFailure::of(spec, &error).ok_or(error)?),
            };
            finished(outcome, observer)?;
        }
    }
    Ok(Trained::All)
}

/// Whether `error` is a trainer that obeyed the stop token.
fn stopped(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|e| matches!(e.downcast_ref(), Some(TrainError::Stopped { .. })))
}

/// The (name, content hash) of each prepared dataset, which enter every run id.
pub fn dataset_hashes(datasets: &[Prepared]) -> Vec<(String, String)> {
    datasets
        .iter()
        .map(|d| (d.dataset.name.clone(), d.content_hash.clone()))
        .collect()
}
