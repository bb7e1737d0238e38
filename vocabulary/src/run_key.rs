//! The coordinates that name a run: the same key in the plan, the trainer, the records, the
//! failures and the reports.
use serde::{Deserialize, Serialize};

use crate::Method;

/// The cell coordinates of a run, the part of the spec that reports group by.
/// Fields it does not know are refused, as the record schema says; inside [`RunKey`], which
/// flattens it, serde hands it only its own fields, so there the key's other fields pass.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    pub dataset: String,
    pub method: Method,
    /// Negatives per sample.
    pub k: usize,
}

/// One run's coordinates: its cell and its seed. Whatever names a single run (a planned run, a
/// member of a stack in training, a failure, the report's list of failed runs) names it by this
/// key, and its fields in JSON are a record spec's coordinates (`prefbench_results`'
/// `setting::COORDINATES`, tested equal).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunKey {
    #[serde(flatten)]
    pub cell: Cell,
    pub seed: u64,
}

impl RunKey {
    /// The key of `method` at `k` negatives on `dataset` with `seed`.
    pub fn new(dataset: impl Into<String>, method: Method, k: usize, seed: u64) -> Self {
        Self {
            cell: Cell {
                dataset: dataset.into(),
                method,
                k,
            },
            seed,
        }
    }
}

impl std::fmt::Display for RunKey {
    /// `lastfm dmpo K=15 seed=3`, as progress lines and failure lists print a run.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let Cell { dataset, method, k } = &self.cell;
        write!(f, "{dataset} {method} K={k} seed={}", self.seed)
    }
}
