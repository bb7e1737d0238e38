//! Progress of a matrix: one bar for runs (done / total, ETA) and one line per job for the
//! stage it is in. Without a terminal the bars hide themselves, so milestones are also printed
//! as plain lines. A job process draws nothing: it sends its stages and lines to the parent
//! (see `jobs`), which keeps the one display of the matrix.
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use prefbench_baselines::train::Progress;

use crate::jobs::Event;
use crate::signals;

pub struct MatrixProgress {
    multi: MultiProgress,
    runs: ProgressBar,
    /// One bar per job; `stage` and `step` drive the first.
    stages: Vec<ProgressBar>,
    /// In a job process: report to the parent instead of drawing.
    to_parent: bool,
}

impl MatrixProgress {
    /// The display of a matrix of `total_runs` runs over `jobs` parallel jobs.
    pub fn new(total_runs: usize, jobs: usize) -> Self {
        let multi = MultiProgress::new();
        let runs = multi.add(ProgressBar::new(total_runs as u64));
        runs.set_style(
            ProgressStyle::with_template("runs  {bar:30} {pos}/{len} elapsed {elapsed} eta {eta}")
                .expect("valid template"),
        );
        let style = ProgressStyle::with_template("{prefix}{msg:32} {bar:30} {pos}/{len} steps")
            .expect("valid template");
        let stages = (0..jobs.max(1))
            .map(|j| {
                let bar = multi.add(ProgressBar::new(1).with_style(style.clone()));
                if jobs > 1 {
                    bar.set_prefix(format!("job {} ", j + 1));
                }
                bar
            })
            .collect();
        Self {
            multi,
            runs,
            stages,
            to_parent: false,
        }
    }

    /// The progress of a job process, which only reports to its parent.
    pub fn to_parent() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let runs = multi.add(ProgressBar::hidden());
        let stages = vec![multi.add(ProgressBar::hidden())];
        Self {
            multi,
            runs,
            stages,
            to_parent: true,
        }
    }

    /// Starts a stage (SFT, a PO run, ...), named in the stage bar.
    pub fn stage(&mut self, name: &str) {
        if self.to_parent {
            Event::Stage(name.to_string()).send();
        }
        self.job_stage(0, name);
    }

    /// Job `job` (0-based) started a stage.
    pub fn job_stage(&self, job: usize, name: &str) {
        if let Some(bar) = self.stages.get(job) {
            bar.set_message(name.to_string());
            bar.set_position(0);
        }
    }

    /// A finished PO run; `line` summarises it.
    pub fn run_done(&self, line: &str) {
        self.runs.inc(1);
        self.line(line);
    }

    /// A milestone, shown above the bars or, without a terminal, on stderr.
    pub fn line(&self, line: &str) {
        if self.to_parent {
            Event::Line(line.to_string()).send();
        } else if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }

    pub fn finish(&self) {
        for stage in &self.stages {
            stage.finish_and_clear();
        }
        self.runs.finish();
    }
}

impl Progress for MatrixProgress {
    /// Also where a Ctrl-C takes effect inside a run: the run is dropped, never stored.
    fn step(&mut self, done: usize, total: usize) {
        if signals::interrupted() {
            self.finish();
            if self.to_parent {
                std::process::exit(signals::INTERRUPTED_EXIT);
            }
            signals::exit_interrupted();
        }
        self.stages[0].set_length(total as u64);
        self.stages[0].set_position(done as u64);
    }
}
