//! Reports built from run records alone: `report.md` and its charts under `figures/`.
//!
//! The harness reads `results.jsonl` (see `prefbench_results::store`) and calls
//! [`write_report`]; everything else in the report comes from [`ReportContext`]. The same
//! records and context give byte-identical files (no timestamps, everything sorted), so
//! reports can be diffed and committed.
//!
//! Records count by the rule of `prefbench_results::store::unique` (one per run id, identical
//! copies collapse, different records under one id are refused), and a cell pools only runs
//! whose whole spec agrees except the seed (`prefbench_results::setting`).
mod charts;
mod claims;
pub mod compare;
mod cost;
mod dataset;
mod fonts;
mod format;
mod lift;
mod markdown;
mod output;
mod pairs;
mod palette;
mod regime;
mod selection;
mod trivial;

use dataset::DatasetResults;
use prefbench_results::store::{unique, StoreError};
use prefbench_results::RunRecord;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use trivial::{DatasetFacts, TrivialBaseline};

/// What the records cannot say about themselves, supplied by the harness.
#[derive(Debug, Clone, Default)]
pub struct ReportContext {
    /// The config name, shown in the report's heading.
    pub title: String,
    /// Markdown blocks as (heading, body), printed in this order after the results, for
    /// example the environment summary, the dataset cards and the resolved config (put YAML
    /// in a fenced code block). Headings become `##` sections; bodies are copied verbatim.
    pub sections: Vec<(String, String)>,
    /// What each dataset's card says, by dataset name as the records' `cell.dataset` spells
    /// it (from each `datasets/<name>/card.json`, see [`DatasetFacts::from_card`]); a dataset
    /// without an entry counts as real data without baselines.
    pub datasets: BTreeMap<String, DatasetFacts>,
}

/// The files a report wrote, so the harness can print where they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    pub report: PathBuf,
    /// Every chart, SVG and PNG, in the order the report shows them.
    pub figures: Vec<PathBuf>,
}

/// Why a report could not be written; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {action} failed: {source}; check that the output directory is writable")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: drawing the chart failed: {message}")]
    Chart { path: PathBuf, message: String },
    /// Two different records under one run id: the report would not know which to count.
    #[error("cannot report these records: {0}")]
    Records(#[from] StoreError),
}

/// Writes `dir/report.md` and its charts under `dir/figures/`, replacing earlier ones. Never
/// fails on partial data: a partial matrix shows missing cells, no records give a short report.
/// Identical copies of a record count once (read the store with
/// `prefbench_results::store::read_unique` to warn about them); two different records under
/// one id are refused with [`ReportError::Records`] before anything is written.
pub fn write_report(
    dir: &Path,
    records: &[RunRecord],
    ctx: &ReportContext,
) -> Result<ReportFiles, ReportError> {
    let records = unique(records)?.records;
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir)
        .map_err(|source| output::io_err(&figures_dir, "creating directory", source))?;
    let datasets = DatasetResults::split(&records, &ctx.datasets);
    let mut figures = Vec::with_capacity(datasets.len());
    for data in &datasets {
        figures.push(charts::render_dataset(data, &figures_dir)?);
    }
    let text = markdown::report(ctx, &records, &datasets, &figures);
    let report = dir.join("report.md");
    output::write_atomically(&report, |tmp| {
        std::fs::write(tmp, text).map_err(|source| output::io_err(tmp, "writing", source))
    })?;
    let figures = figures
        .iter()
        .flatten()
        .flat_map(|f| [dir.join(&f.svg), dir.join(&f.png)])
        .collect();
    Ok(ReportFiles { report, figures })
}

/// A dataset name as a file-name part: other characters than ASCII letters, digits, `-`, `_`
/// and `.` become `-`, so names from registries cannot escape `figures/`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '-',
        })
        .collect()
}
