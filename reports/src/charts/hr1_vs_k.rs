//! Test HR@1 (selected epoch) against K, one line per method with a ± one std whisker over
//! seeds, the SFT reference as a dashed line and the trivial baselines as dotted lines, each
//! named in the legend: the paper's collapse (C1) and lift (C3, C4) at a glance, and whether
//! PO beats its starting point and a predictor that learns nothing.
use super::vs_k::{Reference, Statistic, VsK};
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::HR_AT_1;
use crate::format::number;
use crate::palette::{Dash, REFERENCE, TRIVIAL};

/// The chart for one dataset.
pub(crate) fn hr1_vs_k<'a, 'r>(data: &'a DatasetResults<'r>) -> VsK<'a, 'r> {
    let sft = data.sft(HR_AT_1).map(|s| Reference {
        label: format!("SFT reference {}", number(s.mean, 3)),
        value: s.mean,
        colour: REFERENCE,
        dash: Dash::Dashed,
        stretches_axis: true,
    });
    let trivial = data.trivial.iter().map(|t| Reference {
        label: format!("{} {}", t.name, number(t.test_hr_at_1, 3)),
        value: t.test_hr_at_1,
        colour: TRIVIAL,
        dash: Dash::Dotted,
        stretches_axis: false,
    });
    VsK {
        data,
        prefix: "hr1-vs-k",
        title: "Test HR@1 (best-validation epoch) against K",
        value: |r| Some((HR_AT_1.of)(&r.test)),
        statistic: Statistic::MeanSd,
        references: sft.into_iter().chain(trivial).collect(),
        y_desc: "test HR@1 (mean ± std over seeds)",
        decimals: 2,
        lower: 0.0,
        upper: 1.0,
        marks_sharing: false,
    }
}
