//! The local runner: one matrix (or shard) in this process, or spread over `--jobs` children,
//! from the output directory's setup to its report.
use std::path::PathBuf;

use anyhow::Result;

use super::context::{Context, RunOptions, Schedule};
use super::data::prepare_datasets;
use super::jobs;
use super::keep::{keep, open_store};
use super::train::{dataset_hashes, train_groups, Trained};
use crate::config::ExperimentConfig;
use crate::environment;
use crate::failures::FailureLog;
use crate::lock::OutputLock;
use crate::manifest;
use crate::observe::Observer;
use crate::plan::matrix;
use crate::plan::shard;
use crate::stop::StopToken;

/// How a matrix run ended.
#[derive(Debug)]
pub enum Finished {
    /// Every selected run is stored; the report's path.
    Report(PathBuf),
    /// Stopped through the [`StopToken`]; the stored records are whole, the rest runs on the
    /// next call.
    Interrupted,
}

/// Runs every pending run of the matrix (or of its shard) and writes the report, telling
/// `observer` what happens; returns [`Finished::Interrupted`] once `stop` is stopped.
pub fn run(
    config: &ExperimentConfig,
    options: &RunOptions,
    schedule: Schedule,
    observer: &mut dyn Observer,
    stop: &StopToken,
) -> Result<Finished> {
    let out = &options.out;
    out.create()?;
    let _lock = OutputLock::acquire(out)?;
    tch::set_num_threads(options.threads as i32);
    prefbench_io::write_atomic(&out.config(), config.to_yaml()?.as_bytes())?;
    let environment = environment::capture();
    prefbench_io::write_atomic(
        &out.environment(),
        serde_json::to_string_pretty(&environment)?.as_bytes(),
    )?;

    let datasets = prepare_datasets(config, options)?;
    let matrix = matrix::expand(config, &dataset_hashes(&datasets));
    let mut store = open_store(out)?;
    let failures = FailureLog::reset(out)?;
    let selected = match schedule.shard {
        Some(s) => shard::select(config, matrix::groups(&matrix), s.index - 1, s.count),
        None => matrix::groups(&matrix),
    };
    let selected_runs: usize = selected.iter().map(|g| g.runs.len()).sum();
    let pending = matrix::groups(
        selected
            .iter()
            .flat_map(|g| g.runs.iter().copied())
            .filter(|r| !store.contains(&r.id)),
    );
    let pending_runs: usize = pending.iter().map(|g| g.runs.len()).sum();
    let jobs = schedule.jobs.min(pending.len()).max(1);
    observer.start(pending_runs, jobs);
    observer.line(&format!(
        "{} runs in the matrix{}, {} already in {}, {} to run on {:?} in {jobs} job(s) of {} \
         thread(s)",
        matrix.len(),
        schedule
            .shard
            .map_or_else(String::new, |s| format!(" ({selected_runs} in shard {s})")),
        selected_runs - pending_runs,
        store.path().display(),
        pending_runs,
        options.device,
        options.threads
    ));
    let context = Context {
        config,
        options,
        environment: &environment,
        stop,
    };
    let trained = if jobs > 1 {
        jobs::parent::run(&context, &pending, jobs, &mut store, &failures, observer)
    } else {
        train_groups(
            &context,
            &datasets,
            &pending,
            observer,
            |outcome, observer| keep(outcome, &mut store, &failures, observer),
        )
    };
    observer.finish();
    match trained? {
        Trained::All => manifest::report_and_seal(out.root()).map(Finished::Report),
        Trained::Stopped => Ok(Finished::Interrupted),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use prefbench_datasets::FetchOptions;
    use prefbench_vocabulary::Ensemble;
    use serde_json::Value;
    use tch::Device;

    use super::*;
    use crate::output_dir::OutputDir;

    /// One (dataset, seed) group of two runs, a fraction of a second each, on one thread: the
    /// end-to-end tests' tiny config.
    const TINY: &str = include_str!("../../../tests/support/tiny.yaml");

    /// Counts the training steps of each stage, and stops the token after `stop_after` steps
    /// in all: a stop at an exact point of training, with no signal and no clock.
    struct StopAfter {
        stop: StopToken,
        stop_after: Option<usize>,
        steps: usize,
        stages: Vec<(String, usize)>,
    }

    impl Observer for StopAfter {
        fn stage(&mut self, _: usize, name: &str) {
            self.stages.push((name.to_string(), 0));
        }

        fn step(&mut self, _: usize, _: usize) {
            self.steps += 1;
            self.stages.last_mut().expect("a stage is running").1 += 1;
            if Some(self.steps) == self.stop_after {
                self.stop.stop();
            }
        }

        fn line(&mut self, _: &str) {}
    }

    /// Runs TINY with `po.ensemble: ensemble` into `dir/out` with the cache `dir/cache`,
    /// stopped after `stop_after` steps.
    fn run_tiny(
        dir: &Path,
        ensemble: Ensemble,
        out: &str,
        cache: &str,
        stop_after: Option<usize>,
    ) -> (Finished, StopAfter) {
        let config_file = dir.join("tiny.yaml");
        std::fs::write(&config_file, TINY).unwrap();
        let mut config = ExperimentConfig::from_file(&config_file).unwrap();
        config.po.ensemble = ensemble;
        let options = RunOptions {
            out: OutputDir::at(dir.join(out)),
            device: Device::Cpu,
            threads: 1,
            fetch: FetchOptions {
                offline: true,
                progress: false,
                ..FetchOptions::new(dir.join(cache))
            },
            from: Vec::new(),
            memory_budget: 1 << 30,
        };
        let stop = StopToken::isolated();
        let mut observer = StopAfter {
            stop,
            stop_after,
            steps: 0,
            stages: Vec::new(),
        };
        let schedule = Schedule {
            shard: None,
            jobs: 1,
        };
        let finished = run(&config, &options, schedule, &mut observer, &stop).unwrap();
        (finished, observer)
    }

    /// The records of a store, checking every line is whole, without their wall-clock timings.
    fn records(out: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap_or_default();
        assert!(text.is_empty() || text.ends_with('\n'), "no partial line");
        text.lines()
            .map(|l| {
                let mut record: Value = serde_json::from_str(l).unwrap();
                record.as_object_mut().unwrap().remove("timings");
                record
            })
            .collect()
    }

    /// One test, since libtorch's seed and thread count are process-wide: trainings of
    /// parallel tests would interleave their random draws.
    #[test]
    fn a_stop_after_n_steps_stores_nothing_partial_and_a_rerun_completes_the_same_matrix() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (finished, full) = run_tiny(dir, Ensemble::Off, "full", "cache-full", None);
        assert!(matches!(finished, Finished::Report(_)), "{finished:?}");
        let expected = records(&dir.join("full"));
        assert_eq!(expected.len(), 2);
        let [(_, sft), (_, first), (_, second)] = full.stages[..] else {
            panic!("an SFT and two PO runs: {:?}", full.stages);
        };
        assert!(sft > 1 && first > 1 && second > 1, "{:?}", full.stages);

        // Stopped one step into the second PO run: the first is stored, the second dropped.
        let (finished, stopped) =
            run_tiny(dir, Ensemble::Off, "out", "cache", Some(sft + first + 1));
        assert!(matches!(finished, Finished::Interrupted), "{finished:?}");
        assert_eq!(
            stopped.steps,
            sft + first + 1,
            "the trainer stops at the next step"
        );
        assert_eq!(records(&dir.join("out")), expected[..1]);
        assert!(
            !dir.join("out/failures.jsonl").exists(),
            "a stop is no failure"
        );
        assert!(!dir.join("out/report.md").exists(), "no report of a part");

        // The rerun trains the second run only (the reference is cached), to the same record.
        let (finished, rerun) = run_tiny(dir, Ensemble::Off, "out", "cache", None);
        assert!(matches!(finished, Finished::Report(_)), "{finished:?}");
        assert_eq!(rerun.steps, second, "{:?}", rerun.stages);
        assert_eq!(records(&dir.join("out")), expected);

        // Stopped inside SFT: nothing stored, and no half-trained reference cached.
        let (finished, _) = run_tiny(dir, Ensemble::Off, "early", "cache-early", Some(1));
        assert!(matches!(finished, Finished::Interrupted), "{finished:?}");
        assert!(records(&dir.join("early")).is_empty());
        let cached = std::fs::read_dir(dir.join("cache-early/sft")).map_or(0, |d| d.count());
        assert_eq!(cached, 0, "no SFT checkpoint");

        // Stacked (`po.ensemble: 2`; `auto` trains runs alone on the CPU), both runs train as
        // one stack of the same steps: a stop inside it drops the whole stack, and the rerun
        // trains it whole, to the full run's records.
        let (finished, full) = run_tiny(dir, Ensemble::Members(2), "stacked", "cache", None);
        assert!(matches!(finished, Finished::Report(_)), "{finished:?}");
        let stacked = records(&dir.join("stacked"));
        assert_eq!(ids(&stacked), ids(&expected), "the same runs, the same ids");
        let timings = std::fs::read_to_string(dir.join("stacked/results.jsonl")).unwrap();
        for line in timings.lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            assert_eq!(record["timings"]["stack_members"], 2, "{line}");
        }
        let alone = std::fs::read_to_string(dir.join("full/results.jsonl")).unwrap();
        assert!(
            !alone.contains("stack_members"),
            "a run alone says nothing of stacks"
        );
        let [(_, 0), (_, stack)] = full.stages[..] else {
            panic!("the cached reference, then one stack: {:?}", full.stages);
        };
        assert_eq!(stack, first, "a stack steps as one run of its members");
        let (finished, _) = run_tiny(dir, Ensemble::Members(2), "stopped", "cache", Some(2));
        assert!(matches!(finished, Finished::Interrupted), "{finished:?}");
        assert!(
            records(&dir.join("stopped")).is_empty(),
            "nothing of the stack"
        );
        let (finished, rerun) = run_tiny(dir, Ensemble::Members(2), "stopped", "cache", None);
        assert!(matches!(finished, Finished::Report(_)), "{finished:?}");
        assert_eq!(rerun.steps, stack, "the whole stack again");
        assert_eq!(records(&dir.join("stopped")), stacked);
        for (alone, stacked) in expected.iter().zip(&stacked) {
            let hr = |r: &Value| r["test"]["hr_at_1"].as_f64().unwrap();
            assert!((hr(alone) - hr(stacked)).abs() < 0.02, "{alone}\n{stacked}");
        }
    }

    fn ids(records: &[Value]) -> Vec<&str> {
        let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        ids
    }
}
