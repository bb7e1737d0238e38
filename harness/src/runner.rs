//! Runs an experiment matrix: prepare each dataset, train one SFT reference per (dataset,
//! seed), then every pending PO run, appending each finished record to `results.jsonl` at
//! once; runs already in the store are skipped, so a rerun completes an interrupted matrix.
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use prefbench_baselines::metrics::Ranking;
use prefbench_baselines::policy::Policy;
use prefbench_baselines::train::{self, PoOutcome, PoTrainer, SplitTensors};
use prefbench_datasets::{synthetic, Dataset, DatasetCard, Provenance, Split};
use prefbench_results::store::ResultsStore;
use prefbench_results::{Cell, RankingMetrics, RunRecord, StepPoint, Timings, SCHEMA_VERSION};
use sha2::{Digest, Sha256};
use tch::Device;

use crate::config::ExperimentConfig;
use crate::environment::Environment;
use crate::matrix::{self, RunSpec};
use crate::output::{prepare_dir, write_atomic};
use crate::progress::MatrixProgress;
use crate::report;

/// How and where to run, beyond the config itself.
pub struct RunOptions {
    pub out: PathBuf,
    pub device: Device,
    pub threads: usize,
}

/// Runs every pending run of the matrix and writes the report; returns the report's path.
pub fn run(config: &ExperimentConfig, options: &RunOptions) -> Result<PathBuf> {
    prepare_dir(&options.out)?;
    tch::set_num_threads(options.threads as i32);
    write_atomic(
        &options.out.join("config.yaml"),
        config.to_yaml()?.as_bytes(),
    )?;
    let env = Environment::capture();
    write_atomic(
        &options.out.join("env.json"),
        serde_json::to_string_pretty(&env)?.as_bytes(),
    )?;

    let datasets = prepare_datasets(config, &options.out, options.device)?;
    let hashes: Vec<(String, String)> = datasets
        .iter()
        .map(|d| (d.dataset.name.clone(), d.content_hash.clone()))
        .collect();
    let matrix = matrix::expand(config, &hashes);
    let mut store = ResultsStore::open(&options.out.join("results.jsonl"))?;
    let pending: Vec<&RunSpec> = matrix.iter().filter(|r| !store.contains(&r.id)).collect();
    let mut progress = MatrixProgress::new(pending.len());
    progress.line(&format!(
        "{} runs in the matrix, {} already in {}, {} to run on {:?} with {} threads",
        matrix.len(),
        matrix.len() - pending.len(),
        options.out.display(),
        pending.len(),
        options.device,
        options.threads
    ));

    for prepared in &datasets {
        for &seed in &config.seeds {
            let group: Vec<&RunSpec> = pending
                .iter()
                .copied()
                .filter(|r| r.dataset == prepared.dataset.name && r.seed == seed)
                .collect();
            if group.is_empty() {
                continue;
            }
            let reference = Reference::train(config, prepared, seed, options, &mut progress)?;
            for spec in group {
                let record = run_po(config, prepared, &reference, spec, options, &mut progress)?;
                store.append(&record)?;
                progress.run_done(&format!(
                    "{} {} K={} seed={}: test HR@1 {:.4} (SFT {:.4})",
                    spec.dataset,
                    spec.method,
                    spec.k,
                    spec.seed,
                    record.test.hr_at_1,
                    record.sft_test.hr_at_1
                ));
            }
        }
    }
    progress.finish();
    report::write(&options.out)
}

/// A dataset ready for training, with the hash that enters every run id.
struct Prepared {
    dataset: Dataset,
    content_hash: String,
    train: SplitTensors,
    valid: SplitTensors,
    test: SplitTensors,
}

fn prepare_datasets(
    config: &ExperimentConfig,
    out: &Path,
    device: Device,
) -> Result<Vec<Prepared>> {
    config
        .datasets
        .iter()
        .map(|name| {
            // The config only admits `synthetic` until the public datasets land (issue 5).
            let dataset = synthetic::generate(&config.synthetic)
                .with_context(|| format!("cannot prepare dataset `{name}`"))?;
            let card = DatasetCard::build(
                &dataset,
                Provenance::synthetic(
                    serde_json::to_value(&config.synthetic)?,
                    synthetic::RECIPE_VERSION,
                ),
            );
            let dir = out.join("datasets").join(name);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            write_atomic(
                &dir.join("card.json"),
                serde_json::to_string_pretty(&card)?.as_bytes(),
            )?;
            let content_hash = hex::encode(Sha256::digest(serde_json::to_vec(&dataset)?));
            let split = |s| SplitTensors::new(dataset.split(s), dataset.n_items, device);
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
struct Reference {
    policy: Policy,
    train_log_probs: tch::Tensor,
    test: Ranking,
    sft_s: f64,
    reference_cache_s: f64,
}

impl Reference {
    fn train(
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

fn run_po(
    config: &ExperimentConfig,
    data: &Prepared,
    reference: &Reference,
    spec: &RunSpec,
    options: &RunOptions,
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
    };
    let started = Instant::now();
    let outcome = trainer.train(
        &mut policy,
        &data.train,
        &reference.train_log_probs,
        progress,
    )?;
    let po_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let valid = train::evaluate(&policy, &data.valid);
    let test = train::evaluate(&policy, &data.test);
    let eval_s = started.elapsed().as_secs_f64();
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
        valid: metrics(valid),
        test: metrics(test),
        final_train_loss: outcome.epoch_losses.last().copied().unwrap_or(f64::NAN),
        curve: curve(&outcome),
        timings: Timings {
            sft_s: reference.sft_s,
            reference_cache_s: reference.reference_cache_s,
            sft_cached: false,
            po_s,
            po_step_median_ms: outcome.median_step_seconds() * 1e3,
            selection_share: outcome.selection_share(),
            eval_s,
        },
        device: format!("{:?}", options.device),
        threads: options.threads,
        prefbench_version: env!("CARGO_PKG_VERSION").to_string(),
    })
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
