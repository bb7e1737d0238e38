//! Statistics across seeds: every number a report shows for a cell is a summary of its seeds.
use crate::record::{Cell, RunRecord};
use std::collections::BTreeMap;

/// Arithmetic mean; `None` for no values, so an empty cell cannot pass for a zero.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation (n − 1 in the denominator), the spread of a metric over seeds;
/// 0 for a single value so one-seed cells still print, `None` for no values.
pub fn sample_std(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    if values.len() == 1 {
        return Some(0.0);
    }
    let ss: f64 = values.iter().map(|v| (v - m).powi(2)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

/// A metric over the seeds of one cell; `n` is kept because partial matrices give cells with
/// fewer seeds, and readers must see that.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
}

impl Summary {
    /// Summarises the values, `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Self> {
        Some(Self {
            n: values.len(),
            mean: mean(values)?,
            std: sample_std(values)?,
        })
    }
}

/// Groups records by cell (dataset, method, K) and summarises `metric` over their seeds; the
/// ordered map gives reports a deterministic order.
pub fn aggregate<'a>(
    records: impl IntoIterator<Item = &'a RunRecord>,
    metric: impl Fn(&RunRecord) -> f64,
) -> BTreeMap<Cell, Summary> {
    let mut values: BTreeMap<&Cell, Vec<f64>> = BTreeMap::new();
    for record in records {
        values.entry(&record.cell).or_default().push(metric(record));
    }
    values
        .into_iter()
        .filter_map(|(cell, mut v)| {
            // Sorted so that the sum, to the last bit, does not depend on record order.
            v.sort_by(f64::total_cmp);
            Some((cell.clone(), Summary::of(&v)?))
        })
        .collect()
}
