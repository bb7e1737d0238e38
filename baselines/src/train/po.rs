//! Preference optimisation from the SFT reference: each epoch draws K negatives per sample from
//! its 19 non-target candidates and minimises one objective, with the paper's cosine schedule
//! (or a constant rate), warm-up and gradient clipping. The reference log-likelihoods come from
//! the cache. Every epoch is evaluated on both splits; the run's result is the epoch with the
//! best validation HR@1, as S-DPO and LLaRA select checkpoints.
use std::time::Instant;

use prefbench_vocabulary::{EpochPoint, Method, ObjectiveParams, PoConfig, StepPoint};
use serde::{Deserialize, Serialize};
use tch::nn::{self, OptimizerConfig};
use tch::{Kind, Tensor};

use super::batches::{stage_rng, SplitTensors};
use super::schedule::learning_rate;
use super::{evaluate, synchronize, Progress, TrainError};
use crate::objectives::{compute, diagnostics, PreferenceInputs};
use crate::policy::Policy;

/// Stage id of PO in [`stage_rng`].
const PO_STAGE: u64 = 2;

/// What a PO run measured besides the trained weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoOutcome {
    pub epochs: Vec<EpochPoint>,
    /// Seconds spent in the end-of-epoch evaluations (not part of any step).
    pub eval_seconds: f64,
    pub curve: Vec<StepPoint>,
    pub step_seconds: Vec<f64>,
    /// Host time spent in DynamicPO's selection + β over all steps.
    pub selection_seconds: f64,
}

impl PoOutcome {
    /// 0-based index of the epoch with the best validation HR@1 (ties: the earliest); `None`
    /// when no epoch ran.
    pub fn selected_epoch(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, e) in self.epochs.iter().enumerate() {
            if best.is_none_or(|(_, hr)| e.valid.hr_at_1 > hr) {
                best = Some((i, e.valid.hr_at_1));
            }
        }
        best.map(|(i, _)| i)
    }

    pub fn median_step_seconds(&self) -> f64 {
        let mut s = self.step_seconds.clone();
        s.sort_by(f64::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(0.0)
    }

    /// Share of PO step time spent in selection + β.
    pub fn selection_share(&self) -> f64 {
        let total: f64 = self.step_seconds.iter().sum();
        if total > 0.0 {
            self.selection_seconds / total
        } else {
            0.0
        }
    }
}

/// One PO run: the objective, its settings, K, the run's seed and the splits evaluated at the
/// end of every epoch.
pub struct PoTrainer<'a> {
    pub config: &'a PoConfig,
    pub method: Method,
    pub params: ObjectiveParams,
    pub k: usize,
    pub seed: u64,
    pub valid: &'a SplitTensors,
    pub test: &'a SplitTensors,
}

impl PoTrainer<'_> {
    /// Trains `policy` (initialised from the reference) in place. `reference` holds the
    /// reference log-likelihoods of the train split's candidates, [N, 20].
    pub fn train(
        &self,
        policy: &mut Policy,
        train: &SplitTensors,
        reference: &Tensor,
        progress: &mut dyn Progress,
    ) -> Result<PoOutcome, TrainError> {
        let c = self.config;
        policy.set_dropout(c.dropout);
        let mut opt = nn::AdamW {
            wd: c.weight_decay,
            ..Default::default()
        }
        .build(&policy.vs, c.lr)?;
        let mut rng = stage_rng(self.seed, PO_STAGE);
        let steps_per_epoch = train.len().div_ceil(c.batch_size);
        let total = steps_per_epoch * c.epochs;
        let log_every = total.div_ceil(c.logged_steps.max(1)).max(1);
        let mut outcome = PoOutcome {
            epochs: Vec::with_capacity(c.epochs),
            eval_seconds: 0.0,
            curve: Vec::new(),
            step_seconds: Vec::with_capacity(total),
            selection_seconds: 0.0,
        };
        let mut step = 0;
        for epoch in 0..c.epochs {
            let mut sum = Tensor::zeros([], (Kind::Float, policy.device()));
            for rows in train.epoch_batches(c.batch_size, &mut rng) {
                if progress.should_stop() {
                    return Err(TrainError::Stopped { stage: "PO" });
                }
                let started = Instant::now();
                let positions = train.draw_positions(&rows, self.k, &mut rng);
                let idx = train.rows_tensor(&rows);
                let ids = train
                    .candidates
                    .index_select(0, &idx)
                    .gather(1, &positions, false);
                let policy_ll = policy
                    .log_probs(&train.histories.index_select(0, &idx), true)
                    .gather(1, &ids, false);
                let reference_ll = reference.index_select(0, &idx).gather(1, &positions, false);
                let k = self.k as i64;
                let (chosen, rejected) = (policy_ll.select(1, 0), policy_ll.narrow(1, 1, k));
                let inputs = PreferenceInputs {
                    policy_chosen: &chosen,
                    policy_rejected: &rejected,
                    reference_chosen: &reference_ll.select(1, 0),
                    reference_rejected: &reference_ll.narrow(1, 1, k),
                };
                let output = compute(self.method, &self.params, &inputs)?;
                outcome.selection_seconds += output.selection_seconds;
                let loss = output.losses.mean(Kind::Float);
                let lr = learning_rate(c.schedule, c.lr, step, total, c.warmup_share);
                opt.set_lr(lr);
                opt.zero_grad();
                let grad_rejected = (step % log_every == 0)
                    .then(|| Tensor::run_backward(&[&loss], &[&rejected], true, false).remove(0));
                loss.backward();
                if c.grad_clip > 0.0 {
                    opt.clip_grad_norm(c.grad_clip);
                }
                opt.step();
                synchronize(policy.device());
                outcome.step_seconds.push(started.elapsed().as_secs_f64());
                sum += loss.detach();
                if let Some(grad) = grad_rejected {
                    let d = diagnostics(self.method, &self.params, &inputs, &output, Some(&grad))?;
                    let loss = loss.double_value(&[]);
                    outcome.curve.push(StepPoint::new(step, loss, lr, &d));
                }
                step += 1;
                progress.step(step, total);
            }
            let train_loss = sum.double_value(&[]) / steps_per_epoch as f64;
            if !train_loss.is_finite() {
                return Err(TrainError::NonFinite {
                    stage: "PO",
                    epoch: epoch + 1,
                });
            }
            let started = Instant::now();
            outcome.epochs.push(EpochPoint {
                epoch: epoch + 1,
                train_loss,
                valid: evaluate(policy, self.valid),
                test: evaluate(policy, self.test),
            });
            outcome.eval_seconds += started.elapsed().as_secs_f64();
        }
        Ok(outcome)
    }
}
