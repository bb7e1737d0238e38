//! The job side of `--jobs`: trains the runs whose ids arrive on stdin and sends what happens,
//! and each finished record, to the parent through a [`Pipe`].
use std::collections::BTreeSet;
use std::io::Read;

use anyhow::{bail, Context as _, Result};

use super::protocol::Event;
use crate::config::ExperimentConfig;
use crate::environment;
use crate::execute::context::{Context, RunOptions};
use crate::execute::data::prepare_datasets;
use crate::execute::train::{dataset_hashes, train_groups, RunOutcome, Trained};
use crate::observe::Observer;
use crate::plan::matrix;
use crate::stop::StopToken;

/// The child's observer and sender: events go to the parent as [`Event`] lines. A send that
/// fails means the parent is gone and nobody would store this job's records, so it stops the
/// job through the token, the same way a signal does.
pub struct Pipe {
    stop: StopToken,
}

impl Pipe {
    /// Sends `event`; a failure stops the job.
    fn send(&self, event: Event) {
        if event.send().is_err() {
            self.stop.stop();
        }
    }
}

impl Observer for Pipe {
    fn stage(&mut self, _job: usize, name: &str) {
        self.send(Event::Stage(name.to_string()));
    }

    fn line(&mut self, text: &str) {
        self.send(Event::Line(text.to_string()));
    }
}

/// Trains the runs whose ids arrive on stdin, sending each outcome to the parent; returns
/// [`Trained::Stopped`] when `stop` was stopped (a forwarded signal, or the parent gone).
pub fn work(config: &ExperimentConfig, options: &RunOptions, stop: &StopToken) -> Result<Trained> {
    tch::set_num_threads(options.threads as i32);
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the job's run ids from stdin")?;
    let ids: BTreeSet<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let environment = environment::capture();
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
    let context = Context {
        config,
        options,
        environment: &environment,
        stop,
    };
    let records = Pipe { stop: *stop };
    train_groups(
        &context,
        &datasets,
        &matrix::groups(runs),
        &mut Pipe { stop: *stop },
        |outcome, _| {
            records.send(match outcome {
                RunOutcome::Finished(record) => Event::Record(record),
                RunOutcome::Failed(failure) => Event::Failure(Box::new(failure)),
            });
            Ok(())
        },
    )
}
