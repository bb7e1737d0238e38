//! The terminal display of a matrix: one bar for runs (done / total, ETA) and one line per job
//! for the stage it is in. Without a terminal the bars hide themselves, so milestones are also
//! printed as plain lines on stderr.
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::Observer;
use crate::console::errln;

/// Draws the progress of a matrix on stderr.
pub struct Terminal {
    multi: MultiProgress,
    /// Finished runs; hidden until [`Observer::start`] knows how many there are.
    runs: ProgressBar,
    /// One bar per job; `step` drives the first (this process's own stage).
    stages: Vec<ProgressBar>,
}

/// A display with no bars yet; [`Observer::start`] adds them.
impl Default for Terminal {
    fn default() -> Self {
        Self {
            multi: MultiProgress::new(),
            runs: ProgressBar::hidden(),
            stages: Vec::new(),
        }
    }
}

impl Observer for Terminal {
    fn start(&mut self, runs: usize, jobs: usize) {
        self.runs = self.multi.add(ProgressBar::new(runs as u64));
        self.runs.set_style(
            ProgressStyle::with_template("runs  {bar:30} {pos}/{len} elapsed {elapsed} eta {eta}")
                .expect("valid template"),
        );
        let style = ProgressStyle::with_template("{prefix}{msg:32} {bar:30} {pos}/{len} steps")
            .expect("valid template");
        self.stages = (0..jobs.max(1))
            .map(|j| {
                let bar = self
                    .multi
                    .add(ProgressBar::new(1).with_style(style.clone()));
                if jobs > 1 {
                    bar.set_prefix(format!("job {} ", j + 1));
                }
                bar
            })
            .collect();
    }

    fn stage(&mut self, job: usize, name: &str) {
        if let Some(bar) = self.stages.get(job) {
            bar.set_message(name.to_string());
            bar.set_position(0);
        }
    }

    fn step(&mut self, done: usize, total: usize) {
        if let Some(bar) = self.stages.first() {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    /// Shown above the bars or, without a terminal, on stderr.
    fn line(&mut self, text: &str) {
        if self.multi.is_hidden() {
            errln!("{text}");
        } else {
            let _ = self.multi.println(text);
        }
    }

    fn run_done(&mut self, summary: &str) {
        self.runs.inc(1);
        self.line(summary);
    }

    fn finish(&mut self) {
        for stage in &self.stages {
            stage.finish_and_clear();
        }
        self.runs.finish();
    }
}
