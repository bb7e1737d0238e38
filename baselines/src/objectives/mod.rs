//! The preference objectives of docs/objectives.md: the base objectives (DPO, S-DPO, DMPO, MPPO),
//! DynamicPO on top of each, and its two ablations. Everything is vectorised over the batch on
//! the inputs' device; nothing is copied to the host inside a step.
//!
//! Training calls [`Method::compute`] once per step; [`diagnostics`] turns its output into the
//! per-step boundary statistics of docs/objectives.md.
mod base;
mod diagnostics;
pub mod dynamic;
pub mod kmeans;

use std::time::Instant;

use crate::device::synchronize;

use tch::{Kind, Tensor};

use base::{Beta, Negatives};
pub use diagnostics::diagnostics;
use prefbench_vocabulary::{
    BaseObjective, DynamicVariant, Method, MethodError, ObjectiveParams, ParamError,
};

/// One batch of log-likelihoods; all four tensors share one float kind and one device.
/// MPPO ignores the reference tensors (they must still have the right shapes).
#[derive(Clone, Copy, Debug)]
pub struct PreferenceInputs<'a> {
    /// Policy log-likelihood of each sample's positive, `[B]`.
    pub policy_chosen: &'a Tensor,
    /// Policy log-likelihoods of its K negatives, `[B, K]`.
    pub policy_rejected: &'a Tensor,
    /// Reference log-likelihood of the positive, `[B]`.
    pub reference_chosen: &'a Tensor,
    /// Reference log-likelihoods of the negatives, `[B, K]`.
    pub reference_rejected: &'a Tensor,
}

/// What an objective returns for one batch.
#[derive(Debug)]
pub struct ObjectiveOutput {
    /// Per-sample losses `[B]`, differentiable; the training loss is their mean.
    pub losses: Tensor,
    /// DynamicPO's boundary-critical negatives B, `[B, K]` bool (dynamic methods only; for the
    /// beta-only ablation it is the selection that defines D, while all negatives enter the loss).
    pub boundary: Option<Tensor>,
    /// The β applied to each negative in the loss, `[B, K]` (dynamic methods only): β_b on
    /// boundary entries and the base β elsewhere; the dual-margin β on every entry for beta-only.
    pub boundary_betas: Option<Tensor>,
    /// The negatives that enter the loss, `[B, K]` bool; `None` when all K do (vanilla methods
    /// and beta-only). The boundary for the full method and select-only, a random subset of
    /// the boundary's size for the random-subset control.
    pub loss_mask: Option<Tensor>,
    /// Wall-clock seconds spent in boundary selection + β (0 for vanilla methods). On CUDA the
    /// device is synchronised before and after, so it is the selection's real time there too.
    pub selection_seconds: f64,
}

