//! How commands end when they did not simply succeed or fail: the status and the one message of
//! an interrupted matrix, shared by `run` and `tune` so that both say the same, and of an
//! interrupted download.
use std::process::ExitCode;

use anyhow::Result;
use prefbench_datasets::DatasetError;

use crate::console::{self, errln};
use crate::output_dir::OutputDir;
use crate::signals::INTERRUPTED_EXIT;

/// The exit status of a command that was stopped by SIGINT or SIGTERM (128 + SIGINT, as shells
/// report Ctrl-C); `main` returns it, and nothing else ends the process.
pub fn interrupted() -> ExitCode {
    ExitCode::from(INTERRUPTED_EXIT)
}

/// The one message of a matrix that stopped before its end (`run`, `tune`), naming the store
/// that `out` keeps, and the exit status.
pub fn stopped_matrix(out: &OutputDir) -> ExitCode {
    errln!(
        "interrupted: the run in flight is dropped, finished runs are in {}; rerun the same \
         command to resume",
        out.results().display()
    );
    interrupted()
}

/// `result`, unless it is a download that SIGINT or SIGTERM stopped (`data fetch`, or the
/// datasets of a `run`): then its one message, which says where the bytes so far are kept, and
/// the status of an interruption.
pub fn stopped_download(result: Result<ExitCode>) -> Result<ExitCode> {
    match result {
        Err(e)
            if e.chain()
                .any(|c| matches!(c.downcast_ref(), Some(DatasetError::Interrupted { .. }))) =>
        {
            errln!("interrupted: {}", console::chain(&e));
            Ok(interrupted())
        }
        other => other,
    }
}
