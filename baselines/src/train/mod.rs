//! Training and evaluation: SFT of the reference policy, its cached candidate log-likelihoods,
//! preference optimisation on top, and evaluation over the 20 candidates.
mod batches;
pub mod checkpoint;
mod memory;
mod optimizer;
mod po;
pub mod schedule;
mod sft;
pub mod workload;

pub use batches::SplitTensors;
pub use memory::member_bytes;
pub use po::{Member, MemberResult, PoOutcome, PoTrainer};
pub use sft::train_sft;

pub use crate::device::synchronize;
use crate::metrics::RankingAccumulator;
use crate::policy::Policy;
use prefbench_vocabulary::{RankingMetrics, SampleRanks};
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
    /// A sample that does not fit the candidate protocol (recipes refuse these first; this
    /// guards the library's own callers).
    #[error("sample {index}: {why}")]
    Sample { index: usize, why: String },
    /// A stack's members, policy and references do not agree.
    #[error("the stack does not fit its runs: {0}")]
    Stack(String),
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

/// Log-likelihood of each of the 20 candidates of every sample under a policy of one member:
/// [N, 20], in eval mode. Computed once per SFT checkpoint; PO steps read it instead of
/// running the reference model.
pub fn candidate_log_probs(policy: &Policy, split: &SplitTensors) -> Tensor {
    tch::no_grad(|| {
        let parts: Vec<Tensor> = split
            .chunks(EVAL_BATCH)
            .map(|(histories, candidates, _)| {
                policy.log_probs(&histories, &candidates, false).get(0)
            })
            .collect();
        Tensor::cat(&parts, 0)
    })
}

/// HR@1, HR@5 and NDCG@5 of a policy of one member on a split.
pub fn evaluate(policy: &Policy, split: &SplitTensors) -> RankingMetrics {
    evaluate_members(policy, split)[0]
}

/// HR@1, HR@5 and NDCG@5 of every member of a stack on a split, in member order; the rows of
/// one forward pass shrink with the stack, so its scores stay the size of one member's.
pub fn evaluate_members(policy: &Policy, split: &SplitTensors) -> Vec<RankingMetrics> {
    ranked_members(policy, split)
        .into_iter()
        .map(|(metrics, _)| metrics)
        .collect()
}

/// [`evaluate_members`] with every sample's rank beside each member's metrics.
pub fn ranked_members(policy: &Policy, split: &SplitTensors) -> Vec<(RankingMetrics, SampleRanks)> {
    let members = policy.members();
    let mut accumulators: Vec<RankingAccumulator> = (0..members)
        .map(|_| RankingAccumulator::default())
        .collect();
    let rows = (EVAL_BATCH / members).max(EVAL_BATCH / 16);
    tch::no_grad(|| {
        for (histories, candidates, targets) in split.chunks(rows) {
            let scores = policy.log_probs(&histories, &candidates, false);
            RankingAccumulator::add_members(&mut accumulators, &scores, &targets);
        }
    });
    accumulators
        .iter()
        .map(|a| (a.finish(), a.ranks()))
        .collect()
}
