//! `prefbench shards`: how many parts `--shard I/N` can split a matrix into, for whatever sizes
//! a job array or a CI matrix (scripts/slurm/submit.sh, .github/workflows/paper.yml), so none
//! of them keeps its own copy of the matrix's shape.
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::run::ConfigArgs;
use crate::config::ExperimentConfig;
use crate::console::outln;
use crate::plan::matrix;

#[derive(Args)]
pub struct ShardsArgs {
    #[command(flatten)]
    source: ConfigArgs,
    /// At most this many shards (fewer machines than groups).
    #[arg(long, value_name = "N")]
    max: Option<usize>,
    /// Print the shard numbers as a JSON list, `[1, 2, …]` (a GitHub Actions matrix).
    #[arg(long)]
    json: bool,
}

pub fn run(args: ShardsArgs) -> Result<ExitCode> {
    let (config, _) = args.source.config("demo")?;
    if args.max == Some(0) {
        bail!("--max 0: a matrix needs at least one shard");
    }
    let count = shards(&config, args.max);
    match args.json {
        true => outln!("{:?}", (1..=count).collect::<Vec<_>>())?,
        false => outln!("{count}")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The number of groups of `config`'s matrix (each shard gets whole groups, so more shards
/// would be empty), at most `max`.
fn shards(config: &ExperimentConfig, max: Option<usize>) -> usize {
    let groups = matrix::groups(&matrix::expand_unprepared(config)).len();
    max.map_or(groups, |m| groups.min(m)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_per_group_at_most_max() {
        let paper = ExperimentConfig::preset("paper").unwrap();
        let groups = paper.datasets.len() * paper.seeds.len() * paper.models().len();
        assert_eq!(shards(&paper, None), groups);
        assert_eq!(shards(&paper, Some(4)), 4.min(groups));
        assert_eq!(shards(&paper, Some(1000)), groups);
    }
}
