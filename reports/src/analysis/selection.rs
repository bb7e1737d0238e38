//! Model selection: every table reports the PO epoch with the best validation HR@1 (ties: the
//! earliest), as S-DPO and LLaRA select checkpoints, because the last epoch of a collapsing
//! objective understates what it reached. Selection can flatter a method too, so the
//! last-epoch numbers are always shown beside the selected ones.
use super::dataset::DatasetResults;
use super::metric::{last_epoch_test, Metric, HR_AT_1};
use crate::format;
use crate::model::{MetricTables, Table, Value, SELECTED_EPOCH};

/// The tables of `metric` at the selected epoch, with the SFT reference as a note; HR@1, the
/// headline, also gets the last-epoch table.
pub(crate) fn metric_tables(data: &DatasetResults, metric: Metric) -> MetricTables {
    let cells = data.test_cells(metric);
    let headline = metric.label == HR_AT_1.label;
    let title = if headline {
        format!(
            "Cells: test HR@1 at {SELECTED_EPOCH}; last-epoch values in the table after the \
             SFT line."
        )
    } else {
        format!(
            "Cells: test {} at the PO epoch selected by validation HR@1.",
            metric.label
        )
    };
    let mut table = data.table(&title, |method, k| {
        cells
            .get(method, k)
            .map_or(Value::Missing, |s| Value::Summary {
                summary: *s,
                bounds: metric.bounds,
                signed: false,
            })
    });
    let sft = data.sft(metric).map_or(Value::Missing, |s| Value::Summary {
        summary: s,
        bounds: metric.bounds,
        signed: false,
    });
    table.notes.push(format!(
        "SFT reference (before PO): {}",
        format::value(&sft)
    ));
    MetricTables {
        metric: metric.label,
        table,
        last_epoch: headline.then(|| last_epoch_table(data)),
    }
}

/// The compact last-epoch table of HR@1: per (method, K) the mean over seeds of the last
/// epoch's test HR@1 and the epoch selection kept in each seed's run.
fn last_epoch_table(data: &DatasetResults) -> Table {
    let last = data.last_epoch_cells(HR_AT_1);
    data.table(
        "Last PO epoch, without model selection: mean test HR@1 over seeds (n), then the \
         epoch the selection kept in each seed's run, of the epochs that ran.",
        |method, k| {
            let Some(s) = last.get(method, k) else {
                return Value::Missing;
            };
            let runs: Vec<_> = data
                .runs(method)
                .filter(|r| r.cell.k == k && last_epoch_test(r).is_some())
                .collect();
            Value::LastEpoch {
                mean: s.mean,
                n: s.n,
                kept: runs.iter().map(|r| r.selected_epoch).collect(),
                of: runs.iter().map(|r| r.epochs.len()).max().unwrap_or(0),
            }
        },
    )
}
