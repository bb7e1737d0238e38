//! Rebuilds the report of an output directory from its records alone, with the environment,
//! dataset cards and resolved config found beside them.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use prefbench_reports::{write_report, ReportContext};
use prefbench_results::store::read_records;

/// Writes `dir/report.md` and `dir/figures/`; returns the report's path.
pub fn write(dir: &Path) -> Result<PathBuf> {
    let records_path = dir.join("results.jsonl");
    let records = read_records(&records_path)
        .with_context(|| format!("cannot build the report of {}", dir.display()))?;
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let mut sections = Vec::new();
    if let Some(env) = read("env.json") {
        sections.push(("Environment".to_string(), fenced("json", &env)));
    }
    for card in dataset_cards(dir) {
        sections.push((format!("Dataset card: {}", card.0), fenced("json", &card.1)));
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
    let context = ReportContext { title, sections };
    let files = write_report(dir, &records, &context)
        .with_context(|| format!("cannot write the report into {}", dir.display()))?;
    Ok(files.report)
}

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
