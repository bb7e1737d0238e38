//! The execution layer, and its local runner: prepare each dataset, train one SFT reference per
//! (dataset, seed, policy), then every pending PO run, appending each finished record to
//! `results.jsonl` at once; runs already in the store are skipped, so a rerun completes an
//! interrupted matrix.
//!
//! One process owns an output directory (see `lock`) and its store. `--shard I/N` narrows the
//! matrix to a deterministic part; `--jobs N` trains in N child processes (see `jobs`). What
//! happens is told to an [`Observer`]; a [`StopToken`] ends the matrix early, and [`run`] then
//! returns [`Finished::Interrupted`] for the command to turn into the exit status.
pub mod context;
pub mod data;
pub mod jobs;
pub mod keep;
pub mod local;
pub mod memory;
mod progress;
pub mod reference;
pub mod stack;
pub mod train;

pub use context::{RunOptions, Schedule};
pub use local::{run, Finished};
pub use train::Trained;
