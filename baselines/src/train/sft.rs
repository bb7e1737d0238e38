//! Supervised fine-tuning: next-item cross-entropy over the whole catalogue. Its result is the
//! reference policy π_ref that every PO run of a (dataset, seed) starts from.
use serde::{Deserialize, Serialize};
use tch::nn::{self, OptimizerConfig};
use tch::{Kind, Tensor};

use super::batches::{stage_rng, SplitTensors};
use super::{evaluate, Progress, TrainError};
use crate::policy::Policy;

/// Stage id of SFT in [`stage_rng`].
const SFT_STAGE: u64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SftConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Early stopping: stop after this many epochs without a better validation HR@1 and keep
    /// the best epoch's weights; 0 trains every epoch and keeps the last.
    pub patience: usize,
}

impl Default for SftConfig {
    fn default() -> Self {
        Self {
            epochs: 8,
            batch_size: 128,
            lr: 1e-3,
            weight_decay: 0.0,
            patience: 0,
        }
    }
}

/// Mean training loss and validation HR@1 of each epoch that ran, and which epoch (0-based)
/// was kept: the best one with early stopping, else the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SftOutcome {
    pub epoch_losses: Vec<f64>,
    pub valid_hr_at_1: Vec<f64>,
    pub kept_epoch: usize,
}

impl SftConfig {
    /// Trains `policy` in place; torch must be seeded by the caller before `Policy::new`.
    /// `valid` is evaluated after every epoch (the curve is recorded; early stopping uses it).
    pub fn train(
        &self,
        policy: &mut Policy,
        train: &SplitTensors,
        valid: &SplitTensors,
        seed: u64,
        progress: &mut dyn Progress,
    ) -> Result<SftOutcome, TrainError> {
        let mut opt = nn::AdamW {
            wd: self.weight_decay,
            ..Default::default()
        }
        .build(&policy.vs, self.lr)?;
        let mut rng = stage_rng(seed, SFT_STAGE);
        let steps_per_epoch = train.len().div_ceil(self.batch_size);
        let total = steps_per_epoch * self.epochs;
        let mut outcome = SftOutcome {
            epoch_losses: Vec::with_capacity(self.epochs),
            valid_hr_at_1: Vec::new(),
            kept_epoch: self.epochs.saturating_sub(1),
        };
        let mut best: Option<(f64, Vec<Tensor>)> = None;
        for epoch in 0..self.epochs {
            let mut sum = tch::Tensor::zeros([], (Kind::Float, policy.device()));
            for (i, rows) in train
                .epoch_batches(self.batch_size, &mut rng)
                .iter()
                .enumerate()
            {
                let idx = train.rows_tensor(rows);
                let histories = train.histories.index_select(0, &idx);
                let candidates = train.candidates.index_select(0, &idx);
                let targets =
                    candidates.gather(1, &train.targets.index_select(0, &idx).unsqueeze(1), false);
                let loss = -policy
                    .log_probs(&histories, true)
                    .gather(1, &targets, false)
                    .mean(Kind::Float);
                opt.backward_step(&loss);
                sum += loss.detach();
                progress.step(epoch * steps_per_epoch + i + 1, total);
            }
            let loss = sum.double_value(&[]) / steps_per_epoch as f64;
            if !loss.is_finite() {
                return Err(TrainError::NonFinite {
                    stage: "SFT",
                    epoch: epoch + 1,
                });
            }
            outcome.epoch_losses.push(loss);
            let hr = evaluate(policy, valid).hr_at_1;
            outcome.valid_hr_at_1.push(hr);
            if self.patience == 0 {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| hr > *b) {
                best = Some((hr, snapshot(policy)));
                outcome.kept_epoch = epoch;
            } else if epoch - outcome.kept_epoch >= self.patience {
                break;
            }
        }
        if let Some((_, weights)) = best {
            restore(policy, &weights);
        }
        Ok(outcome)
    }
}

/// Detached copies of the trainable weights, in variable order.
fn snapshot(policy: &Policy) -> Vec<Tensor> {
    policy
        .vs
        .trainable_variables()
        .iter()
        .map(|t| t.detach().copy())
        .collect()
}

fn restore(policy: &Policy, weights: &[Tensor]) {
    tch::no_grad(|| {
        for (mut var, saved) in policy.vs.trainable_variables().into_iter().zip(weights) {
            var.copy_(saved);
        }
    });
}
