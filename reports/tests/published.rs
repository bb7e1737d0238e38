//! The committed `published/` store renders with this crate's charts: every figure the report
//! links exists, each dataset section shows its paired-difference chart above the pairs
//! table, and no single-K section gets a chart against K. The report lands under cargo's
//! scratch space (`published-report`), where the charts can be looked at.
mod support;

use prefbench_reports::{write_report, DatasetFacts, ReportContext};
use prefbench_testkit::scratch;
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn the_published_store_renders_with_paired_charts_first_and_no_single_k_chart() {
    let published = Path::new(env!("CARGO_MANIFEST_DIR")).join("../published");
    let records = prefbench_results::store::read_records(published.join("results.jsonl")).unwrap();
    let mut datasets = BTreeMap::new();
    for entry in std::fs::read_dir(published.join("datasets")).unwrap() {
        let dir = entry.unwrap().path();
        let card = std::fs::read_to_string(dir.join("card.json")).unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        datasets.insert(
            name,
            DatasetFacts::from_card(&serde_json::from_str(&card).unwrap()),
        );
    }
    let ctx = ReportContext {
        title: "published".into(),
        datasets,
        ..ReportContext::default()
    };
    let dir = scratch!("published-report");
    let files = write_report(&dir, &records, &ctx).unwrap();
    let text = std::fs::read_to_string(&files.report).unwrap();
    for figure in &files.figures {
        assert!(figure.exists(), "{}", figure.display());
    }
    let sections = text.matches("### DynamicPO against its base\n\n![DynamicPO minus its base");
    // Every dataset section (each has DynamicPO beside its base) shows the chart first.
    let datasets = text.matches("\n## Dataset `").count();
    assert!(datasets >= 8, "{text}");
    assert_eq!(sections.count(), datasets, "{text}");
    let gru = support::section(&text, "## Dataset `lastfm-dated` (GRU");
    assert!(!gru.contains("figures/hr1-vs-k-"), "{gru}");
    assert!(
        gru.contains("figures/paired-lastfm-dated-gru-minilm.svg"),
        "{gru}"
    );
}
