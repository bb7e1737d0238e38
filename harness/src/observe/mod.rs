//! Watching a matrix run: the execution layer tells an [`Observer`] what happens (stages, steps,
//! milestones, finished runs) and never decides how it is shown, so one runner serves the
//! terminal ([`terminal::Terminal`]), a `--jobs` child's pipe to its parent
//! (`execute::jobs::child::Pipe`) and tests. Observers only watch: stopping is the
//! [`crate::stop::StopToken`]'s job, and storing the runner's.
pub mod terminal;

/// Receives what a matrix run does, in order.
pub trait Observer {
    /// The matrix starts: `runs` runs to train in `jobs` parallel jobs.
    fn start(&mut self, runs: usize, jobs: usize) {
        let _ = (runs, jobs);
    }

    /// Job `job` (0-based; 0 without `--jobs`) started a stage: an SFT or a PO run.
    fn stage(&mut self, job: usize, name: &str);

    /// `done` of `total` training steps of this process's current stage are done.
    fn step(&mut self, done: usize, total: usize) {
        let _ = (done, total);
    }

    /// A milestone for the log.
    fn line(&mut self, text: &str);

    /// A run was stored or logged as failed; `summary` is its one line.
    fn run_done(&mut self, summary: &str) {
        self.line(summary);
    }

    /// The matrix ended (complete or stopped); a display tidies up.
    fn finish(&mut self) {}
}
