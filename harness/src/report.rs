//! Rebuilds the report of an output directory from its records alone, with the environment,
//! dataset cards (whether each dataset is synthetic, and its trivial baselines) and resolved
//! config found beside them.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use prefbench_reports::{write_report, DatasetFacts, ReportContext};
use prefbench_results::store::read_unique;

use crate::failures::{self, RunFailure};

/// Writes `dir/report.md` and `dir/figures/`; returns the report's path. Records count as in
/// `prefbench results merge`: identical copies of a record count once (with a warning naming
/// the run and how many copies), two different records under one id are refused.
pub fn write(dir: &Path) -> Result<PathBuf> {
    let records_path = dir.join("results.jsonl");
    let unique = read_unique(std::slice::from_ref(&records_path))
        .with_context(|| format!("cannot build the report of {}", dir.display()))?;
    for duplicate in &unique.duplicates {
        eprintln!("warning: {}: {duplicate}", records_path.display());
    }
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let mut sections = Vec::new();
    let failures = failures::read(dir);
    if !failures.is_empty() {
        sections.push(("Failed runs".to_string(), failed_runs(&failures)));
    }
    if let Some(env) = read("env.json") {
        sections.push(("Environment".to_string(), fenced("json", &env)));
    }
    let cards = dataset_cards(dir);
    let mut datasets = std::collections::BTreeMap::new();
    for (name, text) in &cards {
        sections.push((format!("Dataset card: {name}"), fenced("json", text)));
        // A card that does not parse is still shown as text; its dataset just counts as real
        // data without baselines.
        if let Ok(card) = serde_json::from_str::<serde_json::Value>(text) {
            datasets.insert(name.clone(), DatasetFacts::from_card(&card));
        }
    }
    if let Some(config) = read("config.yaml") {
        sections.push(("Resolved config".to_string(), fenced("yaml", &config)));
    }
    let title = read("config.yaml")
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("name: ").map(str::to_string))
        })
        .unwrap_or_else(|| dir.display().to_string());
    let context = ReportContext {
        title,
        sections,
        datasets,
    };
    let files = write_report(dir, &unique.records, &context)
        .with_context(|| format!("cannot write the report into {}", dir.display()))?;
    Ok(files.report)
}

/// The runs that diverged, as a table: they have no record, so no cell above counts them.
fn failed_runs(failures: &[RunFailure]) -> String {
    let mut out = format!(
        "{} run(s) of the latest invocation diverged and have no record; the cells above \
         average only the runs that finished.\n\n| dataset | method | K | seed | policy | why |\n\
         |:--|:--|--:|--:|:--|:--|\n",
        failures.len()
    );
    for f in failures {
        let policy = format!(
            "{}/{}",
            f.model["architecture"].as_str().unwrap_or("?"),
            f.model["item_text"].as_str().unwrap_or("?")
        );
        out.push_str(&format!(
            "| {} | {} | {} | {} | {policy} | {} |\n",
            f.dataset,
            f.method,
            f.k,
            f.seed,
            f.error.replace('|', "\\|")
        ));
    }
    out
}

/// `(dataset name, card.json text)` of every `datasets/<name>/card.json`, in name order.
fn dataset_cards(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir.join("datasets")) else {
        return Vec::new();
    };
    let mut cards: Vec<(String, String)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let text = std::fs::read_to_string(e.path().join("card.json")).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), text))
        })
        .collect();
    cards.sort();
    cards
}

/// A collapsed code block: the report leads with results, the provenance stays one click away.
fn fenced(language: &str, text: &str) -> String {
    format!(
        "<details><summary>{language}</summary>\n\n```{language}\n{}\n```\n\n</details>",
        text.trim_end()
    )
}
