//! `report.json`: the [`Report`] for people publishing comparisons, with numbers as numbers
//! (NaN and infinities as `null`) and summaries as `{mean, std, ci95, n}`; docs/design.md
//! describes the layout. Struct fields keep their declaration order, so the same records
//! always give the same bytes.
use crate::model::Report;

/// The report as pretty-printed JSON, ending with a newline.
pub(crate) fn report(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report)
        .expect("a report holds only strings, numbers and lists, which always serialise");
    text.push('\n');
    text
}
