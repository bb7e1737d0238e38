//! Helpers shared by the reports crate's test binaries.
// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]
use prefbench_reports::{write_report, DatasetFacts, ReportContext, ReportFiles};
use prefbench_results::RunRecord;
use std::fs;
use std::path::Path;

/// A context with a title and nothing else.
pub fn context() -> ReportContext {
    ReportContext {
        title: "test".into(),
        ..ReportContext::default()
    }
}

/// Writes the report of `records` into `dir` and returns its files and text.
pub fn write_with(dir: &Path, records: &[RunRecord], ctx: &ReportContext) -> (ReportFiles, String) {
    let files = write_report(dir, records, ctx).unwrap();
    let text = fs::read_to_string(&files.report).unwrap();
    (files, text)
}

/// The text of a dataset's section (`## Dataset `name`…` up to the next `## `).
pub fn section<'t>(text: &'t str, heading: &str) -> &'t str {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in\n{text}"));
    let rest = &text[start + 3..];
    &text[start..start + 3 + rest.find("\n## ").unwrap_or(rest.len())]
}

/// The facts of `dataset` (real data) with four trivial baselines, parsed from a card as the
/// harness does.
pub fn baselines(
    dataset: &str,
    [random, popularity, successor, id_order]: [f64; 4],
) -> (String, DatasetFacts) {
    let card = serde_json::json!({
        "name": dataset,
        "trivial": [
            {"name": "random", "description": "a uniformly random candidate",
             "valid_hr_at_1": random, "test_hr_at_1": random},
            {"name": "popularity", "description": "the most frequent training item",
             "valid_hr_at_1": popularity, "test_hr_at_1": popularity},
            {"name": "successor", "description": "the item that most often follows the last one",
             "valid_hr_at_1": successor, "test_hr_at_1": successor},
            {"name": "id-order", "description": "the candidate whose id follows the last item's",
             "valid_hr_at_1": id_order, "test_hr_at_1": id_order},
        ]
    });
    (dataset.to_string(), DatasetFacts::from_card(&card))
}
