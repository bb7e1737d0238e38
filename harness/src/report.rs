//! Rebuilds the report of an output directory from its records alone, with the environment,
//! dataset cards (whether each dataset is synthetic, and its trivial baselines) and resolved
//! config found beside them.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use prefbench_reports::{write_report, DatasetFacts, FailedRun, ReportContext};
use prefbench_results::overhead::{analyse, OverheadAnalysis, OverheadRecord};
use prefbench_results::store::read_unique;

/// The file of `prefbench bench overhead --out` that C6 reads beside the records.
pub const OVERHEAD_FILE: &str = "overhead.json";

use crate::config::{ExperimentConfig, Source};
use crate::console::{self, errln};
use crate::failures::{self, RunFailure};
use crate::output_dir::OutputDir;

/// Writes `dir/report.md` and `dir/figures/`; returns the report's path. Records count as in
/// `prefbench results merge`: identical copies of a record count once (with a warning naming
/// the run and how many copies), two different records under one id are refused.
pub fn write(dir: &Path) -> Result<PathBuf> {
    let out = OutputDir::at(dir);
    let records_path = out.results();
    let unique = read_unique(std::slice::from_ref(&records_path))
        .with_context(|| format!("cannot build the report of {}", dir.display()))?;
    for duplicate in &unique.duplicates {
        errln!("warning: {}: {duplicate}", records_path.display());
    }
    let read = |path: PathBuf| std::fs::read_to_string(path).ok();
    let config = read(out.config());
    let parsed = config
        .as_ref()
        .and_then(|text| parse_config(&out.config(), text));
    if let Some(tuning) = parsed.as_ref().filter(|c| c.grid.is_some()) {
        let records: Vec<&_> = unique.records.iter().collect();
        return crate::tuning::write(dir, tuning, &records);
    }
    let mut sections = Vec::new();
    if let Some(env) = read(out.environment()) {
        sections.push(("Environment".to_string(), fenced("json", &env)));
    }
    let mut datasets = std::collections::BTreeMap::new();
    for (name, text) in dataset_cards(&out) {
        sections.push((format!("Dataset card: {name}"), fenced("json", &text)));
        // A card that does not parse is still shown as text; its dataset just counts as real
        // data without baselines.
        if let Ok(card) = serde_json::from_str::<serde_json::Value>(&text) {
            datasets.insert(name, DatasetFacts::from_card(&card));
        }
    }
    for name in uncarded(&unique.records, &datasets) {
        errln!(
            "warning: {}: no card for dataset `{name}`: its verdicts count as real data and its \
             trivial baselines are not shown; merge output directories (not their results.jsonl) \
             to carry the cards",
            out.dataset_card(&name).display()
        );
    }
    if let Some(config) = &config {
        sections.push(("Resolved config".to_string(), fenced("yaml", config)));
    }
    for (file, text) in merged_configs(dir) {
        sections.push((format!("Resolved config: {file}"), fenced("yaml", &text)));
    }
    let title = parsed
        .map(|config| config.name)
        // The directory's own name, not the path as typed, so the report does not depend on
        // where it is built from (`prefbench verify` rebuilds it elsewhere).
        .unwrap_or_else(|| directory_name(dir));
    let overhead = read_overhead(dir)?;
    let context = ReportContext {
        title,
        sections,
        datasets,
        failures: failures::read(dir).iter().map(failed_run).collect(),
        overhead,
    };
    let files = write_report(dir, &unique.records, &context)
        .with_context(|| format!("cannot write the report into {}", dir.display()))?;
    Ok(files.report)
}

