//! `--jobs N`: N runs at a time, in N child processes. libtorch's intra-op thread pool is
//! process-wide, so threads inside one process would share (and fight over) one pool; separate
//! processes each get `threads` = cores / N, so jobs × threads never exceeds the cores.
//!
//! The parent keeps sole ownership of the output directory, its lock and `results.jsonl`. It
//! splits the pending (dataset, seed) groups over the jobs by expected cost (as shards do),
//! starts each job as `prefbench run OUT/config.yaml --job --out OUT/jobs/J …` with its run ids
//! on stdin, and reads [`Event`]s back from the job's stdout, one JSON line each: stages and
//! lines for the one progress display, and finished records, which the parent appends. A job
//! killed mid-line leaves a line without its newline, which is ignored; a parent that is
//! killed closes the pipes, and each job stops at its next event.
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use prefbench_results::store::ResultsStore;
use prefbench_results::RunRecord;
use serde::{Deserialize, Serialize};

use crate::config::ExperimentConfig;
use crate::environment::Environment;
use crate::failures::{FailureLog, RunFailure};
use crate::matrix::{self, Group};
use crate::progress::MatrixProgress;
use crate::runner::{dataset_hashes, keep, train_groups, RunOptions, RunOutcome};
use crate::shard;
use crate::signals;
use crate::stages::prepare_datasets;

/// What a job tells its parent, one JSON line on stdout each.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The job started a stage (an SFT or a PO run).
    Stage(String),
    /// A milestone line for the log.
    Line(String),
    /// A finished run, for the parent to store.
    Record(Box<RunRecord>),
    /// A run that diverged, for the parent to log.
    Failure(Box<RunFailure>),
}

impl Event {
    /// Sends the event as one line. Failing to write means the parent is gone; the job then
    /// stops, since nobody would store its records.
    pub fn send(&self) {
        let mut line = serde_json::to_string(self).expect("events serialise to JSON");
        line.push('\n');
        let mut out = std::io::stdout().lock();
        if out
            .write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            std::process::exit(signals::INTERRUPTED_EXIT);
        }
    }
}

/// Runs `groups` in `jobs` child processes, storing their records as they arrive; returns
/// false when interrupted.
pub fn run(
    config: &ExperimentConfig,
    options: &RunOptions,
    groups: &[Group],
    jobs: usize,
    store: &mut ResultsStore,
    failures: &FailureLog,
    progress: &mut MatrixProgress,
) -> Result<bool> {
    let costs: Vec<f64> = groups.iter().map(|g| shard::cost(config, g)).collect();
    let part_of = shard::assign(&costs, jobs);
    let (tx, rx) = mpsc::channel();
    let mut children = Vec::new();
    for job in 0..jobs {
        let ids: Vec<&str> = groups
            .iter()
            .zip(&part_of)
            .filter(|(_, part)| **part == job)
            .flat_map(|(g, _)| g.runs.iter().map(|r| r.id.as_str()))
            .collect();
        let mut child = match spawn(options, job, &ids) {
            Ok(child) => child,
            Err(e) => {
                stop(&mut children);
                return Err(e);
            }
        };
        let stdout = child.stdout.take().context("job stdout is piped")?;
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while matches!(reader.read_line(&mut line), Ok(n) if n > 0) && line.ends_with('\n') {
                if tx.send((job, Some(std::mem::take(&mut line)))).is_err() {
                    return;
                }
            }
            let _ = tx.send((job, None));
        });
        children.push(child);
    }
    drop(tx);

    let mut open = jobs;
    let mut forwarded = false;
    let received = (|| -> Result<()> {
        while open > 0 {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok((job, Some(line))) => receive(job, &line, store, failures, progress)?,
                Ok((_, None)) => open -= 1,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if signals::interrupted() && !forwarded {
                children.iter().for_each(|c| signals::forward(c.id()));
                forwarded = true;
            }
        }
        Ok(())
    })();
    if received.is_err() {
        stop(&mut children);
    }
    let statuses: Vec<_> = children.iter_mut().map(Child::wait).collect();
    received?;
    if signals::interrupted() {
        return Ok(false);
    }
    for (job, status) in statuses.into_iter().enumerate() {
        let status = status.with_context(|| format!("cannot wait for job {}", job + 1))?;
        if !status.success() {
            bail!(
                "job {} failed ({status}; its error is above); the runs it finished are stored, \
                 rerun the same command to resume",
                job + 1
            );
        }
    }
    // The job directories hold only copies of the dataset cards.
    let _ = std::fs::remove_dir_all(options.out.join("jobs"));
    Ok(true)
}

