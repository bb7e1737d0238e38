//! The pure planning layer: what a config asks for, decided without preparing data, training or
//! writing anything, so `--dry-run`, shards, jobs and resume all see the same matrix. Nothing
//! here knows how runs are executed or observed.
pub mod estimate;
pub mod identity;
pub mod matrix;
pub mod shard;
pub mod slurm;
pub mod stacks;
