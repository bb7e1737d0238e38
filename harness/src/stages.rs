//! The stages of a matrix, each a plain function: prepare a dataset, train the SFT reference of
//! a (dataset, seed, policy), run one PO run into a complete record. The runner decides what
//! to run.
use std::time::Instant;

use anyhow::{Context, Result};
use prefbench_baselines::metrics::Ranking;
use prefbench_baselines::policy::{ItemText, Policy, PolicyConfig};
use prefbench_baselines::text;
use prefbench_baselines::train::checkpoint::{self, SftSummary};
use prefbench_baselines::train::{self, PoOutcome, PoTrainer, SplitTensors};
use prefbench_datasets::{prepare, prepare_synthetic, Dataset, PrepareOptions, Split};
use prefbench_results::{
    Cell, EpochPoint, RankingMetrics, RunRecord, StepPoint, Timings, SCHEMA_VERSION,
};
use sha2::{Digest, Sha256};

use crate::config::ExperimentConfig;
use crate::matrix::{hash_json, RunSpec};
use crate::progress::MatrixProgress;
use crate::runner::RunOptions;
use prefbench_datasets::cache::write_atomic;

/// A dataset ready for training, with the hash that enters every run id.
pub struct Prepared {
    pub dataset: Dataset,
    pub content_hash: String,
    /// Frozen title embeddings [n_items, 384] when a policy of the matrix reads titles.
    titles: Option<tch::Tensor>,
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
                titles: item_titles(config, &dataset, &content_hash, options)?,
                train: split(Split::Train),
                valid: split(Split::Valid),
                test: split(Split::Test),
                content_hash,
                dataset,
            })
        })
        .collect()
}

impl Prepared {
    /// A fresh policy of `model` on this dataset, given the title embeddings only when it reads
    /// them (another run of the matrix may have needed them).
    fn policy(&self, model: &PolicyConfig, options: &RunOptions) -> Policy {
        let titles = self
            .titles
            .as_ref()
            .filter(|_| model.item_text == ItemText::Minilm);
        Policy::new(model, self.dataset.n_items, titles, options.device)
    }
}

/// The title embeddings that `item_text: minilm` needs when any run of the matrix uses it
/// (cached by dataset and encoder), else none.
fn item_titles(
    config: &ExperimentConfig,
    dataset: &Dataset,
    content_hash: &str,
    options: &RunOptions,
) -> Result<Option<tch::Tensor>> {
    if config
        .models()
        .iter()
        .all(|m| m.item_text == ItemText::None)
    {
        return Ok(None);
    }
    let titles = dataset.titles.as_ref().with_context(|| {
        format!(
            "dataset `{}` has no item titles, which `model.item_text: minilm` needs; use \
             `item_text: none` for it",
            dataset.name
        )
    })?;
    text::title_embeddings(titles, content_hash, &options.fetch.cache, options.device)
        .map(Some)
        .with_context(|| format!("cannot embed the item titles of `{}`", dataset.name))
}

/// The SFT policy of one (dataset, seed, policy), its cached train-split candidate
/// log-likelihoods and what it cost.
pub struct Reference {
    policy: Policy,
    train_log_probs: tch::Tensor,
    summary: SftSummary,
    /// Loaded from the SFT cache rather than trained by this process.
    cached: bool,
}

impl Reference {
    /// Loads the reference of (dataset, seed, `model` and SFT settings) from the cache, or
    /// trains it, computes the reference log-likelihoods of the training candidates and caches
    /// both.
    pub fn train(
        config: &ExperimentConfig,
        data: &Prepared,
        seed: u64,
        model: &PolicyConfig,
        options: &RunOptions,
        progress: &mut MatrixProgress,
    ) -> Result<Self> {
        let name = format!("{}{}", data.dataset.name, policy_note(model.item_text));
        progress.stage(&format!("SFT {name} seed {seed}"));
        tch::manual_seed(seed as i64);
        let mut policy = data.policy(model, options);
        let dir = options
            .fetch
            .cache
            .join("sft")
            .join(sft_key(config, model, data, seed));
        if let Some((train_log_probs, summary)) = checkpoint::load(&dir, &mut policy)? {
            progress.line(&format!(
                "SFT {name} seed {seed}: cached in {} (test HR@1 {:.4})",
                dir.display(),
                summary.test.hr_at_1
            ));
            return Ok(Self {
                policy,
                train_log_probs,
                summary,
                cached: true,
            });
        }
        let started = Instant::now();
        let outcome = config
            .sft
            .train(&mut policy, &data.train, &data.valid, seed, progress)?;
        let sft_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let train_log_probs = train::candidate_log_probs(&policy, &data.train);
        train::synchronize(options.device);
        let summary = SftSummary {
            epoch_losses: outcome.epoch_losses,
            test: train::evaluate(&policy, &data.test),
            sft_s,
            reference_cache_s: started.elapsed().as_secs_f64(),
        };
        checkpoint::save(&dir, &policy, &train_log_probs, &summary)?;
        progress.line(&format!(
            "SFT {name} seed {seed}: final loss {:.4}, test HR@1 {:.4} ({sft_s:.1} s)",
            summary.epoch_losses.last().copied().unwrap_or(f64::NAN),
            summary.test.hr_at_1
        ));
        Ok(Self {
            policy,
            train_log_probs,
            summary,
            cached: false,
        })
    }
}

/// What progress lines add to a dataset's name so the policies of one matrix stay apart.
pub fn policy_note(item_text: ItemText) -> &'static str {
    match item_text {
        ItemText::None => "",
        ItemText::Minilm => " (with titles)",
    }
}

/// Everything that determines an SFT reference, hashed: a change to any of it retrains.
fn sft_key(config: &ExperimentConfig, model: &PolicyConfig, data: &Prepared, seed: u64) -> String {
    let key = serde_json::json!({
        "dataset_hash": data.content_hash,
        "seed": seed,
        "model": model,
        "sft": config.sft,
        "prefbench": env!("CARGO_PKG_VERSION"),
    });
    hash_json(&key)[..32].to_string()
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
    let mut policy = data.policy(&spec.model, options);
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
        sft_test: metrics(reference.summary.test),
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
            sft_s: reference.summary.sft_s,
            reference_cache_s: reference.summary.reference_cache_s,
            sft_cached: reference.cached,
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
