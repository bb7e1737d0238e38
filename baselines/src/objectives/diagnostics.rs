//! Per-step boundary statistics for the reports (docs/objectives.md, per-step diagnostics): they measure the mechanism the
//! paper claims (violators, boundary size, β_b range, reward win rate, gradient suppression).
use prefbench_vocabulary::StepDiagnostics;
use tch::{Kind, Tensor};

use super::{
    compute, dynamic, BaseObjective, Method, ObjectiveError, ObjectiveOutput, ObjectiveParams,
    PreferenceInputs,
};

/// Statistics of one step from the objective's inputs and output.
///
/// `grad_rejected` is ∂L/∂ℓ_j of the batch-mean loss, `[B, K]`, when the caller has it
/// (for example from `retain_grad`); with `None` it is recomputed from detached copies of the
/// inputs, which leaves the caller's autograd graph untouched. For vanilla methods the boundary
/// is the one DynamicPO would select, so gradient suppression can be measured for plain DMPO.
/// Copies seven scalars to the host, once.
pub fn diagnostics(
    method: Method,
    params: &ObjectiveParams,
    inputs: &PreferenceInputs,
    output: &ObjectiveOutput,
    grad_rejected: Option<&Tensor>,
) -> Result<StepDiagnostics, ObjectiveError> {
    let kind = Kind::Double;
    let chosen = inputs.policy_chosen.detach();
    let rejected = inputs.policy_rejected.detach();
    let boundary = match &output.boundary {
        Some(boundary) => boundary.shallow_clone(),
        None => dynamic::select_boundary(&chosen, &rejected),
    };
    let grad = match grad_rejected {
        Some(grad) => grad.detach(),
        None => recompute_grad(method, params, inputs)?,
    };
    let in_loss = match &output.loss_mask {
        Some(mask) => mask.shallow_clone(),
        None => boundary.ones_like(),
    };
    let betas = match &output.boundary_betas {
        Some(betas) => betas.detach().to_kind(kind),
        None => rejected.full_like(params.beta).to_kind(kind),
    };
    let (chosen_reward, rejected_reward) = match method.base() {
        BaseObjective::Mppo => (chosen.shallow_clone(), rejected.shallow_clone()),
        _ => (
            &chosen - inputs.reference_chosen.detach(),
            &rejected - inputs.reference_rejected.detach(),
        ),
    };
    let grad = grad.abs().to_kind(kind);
    let grad_total = grad.sum(kind);
    let stats = Tensor::stack(
        &[
            rejected.ge_tensor(&chosen.unsqueeze(1)).mean(kind),
            boundary.sum_dim_intlist(1, false, kind).mean(kind),
            betas.where_scalarother(&in_loss, 0.0).sum(kind) / in_loss.sum(kind),
            betas.where_scalarother(&in_loss, f64::INFINITY).min(),
            betas.where_scalarother(&in_loss, f64::NEG_INFINITY).max(),
            chosen_reward
                .unsqueeze(1)
                .gt_tensor(&rejected_reward)
                .all_dim(1, false)
                .mean(kind),
            (grad.where_scalarother(&boundary, 0.0).sum(kind) / &grad_total)
                .where_scalarother(&grad_total.gt(0.0), 0.0),
        ],
        0,
    );
    let v = Vec::<f64>::try_from(stats.to_device(tch::Device::Cpu))
        .expect("a stacked f64 vector converts to Vec<f64>");
    Ok(StepDiagnostics {
        violating_share: v[0],
        mean_boundary_size: v[1],
        beta_mean: v[2],
        beta_min: v[3],
        beta_max: v[4],
        reward_win_rate: v[5],
        boundary_grad_share: v[6],
    })
}

/// ∂(mean loss)/∂ℓ_j on detached copies of the inputs (the selection is deterministic, so it
/// matches the step's own).
fn recompute_grad(
    method: Method,
    params: &ObjectiveParams,
    inputs: &PreferenceInputs,
) -> Result<Tensor, ObjectiveError> {
    let rejected = inputs.policy_rejected.detach().set_requires_grad(true);
    let detached = [
        inputs.policy_chosen.detach(),
        inputs.reference_chosen.detach(),
        inputs.reference_rejected.detach(),
    ];
    let copy = PreferenceInputs {
        policy_chosen: &detached[0],
        policy_rejected: &rejected,
        reference_chosen: &detached[1],
        reference_rejected: &detached[2],
    };
    let loss = compute(method, params, &copy)?.losses.mean(None);
    Ok(Tensor::run_backward(&[loss], &[&rejected], false, false).remove(0))
}
