//! The words every prefbench crate shares, free of libtorch: the methods and their names, the
//! model and training settings of a run, the metrics a run records and the limits of a sample.
//! Configs, the trainer, the run records and the reports all use these types, so a setting or a
//! metric is defined once.
mod field;
mod limits;
mod method;
mod metrics;
mod model;
mod ranks;
mod run_key;
mod training;

pub use field::FieldError;
pub use limits::{CANDIDATES, MAX_HISTORY, MAX_K};
pub use method::{BaseObjective, DynamicVariant, Method, MethodError};
pub use metrics::{EpochPoint, RankingMetrics, SftMetrics, StepDiagnostics, StepPoint};
pub use model::{Architecture, ItemText, PolicyConfig, MAX_BLOCKS, MAX_WIDTH};
pub use ranks::{RanksError, RunRanks, SampleRanks};
pub use run_key::{Cell, RunKey};
pub use training::{
    Ensemble, ObjectiveParams, ParamError, PoConfig, Schedule, SftConfig, MAX_EPOCHS,
};
