//! DynamicPO's two detached steps (docs/objectives.md, boundary selection): the boundary-critical negatives B and the
//! dual-margin β_b. Callers pass detached tensors; nothing here is differentiated.
use tch::Tensor;

use super::{kmeans, ObjectiveParams};

/// B as a `[B, K]` bool mask: the violators ℓ_j ≥ ℓ_w when a sample has any, otherwise the
/// highest cluster of the exact 1-D k-means of its ℓ_j ([`kmeans::top_cluster_threshold`]).
/// Works on raw policy log-likelihoods (`chosen` `[B]`, `rejected` `[B, K]`), not log-ratios.
pub fn select_boundary(chosen: &Tensor, rejected: &Tensor) -> Tensor {
    let chosen = chosen.unsqueeze(1);
    let any_violator = rejected.ge_tensor(&chosen).any_dim(1, true);
    let threshold = chosen.where_self(&any_violator, &kmeans::top_cluster_threshold(rejected));
    rejected.ge_tensor(&threshold)
}

/// The dual-margin β of docs/objectives.md for every negative, `[B, K]`:
/// β · (1 + s · tanh((Δ_pb − Δ_bd − M) / (|Δ_bd| + |Δ_pb|))) with Δ_pb = ℓ_w − ℓ_j,
/// Δ_bd = ℓ_j − m_D and m_D the mean ℓ over D = negatives outside `boundary` (D = B when that is
/// empty). The 0/0 case Δ_pb = Δ_bd = 0 gives β exactly. The paper applies it to b ∈ B; the
/// beta-only ablation applies the same formula, with the same m_D, to every negative.
pub fn dual_margin_betas(
    chosen: &Tensor,
    rejected: &Tensor,
    boundary: &Tensor,
    params: &ObjectiveParams,
) -> Tensor {
    let rest = boundary.logical_not();
    let easy = rest.where_self(&rest.any_dim(1, true), boundary);
    let easy_mean = rejected
        .where_scalarother(&easy, 0.0)
        .sum_dim_intlist(1, true, None)
        / easy.sum_dim_intlist(1, true, rejected.kind());
    let to_positive = chosen.unsqueeze(1) - rejected;
    let to_easy = rejected - easy_mean;
    let scale = to_easy.abs() + to_positive.abs();
    let ratio =
        ((to_positive - to_easy - params.margin) / &scale).where_scalarother(&scale.gt(0.0), 0.0);
    ratio.tanh() * (params.beta * params.tanh_scale) + params.beta
}

/// The random-subset control's negatives, `[B, K]` bool: in each row as many entries as
/// `boundary` holds there, drawn uniformly without replacement from the K (libtorch's generator,
/// so a run is repeatable from its seed). Ranks i.i.d. uniform keys and keeps the |B| smallest;
/// ties between keys have probability ~0 and would only keep one more negative.
pub fn random_subset(boundary: &Tensor) -> Tensor {
    let keys = Tensor::rand_like(&boundary.to_kind(tch::Kind::Float));
    let (sorted, _) = keys.sort(1, false);
    let counts = boundary.sum_dim_intlist(1, true, tch::Kind::Int64);
    // Every row's boundary is non-empty (violators, or the top k-means cluster).
    let threshold = sorted.gather(1, &(counts - 1).clamp_min(0), false);
    keys.le_tensor(&threshold)
}
