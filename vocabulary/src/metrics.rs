//! What training measures, in the shapes the run records store: ranking metrics, per-epoch and
//! per-step points and the SFT reference's curve. The trainer returns these types, so a new
//! metric is added in one place.
use serde::{Deserialize, Serialize};

/// Ranking metrics over the 20 candidates of one split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingMetrics {
    pub hr_at_1: f64,
    pub hr_at_5: f64,
    pub ndcg_at_5: f64,
    pub samples: usize,
}

/// Metrics at the end of one PO epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochPoint {
    /// 1-based.
    pub epoch: usize,
    /// Mean PO training loss over the epoch.
    pub train_loss: f64,
    pub valid: RankingMetrics,
    pub test: RankingMetrics,
}

/// One logged PO training step (thinned to a bounded number of points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepPoint {
    pub step: usize,
    pub loss: f64,
    pub reward_win_rate: f64,
    pub violating_share: f64,
    pub boundary_size: f64,
    pub boundary_grad_share: f64,
    pub lr: f64,
}

impl StepPoint {
    /// The point of step `step` (0-based) with its loss, learning rate and the diagnostics the
    /// record keeps.
    pub fn new(step: usize, loss: f64, lr: f64, d: &StepDiagnostics) -> Self {
        Self {
            step,
            loss,
            reward_win_rate: d.reward_win_rate,
            violating_share: d.violating_share,
            boundary_size: d.mean_boundary_size,
            boundary_grad_share: d.boundary_grad_share,
            lr,
        }
    }
}

/// The SFT reference of a run, as trained (or loaded from the cache) before PO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftMetrics {
    pub valid: RankingMetrics,
    pub test: RankingMetrics,
    /// 1-based epoch whose weights were kept (the last one without early stopping).
    pub kept_epoch: usize,
    /// Validation HR@1 after every SFT epoch that ran, so a reader sees where it peaked.
    pub valid_hr_at_1: Vec<f64>,
    /// Mean training loss of every SFT epoch that ran.
    pub train_loss: Vec<f64>,
}

/// Batch-level statistics of one PO step.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct StepDiagnostics {
    /// Share of all B·K negatives with ℓ_j ≥ ℓ_w.
    pub violating_share: f64,
    /// Mean |B| per sample (for vanilla methods: the B that DynamicPO would select).
    pub mean_boundary_size: f64,
    /// Mean of the β applied to the negatives that enter the loss.
    pub beta_mean: f64,
    /// Smallest such β.
    pub beta_min: f64,
    /// Largest such β.
    pub beta_max: f64,
    /// Share of samples whose positive out-rewards every negative: ρ_w > ρ_j for all j, with
    /// ρ the log-ratio (ρ = ℓ for MPPO, which has no reference); β > 0 does not change it.
    pub reward_win_rate: f64,
    /// Σ over boundary negatives of |∂L/∂ℓ_j| divided by Σ over all negatives (0 when the
    /// gradient vanishes); L is the batch-mean loss.
    pub boundary_grad_share: f64,
}
