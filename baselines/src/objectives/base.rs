//! The per-sample losses of docs/objectives.md, written once for an arbitrary set of negatives with
//! per-negative β: the vanilla objectives use all negatives with the base β, DynamicPO and its
//! ablations restrict the set and/or vary β. Only numerically stable forms are used
//! (log-sigmoid, log-sum-exp), so finite inputs give finite losses and gradients.
use tch::Tensor;

use super::{BaseObjective, PreferenceInputs};

/// log(1e-8): S-DPO's constant inside the log, as in the official trainer and the golden file.
const LOG_SDPO_EPS: f64 = -18.420680743952367;

/// The β given to the negatives that enter a loss.
pub(crate) enum Beta<'t> {
    /// One β for every negative.
    Uniform(f64),
    /// One β per negative, `[B, K]`, detached.
    PerNegative(&'t Tensor),
}

/// Which negatives enter the loss (`None`: all of them) and with which β.
pub(crate) struct Negatives<'t> {
    pub mask: Option<&'t Tensor>,
    pub beta: Beta<'t>,
}

impl Negatives<'_> {
    fn scale(&self, x: Tensor) -> Tensor {
        match self.beta {
            Beta::Uniform(beta) => x * beta,
            Beta::PerNegative(betas) => x * betas,
        }
    }

    /// Zeroes the terms of negatives outside the set.
    fn keep(&self, x: Tensor, fill: f64) -> Tensor {
        match self.mask {
            Some(mask) => x.where_scalarother(mask, fill),
            None => x,
        }
    }
}

/// Per-sample losses `[B]` of `base` over the given negatives.
pub(crate) fn losses(
    base: BaseObjective,
    inputs: &PreferenceInputs,
    negatives: &Negatives,
) -> Tensor {
    let logit = match base {
        BaseObjective::Dmpo => {
            // (1/|B|) Σ_b β_b (ρ_w − ρ_b)
            let terms = negatives.scale(chosen_ratio(inputs).unsqueeze(1) - rejected_ratio(inputs));
            match negatives.mask {
                Some(mask) => {
                    negatives.keep(terms, 0.0).sum_dim_intlist(1, false, None)
                        / mask.sum_dim_intlist(1, false, inputs.policy_chosen.kind())
                }
                None => terms.mean_dim(1, false, None),
            }
        }
        BaseObjective::Sdpo => {
            // −log(Σ_b exp(β_b (ρ_b − ρ_w)) + 1e-8)
            let terms = negatives.scale(rejected_ratio(inputs) - chosen_ratio(inputs).unsqueeze(1));
            let lse = negatives.keep(terms, f64::NEG_INFINITY).logsumexp(1, false);
            -lse.logaddexp(&lse.full_like(LOG_SDPO_EPS))
        }
        BaseObjective::Mppo => {
            // Σ_b β_b (exp ℓ_w − exp ℓ_b); exp underflows to 0 for very negative ℓ, never NaN.
            let terms = negatives
                .scale(inputs.policy_chosen.exp().unsqueeze(1) - inputs.policy_rejected.exp());
            negatives.keep(terms, 0.0).sum_dim_intlist(1, false, None)
        }
    };
    -logit.log_sigmoid()
}

/// ρ_w = ℓ_w − log π_ref(y_w).
fn chosen_ratio(inputs: &PreferenceInputs) -> Tensor {
    inputs.policy_chosen - inputs.reference_chosen
}

/// ρ_j = ℓ_j − log π_ref(y_j).
fn rejected_ratio(inputs: &PreferenceInputs) -> Tensor {
    inputs.policy_rejected - inputs.reference_rejected
}
