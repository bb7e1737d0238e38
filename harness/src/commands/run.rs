//! `prefbench run`: resolve the config, the device, the threads and the schedule (shard, jobs),
//! then hand over to the runner, or print the plan with `--dry-run`.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use clap::Args;

use super::data::FetchArgs;
use super::exit::{interrupted, stopped_matrix};
use crate::config::{DeviceChoice, ExperimentConfig, InvalidField, Source};
use crate::console::{out, outln};
use crate::environment::{allotted_cores, cores, resolve_device};
use crate::execute::jobs::child;
use crate::execute::memory;
use crate::execute::{self, Finished, RunOptions, Schedule, Trained};
use crate::observe::terminal::Terminal;
use crate::output_dir::OutputDir;
use crate::plan::estimate;
use crate::plan::slurm::ShardChoice;
use crate::signals;
use crate::stop::StopToken;

/// What every command that runs a matrix takes (`run`, `tune`): which config, where to write,
/// on which device and threads, and where the data comes from.
#[derive(Args, Default)]
pub struct MatrixArgs {
    #[command(flatten)]
    source: ConfigArgs,
    /// Output directory [default: prefbench-out/<config name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overrides the config's device.
    #[arg(long, value_enum)]
    device: Option<DeviceChoice>,
    /// Overrides the config's libtorch threads per run (0 = all cores, divided among --jobs).
    #[arg(long)]
    threads: Option<usize>,
    /// A directory of extracted archive members instead of the archive, for the datasets
    /// that read them (the hetrec files for `lastfm-raw`/`lastfm-dated`, `u.data` and `u.item`
    /// for the MovieLens datasets); repeat it for several (as for `prefbench data prepare`).
    #[arg(long, value_name = "DIR")]
    from: Vec<PathBuf>,
    /// Memory the stacks of `po.ensemble: auto` may fill, e.g. `8GiB`, `512MiB` or bytes
    /// [default: half the GPU's free memory on CUDA, half of MemAvailable on the CPU; shared
    /// among --jobs].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_budget: Option<u64>,
    #[command(flatten)]
    fetch: FetchArgs,
}

/// A size in bytes: a whole number, optionally with a binary unit (KiB, MiB, GiB, TiB).
fn parse_size(text: &str) -> Result<u64, String> {
    let units = [
        ("TiB", 1u64 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    let (number, scale) = units
        .iter()
        .find_map(|&(unit, scale)| text.strip_suffix(unit).map(|n| (n, scale)))
        .unwrap_or((text, 1));
    let digits = number.trim();
    let too_large = || {
        format!("`{text}`: more than 2^64 - 1 bytes (16 EiB), the largest size a budget can hold")
    };
    match digits.parse::<u64>() {
        Ok(n) if n > 0 => n.checked_mul(scale).ok_or_else(too_large),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(too_large()),
        _ => Err(format!(
            "`{text}`: expected a whole number of bytes > 0, optionally with KiB, MiB, GiB or \
             TiB (e.g. 8GiB)"
        )),
    }
}

/// Which config: a file or a preset.
#[derive(Args, Default)]
pub struct ConfigArgs {
    /// A YAML experiment config (see configs/); without it, --preset or the command's default
    /// preset (`demo` for run, `tune` for tune).
    config: Option<PathBuf>,
    /// A shipped preset by name.
    #[arg(long, conflicts_with = "config")]
    preset: Option<String>,
}

impl ConfigArgs {
    /// The config file, else the named preset, else `default_preset`, parsed; with its source,
    /// which the planner's refusals point into ([`MatrixArgs::threads`]).
    pub fn config(&self, default_preset: &str) -> Result<(ExperimentConfig, Source)> {
        let source = match (&self.config, &self.preset) {
            (Some(path), _) => Source::file(path)?,
            (None, name) => Source::preset(name.as_deref().unwrap_or(default_preset))?,
        };
        Ok((source.parse()?, source))
    }
}

impl MatrixArgs {
    /// [`ConfigArgs::config`] of these arguments.
    pub fn config(&self, default_preset: &str) -> Result<(ExperimentConfig, Source)> {
        self.source.config(default_preset)
    }

    /// `--out`, or `prefbench-out/<config name>`.
    pub fn out(&self, config: &ExperimentConfig) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("prefbench-out").join(&config.name))
    }

    /// Threads per run on this machine: `--threads`, else the config's, at most the cores
    /// (shared by `jobs` runs at a time), 0 meaning all the cores this process was given (a
    /// Slurm task's `--cpus-per-task`, else the machine's). This is where a config meets the
    /// machine: the file stays valid anywhere, and a refusal names whichever of the two asked,
    /// with the config's line.
    pub fn threads(
        &self,
        config: &ExperimentConfig,
        source: &Source,
        jobs: usize,
    ) -> Result<usize> {
        let allotted = allotted_cores().map_err(anyhow::Error::msg)?;
        let per_job = (allotted / jobs).max(1);
        let (threads, from) = match self.threads {
            Some(n) => {
                check_threads(n).map_err(|e| anyhow!("--threads {n}: {e}"))?;
                (n, format!("--threads {n}"))
            }
            None => {
                let n = config.threads;
                check_threads(n).map_err(|reason| {
                    source.unrunnable(InvalidField {
                        path: vec!["threads"],
                        reason,
                    })
                })?;
                (n, format!("`threads: {n}` of the config"))
            }
        };
        Ok(match threads {
            0 => per_job,
            n if n > per_job && jobs > 1 => bail!(
                "{from} with --jobs {jobs}: {} threads on {allotted} cores; use at most \
                 {per_job} threads per job (or 0 for that)",
                n * jobs
            ),
            n => n,
        })
    }

    /// Device, threads per run ([`MatrixArgs::threads`]) and data sources for a matrix of
    /// `config` written into `out`.
    pub fn options(
        &self,
        config: &ExperimentConfig,
        source: &Source,
        out: PathBuf,
        jobs: usize,
    ) -> Result<RunOptions> {
        let threads = self.threads(config, source, jobs)?;
        let device = resolve_device(self.device.unwrap_or(config.device))?;
        let budget = self
            .memory_budget
            .unwrap_or_else(|| memory::default_budget(device).0);
        Ok(RunOptions {
            out: OutputDir::at(out),
            device,
            threads,
            fetch: self.fetch.options(),
            from: self.from.clone(),
            memory_budget: (budget / jobs as u64).max(1),
        })
    }
}

