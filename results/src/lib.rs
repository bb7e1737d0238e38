//! The run record schema and its check, the append-only results store and statistics across
//! seeds. The blocks of a record that the harness writes and other crates read (the run's
//! identity, its environment) are types here, shared by the writer and every reader, and so is
//! the record of the in-process overhead measurement (`overhead`, claim C6).
mod canonical;
pub mod environment;
mod error;
pub mod identity;
pub mod inference;
pub mod overhead;
pub mod record;
pub mod setting;
mod shared_reference;
pub mod stats;
pub mod store;
mod unique;
pub mod validate;

pub use environment::{Environment, LoadedLibtorch};
pub use identity::{PoSettings, Protocol, RunIdentity, SftIdentity};
pub use prefbench_vocabulary::{Cell, RunKey};
pub use prefbench_vocabulary::{EpochPoint, RankingMetrics, SftMetrics, StepPoint};
pub use record::{PoWindow, RunRecord, Timings, READABLE_SCHEMAS, SCHEMA_VERSION};
pub use setting::CellKey;
pub use validate::{validate, InvalidRecord};
