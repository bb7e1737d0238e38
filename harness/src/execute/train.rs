//! Training a list of (dataset, seed, policy) groups in one process, references then stacks of
//! runs, handing each outcome on; the local runner and a `--jobs` child differ only in where the
//! outcomes go.
use anyhow::{Context as _, Result};
use prefbench_baselines::train::TrainError;
use prefbench_results::RunRecord;
use prefbench_vocabulary::PolicyConfig;

use super::context::Context;
use super::data::Prepared;
use super::reference::{policy_note, Reference};
use super::stack::{run_stack, StackRun};
use crate::failures::{diverged, RunFailure};
use crate::observe::Observer;
use crate::plan::matrix::Group;
use crate::plan::stacks::{families, most_members, sizes};

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

/// Trains `groups`, handing each run's outcome to `finished`. With `po.ensemble: off` each
/// group trains in order, its reference then its runs one by one. Otherwise the groups of one
/// (dataset, policy) form a family: all its references (one per seed) come first, then its runs
/// are cut into as few, as even stacks as the memory budget allows, each handed on when its
/// stack finishes. A stop (between stacks, or inside one, which is then dropped whole) ends it
/// with [`Trained::Stopped`]; a divergence ends only the runs it concerns; any other error
/// stops the matrix.
pub fn train_groups(
    context: &Context,
    datasets: &[Prepared],
    groups: &[Group],
    observer: &mut dyn Observer,
    mut finished: impl FnMut(RunOutcome, &mut dyn Observer) -> Result<()>,
) -> Result<Trained> {
    for family in families(groups, context.config.po.ensemble) {
        let dataset = family[0].dataset;
        let prepared = datasets
            .iter()
            .find(|d| d.dataset.name == dataset)
            .with_context(|| format!("dataset `{dataset}` was not prepared"))?;
        let mut references = Vec::with_capacity(family.len());
        for group in family {
            if context.stop.is_stopped() {
                return Ok(Trained::Stopped);
            }
            match Reference::train(context, prepared, group.seed, group.model, observer) {
                Ok(reference) => references.push((group, reference)),
                Err(error) if stopped(&error) => return Ok(Trained::Stopped),
                // An unwritable cache, say: the error as it is, not as a divergence.
                Err(error) if !diverged(&error) => return Err(error),
                Err(error) => {
                    let error = error.context("the SFT reference of this run diverged");
                    for spec in &group.runs {
                        if let Some(failure) = RunFailure::of(spec, &error) {
                            finished(RunOutcome::Failed(failure), observer)?;
                        }
                    }
                }
            }
        }
        let runs: Vec<StackRun> = references
            .iter()
            .flat_map(|(group, reference)| group.runs.iter().map(move |&spec| (spec, reference)))
            .collect();
        let Some(&(spec, _)) = runs.first() else {
            continue;
        };
        let most = stack_limit(context, prepared, &spec.model, observer);
        let mut rest = &runs[..];
        for size in sizes(runs.len(), most) {
            let (stack, later) = rest.split_at(size);
            rest = later;
            if context.stop.is_stopped() {
                return Ok(Trained::Stopped);
            }
            let results = match run_stack(context, prepared, stack, observer) {
                Ok(results) => results,
                Err(error) if stopped(&error) => return Ok(Trained::Stopped),
                Err(error) => return Err(error),
            };
            for (&(spec, _), result) in stack.iter().zip(results) {
                let outcome = match result {
                    Ok(record) => RunOutcome::Finished(Box::new(record)),
                    Err(error) => RunOutcome::Failed(RunFailure::of(spec, &error).ok_or(error)?),
                };
                finished(outcome, observer)?;
            }
        }
    }
    Ok(Trained::All)
}

/// The most runs of `model` on `data` one stack may hold under the config's `po.ensemble` and
/// this process's memory budget; says how it decided, where it stacks.
fn stack_limit(
    context: &Context,
    data: &Prepared,
    model: &PolicyConfig,
    observer: &mut dyn Observer,
) -> usize {
    let po = &context.config.po;
    let options = context.options;
    let each = data.member_bytes(model, po.batch_size);
    let most = most_members(
        po.ensemble,
        options.memory_budget,
        each,
        !options.device.is_cuda(),
    );
    if most > 1 {
        let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
        observer.line(&format!(
            "{}{}: at most {most} runs a stack (po.ensemble {}; {:.0} MiB a run, budget {:.0} MiB)",
            data.dataset.name,
            policy_note(model),
            po.ensemble,
            mib(each),
            mib(options.memory_budget)
        ));
    }
    most
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
