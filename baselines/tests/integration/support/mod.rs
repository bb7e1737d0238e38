//! Shared by the `objectives_*` tests: test batches and an independent scalar reference of
//! docs/objectives.md (plain f64 loops per sample), used as an oracle for methods the golden file
//! does not cover (the ablations) and for finite differences with a frozen selection.

use std::path::PathBuf;

use prefbench_baselines::objectives::PreferenceInputs;
use prefbench_vocabulary::{BaseObjective, DynamicVariant, Method, ObjectiveParams};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use tch::{Device, Kind, Tensor};

/// The public golden vectors, a copy kept in the repository's test fixtures.
pub fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/losses-public.json")
}

/// One batch as host rows.
#[derive(Clone, Debug)]
pub struct Batch {
    pub chosen: Vec<f64>,
    pub rejected: Vec<Vec<f64>>,
    pub ref_chosen: Vec<f64>,
    pub ref_rejected: Vec<Vec<f64>>,
}

impl Batch {
    /// Log-likelihood-like values, ℓ_w about one nat above the ℓ_j so that both selection
    /// paths (violators, k-means fallback) occur.
    pub fn random(seed: u64, batch: usize, k: usize) -> Self {
        let mut rng = Pcg64::seed_from_u64(seed);
        let mut draw = |n: usize, centre: f64| -> Vec<f64> {
            (0..n)
                .map(|_| centre + rng.random_range(-1.5..1.5))
                .collect()
        };
        let chosen = draw(batch, -2.0);
        let ref_chosen = draw(batch, -2.0);
        let rejected = (0..batch).map(|_| draw(k, -3.0)).collect();
        let ref_rejected = (0..batch).map(|_| draw(k, -3.0)).collect();
        Self {
            chosen,
            rejected,
            ref_chosen,
            ref_rejected,
        }
    }

    /// One sample per row of negatives, with chosen = `chosen` and references 0.
    pub fn from_rows(chosen: f64, rows: &[&[f64]]) -> Self {
        Self {
            chosen: vec![chosen; rows.len()],
            rejected: rows.iter().map(|r| r.to_vec()).collect(),
            ref_chosen: vec![0.0; rows.len()],
            ref_rejected: rows.iter().map(|r| vec![0.0; r.len()]).collect(),
        }
    }

    /// The four tensors; the policy ones are autograd leaves.
    pub fn tensors(&self, kind: Kind, device: Device) -> Tensors {
        let vector = |v: &[f64]| Tensor::from_slice(v).to_kind(kind).to_device(device);
        let matrix = |rows: &[Vec<f64>]| vector(&rows.concat()).view([rows.len() as i64, -1]);
        Tensors {
            chosen: vector(&self.chosen).set_requires_grad(true),
            rejected: matrix(&self.rejected).set_requires_grad(true),
            ref_chosen: vector(&self.ref_chosen),
            ref_rejected: matrix(&self.ref_rejected),
        }
    }
}

/// A batch on a device.
pub struct Tensors {
    pub chosen: Tensor,
    pub rejected: Tensor,
    pub ref_chosen: Tensor,
    pub ref_rejected: Tensor,
}

impl Tensors {
    pub fn inputs(&self) -> PreferenceInputs<'_> {
        PreferenceInputs {
            policy_chosen: &self.chosen,
            policy_rejected: &self.rejected,
            reference_chosen: &self.ref_chosen,
            reference_rejected: &self.ref_rejected,
        }
    }
}

/// Copies a tensor to host f64 values, flattened.
pub fn host(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(
        t.detach()
            .to_kind(Kind::Double)
            .to_device(Device::Cpu)
            .flatten(0, -1),
    )
    .unwrap()
}

/// Copies a bool tensor to the host, flattened.
pub fn host_mask(t: &Tensor) -> Vec<bool> {
    Vec::<bool>::try_from(t.to_device(Device::Cpu).flatten(0, -1)).unwrap()
}

/// The highest-mean group of the exact 1-D k-means by enumerating every partition; exact ties
/// (up to 1e-12 of the total sum of squares) go to the higher threshold.
pub fn brute_force_top(values: &[f64]) -> Vec<bool> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let k = sorted.len();
    let cuts: Vec<usize> = (1..k).filter(|&i| sorted[i - 1] < sorted[i]).collect();
    let clusters = (cuts.len() + 1).min(3);
    if clusters <= 1 {
        return vec![true; k];
    }
    let sse = |a: usize, b: usize| {
        let mean = sorted[a..b].iter().sum::<f64>() / (b - a) as f64;
        sorted[a..b].iter().map(|x| (x - mean).powi(2)).sum::<f64>()
    };
    let total = sse(0, k);
    let mut best: Option<(f64, usize)> = None;
    let mut consider = |cost: f64, top: usize| {
        let better = match best {
            None => true,
            Some((c, t)) => cost < c - 1e-12 * total || (cost <= c + 1e-12 * total && top > t),
        };
        if better {
            best = Some((cost, top));
        }
    };
    for (n, &j) in cuts.iter().enumerate() {
        if clusters == 2 {
            consider(sse(0, j) + sse(j, k), j);
        }
        for &i in &cuts[..n] {
            if clusters == 3 {
                consider(sse(0, i) + sse(i, j) + sse(j, k), j);
            }
        }
    }
    let threshold = sorted[best.unwrap().1];
    values.iter().map(|&v| v >= threshold).collect()
}

