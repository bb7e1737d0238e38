//! The parent side of `--jobs`: starts the jobs, stores what they send, and forwards a stop to
//! them.
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use prefbench_results::store::ResultsStore;

use super::protocol::Event;
use crate::execute::context::{Context, RunOptions};
use crate::execute::keep::keep;
use crate::execute::train::{RunOutcome, Trained};
use crate::failures::FailureLog;
use crate::observe::Observer;
use crate::plan::matrix::Group;
use crate::plan::shard;
use crate::signals;

/// Runs `groups` in `jobs` child processes, storing their records as they arrive; once the
/// context's token is stopped, asks the jobs to stop too and returns [`Trained::Stopped`].
pub fn run(
    context: &Context,
    groups: &[Group],
    jobs: usize,
    store: &mut ResultsStore,
    failures: &FailureLog,
    observer: &mut dyn Observer,
) -> Result<Trained> {
    let (options, stop) = (context.options, context.stop);
    let costs: Vec<f64> = groups
        .iter()
        .map(|g| shard::cost(context.config, g))
        .collect();
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
                stop_all(&mut children);
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
                Ok((job, Some(line))) => receive(job, &line, store, failures, observer)?,
                Ok((_, None)) => open -= 1,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if stop.is_stopped() && !forwarded {
                children.iter().for_each(|c| signals::forward(c.id()));
                forwarded = true;
            }
        }
        Ok(())
    })();
    if received.is_err() {
        stop_all(&mut children);
    }
    let statuses: Vec<_> = children.iter_mut().map(Child::wait).collect();
    received?;
    if stop.is_stopped() {
        return Ok(Trained::Stopped);
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
    let _ = std::fs::remove_dir_all(options.out.jobs());
    Ok(Trained::All)
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
        .arg(options.out.config())
        .arg("--job")
        .arg("--out")
        .arg(options.out.job(job).root())
        .args([
            "--device",
            device,
            "--threads",
            &options.threads.to_string(),
            "--memory-budget",
            &options.memory_budget.to_string(),
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
fn stop_all(children: &mut [Child]) {
    for child in children.iter_mut() {
        signals::forward(child.id());
        let _ = child.wait();
    }
}

/// Handles one line from job `job`: its stages and lines go to the observer, its outcomes
/// into the store or the failure log.
fn receive(
    job: usize,
    line: &str,
    store: &mut ResultsStore,
    failures: &FailureLog,
    observer: &mut dyn Observer,
) -> Result<()> {
    let event = Event::parse(line)
        .with_context(|| format!("job {} sent an unreadable line: {line}", job + 1))?;
    match event {
        Event::Stage(name) => observer.stage(job, &name),
        Event::Line(text) => observer.line(&format!("[job {}] {text}", job + 1)),
        Event::Record(record) => keep(RunOutcome::Finished(record), store, failures, observer)?,
        Event::Failure(failure) => keep(RunOutcome::Failed(*failure), store, failures, observer)?,
    }
    Ok(())
}
