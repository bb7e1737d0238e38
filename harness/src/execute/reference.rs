//! The second phase: the SFT reference of one (dataset, seed, policy), loaded from the cache or
//! trained, with the reference log-likelihoods of the training candidates.
use std::time::Instant;

use anyhow::Result;
use prefbench_baselines::policy::Policy;
use prefbench_baselines::train;
use prefbench_baselines::train::checkpoint::{self, SftSummary};
use prefbench_vocabulary::{Architecture, PolicyConfig};

use super::context::Context;
use super::data::Prepared;
use super::progress::Training;
use crate::observe::Observer;
use crate::plan::identity;

/// The SFT policy of one (dataset, seed, policy), its cached train-split candidate
/// log-likelihoods and what it cost.
pub struct Reference {
    pub(super) policy: Policy,
    pub(super) train_log_probs: tch::Tensor,
    pub(super) summary: SftSummary,
    /// Loaded from the SFT cache rather than trained by this process.
    pub(super) cached: bool,
    /// Seconds loading it from the cache, when `cached`.
    pub(super) load_s: Option<f64>,
}

impl Reference {
    /// Loads the reference of (dataset, seed, `model` and SFT settings) from the cache, or
    /// trains it, computes the reference log-likelihoods of the training candidates and caches
    /// both.
    pub fn train(
        context: &Context,
        data: &Prepared,
        seed: u64,
        model: &PolicyConfig,
        observer: &mut dyn Observer,
    ) -> Result<Self> {
        let (config, options) = (context.config, context.options);
        let name = format!("{}{}", data.dataset.name, policy_note(model));
        observer.stage(0, &format!("SFT {name} seed {seed}"));
        tch::manual_seed(seed as i64);
        let mut policy = data.policy(model, options)?;
        let dir = options
            .fetch
            .cache
            .join("sft")
            .join(identity::reference(config, model, &data.content_hash, seed).key());
        let started = Instant::now();
        match checkpoint::load(&dir, &mut policy, data.train.len()) {
            Ok(Some((train_log_probs, summary))) => {
                train::synchronize(options.device);
                let load_s = Some(started.elapsed().as_secs_f64());
                observer.line(&format!(
                    "SFT {name} seed {seed}: cached in {} (test HR@1 {:.4})",
                    dir.display(),
                    summary.metrics.test.hr_at_1
                ));
                return Ok(Self {
                    policy,
                    train_log_probs,
                    summary,
                    cached: true,
                    load_s,
                });
            }
            Ok(None) => {}
            // Not cached: a damaged or mismatched checkpoint is never used, and `policy` is
            // still the fresh one.
            Err(reason) => observer.line(&format!("warning: {reason}; training it again")),
        }
        let started = Instant::now();
        let splits = [&data.train, &data.valid, &data.test];
        let mut training = Training::new(observer, context.stop);
        let metrics = train::train_sft(&config.sft, &mut policy, splits, seed, &mut training)?;
        let sft_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let train_log_probs = train::candidate_log_probs(&policy, &data.train);
        train::synchronize(options.device);
        let summary = SftSummary {
            metrics,
            sft_s,
            reference_cache_s: started.elapsed().as_secs_f64(),
        };
        checkpoint::save(&dir, &policy, &train_log_probs, &summary)?;
        observer.line(&format!(
            "SFT {name} seed {seed}: final loss {:.4}, test HR@1 {:.4} ({sft_s:.1} s)",
            summary
                .metrics
                .train_loss
                .last()
                .copied()
                .unwrap_or(f64::NAN),
            summary.metrics.test.hr_at_1
        ));
        Ok(Self {
            policy,
            train_log_probs,
            summary,
            cached: false,
            load_s: None,
        })
    }
}

/// What progress lines add to a dataset's name or a run's key so the policies of one matrix
/// stay apart; the default backbone (a transformer on item ids) adds nothing.
pub fn policy_note(model: &PolicyConfig) -> String {
    let mut parts = Vec::new();
    if model.architecture != Architecture::Transformer {
        parts.push(model.architecture.name());
    }
    if model.item_text.reads_titles() {
        parts.push("with titles");
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join(", ")),
    }
}
