//! Reports built from run records alone: `report.md`, its machine-readable twin
//! `report.json`, and their charts under `figures/`.
//!
//! The harness reads `results.jsonl` (see `prefbench_results::store`) and calls
//! [`write_report`]; everything else in the report comes from [`ReportContext`]. The same
//! records and context give byte-identical files (no timestamps, everything sorted), so
//! reports can be diffed and committed.
//!
//! The pipeline runs one way: `analysis` (statistics and claim rules) builds the typed
//! `model`, which `render` prints as Markdown and JSON and `charts` draws; `format` prints
//! every number. `compare` prints its diff through the same table model and renderer.
//!
//! Records count by the rule of `prefbench_results::store::unique` (one per run id, identical
//! copies collapse, different records under one id are refused), and a cell pools only runs
//! whose whole spec agrees except the seed (`prefbench_results::setting`).
mod analysis;
mod charts;
pub mod compare;
mod context;
mod fonts;
mod format;
mod model;
mod output;
mod palette;
mod render;

use analysis::dataset::DatasetResults;
use prefbench_results::store::{unique, StoreError};
use prefbench_results::RunRecord;
use std::path::{Path, PathBuf};

pub use context::{DatasetFacts, FailedRun, ReportContext, TrivialBaseline};
/// The version of report.json's layout, which docs/schema/report.schema.json pins.
pub use model::SCHEMA;
/// Tables as every report prints them, for commands that print one of their own (`tune`).
pub use model::{Column, Table, Value};

/// `table` as the report's Markdown prints it: its title, the table, its notes.
pub fn markdown_table(table: &Table) -> String {
    render::blocks::table(table)
}

/// The files a report wrote, so the harness can print where they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// `report.md`, for people.
    pub report: PathBuf,
    /// `report.json`, the same report for programs (docs/design.md, "report.json").
    pub json: PathBuf,
    /// Every chart, SVG and PNG, in the order the report shows them.
    pub figures: Vec<PathBuf>,
}

/// Why a report could not be written; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or directory could not be written.
    #[error("{0}; check that the output directory is writable")]
    Io(#[from] prefbench_io::IoError),
    /// Plotting failed, which leaves the report without a figure it links.
    #[error("{path}: drawing the chart failed: {message}")]
    Chart {
        /// The chart's file.
        path: PathBuf,
        /// plotters' reason.
        message: String,
    },
    /// Two different records under one run id: the report would not know which to count.
    #[error("cannot report these records: {0}")]
    Records(#[from] StoreError),
}

/// Removes the charts (`.svg`, `.png`) of `figures_dir` that this report did not write: a
/// chart an earlier report drew and this one no longer draws (a section that went away, a
/// single-K chart) would otherwise stay beside the report, unlinked yet sealed into the
/// directory's manifest as if it were part of it. Other files are left alone.
fn remove_stale_charts(figures_dir: &Path, written: &[PathBuf]) -> Result<(), ReportError> {
    let entries = std::fs::read_dir(figures_dir).map_err(prefbench_io::IoError::at(
        figures_dir,
        "listing the directory",
    ))?;
    for entry in entries {
        let path = entry
            .map_err(prefbench_io::IoError::at(
                figures_dir,
                "listing the directory",
            ))?
            .path();
        let chart = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("svg" | "png")
        );
        if chart && path.is_file() && !written.contains(&path) {
            std::fs::remove_file(&path)
                .map_err(prefbench_io::IoError::at(&path, "removing a stale chart"))?;
        }
    }
    Ok(())
}

/// Writes `dir/report.md`, `dir/report.json` and the charts under `dir/figures/`, replacing
/// earlier ones (and removing charts an earlier report drew that this one does not), each
/// atomically. Never fails on partial data: a partial matrix shows missing
/// cells, no records give a short report. Identical copies of a record count once (read the
/// store with `prefbench_results::store::read_unique` to warn about them); two different
/// records under one id are refused with [`ReportError::Records`] before anything is written.
pub fn write_report(
    dir: &Path,
    records: &[RunRecord],
    ctx: &ReportContext,
) -> Result<ReportFiles, ReportError> {
    let records = unique(records)?.records;
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(prefbench_io::IoError::at(
        &figures_dir,
        "creating the directory",
    ))?;
    let datasets = DatasetResults::split(&records, &ctx.datasets);
    let mut figures = Vec::with_capacity(datasets.len());
    for data in &datasets {
        figures.push(charts::render_dataset(data, &figures_dir)?);
    }
    let files: Vec<PathBuf> = figures
        .iter()
        .flat_map(|f| f.pairs.iter().chain(&f.others))
        .flat_map(|f| [dir.join(&f.svg), dir.join(&f.png)])
        .collect();
    remove_stale_charts(&figures_dir, &files)?;
    let report = analysis::report(ctx, &records, &datasets, figures);
    let (markdown, json) = (dir.join("report.md"), dir.join("report.json"));
    output::write_text(&markdown, &render::markdown::report(&report))?;
    output::write_text(&json, &render::json::report(&report))?;
    Ok(ReportFiles {
        report: markdown,
        json,
        figures: files,
    })
}
