//! A case's inputs as tensors and one method's values computed from them: losses, gradients
//! of the batch-mean loss, the boundary and its β.
use tch::{Device, Kind, Tensor};

use super::file::{GoldenInput, MethodValues};
use crate::objectives::{compute, ObjectiveError, PreferenceInputs};
use prefbench_vocabulary::{Method, ObjectiveParams};

/// A case's inputs on the device, the policy tensors as fresh autograd leaves per method.
pub(super) struct InputTensors {
    chosen: Tensor,
    rejected: Tensor,
    reference_chosen: Tensor,
    reference_rejected: Tensor,
}

/// Why one method could not be computed on a case.
pub(super) enum RunError {
    Objective(ObjectiveError),
    Torch(tch::TchError),
}

impl From<ObjectiveError> for RunError {
    fn from(e: ObjectiveError) -> Self {
        Self::Objective(e)
    }
}

impl From<tch::TchError> for RunError {
    fn from(e: tch::TchError) -> Self {
        Self::Torch(e)
    }
}

impl InputTensors {
    /// The inputs as tensors; the shapes were checked by [`GoldenInput::check_shapes`].
    pub(super) fn new(
        input: &GoldenInput,
        kind: Kind,
        device: Device,
    ) -> Result<Self, tch::TchError> {
        let vector = |v: &[f64]| {
            Tensor::f_from_slice(v)
                .and_then(|t| t.f_to_kind(kind))
                .and_then(|t| t.f_to_device(device))
        };
        let matrix = |rows: &[Vec<f64>]| vector(&rows.concat())?.f_view([rows.len() as i64, -1]);
        Ok(Self {
            chosen: vector(&input.policy_chosen)?,
            rejected: matrix(&input.policy_rejected)?,
            reference_chosen: vector(&input.reference_chosen)?,
            reference_rejected: matrix(&input.reference_rejected)?,
        })
    }

    pub(super) fn run(&self, method: Method, beta: f64) -> Result<MethodValues, RunError> {
        let chosen = self.chosen.detach().set_requires_grad(true);
        let rejected = self.rejected.detach().set_requires_grad(true);
        let inputs = PreferenceInputs {
            policy_chosen: &chosen,
            policy_rejected: &rejected,
            reference_chosen: &self.reference_chosen,
            reference_rejected: &self.reference_rejected,
        };
        let params = ObjectiveParams {
            beta,
            ..ObjectiveParams::default()
        };
        let output = compute(method, &params, &inputs)?;
        let grads = Tensor::f_run_backward(
            &[output.losses.f_mean(None)?],
            &[&chosen, &rejected],
            false,
            false,
        )?;
        let [grad_chosen, grad_rejected] = <[Tensor; 2]>::try_from(grads)
            .map_err(|g| tch::TchError::Shape(format!("{} gradients for 2 inputs", g.len())))?;
        let boundary = output
            .boundary
            .as_ref()
            .map(host_rows::<bool>)
            .transpose()?;
        let boundary_betas = match (&output.boundary_betas, &boundary) {
            (Some(betas), Some(mask)) => Some(
                host_rows::<f64>(betas)?
                    .into_iter()
                    .zip(mask)
                    .map(|(row, keep)| {
                        row.into_iter()
                            .zip(keep)
                            .filter(|(_, &k)| k)
                            .map(|(b, _)| b)
                            .collect()
                    })
                    .collect(),
            ),
            _ => None,
        };
        Ok(MethodValues {
            losses: host_row(&output.losses)?,
            grad_policy_chosen: host_row(&grad_chosen)?,
            grad_policy_rejected: host_rows(&grad_rejected)?,
            boundary,
            boundary_betas,
        })
    }
}

/// Copies a `[R, C]` tensor to host rows.
fn host_rows<T: tch::kind::Element + Copy>(t: &Tensor) -> Result<Vec<Vec<T>>, tch::TchError> {
    let host = t
        .f_detach()
        .and_then(|t| t.f_to_kind(T::KIND))
        .and_then(|t| t.f_to_device(Device::Cpu))?;
    Vec::<Vec<T>>::try_from(host)
}

/// Copies a `[N]` tensor to the host.
fn host_row(t: &Tensor) -> Result<Vec<f64>, tch::TchError> {
    let host = t
        .f_detach()
        .and_then(|t| t.f_to_kind(Kind::Double))
        .and_then(|t| t.f_to_device(Device::Cpu))?;
    Vec::<f64>::try_from(host)
}
