//! Supervised fine-tuning: next-item cross-entropy over the whole catalogue. Its result is the
//! reference policy π_ref that every PO run of a (dataset, seed) starts from.
use prefbench_vocabulary::{SftConfig, SftMetrics};
use tch::{Kind, Tensor};

use super::batches::{stage_rng, SplitTensors};
use super::optimizer::StackedAdamW;
use super::{evaluate, Progress, TrainError};
use crate::policy::Policy;

/// Stage id of SFT in [`stage_rng`].
const SFT_STAGE: u64 = 1;

/// Trains `policy` in place under `config` and measures the kept weights on `valid` and
/// `test`; torch must be seeded by the caller before `Policy::new`. `valid` is evaluated after
/// every epoch (the curve is recorded; early stopping uses it).
pub fn train_sft(
    config: &SftConfig,
    policy: &mut Policy,
    [train, valid, test]: [&SplitTensors; 3],
    seed: u64,
    progress: &mut dyn Progress,
) -> Result<SftMetrics, TrainError> {
    let mut opt = StackedAdamW::new(policy, config.weight_decay, &[config.lr])?;
    let mut rng = stage_rng(seed, SFT_STAGE);
    let steps_per_epoch = train.len().div_ceil(config.batch_size);
    let total = steps_per_epoch * config.epochs;
    let mut train_loss = Vec::with_capacity(config.epochs);
    let mut valid_hr_at_1 = Vec::with_capacity(config.epochs);
    // 0-based while training.
    let mut kept = config.epochs.saturating_sub(1);
    let mut best: Option<(f64, Vec<Tensor>)> = None;
    for epoch in 0..config.epochs {
        let mut sum = tch::Tensor::zeros([], (Kind::Float, policy.device()));
        for (i, rows) in train
            .epoch_batches(config.batch_size, &mut rng)
            .iter()
            .enumerate()
        {
            if progress.should_stop() {
                return Err(TrainError::Stopped { stage: "SFT" });
            }
            let idx = train.rows_tensor(rows);
            let histories = train.histories.index_select(0, &idx);
            let candidates = train.candidates.index_select(0, &idx);
            let targets =
                candidates.gather(1, &train.targets.index_select(0, &idx).unsqueeze(1), false);
            let loss = -policy
                .log_probs(&histories, &targets, true)
                .mean(Kind::Float);
            opt.zero_grad();
            loss.backward();
            opt.step(&[config.lr]);
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
        train_loss.push(loss);
        let hr = evaluate(policy, valid).hr_at_1;
        valid_hr_at_1.push(hr);
        if config.patience == 0 {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| hr > *b) {
            best = Some((hr, snapshot(policy)));
            kept = epoch;
        } else if epoch - kept >= config.patience {
            break;
        }
    }
    if let Some((_, weights)) = best {
        restore(policy, &weights);
    }
    Ok(SftMetrics {
        valid: evaluate(policy, valid),
        test: evaluate(policy, test),
        kept_epoch: kept + 1,
        valid_hr_at_1,
        train_loss,
    })
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
