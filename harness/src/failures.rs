//! Runs that diverged: a non-finite loss ends that run (or every run of a group whose SFT
//! reference diverged) as a recorded failure, and the matrix goes on. Failures are kept in
//! `failures.jsonl` beside the store, one whole synced line each, so the report can list them;
//! the file describes the latest invocation, since a failed run is not stored and is tried
//! again on the next one.
use std::path::{Path, PathBuf};

use anyhow::Result;
use prefbench_baselines::train::TrainError;
use prefbench_results::RunKey;
use prefbench_vocabulary::PolicyConfig;
use serde::{Deserialize, Serialize};

use crate::console::{self, errln};
use crate::output_dir::{self, OutputDir};
use crate::plan::matrix::RunSpec;

/// One run that ended without a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFailure {
    pub id: String,
    #[serde(flatten)]
    pub key: RunKey,
    /// The run's policy (architecture, item text, ...), as in its spec.
    pub model: PolicyConfig,
    /// Why, e.g. "PO diverged: the mean training loss of epoch 2 is not finite; ...".
    pub error: String,
}

/// Whether `error` is a divergence (a non-finite training loss), the one error that is a
/// result of the method rather than a reason to stop.
pub fn diverged(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|e| matches!(e.downcast_ref(), Some(TrainError::NonFinite { .. })))
}

impl RunFailure {
    /// The failure of `spec` when `error` is a divergence; `None` for every other error, which
    /// stops the matrix instead (a bug or an I/O problem is not a result of the method).
    pub fn of(spec: &RunSpec, error: &anyhow::Error) -> Option<Self> {
        diverged(error).then(|| Self {
            id: spec.id.clone(),
            key: spec.key.clone(),
            model: spec.model.clone(),
            error: console::chain(error),
        })
    }
}

/// `failures.jsonl` of one output directory.
pub struct FailureLog {
    path: PathBuf,
}

impl FailureLog {
    /// Starts the log of a new invocation, dropping the failures of the previous one.
    pub fn reset(out: &OutputDir) -> Result<Self> {
        let path = out.failures();
        output_dir::remove_file(&path)?;
        Ok(Self { path })
    }

    /// Appends one whole, synced line.
    pub fn append(&self, failure: &RunFailure) -> Result<()> {
        Ok(prefbench_io::append_line(
            &self.path,
            &serde_json::to_string(failure)?,
        )?)
    }
}

/// The failures recorded in `out`, for the report; none when the file is absent. Unreadable
/// lines are skipped with a warning rather than failing the report.
pub fn read(out: &Path) -> Vec<RunFailure> {
    let path = OutputDir::at(out).failures();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| match serde_json::from_str(l) {
            Ok(f) => Some(f),
            Err(e) => {
                errln!("warning: {}:{}: skipped ({e})", path.display(), i + 1);
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_round_trip_and_reset() {
        use prefbench_vocabulary::Architecture;
        let dir = tempfile::tempdir().unwrap();
        let failure = RunFailure {
            id: "abc".into(),
            key: RunKey::new("synthetic", "dmpo".parse().unwrap(), 3, 1),
            model: PolicyConfig {
                architecture: Architecture::Gru,
                ..PolicyConfig::default()
            },
            error: "PO diverged".into(),
        };
        let log = FailureLog::reset(&OutputDir::at(dir.path())).unwrap();
        log.append(&failure).unwrap();
        log.append(&failure).unwrap();
        assert_eq!(read(dir.path()), vec![failure.clone(), failure]);
        FailureLog::reset(&OutputDir::at(dir.path())).unwrap();
        assert!(read(dir.path()).is_empty());
    }

    #[test]
    fn only_divergence_is_a_failure() {
        let config = crate::config::ExperimentConfig::preset("demo").unwrap();
        let hashes = [("synthetic".to_string(), "h".to_string())];
        let spec = &crate::plan::matrix::expand(&config, &hashes)[0];
        let diverged = anyhow::Error::new(TrainError::NonFinite {
            stage: "PO",
            epoch: 2,
        })
        .context("run x");
        let failure = RunFailure::of(spec, &diverged).unwrap();
        assert!(failure.error.contains("epoch 2"), "{}", failure.error);
        assert_eq!(failure.id, spec.id);
        assert!(RunFailure::of(spec, &anyhow::anyhow!("disk full")).is_none());
    }
}
