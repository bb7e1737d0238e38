//! Autograd gradients against central differences in f64, for every objective.
//!
//! DynamicPO's selection and β_b are detached by design, so the gradient it trains with is the
//! derivative with the selection frozen. Two checks: (1) central differences of the library
//! itself wherever the frozen quantities do not move (vanilla methods; the reference inputs,
//! which selection and β_b never read; select-only, whose β is fixed), asserting that the
//! boundary is locally constant; (2) for every method, central differences of the scalar
//! reference with the selection and β_b frozen at the unperturbed point.

use crate::support::{
    deterministic as methods, host, host_mask, reference_loss, reference_weights, sample, Batch,
};
use prefbench_baselines::objectives::compute;
use prefbench_vocabulary::{BaseObjective, DynamicVariant, Method, ObjectiveParams};
use tch::{Device, Kind, Tensor};

const STEP: f64 = 1e-6;

fn close(autograd: f64, numeric: f64) -> bool {
    (autograd - numeric).abs() <= 1e-7 * (1.0 + numeric.abs())
}

/// Mean loss and boundary of the library at `batch`.
fn library(method: Method, params: &ObjectiveParams, batch: &Batch) -> (f64, Option<Vec<bool>>) {
    let tensors = batch.tensors(Kind::Double, Device::Cpu);
    let output = compute(method, params, &tensors.inputs()).unwrap();
    (
        host(&output.losses.mean(None))[0],
        output.boundary.as_ref().map(host_mask),
    )
}

/// ∂(mean loss)/∂ of the four inputs, by autograd, flattened: [ℓ_w.., ℓ_j.., ref_w.., ref_j..].
fn autograd(method: Method, params: &ObjectiveParams, batch: &Batch) -> Vec<f64> {
    let tensors = batch.tensors(Kind::Double, Device::Cpu);
    let ref_chosen = tensors.ref_chosen.set_requires_grad(true);
    let ref_rejected = tensors.ref_rejected.set_requires_grad(true);
    let mut inputs = tensors.inputs();
    inputs.reference_chosen = &ref_chosen;
    inputs.reference_rejected = &ref_rejected;
    let loss = compute(method, params, &inputs).unwrap().losses.mean(None);
    let leaves = [
        &tensors.chosen,
        &tensors.rejected,
        &ref_chosen,
        &ref_rejected,
    ];
    let grads = Tensor::f_run_backward(&[loss], &leaves, false, false).unwrap();
    grads
        .iter()
        .flat_map(|g| if g.defined() { host(g) } else { vec![] })
        .collect()
}

/// Visits every input coordinate: (flat index, which tensor 0..4, the perturbed batches).
fn perturbations(batch: &Batch, mut visit: impl FnMut(usize, usize, Batch, Batch)) {
    let (n, k) = (batch.chosen.len(), batch.rejected[0].len());
    let mut index = 0;
    for tensor in 0..4 {
        for i in 0..if tensor % 2 == 0 { n } else { n * k } {
            let shifted = |delta: f64| {
                let mut b = batch.clone();
                let v = match tensor {
                    0 => &mut b.chosen[i],
                    1 => &mut b.rejected[i / k][i % k],
                    2 => &mut b.ref_chosen[i],
                    _ => &mut b.ref_rejected[i / k][i % k],
                };
                *v += delta;
                b
            };
            visit(index, tensor, shifted(STEP), shifted(-STEP));
            index += 1;
        }
    }
}

#[test]
fn library_matches_central_differences_where_the_selection_is_frozen() {
    let params = ObjectiveParams::default();
    for (seed, k) in [(21, 1), (22, 2), (23, 5), (24, 15)] {
        let batch = Batch::random(seed, 6, k);
        for method in methods(k) {
            let grads = autograd(method, &params, &batch);
            let base_boundary = library(method, &params, &batch).1;
            let moves_beta = matches!(
                method.variant(),
                Some(DynamicVariant::Full | DynamicVariant::BetaOnly)
            );
            let mut checked = 0;
            perturbations(&batch, |index, tensor, up, down| {
                let reference = tensor >= 2;
                if method.base() == BaseObjective::Mppo && reference {
                    return assert_eq!(grads.get(index).copied().unwrap_or(0.0), 0.0);
                }
                if moves_beta && !reference {
                    return; // β_b moves with ℓ but is detached: checked below on the reference.
                }
                let (plus, plus_boundary) = library(method, &params, &up);
                let (minus, minus_boundary) = library(method, &params, &down);
                if plus_boundary != base_boundary || minus_boundary != base_boundary {
                    return; // the selection is not locally constant here
                }
                let numeric = (plus - minus) / (2.0 * STEP);
                let analytic = grads.get(index).copied().unwrap_or(0.0);
                assert!(
                    close(analytic, numeric),
                    "{method} K={k} input {index}: {analytic} vs {numeric}"
                );
                checked += 1;
            });
            // Dynamic MPPO with dual-margin β reads no reference: only check (2) covers it.
            let covered_below = moves_beta && method.base() == BaseObjective::Mppo;
            assert!(
                checked > 0 || covered_below,
                "{method} K={k}: nothing checked"
            );
        }
    }
}

#[test]
fn library_matches_the_frozen_selection_reference_for_every_method() {
    let params = ObjectiveParams {
        beta: 1.3,
        ..ObjectiveParams::default()
    };
    for (seed, k) in [(31, 1), (32, 3), (33, 8), (34, 19)] {
        let batch = Batch::random(seed, 5, k);
        let n = batch.chosen.len() as f64;
        for method in methods(k) {
            let grads = autograd(method, &params, &batch);
            let frozen: Vec<_> = (0..batch.chosen.len())
                .map(|b| reference_weights(method, &params, batch.chosen[b], &batch.rejected[b]))
                .collect();
            let mean_loss = |batch: &Batch| {
                frozen
                    .iter()
                    .enumerate()
                    .map(|(b, (mask, betas))| {
                        reference_loss(method.base(), sample(batch, b), mask, betas)
                    })
                    .sum::<f64>()
                    / n
            };
            perturbations(&batch, |index, _, up, down| {
                let numeric = (mean_loss(&up) - mean_loss(&down)) / (2.0 * STEP);
                let analytic = grads.get(index).copied().unwrap_or(0.0);
                assert!(
                    close(analytic, numeric),
                    "{method} K={k} input {index}: {analytic} vs {numeric}"
                );
            });
        }
    }
}
