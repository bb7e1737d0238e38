//! `prefbench tune`: runs a tuning matrix, a config with a `grid` (default: the `tune`
//! preset), exactly as `prefbench run` runs any matrix (resumable, `--jobs`, `--shard`,
//! `--dry-run`), and writes in place of the report `tune.md`, every method's grid ranked by
//! mean *validation* HR@1, and `tuned.yaml`, each method's chosen setting ([`crate::tuning`]).
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::run::{self, RunArgs};

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let (config, source) = args.matrix.config("tune")?;
    if config.grid.is_none() {
        bail!(
            "config {} has no `grid`; `prefbench tune` sweeps one (e.g. `grid: {{lr: [0.0001, \
             0.001], beta: [0.3, 1.0], margin: [2.0, 6.0]}}`), `prefbench run` runs a config \
             without one",
            source.origin()
        );
    }
    run::run_config(args, config, source)
}
