//! The run record schema, the append-only results store and statistics across seeds.
pub mod record;
pub mod stats;
pub mod store;

pub use record::{Cell, EpochPoint, RankingMetrics, RunRecord, StepPoint, Timings, SCHEMA_VERSION};
