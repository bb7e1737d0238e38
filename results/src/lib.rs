//! The run record schema and its check, the append-only results store and statistics across
//! seeds.
mod error;
pub mod record;
pub mod setting;
pub mod stats;
pub mod store;
mod unique;
pub mod validate;

pub use prefbench_vocabulary::{Cell, RunKey};
pub use prefbench_vocabulary::{EpochPoint, RankingMetrics, SftMetrics, StepPoint};
pub use record::{RunRecord, Timings, SCHEMA_VERSION};
pub use setting::CellKey;
pub use validate::{validate, InvalidRecord};