/// Threads of one run: at most the machine's cores. libtorch's OpenMP threads spin while they
/// wait, so more threads than cores fight over them and slow every run down several times
/// (and `threads: 100000` would ask the OS for that many); results depend on the count, so a
/// run of another machine is reproduced there, not by oversubscribing this one.
fn check_threads(n: usize) -> Result<(), String> {
    let cores = cores();
    match n <= cores {
        true => Ok(()),
        false => Err(format!(
            "{n} threads, but this machine has {cores} cores; use 1 to {cores}, or 0 for all of \
             them"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units_and_refuse_anything_else() {
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "0", "8GB", "-1GiB", "1.5GiB"] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.contains("e.g. 8GiB"), "{bad}: {err}");
        }
        // A whole number > 0 is refused for its size, not with the rule it satisfies.
        for huge in ["99999999999TiB", "17179869184GiB", "99999999999999999999"] {
            let err = parse_size(huge).unwrap_err();
            assert!(
                err.contains("more than 2^64 - 1 bytes") && !err.contains("e.g."),
                "{huge}: {err}"
            );
        }
        assert_eq!(parse_size("16777215TiB"), Ok(16777215 << 40));
    }

    /// A config asking for more threads than this machine has parses (`threads: 64` is valid
    /// on a 2-core laptop) and the planner refuses it, naming the field, its line and the cores;
    /// `--threads` is refused naming the flag.
    #[test]
    fn the_planner_refuses_more_threads_than_cores_naming_the_field_and_the_cores() {
        let base = "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nk: [1]\nseeds: [0]\n";
        let planned = |args: &MatrixArgs, threads: usize| {
            let source = Source::new(&format!("{base}threads: {threads}\n"), "big.yaml");
            let config = source.parse().expect("valid on any machine");
            args.threads(&config, &source, 1).map_err(|e| e.to_string())
        };
        let (n, c) = (64.max(cores() + 1), cores());
        assert_eq!(
            planned(&MatrixArgs::default(), n).unwrap_err(),
            format!(
                "config big.yaml cannot run on this machine: field `threads`: {n} threads, but \
                 this machine has {c} cores; use 1 to {c}, or 0 for all of them (line 6)"
            )
        );
        assert_eq!(planned(&MatrixArgs::default(), c), Ok(c));
        assert_eq!(
            planned(&MatrixArgs::default(), 0),
            Ok(c),
            "0 is all of them"
        );
        let flag = MatrixArgs {
            threads: Some(n),
            ..MatrixArgs::default()
        };
        let err = planned(&flag, 1).unwrap_err();
        assert!(
            err.starts_with(&format!("--threads {n}: {n} threads")),
            "{err}"
        );
    }
}

#[derive(Args, Default)]
pub struct RunArgs {
    #[command(flatten)]
    pub matrix: MatrixArgs,
    /// Run only part I of N of the matrix (whole (dataset, seed) groups, balanced by cost);
    /// join the parts with `prefbench results merge`. `slurm`: the part of this Slurm
    /// job-array task (its place in the array of SLURM_ARRAY_TASK_COUNT tasks).
    #[arg(long, value_name = "I/N|slurm")]
    shard: Option<ShardChoice>,
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
    let (config, source) = args.matrix.config("demo")?;
    run_config(args, config, source)
}

/// `prefbench run` of the config `args` resolved (`tune` resolves its own default).
pub fn run_config(args: RunArgs, config: ExperimentConfig, source: Source) -> Result<ExitCode> {
    if args.jobs == 0 || args.jobs > cores() {
        bail!(
            "--jobs {}: choose 1 to {} (this machine's cores), since each job needs a core",
            args.jobs,
            cores()
        );
    }
    let out = args.matrix.out(&config);
    let shard = args
        .shard
        .map(|choice| choice.resolve(|name| std::env::var(name).ok()))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if args.dry_run {
        // The plan is this machine's: what it cannot run is refused here too.
        args.matrix.threads(&config, &source, args.jobs)?;
        OutputDir::at(&out).refuse_a_file()?;
        let sources = match args.estimate_from.is_empty() {
            true => vec![out],
            false => {
                for path in &args.estimate_from {
                    estimate::require_records(path)?;
                }
                args.estimate_from
            }
        };
        out!(
            "{}",
            estimate::describe(&config, shard, args.jobs, &sources)?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut options = args.matrix.options(&config, &source, out, args.jobs)?;
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
        shard,
        jobs: args.jobs,
    };
    match execute::run(&config, &options, schedule, &mut Terminal::default(), &stop)? {
        Finished::Report(report) => {
            outln!("{}", report.display())?;
            Ok(ExitCode::SUCCESS)
        }
        Finished::Interrupted => Ok(stopped_matrix(&options.out)),
    }
}
