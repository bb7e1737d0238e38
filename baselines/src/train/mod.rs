//! Training and evaluation: SFT of the reference policy, its cached candidate log-likelihoods,
//! preference optimisation on top, and evaluation over the 20 candidates.
mod batches;
pub mod checkpoint;
mod po;
pub mod schedule;
mod sft;
pub mod workload;

pub use batches::SplitTensors;
pub use po::{PoOutcome, PoTrainer};
pub use sft::train_sft;

pub use crate::device::synchronize;
use crate::metrics::RankingAccumulator;
use crate::policy::Policy;
use prefbench_vocabulary::RankingMetrics;
use tch::Tensor;

/// Why training stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    #[error(transparent)]
    Objective(#[from] crate::objectives::ObjectiveError),
    /// The loss diverged; nothing of this stage is cached or recorded as a result.
    #[error("{stage} diverged: the mean training loss of epoch {epoch} is not finite; lower the learning rate")]
    NonFinite { stage: &'static str, epoch: usize },
    /// [`Progress::should_stop`] asked for a stop between two steps; what was trained so far
    /// is incomplete, so the caller must neither cache nor record it.
    #[error("{stage} stopped before it finished")]
    Stopped { stage: &'static str },
}

/// Rows per forward pass when no gradient is needed.
const EVAL_BATCH: i64 = 1024;

/// Receives progress from long loops and may stop them: the harness draws progress bars with
/// it, and stops a run in flight on Ctrl-C without the trainer knowing about signals.
pub trait Progress {
    /// `done` of `total` optimisation steps of the current stage are finished.
    fn step(&mut self, done: usize, total: usize);

    /// Asked before every optimisation step: `true` ends the stage with
    /// [`TrainError::Stopped`]. The check sits between steps, so a stop never leaves a
    /// half-applied update behind, and it draws no random numbers, so a run that is not
    /// stopped trains exactly as without it.
    fn should_stop(&self) -> bool {
        false
    }
}

/// Ignores progress; for tests and benchmarks.
pub struct Silent;

impl Progress for Silent {
    fn step(&mut self, _: usize, _: usize) {}
}

/// Log-likelihood of each of the 20 candidates of every sample: [N, 20], in eval mode.
/// Computed once per SFT checkpoint; PO steps read it instead of running the reference model.
pub fn candidate_log_probs(policy: &Policy, split: &SplitTensors) -> Tensor {
    tch::no_grad(|| {
        let parts: Vec<Tensor> = split
            .chunks(EVAL_BATCH)
            .map(|(histories, candidates, _)| {
                policy
                    .log_probs(&histories, false)
                    .gather(1, &candidates, false)
            })
            .collect();
        Tensor::cat(&parts, 0)
    })
}

/// HR@1, HR@5 and NDCG@5 of the policy on a split.
pub fn evaluate(policy: &Policy, split: &SplitTensors) -> RankingMetrics {
    let mut acc = RankingAccumulator::default();
    tch::no_grad(|| {
        for (histories, candidates, targets) in split.chunks(EVAL_BATCH) {
            let scores = policy
                .log_probs(&histories, false)
                .gather(1, &candidates, false);
            acc.add(&scores, &targets);
        }
    });
    acc.finish()
}
