//! Asking a matrix to stop. A [`StopToken`] is read between runs by the runner and before
//! every training step by the trainer (through `Progress::should_stop`); a stopped run returns
//! an error instead of a record, so it is never stored, and the runner returns
//! `Finished::Interrupted`, which the command maps to the exit status. Nothing that notices a
//! stop ends the process itself.
//!
//! Who stops: the signal handler (see `signals`) sets the process-wide token on SIGINT or
//! SIGTERM; a `--jobs` child whose pipe to its parent broke sets it too (nobody would store its
//! records); a test stops its own token after N steps.
use std::sync::atomic::{AtomicBool, Ordering};

/// The process-wide flag: a plain atomic, so the signal handler may set it.
static PROCESS: AtomicBool = AtomicBool::new(false);

/// A shared "please stop" flag; copies share it.
#[derive(Debug, Clone, Copy)]
pub struct StopToken {
    flag: &'static AtomicBool,
}

impl StopToken {
    /// The process-wide token, which SIGINT and SIGTERM set.
    pub fn process() -> Self {
        Self { flag: &PROCESS }
    }

    /// A token of its own, so a test can stop one run without touching the process-wide one
    /// that other tests of the same process share. It leaks one bool, which a test can afford.
    #[cfg(test)]
    pub fn isolated() -> Self {
        Self {
            flag: Box::leak(Box::new(AtomicBool::new(false))),
        }
    }

    /// Asks for a stop; async-signal-safe (one atomic store).
    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// The flag itself, for code outside the harness that polls it (a download: see
    /// `FetchOptions::stop`).
    pub fn flag(&self) -> &'static AtomicBool {
        self.flag
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}
