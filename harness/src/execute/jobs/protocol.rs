//! The wire format between a `--jobs` child and its parent: one JSON [`Event`] a line on the
//! child's stdout. Both ends are the same binary, so the format needs no versioning; it lives
//! here alone so that the two ends cannot disagree.
use std::io::Write;

use prefbench_results::RunRecord;
use serde::{Deserialize, Serialize};

use crate::failures::RunFailure;
use crate::signals;

/// What a job tells its parent.
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
    /// Writes the event as one line on stdout, in one write. A parent that went away makes it
    /// fail (EPIPE, not SIGPIPE), so the job can stop rather than die mid-step.
    pub fn send(&self) -> std::io::Result<()> {
        let mut line = serde_json::to_string(self).expect("events serialise to JSON");
        line.push('\n');
        let mut out = std::io::stdout().lock();
        signals::sigpipe_as_error(|| out.write_all(line.as_bytes()).and_then(|()| out.flush()))
    }

    /// Reads one line that [`Event::send`] wrote.
    pub fn parse(line: &str) -> serde_json::Result<Self> {
        serde_json::from_str(line)
    }
}
