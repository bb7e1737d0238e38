//! What the stages of one process's matrix read: how and where to run, which part of the
//! matrix, and the [`Context`] that bundles them with the recorded environment and the stop
//! token. A leaf of the execution layer, so the runner, the stages and the jobs share it
//! without importing each other.
use std::path::PathBuf;

use prefbench_datasets::FetchOptions;
use prefbench_results::Environment;
use tch::Device;

use crate::config::ExperimentConfig;
use crate::output_dir::OutputDir;
use crate::plan::shard::Shard;
use crate::stop::StopToken;

/// How and where to run, beyond the config itself.
pub struct RunOptions {
    /// Where the records, report and cards go.
    pub out: OutputDir,
    /// Where the tensors live (CPU or a CUDA device).
    pub device: Device,
    /// libtorch intra-op threads of each run.
    pub threads: usize,
    /// Cache, mirror and offline settings for public datasets.
    pub fetch: FetchOptions,
    /// Directories of extracted archive members (`--from`, once per dataset family): each
    /// dataset whose recipe reads members takes the one that holds them
    /// ([`prefbench_datasets::members_dir`]).
    pub from: Vec<PathBuf>,
    /// Bytes the stacks of this process may fill (`--memory-budget`, or the default of
    /// `execute::memory::default_budget`, divided among `--jobs`).
    pub memory_budget: u64,
}

/// Which part of the matrix this process runs, and in how many jobs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// `--shard I/N`: only that part of the matrix; `None` for all of it.
    pub shard: Option<Shard>,
    /// `--jobs N`: child processes training at once (1: this process trains).
    pub jobs: usize,
}

/// What every stage of one process's matrix reads: the config, how to run, the environment
/// each record carries, and the token that stops it.
pub struct Context<'a> {
    pub config: &'a ExperimentConfig,
    pub options: &'a RunOptions,
    pub environment: &'a Environment,
    pub stop: &'a StopToken,
}