/// B of docs/objectives.md for one sample.
pub fn reference_boundary(chosen: f64, rejected: &[f64]) -> Vec<bool> {
    if rejected.iter().any(|&r| r >= chosen) {
        rejected.iter().map(|&r| r >= chosen).collect()
    } else {
        brute_force_top(rejected)
    }
}

/// The dual-margin β of every negative for one sample.
pub fn reference_betas(
    chosen: f64,
    rejected: &[f64],
    boundary: &[bool],
    params: &ObjectiveParams,
) -> Vec<f64> {
    let easy: Vec<f64> = rejected
        .iter()
        .zip(boundary)
        .filter(|(_, &b)| !b)
        .map(|(&r, _)| r)
        .collect();
    let easy = if easy.is_empty() {
        rejected.to_vec()
    } else {
        easy
    };
    let easy_mean = easy.iter().sum::<f64>() / easy.len() as f64;
    rejected
        .iter()
        .map(|&r| {
            let (pb, bd) = (chosen - r, r - easy_mean);
            let scale = pb.abs() + bd.abs();
            let ratio = if scale > 0.0 {
                (pb - bd - params.margin) / scale
            } else {
                0.0
            };
            params.beta * (1.0 + params.tanh_scale * ratio.tanh())
        })
        .collect()
}

/// −log σ(x), stable.
fn neg_log_sigmoid(x: f64) -> f64 {
    if x > 0.0 {
        (-x).exp().ln_1p()
    } else {
        -x + x.exp().ln_1p()
    }
}

/// One sample's loss over the negatives in `mask`, each with its β.
pub fn reference_loss(
    base: BaseObjective,
    sample: (f64, &[f64], f64, &[f64]),
    mask: &[bool],
    betas: &[f64],
) -> f64 {
    let (w, rejected, rw, rref) = sample;
    let terms = (0..rejected.len()).filter(|&j| mask[j]);
    let logit = match base {
        BaseObjective::Dmpo => {
            let n = terms.clone().count() as f64;
            terms
                .map(|j| betas[j] * ((w - rw) - (rejected[j] - rref[j])))
                .sum::<f64>()
                / n
        }
        BaseObjective::Sdpo => {
            let x: Vec<f64> = terms
                .map(|j| betas[j] * ((rejected[j] - rref[j]) - (w - rw)))
                .collect();
            let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            -(lse.exp() + 1e-8).ln()
        }
        BaseObjective::Mppo => terms
            .map(|j| betas[j] * (w.exp() - rejected[j].exp()))
            .sum(),
    };
    neg_log_sigmoid(logit)
}

/// The methods defined at `k` whose loss is a function of the inputs alone: all but the
/// random-subset control, whose subset libtorch's generator draws (tested on its own).
pub fn deterministic(k: usize) -> impl Iterator<Item = Method> {
    Method::ALL
        .into_iter()
        .filter(move |m| m.validate_k(k as i64).is_ok() && !m.is_random())
}

/// Mask and β that `method` applies to one sample's negatives (the frozen selection); for the
/// deterministic methods only ([`deterministic`]).
pub fn reference_weights(
    method: Method,
    params: &ObjectiveParams,
    chosen: f64,
    rejected: &[f64],
) -> (Vec<bool>, Vec<f64>) {
    let all = vec![true; rejected.len()];
    let fixed = vec![params.beta; rejected.len()];
    let Some(variant) = method.variant() else {
        return (all, fixed);
    };
    let boundary = reference_boundary(chosen, rejected);
    let betas = reference_betas(chosen, rejected, &boundary, params);
    match variant {
        DynamicVariant::Full => (boundary, betas),
        DynamicVariant::SelectOnly => (boundary, fixed),
        DynamicVariant::BetaOnly => (all, betas),
        DynamicVariant::RandomSubset => {
            panic!("the random subset is drawn by libtorch; read it from the output's loss_mask")
        }
    }
}

/// Per-sample reference losses of a batch.
pub fn reference_losses(method: Method, params: &ObjectiveParams, batch: &Batch) -> Vec<f64> {
    (0..batch.chosen.len())
        .map(|b| {
            let (mask, betas) =
                reference_weights(method, params, batch.chosen[b], &batch.rejected[b]);
            reference_loss(method.base(), sample(batch, b), &mask, &betas)
        })
        .collect()
}

/// One sample's (ℓ_w, ℓ_j, ref_w, ref_j); the MPPO formula ignores the references.
pub fn sample(batch: &Batch, b: usize) -> (f64, &[f64], f64, &[f64]) {
    (
        batch.chosen[b],
        &batch.rejected[b],
        batch.ref_chosen[b],
        &batch.ref_rejected[b],
    )
}
