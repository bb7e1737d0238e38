//! Claim C6 measured in one process (`prefbench bench overhead`, which writes `overhead.json`):
//! the record of the measurement and its analysis ([`analyse`]). Cross-run step-time ratios on
//! a shared machine spread far wider than the few per cent C6 is about, so here each DynamicPO
//! variant and its base step in turn on identical batches in one process, many repetitions,
//! and every repetition gives one ratio variant / base (docs/claims.md, C6).
use std::path::Path;

use prefbench_io::IoError;
use prefbench_vocabulary::Method;
use serde::{Deserialize, Serialize};

use crate::environment::Environment;

mod analysis;

pub use analysis::{analyse, GeometricRatio, OverheadAnalysis, OverheadVerdict, PairOverhead};

/// The version of [`OverheadRecord`]'s layout; readers refuse others.
pub const OVERHEAD_SCHEMA: u32 = 1;

/// C6's bound: DynamicPO's cost is negligible when it is under +5 % of its base's.
pub const NEGLIGIBLE_RATIO: f64 = 1.05;

/// Which time a step's cost is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// The process's CPU time (all threads): what the step itself used, which other
    /// processes on a shared machine barely move. The measure on the CPU.
    Cpu,
    /// The wall clock, the device synchronised around each step: the measure on CUDA, where
    /// the host's CPU time mostly waits.
    Wall,
}

/// `overhead.json`: one measurement of every (variant, base) pair on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverheadRecord {
    /// [`OVERHEAD_SCHEMA`].
    pub schema: u32,
    /// The device stepped on, as libtorch names it (`Cpu`, `Cuda(0)`).
    pub device: String,
    /// libtorch's intra-op threads.
    pub threads: usize,
    /// The clock the ratios and the verdict read; the other is kept beside it.
    pub clock: Clock,
    /// The workload: samples per step and catalogue size (synthetic, LastFM-sized by default).
    pub batch: usize,
    pub items: usize,
    /// Untimed repetitions before the timed ones, per pair.
    pub warmup: usize,
    pub pairs: Vec<PairMeasurement>,
    pub environment: Environment,
}

/// The timed repetitions of one DynamicPO variant against its base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairMeasurement {
    pub method: Method,
    pub base: Method,
    /// Negatives per sample.
    pub k: usize,
    pub repetitions: Vec<RepetitionTimes>,
}

/// One repetition: one step of each method on the same batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RepetitionTimes {
    /// Whether the variant stepped first (it alternates).
    pub variant_first: bool,
    pub variant_cpu_seconds: f64,
    pub base_cpu_seconds: f64,
    pub variant_wall_seconds: f64,
    pub base_wall_seconds: f64,
    /// Of the variant's step, seconds in DynamicPO's selection + β.
    pub selection_seconds: f64,
}

/// Why an overhead record cannot be read or analysed; each names the file or the pair.
#[derive(Debug, thiserror::Error)]
pub enum OverheadError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: not an overhead record ({source})")]
    Parse {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path}: overhead record schema {found}, but this prefbench reads schema \
         {OVERHEAD_SCHEMA}; measure again with `prefbench bench overhead`"
    )]
    Schema {
        path: std::path::PathBuf,
        found: u32,
    },
    #[error("the record measured no pair")]
    NoPairs,
    #[error("{method} against {base}: no timed repetition")]
    NoRepetitions { method: Method, base: Method },
    #[error(
        "{method} against {base}, repetition {repetition}: a step took {seconds} s, where a \
         ratio needs a positive, finite time"
    )]
    NotPositive {
        method: Method,
        base: Method,
        repetition: usize,
        seconds: f64,
    },
}

impl OverheadRecord {
    /// Reads `overhead.json`. The schema is read first, so a record of another layout is
    /// refused as such rather than as a parse error in some field.
    pub fn read(path: &Path) -> Result<Self, OverheadError> {
        #[derive(Deserialize)]
        struct Schema {
            schema: u32,
        }
        let text = std::fs::read_to_string(path).map_err(IoError::at(path, "reading"))?;
        let parse = |source| OverheadError::Parse {
            path: path.to_path_buf(),
            source,
        };
        match serde_json::from_str::<Schema>(&text).map_err(parse)?.schema {
            OVERHEAD_SCHEMA => serde_json::from_str(&text).map_err(parse),
            found => Err(OverheadError::Schema {
                path: path.to_path_buf(),
                found,
            }),
        }
    }
}
