//! Progress of a matrix: one bar for runs, one for the steps of the current stage. Without a
//! terminal the bars hide themselves, so milestones are also printed as plain lines.
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use prefbench_baselines::train::Progress;

pub struct MatrixProgress {
    multi: MultiProgress,
    runs: ProgressBar,
    stage: ProgressBar,
}

impl MatrixProgress {
    pub fn new(total_runs: usize) -> Self {
        let multi = MultiProgress::new();
        let runs = multi.add(ProgressBar::new(total_runs as u64));
        runs.set_style(
            ProgressStyle::with_template("runs  {bar:30} {pos}/{len} eta {eta}")
                .expect("valid template"),
        );
        let stage = multi.add(ProgressBar::new(1));
        stage.set_style(
            ProgressStyle::with_template("{msg:32} {bar:30} {pos}/{len} steps")
                .expect("valid template"),
        );
        Self { multi, runs, stage }
    }

    /// Starts a stage (SFT, a PO run, ...), named in the stage bar.
    pub fn stage(&mut self, name: &str) {
        self.stage.set_message(name.to_string());
        self.stage.set_position(0);
    }

    /// A finished PO run; `line` summarises it.
    pub fn run_done(&self, line: &str) {
        self.runs.inc(1);
        self.line(line);
    }

    /// A milestone, shown above the bars or, without a terminal, on stderr.
    pub fn line(&self, line: &str) {
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }

    pub fn finish(&self) {
        self.stage.finish_and_clear();
        self.runs.finish();
    }
}

impl Progress for MatrixProgress {
    fn step(&mut self, done: usize, total: usize) {
        self.stage.set_length(total as u64);
        self.stage.set_position(done as u64);
    }
}
