//! `prefbench run`: resolve the config, the device and the threads, then hand over to the runner.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::data::FetchArgs;
use crate::config::{DeviceChoice, ExperimentConfig};
use crate::environment::{cores, resolve_device};
use crate::runner::{self, RunOptions};

#[derive(Args, Default)]
pub struct RunArgs {
    /// A YAML experiment config (see configs/); without it, --preset or `demo`.
    config: Option<PathBuf>,
    /// A shipped preset by name.
    #[arg(long, conflicts_with = "config")]
    preset: Option<String>,
    /// Output directory [default: prefbench-out/<config name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overrides the config's device.
    #[arg(long, value_enum)]
    device: Option<DeviceChoice>,
    /// Overrides the config's libtorch threads (0 = all cores).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    fetch: FetchArgs,
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let config = match (&args.config, &args.preset) {
        (Some(path), _) => ExperimentConfig::from_file(path)?,
        (None, Some(name)) => ExperimentConfig::preset(name)?,
        (None, None) => ExperimentConfig::preset("demo")?,
    };
    let threads = match args.threads.unwrap_or(config.threads) {
        0 => cores(),
        n if n > 4 * cores() => bail!("--threads {n}: this machine has {} cores", cores()),
        n => n,
    };
    let options = RunOptions {
        out: args
            .out
            .unwrap_or_else(|| PathBuf::from("prefbench-out").join(&config.name)),
        device: resolve_device(args.device.unwrap_or(config.device))?,
        threads,
        fetch: args.fetch.options(),
    };
    let report = runner::run(&config, &options)?;
    println!("{}", report.display());
    Ok(ExitCode::SUCCESS)
}