/// The directory's in-process overhead measurement (`overhead.json`, written by `prefbench
/// bench overhead --out`), analysed; `None` when there is none. A file that is there but cannot
/// be read or analysed is an error naming it, never a silently different C6.
fn read_overhead(dir: &Path) -> Result<Option<OverheadAnalysis>> {
    let path = dir.join(OVERHEAD_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let record = OverheadRecord::read(&path)?;
    let analysis =
        analyse(&record).with_context(|| format!("cannot analyse {}", path.display()))?;
    Ok(Some(analysis))
}

/// `config.yaml`, read as `prefbench run` reads a config: it names the matrix, and a `grid`
/// makes the report a tuning table. One that no longer parses (written by another version) is
/// still shown as text; the report warns and is titled by its directory.
fn parse_config(path: &Path, text: &str) -> Option<ExperimentConfig> {
    match Source::new(text, path.display().to_string()).parse() {
        Ok(config) => Some(config),
        Err(e) => {
            errln!(
                "warning: {}; the report is titled by its directory",
                console::chain(&e)
            );
            None
        }
    }
}

/// The last component of `dir` (`.` and `..` resolved when possible), the report's title
/// when no config names the matrix.
fn directory_name(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let normal: PathBuf = absolute.components().fold(PathBuf::new(), |mut p, c| {
        match c {
            std::path::Component::ParentDir => {
                p.pop();
            }
            std::path::Component::CurDir => {}
            other => p.push(other),
        }
        p
    });
    normal
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// A diverged run as the report lists it.
fn failed_run(f: &RunFailure) -> FailedRun {
    FailedRun {
        key: f.key.clone(),
        policy: f.model.label(),
        why: f.error.clone(),
    }
}

/// The datasets of `records` that have no card among `cards`, in name order.
fn uncarded<T>(
    records: &[prefbench_results::RunRecord],
    cards: &std::collections::BTreeMap<String, T>,
) -> std::collections::BTreeSet<String> {
    records
        .iter()
        .map(|r| &r.cell.dataset)
        .filter(|name| !cards.contains_key(*name))
        .cloned()
        .collect()
}

/// `(dataset name, card.json text)` of every `datasets/<name>/card.json`, in name order.
fn dataset_cards(out: &OutputDir) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(out.datasets()) else {
        return Vec::new();
    };
    let mut cards: Vec<(String, String)> = entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(out.dataset_card(&name)).ok()?;
            Some((name, text))
        })
        .collect();
    cards.sort();
    cards
}

/// `(file name, text)` of every `config-*.yaml` beside `config.yaml`, in name order: the
/// configs of other matrices whose records were merged into this store (published/ holds the
/// item-ids backbone's as `config-ids.yaml`).
fn merged_configs(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut configs: Vec<(String, String)> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_string();
            if !(name.starts_with("config-") && name.ends_with(".yaml")) {
                return None;
            }
            Some((name, std::fs::read_to_string(&path).ok()?))
        })
        .collect();
    configs.sort();
    configs
}

/// A collapsed code block: the report leads with results, the provenance stays one click away.
fn fenced(language: &str, text: &str) -> String {
    format!(
        "<details><summary>{language}</summary>\n\n```{language}\n{}\n```\n\n</details>",
        text.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The title is the typed config's `name`, however the YAML spells it (quoted, flow
    /// style, after a comment naming another); a config that does not parse titles nothing.
    #[test]
    fn the_title_is_the_name_of_the_parsed_config() {
        let path = Path::new("out/config.yaml");
        let rest = "datasets: [synthetic]\nmethods: [dmpo]\nk: [1]\nseeds: [0]\n";
        for (text, name) in [
            (format!("name: 'paper: rerun'\n{rest}"), "paper: rerun"),
            (format!("# name: old\n{rest}name: \"new\"\n"), "new"),
            (
                "{name: flow, datasets: [synthetic], methods: [dmpo], k: [1], seeds: [0]}\n".into(),
                "flow",
            ),
        ] {
            assert_eq!(
                parse_config(path, &text).map(|c| c.name).as_deref(),
                Some(name),
                "{text}"
            );
        }
        assert!(parse_config(path, &format!("name: x\n{rest}epoch: 3\n")).is_none());
    }
}
