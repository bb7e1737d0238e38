//! The bridge from a trainer to the runner: steps to the observer, stops from the token.
use prefbench_baselines::train::Progress;

use crate::observe::Observer;
use crate::stop::StopToken;

/// What a trainer reports to and asks: its steps go to the observer, and it stops when the
/// token is stopped.
pub(super) struct Training<'a> {
    observer: &'a mut dyn Observer,
    stop: &'a StopToken,
}

impl<'a> Training<'a> {
    pub(super) fn new(observer: &'a mut dyn Observer, stop: &'a StopToken) -> Self {
        Self { observer, stop }
    }
}

impl Progress for Training<'_> {
    fn step(&mut self, done: usize, total: usize) {
        self.observer.step(done, total);
    }

    fn should_stop(&self) -> bool {
        self.stop.is_stopped()
    }
}
