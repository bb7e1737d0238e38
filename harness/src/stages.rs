//! The stages of a matrix, each a plain function: prepare a dataset, train the SFT reference of
//! a (dataset, seed), run one PO run into a complete record. The runner decides what to run.
use std::time::Instant;

use anyhow::{Context, Result};
use prefbench_baselines::metrics::Ranking;
use prefbench_baselines::policy::Policy;
use prefbench_baselines::train::{self, PoOutcome, PoTrainer, SplitTensors};
use prefbench_datasets::{prepare, prepare_synthetic, Dataset, PrepareOptions, Split};
use prefbench_results::{
    Cell, EpochPoint, RankingMetrics, RunRecord, StepPoint, Timings, SCHEMA_VERSION,
};
use sha2::{Digest, Sha256};

use crate::config::ExperimentConfig;
use crate::matrix::RunSpec;
use crate::output::write_atomic;
use crate::progress::MatrixProgress;
use crate::runner::RunOptions;

/// A dataset ready for training, with the hash that enters every run id.
pub struct Prepared {
    pub dataset: Dataset,
    pub content_hash: String,
    train: SplitTensors,
    valid: SplitTensors,
    test: SplitTensors,
}

pub fn prepare_datasets(config: &ExperimentConfig, options: &RunOptions) -> Result<Vec<Prepared>> {
    config
        .datasets
        .iter()
        .map(|name| {
            let (dataset, card) = if name == "synthetic" {
                prepare_synthetic(&config.synthetic)
            } else {
                let prepare_options = PrepareOptions {
                    fetch: options.fetch.clone(),
                    from: None,
                };
                prepare(name, &prepare_options)
            }
            .with_context(|| format!("cannot prepare dataset `{name}`"))?;
            let dir = options.out.join("datasets").join(name);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            write_atomic(
                &dir.join("card.json"),
                serde_json::to_string_pretty(&card)?.as_bytes(),
            )?;
            let content_hash = hex::encode(Sha256::digest(serde_json::to_vec(&dataset)?));
            let split = |s| SplitTensors::new(dataset.split(s), dataset.n_items, options.device);
            Ok(Prepared {
                train: split(Split::Train),
                valid: split(Split::Valid),
                test: split(Split::Test),
                content_hash,
                dataset,
            })
        })
        .collect()
}

/// The SFT policy of one (dataset, seed), its cached train-split candidate log-likelihoods and
/// what it cost.
pub struct Reference {
    policy: Policy,
    train_log_probs: tch::Tensor,
    test: Ranking,
    sft_s: f64,
    reference_cache_s: f64,
}

impl Reference {
    pub fn train(
        config: &ExperimentConfig,
        data: &Prepared,
        seed: u64,
        options: &RunOptions,
        progress: &mut MatrixProgress,
    ) -> Result<Self> {
        progress.stage(&format!("SFT {} seed {seed}", data.dataset.name));
        tch::manual_seed(seed as i64);
        let mut policy = Policy::new(&config.model, data.dataset.n_items, options.device);
        let started = Instant::now();
        let outcome = config.sft.train(&mut policy, &data.train, seed, progress)?;
        let sft_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let train_log_probs = train::candidate_log_probs(&policy, &data.train);
        train::synchronize(options.device);
        let reference_cache_s = started.elapsed().as_secs_f64();
        let test = train::evaluate(&policy, &data.test);
        progress.line(&format!(
            "SFT {} seed {seed}: final loss {:.4}, test HR@1 {:.4} ({sft_s:.1} s)",
            data.dataset.name,
            outcome.epoch_losses.last().copied().unwrap_or(f64::NAN),
            test.hr_at_1
        ));
        Ok(Self {
            policy,
            train_log_probs,
            test,
            sft_s,
            reference_cache_s,
        })
    }
}

pub fn run_po(
    config: &ExperimentConfig,
    data: &Prepared,
    reference: &Reference,
    spec: &RunSpec,
    options: &RunOptions,
    environment: &serde_json::Value,
    progress: &mut MatrixProgress,
) -> Result<RunRecord> {
    progress.stage(&format!("{} K={} seed {}", spec.method, spec.k, spec.seed));
    let mut policy = Policy::new(&config.model, data.dataset.n_items, options.device);
    policy.vs.copy(&reference.policy.vs)?;
    tch::manual_seed(spec.seed as i64);
    let trainer = PoTrainer {
        config: &config.po,
        method: spec.method,
        params: config.objective,
        k: spec.k,
        seed: spec.seed,
        valid: &data.valid,
        test: &data.test,
    };
    let started = Instant::now();
    let outcome = trainer.train(
        &mut policy,
        &data.train,
        &reference.train_log_probs,
        progress,
    )?;
    let po_s = started.elapsed().as_secs_f64() - outcome.eval_seconds;
    let last = outcome
        .last()
        .context("PO ran no epoch; set po.epochs >= 1")?;
    Ok(RunRecord {
        schema: SCHEMA_VERSION,
        id: spec.id.clone(),
        cell: Cell {
            dataset: spec.dataset.clone(),
            method: spec.method.to_string(),
            k: spec.k,
        },
        seed: spec.seed,
        spec: spec.canonical.clone(),
        sft_test: metrics(reference.test),
        valid: metrics(last.valid),
        test: metrics(last.test),
        final_train_loss: last.train_loss,
        epochs: outcome
            .epochs
            .iter()
            .enumerate()
            .map(|(i, e)| EpochPoint {
                epoch: i + 1,
                train_loss: e.train_loss,
                valid: metrics(e.valid),
                test: metrics(e.test),
            })
            .collect(),
        curve: curve(&outcome),
        timings: Timings {
            sft_s: reference.sft_s,
            reference_cache_s: reference.reference_cache_s,
            sft_cached: false,
            po_s,
            po_step_median_ms: outcome.median_step_seconds() * 1e3,
            selection_share: outcome.selection_share(),
            eval_s: outcome.eval_seconds,
            peak_rss_mib: peak_rss_mib(),
        },
        device: format!("{:?}", options.device),
        threads: options.threads,
        prefbench_version: env!("CARGO_PKG_VERSION").to_string(),
        environment: environment.clone(),
    })
}

/// Peak resident memory of this process (VmHWM), MiB; 0 where /proc is unavailable.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn metrics(r: Ranking) -> RankingMetrics {
    RankingMetrics {
        hr_at_1: r.hr_at_1,
        hr_at_5: r.hr_at_5,
        ndcg_at_5: r.ndcg_at_5,
        samples: r.samples,
    }
}

fn curve(outcome: &PoOutcome) -> Vec<StepPoint> {
    outcome
        .curve
        .iter()
        .map(|s| StepPoint {
            step: s.step,
            loss: s.loss,
            reward_win_rate: s.diagnostics.reward_win_rate,
            violating_share: s.diagnostics.violating_share,
            boundary_size: s.diagnostics.mean_boundary_size,
            boundary_grad_share: s.diagnostics.boundary_grad_share,
            lr: s.lr,
        })
        .collect()
}
