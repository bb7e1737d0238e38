//! What the process that owns the output directory does with outcomes: append records to the
//! store, log failures, and tell the observer. The local runner and the `--jobs` parent both
//! keep outcomes here, so a record is stored the same way whoever trained it.
use anyhow::Result;
use prefbench_results::store::{truncate_partial_tail, ResultsStore, StoreError};
use prefbench_results::RunRecord;

use super::reference::policy_note;
use super::train::RunOutcome;
use crate::console::errln;
use crate::failures::FailureLog;
use crate::observe::Observer;
use crate::output_dir::OutputDir;

/// Stores a finished run, or logs a failed one, and tells the observer.
pub fn keep(
    outcome: RunOutcome,
    store: &mut ResultsStore,
    failures: &FailureLog,
    observer: &mut dyn Observer,
) -> Result<()> {
    match outcome {
        RunOutcome::Finished(record) => {
            store.append(&record)?;
            observer.run_done(&summary(&record));
        }
        RunOutcome::Failed(failure) => {
            failures.append(&failure)?;
            observer.run_done(&format!("{}: FAILED: {}", failure.key, failure.error));
        }
    }
    Ok(())
}

/// One line on a finished run.
fn summary(record: &RunRecord) -> String {
    let model = record.policy().unwrap_or_default();
    format!(
        "{}{}: test HR@1 {:.4} at epoch {} of {} (last {:.4}; SFT {:.4})",
        record.key(),
        policy_note(&model),
        record.test.hr_at_1,
        record.selected_epoch,
        record.epochs.len(),
        record.epochs.last().map_or(f64::NAN, |e| e.test.hr_at_1),
        record.sft.test.hr_at_1
    )
}

/// Opens the store; a last line cut by a killed process is that run's unfinished record, so
/// it is dropped (with a warning) and the run is trained again.
pub fn open_store(out: &OutputDir) -> Result<ResultsStore> {
    let path = out.results();
    match ResultsStore::open(&path) {
        Err(StoreError::PartialTail { line, .. }) => {
            errln!(
                "warning: {}:{line}: dropped the incomplete last line left by a killed run; \
                 that run is trained again",
                path.display()
            );
            truncate_partial_tail(&path)?;
            Ok(ResultsStore::open(&path)?)
        }
        other => Ok(other?),
    }
}
