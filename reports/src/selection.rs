//! Model selection: every table reports the PO epoch with the best validation HR@1 (ties: the
//! earliest), as S-DPO and LLaRA select checkpoints, because the last epoch of a collapsing
//! objective understates what it reached. Selection can flatter a method too, so the
//! last-epoch numbers are always shown beside the selected ones.
use crate::dataset::{last_epoch_test, DatasetResults, HR_AT_1};
use crate::format::{number, MISSING};
use crate::markdown::table;
use prefbench_vocabulary::Method;
use std::collections::BTreeSet;

/// The epoch every table and verdict reads a run at, unless it says otherwise.
pub(crate) const SELECTED_EPOCH: &str =
    "the PO epoch with the best validation HR@1 (ties: the earliest)";

/// The compact last-epoch table of HR@1: per (method, K) the mean over seeds of the last
/// epoch's test HR@1 and the epoch selection kept in each seed's run.
pub(crate) fn last_epoch_table(
    data: &DatasetResults,
    methods: &[Method],
    ks: &BTreeSet<usize>,
) -> String {
    let last = data.last_epoch_cells(HR_AT_1);
    let mut out = String::from(
        "Last PO epoch, without model selection: mean test HR@1 over seeds (n), then the \
         epoch the selection kept in each seed's run, of the epochs that ran.\n\n",
    );
    out += &table(methods, ks, |method, k| {
        let Some(s) = last.get(method, k) else {
            return MISSING.into();
        };
        let runs: Vec<_> = data
            .runs(method)
            .filter(|r| r.cell.k == k && last_epoch_test(r).is_some())
            .collect();
        let kept: Vec<String> = runs.iter().map(|r| r.selected_epoch.to_string()).collect();
        let of = runs.iter().map(|r| r.epochs.len()).max().unwrap_or(0);
        format!(
            "{} (n={}) · kept {} of {of}",
            number(s.mean, 4),
            s.n,
            kept.join(", ")
        )
    });
    out
}
