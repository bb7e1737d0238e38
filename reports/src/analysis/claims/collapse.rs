//! A method's test HR@1 over K, the shape C1 and C8 read: where it peaks, how far it drops
//! to the largest K against the seed spread, and whether the training loss keeps falling.
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::{final_loss, HR_AT_1};
use crate::format::number;
use prefbench_results::stats::Summary;
use prefbench_vocabulary::Method;

/// A method's test HR@1 over K, as C1 and C8 read it.
pub(super) struct Collapse {
    pub means: Vec<(usize, f64)>,
    pub peak: usize,
    /// Peak mean minus the mean at the largest K.
    pub drop: f64,
    /// Pooled seed standard deviation over the method's cells; `None` with one seed per cell.
    pub sigma: Option<f64>,
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
        let (dof, ss) = cells.iter().fold((0usize, 0.0), |(d, s), (_, c)| {
            (d + c.n - 1, s + (c.n - 1) as f64 * c.std.powi(2))
        });
        let losses: Vec<f64> = cells[first_max..]
            .iter()
            .filter_map(|(k, _)| loss.get(method, *k).map(|s| s.mean))
            .collect();
        Some(Self {
            means: cells.iter().map(|(k, s)| (*k, s.mean)).collect(),
            peak: peak.0,
            drop: peak.1.mean - cells.last()?.1.mean,
            sigma: (dof > 0).then(|| (ss / dof as f64).sqrt()),
            loss_falls: losses.len() == cells.len() - first_max
                && losses.windows(2).all(|w| w[1] < w[0]),
        })
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
        let sigma = self.sigma.map_or("no spread (one seed)".into(), |s| {
            format!("2σ = {}", number(2.0 * s, 4))
        });
        format!(
            "{method} HR@1 {trace}; peak K = {}, drop to largest K {} vs {sigma}; final loss \
             {} from the peak on",
            self.peak,
            number(self.drop, 4),
            if self.loss_falls {
                "falls"
            } else {
                "does not keep falling"
            }
        )
    }
}