fn job_dir(options: &RunOptions, job: usize) -> std::path::PathBuf {
    options.out.join("jobs").join((job + 1).to_string())
}

/// Starts job `job` on the runs `ids`, with the resolved config and the datasets the parent
/// has already prepared (so the job needs the cache only).
fn spawn(options: &RunOptions, job: usize, ids: &[&str]) -> Result<Child> {
    let exe = std::env::current_exe().context("cannot find the prefbench executable")?;
    let device = if options.device.is_cuda() {
        "cuda"
    } else {
        "cpu"
    };
    let mut child = Command::new(exe)
        .arg("run")
        .arg(options.out.join("config.yaml"))
        .arg("--job")
        .arg("--out")
        .arg(job_dir(options, job))
        .args([
            "--device",
            device,
            "--threads",
            &options.threads.to_string(),
        ])
        .arg("--cache")
        .arg(&options.fetch.cache)
        .arg("--offline")
        .args(
            options
                .from
                .iter()
                .flat_map(|dir| [OsStr::new("--from"), dir.as_os_str()]),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start job {}", job + 1))?;
    let mut stdin = child.stdin.take().context("job stdin is piped")?;
    // A job that died before reading must fail this write, not kill the parent by SIGPIPE.
    signals::sigpipe_as_error(|| stdin.write_all(ids.join("\n").as_bytes()))
        .with_context(|| format!("cannot hand job {} its runs", job + 1))?;
    Ok(child)
}

/// Asks every job to stop and waits for them.
fn stop(children: &mut [Child]) {
    for child in children.iter_mut() {
        signals::forward(child.id());
        let _ = child.wait();
    }
}

fn receive(
    job: usize,
    line: &str,
    store: &mut ResultsStore,
    failures: &FailureLog,
    progress: &mut MatrixProgress,
) -> Result<()> {
    let event: Event = serde_json::from_str(line)
        .with_context(|| format!("job {} sent an unreadable line: {line}", job + 1))?;
    match event {
        Event::Stage(name) => progress.job_stage(job, &name),
        Event::Line(text) => progress.line(&format!("[job {}] {text}", job + 1)),
        Event::Record(record) => keep(RunOutcome::Finished(record), store, failures, progress)?,
        Event::Failure(failure) => keep(RunOutcome::Failed(*failure), store, failures, progress)?,
    }
    Ok(())
}

/// The job side: trains the runs whose ids arrive on stdin and sends each record to the
/// parent; returns false when interrupted.
pub fn work(config: &ExperimentConfig, options: &RunOptions) -> Result<bool> {
    signals::install();
    tch::set_num_threads(options.threads as i32);
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the job's run ids from stdin")?;
    let ids: BTreeSet<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let environment = serde_json::to_value(Environment::capture())?;
    let datasets = prepare_datasets(config, options)?;
    let matrix = matrix::expand(config, &dataset_hashes(&datasets));
    let runs: Vec<_> = matrix
        .iter()
        .filter(|r| ids.contains(r.id.as_str()))
        .collect();
    if runs.len() != ids.len() {
        bail!(
            "this job was asked for {} runs but its matrix holds {} of them; the job and its \
             parent disagree on the config or the datasets",
            ids.len(),
            runs.len()
        );
    }
    let mut progress = MatrixProgress::to_parent();
    train_groups(
        config,
        &datasets,
        &matrix::groups(runs),
        options,
        &environment,
        &mut progress,
        |outcome, _| {
            match outcome {
                RunOutcome::Finished(record) => Event::Record(record),
                RunOutcome::Failed(failure) => Event::Failure(Box::new(failure)),
            }
            .send();
            Ok(())
        },
    )
}
