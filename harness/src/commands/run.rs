//! `prefbench run`: resolve the config, the device, the threads and the schedule (shard, jobs),
//! then hand over to the runner, or print the plan with `--dry-run`.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::data::FetchArgs;
use super::exit::{interrupted, stopped_matrix};
use crate::config::{DeviceChoice, ExperimentConfig};
use crate::environment::{cores, resolve_device};
use crate::execute::jobs::child;
use crate::execute::{self, Finished, RunOptions, Schedule, Trained};
use crate::observe::terminal::Terminal;
use crate::output_dir::OutputDir;
use crate::plan::estimate;
use crate::plan::shard::Shard;
use crate::signals;
use crate::stop::StopToken;

/// What every command that runs a matrix takes (`run`, `tune`): which config, where to write,
/// on which device and threads, and where the data comes from.
#[derive(Args, Default)]
pub struct MatrixArgs {
    /// A YAML experiment config (see configs/); without it, --preset or the command's default
    /// preset (`demo` for run, `tune` for tune).
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
    /// Overrides the config's libtorch threads per run (0 = all cores, divided among --jobs).
    #[arg(long)]
    threads: Option<usize>,
    /// For `lastfm-raw`: a directory with the extracted hetrec member files instead of the
    /// archive (as for `prefbench data prepare lastfm-raw --from DIR`).
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    #[command(flatten)]
    fetch: FetchArgs,
}

impl MatrixArgs {
    /// The config file, else the named preset, else `default_preset`.
    pub fn config(&self, default_preset: &str) -> Result<ExperimentConfig> {
        match (&self.config, &self.preset) {
            (Some(path), _) => ExperimentConfig::from_file(path),
            (None, name) => ExperimentConfig::preset(name.as_deref().unwrap_or(default_preset)),
        }
    }

    /// `--out`, or `prefbench-out/<config name>`.
    pub fn out(&self, config: &ExperimentConfig) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("prefbench-out").join(&config.name))
    }

    /// Device, threads per run (checked against the cores shared by `jobs` runs at a time) and
    /// data sources for a matrix of `config` written into `out`.
    pub fn options(
        &self,
        config: &ExperimentConfig,
        out: PathBuf,
        jobs: usize,
    ) -> Result<RunOptions> {
        let per_job = (cores() / jobs).max(1);
        let threads = match self.threads.unwrap_or(config.threads) {
            0 => per_job,
            n if n > per_job && jobs > 1 => bail!(
                "--threads {n} with --jobs {jobs}: {} threads on {} cores; use at most \
                 {per_job} threads per job (or 0 for that)",
                n * jobs,
                cores()
            ),
            n if n > 4 * cores() => bail!("--threads {n}: this machine has {} cores", cores()),
            n => n,
        };
        Ok(RunOptions {
            out: OutputDir::at(out),
            device: resolve_device(self.device.unwrap_or(config.device))?,
            threads,
            fetch: self.fetch.options(),
            from: self.from.clone(),
        })
    }
}

#[derive(Args, Default)]
pub struct RunArgs {
    #[command(flatten)]
    matrix: MatrixArgs,
    /// Run only part I of N of the matrix (whole (dataset, seed) groups, balanced by cost);
    /// join the parts with `prefbench results merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Runs at a time, each in its own process with cores / N threads.
    #[arg(long, default_value_t = 1, value_name = "N")]
    jobs: usize,
    /// Print the expanded matrix, its size and its estimated duration; train nothing.
    #[arg(long)]
    dry_run: bool,
    /// Earlier output directories or results files to estimate the duration from
    /// [default: the output directory].
    #[arg(long, value_name = "PATH", requires = "dry_run")]
    estimate_from: Vec<PathBuf>,
    /// Internal: run as a job of a parent `prefbench run --jobs N` (run ids on stdin).
    #[arg(long, hide = true)]
    job: bool,
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let config = args.matrix.config("demo")?;
    if args.jobs == 0 || args.jobs > cores() {
        bail!(
            "--jobs {}: choose 1 to {} (this machine's cores), since each job needs a core",
            args.jobs,
            cores()
        );
    }
    let out = args.matrix.out(&config);
    if args.dry_run {
        let sources = match args.estimate_from.is_empty() {
            true => vec![out],
            false => args.estimate_from,
        };
        print!(
            "{}",
            estimate::describe(&config, args.shard, args.jobs, &sources)?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut options = args.matrix.options(&config, out, args.jobs)?;
    options.fetch.progress &= !args.job;
    signals::install();
    let stop = StopToken::process();
    if args.job {
        // No message: the parent says it once for the whole matrix.
        return Ok(match child::work(&config, &options, &stop)? {
            Trained::All => ExitCode::SUCCESS,
            Trained::Stopped => interrupted(),
        });
    }
    let schedule = Schedule {
        shard: args.shard,
        jobs: args.jobs,
    };
    match execute::run(&config, &options, schedule, &mut Terminal::default(), &stop)? {
        Finished::Report(report) => {
            println!("{}", report.display());
            Ok(ExitCode::SUCCESS)
        }
        Finished::Interrupted => Ok(stopped_matrix(&options.out)),
    }
}
