//! The exact 1-D k-means of docs/objectives.md, batched: each row of K values is split into
//! c = min(3, distinct values) contiguous groups of its sorted values, minimising the
//! within-group sum of squares. Every pair of cut points is scored at once in a `[B, m, m]`
//! tensor (m = K − 1 cut positions) from prefix sums, so there is no per-sample host loop and
//! no copy to the host; for K ≤ 19 that is at most 324 scores per sample.
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tch::{Device, Kind, Tensor};

/// Constants for K values, laid out for a score grid indexed `[q, a]`: the lower cut falls
/// after sorted position a (i = a + 1) and the upper cut at j = m − q, so j runs downwards and
/// the first maximum of a flattened row has the highest threshold.
struct CutTable {
    /// `[m]`: 1 / i, the size of the bottom group.
    inv_bottom: Tensor,
    /// `[m]`: 1 / (K − j), the size of the top group, for j = m − q.
    inv_top: Tensor,
    /// `[m, m]`: 1 / (j − i), the size of the middle group; 0 where j ≤ i.
    inv_middle: Tensor,
    /// `[m, m]`: the tie bonus j · [`tie_bonus`] where i < j, −∞ elsewhere (no middle group).
    ordered: Tensor,
    /// `[m · m]`: j, the sorted position where the top group starts, per flattened score.
    top_start: Tensor,
}

impl CutTable {
    fn new(k: i64, kind: Kind, device: Device) -> Self {
        let m = k - 1;
        let float = |v: Vec<f64>, shape: &[i64]| {
            Tensor::from_slice(&v)
                .view(shape)
                .to_kind(kind)
                .to_device(device)
        };
        let grid = |f: &dyn Fn(i64, i64) -> f64| {
            let v = (0..m).flat_map(|q| (0..m).map(move |a| f(m - q, a + 1)));
            float(v.collect(), &[m, m])
        };
        let top_start: Vec<i64> = (0..m * m).map(|flat| m - flat / m).collect();
        Self {
            inv_bottom: float((1..=m).map(|i| 1.0 / i as f64).collect(), &[m]),
            inv_top: float((0..m).map(|q| 1.0 / (k - (m - q)) as f64).collect(), &[m]),
            inv_middle: grid(&|j, i| if j > i { 1.0 / (j - i) as f64 } else { 0.0 }),
            ordered: grid(&|j, i| {
                if j > i {
                    j as f64 * tie_bonus(kind)
                } else {
                    f64::NEG_INFINITY
                }
            }),
            top_start: Tensor::from_slice(&top_start).to_device(device),
        }
    }

    /// The table for (K, kind, device), built once per thread (no host-to-device copy per step).
    fn cached(k: i64, kind: Kind, device: Device) -> Rc<Self> {
        thread_local! {
            static TABLES: RefCell<HashMap<(i64, Kind, Device), Rc<CutTable>>> =
                RefCell::default();
        }
        TABLES.with(|tables| {
            let mut tables = tables.borrow_mut();
            let table = tables.entry((k, kind, device));
            Rc::clone(table.or_insert_with(|| Rc::new(Self::new(k, kind, device))))
        })
    }
}

/// For each row of `values` (`[B, K]`, detached), the smallest value of the highest-mean group
/// of the exact optimum, as `[B, 1]`: that group is `values >= threshold`.
///
/// Equal values are never split (a cut may only fall between distinct sorted values). With
/// fewer than three distinct values the top group is the maximum value (one distinct value:
/// the whole row). An exact tie of cost is resolved towards the higher threshold, i.e. the
/// smaller top group. Mathematically equal costs may round differently, so each score gets a
/// bonus of j · 4 ulp (scores are normalised to [0, 1]): costs closer than that count as tied.
///
/// # Panics
/// If `values` is not two-dimensional.
pub fn top_cluster_threshold(values: &Tensor) -> Tensor {
    let (batch, k) = values.size2().expect("values must be [B, K]");
    let (sorted, _) = values.sort(1, false);
    let row_max = sorted.narrow(1, k - 1, 1);
    if k < 3 {
        return row_max;
    }
    let (m, kind) = (k - 1, values.kind());
    let table = CutTable::cached(k, kind, values.device());
    // Minimising the within-group sum of squares is maximising Σ_g S_g² / n_g over the group
    // sums S_g of the centred values. Scaling them to unit total sum of squares puts every
    // score in [0, 1], so one constant tie bonus per threshold fits every row.
    let centred = &sorted - sorted.mean_dim(1, true, None);
    let spread = centred
        .square()
        .sum_dim_intlist(1, true, None)
        .clamp_min(tiny(kind));
    let prefix = (centred * spread.rsqrt()).cumsum(1, None);
    let below = prefix.narrow(1, 0, m); // sum of the first i values, i = 1..m
    let total = prefix.narrow(1, m, 1);
    // A cut between equal values is not allowed: −∞ on its score.
    let allowed = sorted.narrow(1, 1, m).gt_tensor(&sorted.narrow(1, 0, m));
    let barrier = Tensor::where_scalar(&allowed, 0.0, f64::NEG_INFINITY).to_kind(kind);
    let bottom = below.square() * &table.inv_bottom + &barrier;
    let upper = below.flip([1]); // prefix sum up to j, for j = m − q
    let top = (&total - &upper).square() * &table.inv_top + barrier.flip([1]);
    let middle = (upper.unsqueeze(2) - below.unsqueeze(1)).square() * &table.inv_middle;
    let score = middle + &table.ordered + bottom.unsqueeze(1) + top.unsqueeze(2);
    let (best, flat) = score.view([batch, m * m]).max_dim(1, false);
    let start = table.top_start.index_select(0, &flat).unsqueeze(1);
    let threshold = sorted.gather(1, &start, false);
    threshold.where_self(&best.isfinite().unsqueeze(1), &row_max)
}

/// Score bonus per unit of j: tie-breaking towards the higher threshold, far below any real
/// difference of cost (scores lie in [0, 1]).
fn tie_bonus(kind: Kind) -> f64 {
    4.0 * epsilon(kind)
}

/// A floor for the total sum of squares, so rows of equal values do not divide by zero.
fn tiny(kind: Kind) -> f64 {
    match kind {
        Kind::Float => 1e-37,
        _ => 1e-300,
    }
}

fn epsilon(kind: Kind) -> f64 {
    match kind {
        Kind::Float => f32::EPSILON as f64,
        _ => f64::EPSILON,
    }
}