/// Why an objective cannot be computed; each names the offending input or value.
#[derive(Debug, thiserror::Error)]
pub enum ObjectiveError {
    /// The method or its K is not valid.
    #[error(transparent)]
    Method(#[from] MethodError),
    /// A tensor has the wrong shape.
    #[error("{tensor} has shape {got:?}, expected {expected}")]
    Shape {
        /// Which input.
        tensor: &'static str,
        /// The shape found.
        got: Vec<i64>,
        /// The shape required, in words.
        expected: String,
    },
    /// The inputs do not share one floating-point kind and device.
    #[error("{tensor} is {got}, but all inputs must be {expected} (one float kind, one device)")]
    Mismatch {
        /// Which input.
        tensor: &'static str,
        /// Its kind and device.
        got: String,
        /// Those of `policy_chosen`.
        expected: String,
    },
    /// A hyper-parameter is outside its domain.
    #[error(transparent)]
    Param(#[from] ParamError),
}

impl PreferenceInputs<'_> {
    /// Checks shapes `[B]`, `[B, K]`, `[B]`, `[B, K]`, one float kind and one device; returns K.
    pub fn validate(&self) -> Result<i64, ObjectiveError> {
        let chosen = self.policy_chosen.size();
        let rejected = self.policy_rejected.size();
        let batch = match chosen.as_slice() {
            [b] => *b,
            _ => return Err(shape("policy_chosen", chosen, "[B]".into())),
        };
        let k = match rejected.as_slice() {
            [b, k] if *b == batch => *k,
            _ => return Err(shape("policy_rejected", rejected, format!("[{batch}, K]"))),
        };
        for (tensor, t, want) in [
            ("reference_chosen", self.reference_chosen, vec![batch]),
            (
                "reference_rejected",
                self.reference_rejected,
                vec![batch, k],
            ),
        ] {
            if t.size() != want {
                return Err(shape(tensor, t.size(), format!("{want:?}")));
            }
        }
        let describe = |t: &Tensor| format!("{:?} on {:?}", t.kind(), t.device());
        let expected = describe(self.policy_chosen);
        let float = matches!(self.policy_chosen.kind(), Kind::Float | Kind::Double);
        for (tensor, t) in [
            ("policy_chosen", self.policy_chosen),
            ("policy_rejected", self.policy_rejected),
            ("reference_chosen", self.reference_chosen),
            ("reference_rejected", self.reference_rejected),
        ] {
            if !float || describe(t) != expected {
                return Err(ObjectiveError::Mismatch {
                    tensor,
                    got: describe(t),
                    expected: "Float or Double, all alike".into(),
                });
            }
        }
        Ok(k)
    }
}

fn shape(tensor: &'static str, got: Vec<i64>, expected: String) -> ObjectiveError {
    ObjectiveError::Shape {
        tensor,
        got,
        expected,
    }
}

/// Per-sample losses of `method` for one batch, plus DynamicPO's boundary and β_b. The
/// selection and β_b are detached; gradients flow to all four inputs through the loss.
pub fn compute(
    method: Method,
    params: &ObjectiveParams,
    inputs: &PreferenceInputs,
) -> Result<ObjectiveOutput, ObjectiveError> {
    params.validate()?;
    let k = inputs.validate()?;
    method.validate_k(k)?;
    let Some(variant) = method.variant() else {
        let negatives = Negatives {
            mask: None,
            beta: Beta::Uniform(params.beta),
        };
        return Ok(ObjectiveOutput {
            losses: base::losses(method.base(), inputs, &negatives),
            boundary: None,
            boundary_betas: None,
            loss_mask: None,
            selection_seconds: 0.0,
        });
    };
    let device = inputs.policy_chosen.device();
    synchronize(device);
    let start = Instant::now();
    let chosen = inputs.policy_chosen.detach();
    let rejected = inputs.policy_rejected.detach();
    let boundary = dynamic::select_boundary(&chosen, &rejected);
    let betas = match variant {
        DynamicVariant::SelectOnly | DynamicVariant::RandomSubset => {
            rejected.full_like(params.beta)
        }
        DynamicVariant::BetaOnly => {
            dynamic::dual_margin_betas(&chosen, &rejected, &boundary, params)
        }
        DynamicVariant::Full => dynamic::dual_margin_betas(&chosen, &rejected, &boundary, params)
            .where_scalarother(&boundary, params.beta),
    };
    synchronize(device);
    let selection_seconds = start.elapsed().as_secs_f64();
    let loss_mask = match variant {
        DynamicVariant::Full | DynamicVariant::SelectOnly => Some(boundary.shallow_clone()),
        DynamicVariant::BetaOnly => None,
        DynamicVariant::RandomSubset => Some(dynamic::random_subset(&boundary)),
    };
    let negatives = Negatives {
        mask: loss_mask.as_ref(),
        beta: match variant {
            DynamicVariant::SelectOnly | DynamicVariant::RandomSubset => Beta::Uniform(params.beta),
            _ => Beta::PerNegative(&betas),
        },
    };
    let losses = base::losses(method.base(), inputs, &negatives);
    Ok(ObjectiveOutput {
        losses,
        boundary: Some(boundary),
        boundary_betas: Some(betas),
        loss_mask,
        selection_seconds,
    })
}
