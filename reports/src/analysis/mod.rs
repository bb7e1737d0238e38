//! The statistics and the claim rules: from records (and the context's facts) to the typed
//! [`Report`]. Everything here is a function of sorted inputs that returns typed values, no
//! markup, so the Markdown and the JSON renderers show the same findings.
//!
//! Records are split by (dataset, regime, setting) ([`dataset`]); each section's tables come
//! from [`selection`] (metrics at the selected and the last epoch), [`lift`], [`trivial`],
//! [`pairs`], [`cost`] (with [`sharing`]) and [`stages`], and the verdicts from [`claims`].
mod claims;
mod cost;
pub(crate) mod dataset;
pub(crate) mod endpoints;
mod lift;
pub(crate) mod metric;
pub(crate) mod pairs;
mod regime;
mod selection;
pub(crate) mod sharing;
pub(crate) mod stages;
mod trivial;

use crate::context::{FailedRun, ReportContext};
use crate::model::{
    Appendix, Column, DatasetSection, Overview, Report, SectionFigures, Table, Value, Warnings,
    SCHEMA,
};
use dataset::DatasetResults;
use metric::{HR_AT_1, HR_AT_5, NDCG_AT_5};
use prefbench_results::RunRecord;
use regime::Regime;
use std::collections::BTreeSet;

/// The report of `records`, split into `datasets`; `figures[i]` are the charts of
/// `datasets[i]`.
pub(crate) fn report(
    ctx: &ReportContext,
    records: &[&RunRecord],
    datasets: &[DatasetResults],
    figures: Vec<SectionFigures>,
) -> Report {
    let ran = !records.is_empty();
    Report {
        schema: SCHEMA,
        title: ctx.title.clone(),
        overview: ran.then(|| overview(records, datasets)),
        endpoints: endpoints::endpoints(datasets),
        claims: ran.then(|| claims::claims(datasets, ctx.overhead.as_ref())),
        regimes: pairs::across_regimes(datasets),
        datasets: datasets
            .iter()
            .zip(figures)
            .map(|(data, figures)| section(data, figures))
            .collect(),
        failed_runs: failed_runs(&ctx.failures),
        appendices: ctx
            .sections
            .iter()
            .map(|(heading, body)| Appendix {
                heading: heading.clone(),
                body: body.clone(),
            })
            .collect(),
    }
}

/// The diverged runs as a table, or `None` when there are none.
fn failed_runs(failures: &[FailedRun]) -> Option<Table> {
    if failures.is_empty() {
        return None;
    }
    let title = format!(
        "{} run(s) of the latest invocation diverged and have no record; the cells above \
         average only the runs that finished.",
        failures.len()
    );
    let columns = vec![
        Column::left("dataset"),
        Column::left("method"),
        Column::right("K"),
        Column::right("seed"),
        Column::left("policy"),
        Column::left("why"),
    ];
    let rows = failures
        .iter()
        .map(|f| {
            vec![
                Value::Text(f.key.cell.dataset.clone()),
                Value::Method(f.key.cell.method),
                Value::Count(f.key.cell.k),
                Value::Count(f.key.seed as usize),
                Value::Text(f.policy.clone()),
                Value::Text(f.why.clone()),
            ]
        })
        .collect();
    Some(Table::new(Some(title), columns, rows))
}

fn overview(records: &[&RunRecord], datasets: &[DatasetResults]) -> Overview {
    let names = |keep: fn(&DatasetResults) -> bool| -> BTreeSet<&str> {
        datasets
            .iter()
            .filter(|d| keep(d))
            .map(|d| d.name)
            .collect()
    };
    let regimes: BTreeSet<Regime> = datasets.iter().map(|d| d.regime).collect();
    Overview {
        runs: records.len(),
        datasets: names(|_| true).len(),
        seeds: records
            .iter()
            .map(|r| r.seed)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        policies: regimes.iter().map(Regime::description).collect(),
        synthetic: names(|d| d.synthetic)
            .into_iter()
            .map(str::to_string)
            .collect(),
    }
}

fn section(data: &DatasetResults, figures: SectionFigures) -> DatasetSection {
    DatasetSection {
        name: data.name.to_string(),
        qualifier: data.qualifier(),
        policy: data.regime.label(),
        synthetic: data.synthetic,
        warnings: Warnings {
            lift: lift::warning(data),
            ordering_artifact: trivial::ordering_artifact(data).map(|t| t.test_hr_at_1),
            beaten: trivial::beaten(data),
        },
        metrics: [HR_AT_1, HR_AT_5, NDCG_AT_5]
            .into_iter()
            .map(|metric| selection::metric_tables(data, metric))
            .collect(),
        lift: lift::table(data),
        trivial: trivial::table(data),
        pairs: pairs::table(data),
        pairs_figure: figures.pairs,
        figures: figures.others,
        cost: cost::section(data),
    }
}
