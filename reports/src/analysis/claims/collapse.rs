//! A method's test HR@1 over K, the one collapse reading C1 and C8 share (docs/claims.md,
//! "Pre-registered analysis"): where its mean peaks, the paired drop from the peak K to the
//! largest K over the seeds that ran both, and whether the training loss keeps falling. A
//! method *collapses* when the peak is interior and the drop is significantly positive.
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::{final_loss, HR_AT_1};
use crate::format::number;
use prefbench_results::stats::{PairedEffect, Summary, ALPHA};
use prefbench_vocabulary::Method;
use std::collections::BTreeMap;

/// A method's test HR@1 over K, as C1 and C8 read it.
pub(super) struct Collapse {
    pub means: Vec<(usize, f64)>,
    pub peak: usize,
    /// Peak mean minus the mean at the largest K.
    pub drop: f64,
    /// The paired drop per seed (HR@1 at the peak K − at the largest K) over the seeds that
    /// ran both; `None` without such a seed or when the peak is the largest K.
    pub paired_drop: Option<PairedEffect>,
    /// Each seed's drop, by seed (C8 compares two methods' drops seed by seed).
    pub drops: BTreeMap<u64, f64>,
    /// Whether the mean final training loss decreases strictly from the peak K on.
    pub loss_falls: bool,
}

impl Collapse {
    pub fn of(data: &DatasetResults, method: Method) -> Option<Self> {
        let hr = data.test_cells(HR_AT_1);
        let loss = data.cells(final_loss);
        let cells: Vec<(usize, Summary)> = data
            .ks_of(method)
            .into_iter()
            .filter_map(|k| Some((k, *hr.get(method, k)?)))
            .collect();
        let (first_max, peak) = cells.iter().enumerate().fold(
            None,
            |best: Option<(usize, &(usize, Summary))>, (i, c)| match best {
                Some((_, b)) if b.1.mean >= c.1.mean => best,
                _ => Some((i, c)),
            },
        )?;
        let last = cells.last()?.0;
        let at = |k| data.per_seed(method, k, |r| Some((HR_AT_1.of)(&r.test)));
        let (at_peak, at_last) = (at(peak.0), at(last));
        let drops: BTreeMap<u64, f64> = at_peak
            .iter()
            .filter_map(|(&seed, p)| Some((seed, p - at_last.get(&seed)?)))
            .collect();
        let values: Vec<f64> = drops.values().copied().collect();
        let losses: Vec<f64> = cells[first_max..]
            .iter()
            .filter_map(|(k, _)| loss.get(method, *k).map(|s| s.mean))
            .collect();
        Some(Self {
            means: cells.iter().map(|(k, s)| (*k, s.mean)).collect(),
            peak: peak.0,
            drop: peak.1.mean - cells.last()?.1.mean,
            paired_drop: (peak.0 != last)
                .then(|| PairedEffect::of(&values))
                .flatten(),
            drops,
            loss_falls: losses.len() == cells.len() - first_max
                && losses.windows(2).all(|w| w[1] < w[0]),
        })
    }

    /// The collapse reading: an interior peak and a drop to the largest K that is positive
    /// with paired t p < 0.05 (exploratory: the peak is chosen from the same data).
    pub fn collapses(&self) -> bool {
        self.interior()
            && self
                .paired_drop
                .as_ref()
                .is_some_and(|d| d.mean > 0.0 && d.p.is_some_and(|p| p < ALPHA))
    }

    /// Whether the drop's 95% t interval lies wholly below `drop` (S-DPO "stays stable"
    /// beside DMPO's drop).
    pub fn drop_below(&self, drop: f64) -> bool {
        self.paired_drop
            .as_ref()
            .and_then(|d| d.t_ci)
            .is_some_and(|(_, hi)| hi < drop)
    }

    /// This method's drop minus `other`'s, seed by seed over the seeds both have: whether it
    /// drops harder.
    pub fn harder_than(&self, other: &Collapse) -> Option<PairedEffect> {
        let differences: Vec<f64> = self
            .drops
            .iter()
            .filter_map(|(seed, d)| Some(d - other.drops.get(seed)?))
            .collect();
        PairedEffect::of(&differences)
    }

    pub fn interior(&self) -> bool {
        self.means.first().is_some_and(|f| f.0 != self.peak)
            && self.means.last().is_some_and(|l| l.0 != self.peak)
    }

    pub fn describe(&self, method: &str) -> String {
        let trace = self
            .means
            .iter()
            .map(|(k, m)| format!("K={k}: {}", number(*m, 4)))
            .collect::<Vec<_>>()
            .join(", ");
        let drop = self
            .paired_drop
            .as_ref()
            .map_or("no paired seeds".into(), |d| {
                let ci = d.t_ci.map_or(String::new(), |(lo, hi)| {
                    format!(" {}", crate::format::signed_interval(lo, hi, 4))
                });
                format!(
                    "paired drop {}{ci}, p = {} (n = {})",
                    crate::format::signed(d.mean, 4),
                    crate::format::p_value(d.p),
                    d.n
                )
            });
        format!(
            "{method} HR@1 {trace}; peak K = {}, mean drop to largest K {} ({drop}; {}); final \
             loss {} from the peak on",
            self.peak,
            number(self.drop, 4),
            if self.collapses() {
                "collapses"
            } else {
                "no collapse"
            },
            if self.loss_falls {
                "falls"
            } else {
                "does not keep falling"
            }
        )
    }
}
