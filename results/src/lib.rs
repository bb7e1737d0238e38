//! The run record schema, the append-only results store and statistics across seeds.
mod error;
pub mod record;
pub mod setting;
pub mod stats;
pub mod store;
mod unique;

pub use record::{
    Cell, EpochPoint, RankingMetrics, RunRecord, SftMetrics, StepPoint, Timings, SCHEMA_VERSION,
};
pub use setting::CellKey;
