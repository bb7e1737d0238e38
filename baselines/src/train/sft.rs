//! Supervised fine-tuning: next-item cross-entropy over the whole catalogue. Its result is the
//! reference policy π_ref that every PO run of a (dataset, seed) starts from.
use serde::{Deserialize, Serialize};
use tch::nn::{self, OptimizerConfig};
use tch::Kind;

use super::batches::{stage_rng, SplitTensors};
use super::{Progress, TrainError};
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
}

impl Default for SftConfig {
    fn default() -> Self {
        Self {
            epochs: 8,
            batch_size: 128,
            lr: 1e-3,
            weight_decay: 0.0,
        }
    }
}

/// Mean training loss of each epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SftOutcome {
    pub epoch_losses: Vec<f64>,
}

impl SftConfig {
    /// Trains `policy` in place; torch must be seeded by the caller before `Policy::new`.
    pub fn train(
        &self,
        policy: &mut Policy,
        train: &SplitTensors,
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
        let mut epoch_losses = Vec::with_capacity(self.epochs);
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
            epoch_losses.push(sum.double_value(&[]) / steps_per_epoch as f64);
        }
        Ok(SftOutcome { epoch_losses })
    }
}
