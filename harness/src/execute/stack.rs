//! The third phase: one stack of PO runs trained from their references, each evaluated into a
//! complete record (timings, environment, identity).
use std::time::{Instant, SystemTime};

use anyhow::{Context as _, Result};
use prefbench_baselines::policy::Policy;
use prefbench_baselines::train::{Member, PoOutcome, PoTrainer};
use prefbench_results::{PoWindow, RunRecord, Timings, SCHEMA_VERSION};
use prefbench_vocabulary::RunRanks;

use super::context::Context;
use super::data::Prepared;
use super::memory;
use super::progress::Training;
use super::reference::Reference;
use crate::environment::machine_id;
use crate::observe::Observer;
use crate::plan::identity;
use crate::plan::matrix::RunSpec;

/// One run of a stack and the reference it starts from.
pub type StackRun<'a> = (&'a RunSpec, &'a Reference);

/// Trains `runs` as one stack, each from its own seed's reference, and evaluates each into a
/// complete record. A run that diverged is its own `Err`; a stop or any other error ends the
/// whole stack, which then records nothing. A stack of one is a run alone.
pub fn run_stack(
    context: &Context,
    data: &Prepared,
    runs: &[StackRun],
    observer: &mut dyn Observer,
) -> Result<Vec<Result<RunRecord>>> {
    let config = context.config;
    let (first, _) = runs.first().context("a stack needs a run")?;
    observer.stage(0, &stack_name(runs));
    let references: Vec<&Policy> = runs.iter().map(|(_, r)| &r.policy).collect();
    let mut policy = Policy::stack(&references)?;
    let log_probs: Vec<&tch::Tensor> = runs.iter().map(|(_, r)| &r.train_log_probs).collect();
    let log_probs = tch::Tensor::f_stack(&log_probs, 0)?;
    // Seeds PO dropout's masks (off by default): a run alone draws them from its own seed.
    tch::manual_seed(first.key.seed as i64);
    let members: Vec<Member> = runs
        .iter()
        .map(|(spec, _)| Member {
            key: spec.key.clone(),
            params: spec.setting.objective,
            lr: Some(spec.setting.lr),
        })
        .collect();
    let trainer = PoTrainer {
        config: &config.po,
        members: &members,
        valid: &data.valid,
        test: &data.test,
    };
    let (started, started_at) = (Instant::now(), unix_seconds(SystemTime::now()));
    let outcomes = trainer.train(
        &mut policy,
        &data.train,
        &log_probs,
        &mut Training::new(observer, context.stop),
    )?;
    let share = started.elapsed().as_secs_f64() / runs.len() as f64;
    let window = PoWindow {
        machine: machine_id(),
        process: std::process::id(),
        started_unix_s: started_at,
        finished_unix_s: unix_seconds(SystemTime::now()).max(started_at),
    };
    let stack_members = (runs.len() > 1).then_some(runs.len());
    Ok(runs
        .iter()
        .zip(outcomes)
        .map(|(&(spec, reference), outcome)| {
            let outcome = outcome?;
            let po_s = share - outcome.eval_seconds;
            let timing = StackTiming {
                po_s,
                stack_members,
                window: window.clone(),
            };
            record(context, data, spec, reference, outcome, timing)
        })
        .collect())
}

/// Seconds since the Unix epoch, to the microsecond (0 for a clock set before 1970).
fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_micros() as f64 / 1e6)
}

/// What a run's record takes from its stack's timing: `po_s`, its PO wall-clock (its share of
/// the stack's); `stack_members`, the size of the stack, when more than one; `window`, the
/// stack's PO window.
struct StackTiming {
    po_s: f64,
    stack_members: Option<usize>,
    window: PoWindow,
}

/// What the progress display calls a stack: the run itself when alone.
fn stack_name(runs: &[StackRun]) -> String {
    match runs {
        [(spec, _)] => spec.key.to_string(),
        _ => {
            let mut seeds: Vec<u64> = runs.iter().map(|(s, _)| s.key.seed).collect();
            seeds.sort_unstable();
            seeds.dedup();
            let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
            format!("{} runs stacked (seeds {})", runs.len(), seeds.join(", "))
        }
    }
}

/// The record of one finished run.
fn record(
    context: &Context,
    data: &Prepared,
    spec: &RunSpec,
    reference: &Reference,
    outcome: PoOutcome,
    timing: StackTiming,
) -> Result<RunRecord> {
    let StackTiming {
        po_s,
        stack_members,
        window,
    } = timing;
    let options = context.options;
    let selected = outcome
        .selected_epoch()
        .context("PO ran no epoch; set po.epochs >= 1")?;
    let (best, last) = (
        outcome.epochs[selected],
        outcome.epochs[outcome.epochs.len() - 1],
    );
    let ranks = match (outcome.ranks.get(selected), outcome.ranks.last()) {
        (Some((valid, test)), Some((_, last_test))) => Some(RunRanks {
            valid: valid.clone(),
            test: test.clone(),
            last_test: last_test.clone(),
        }),
        _ => None,
    };
    let timings = Timings {
        sft_s: reference.summary.sft_s,
        reference_cache_s: reference.summary.reference_cache_s,
        sft_cached: reference.cached,
        po_s,
        po_step_median_ms: outcome.median_step_seconds() * 1e3,
        selection_share: outcome.selection_share(),
        eval_s: outcome.eval_seconds,
        peak_rss_mib: memory::peak_rss_mib(),
        data_s: Some(data.seconds),
        reference_load_s: reference.load_s,
        // Stacked: the steps' share, like `po_s` (a step's seconds are already per member).
        po_steps_s: Some(outcome.steps_seconds()),
        eval_valid_s: Some(outcome.eval_valid_seconds),
        eval_test_s: Some(outcome.eval_seconds - outcome.eval_valid_seconds),
        cuda_peak_mib: options
            .device
            .is_cuda()
            .then(memory::gpu_memory_mib)
            .flatten(),
        stack_members,
        po_window: Some(window),
    };
    Ok(RunRecord {
        schema: SCHEMA_VERSION,
        id: spec.id.clone(),
        cell: spec.key.cell.clone(),
        seed: spec.key.seed,
        spec: spec.canonical.clone(),
        sft: reference.summary.metrics.clone(),
        selected_epoch: best.epoch,
        valid: best.valid,
        test: best.test,
        final_train_loss: last.train_loss,
        curve: outcome.curve,
        epochs: outcome.epochs,
        timings,
        device: format!("{:?}", options.device),
        threads: options.threads,
        prefbench_version: identity::VERSION.to_string(),
        environment: context.environment.clone(),
        ranks,
    })
}
