//! `prefbench tune`: sweeps the PO learning rate, β and epochs of a config and picks the
//! setting with the best mean *validation* HR@1 (at each run's selected epoch). Test metrics
//! are shown but never used to choose, so the chosen regime can be pinned in the presets
//! without having looked at the test split. Each setting is an ordinary `prefbench run` into
//! its own subdirectory (resumable, SFT references shared through the cache).
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use prefbench_reports::{markdown_table, Column, Table, Value};
use prefbench_results::store::read_unique;
use prefbench_results::RunRecord;

use super::exit::stopped_matrix;
use super::run::MatrixArgs;
use crate::config::ExperimentConfig;
use crate::execute::{self, Finished, Schedule};
use crate::observe::terminal::Terminal;
use crate::signals;
use crate::stop::StopToken;

#[derive(Args)]
pub struct TuneArgs {
    #[command(flatten)]
    matrix: MatrixArgs,
    /// PO learning rates to try.
    #[arg(long, value_delimiter = ',', default_values_t = [1e-5, 3e-5, 1e-4, 3e-4])]
    lr: Vec<f64>,
    /// Objective β values to try.
    #[arg(long, value_delimiter = ',', default_values_t = [0.5, 1.0, 2.0])]
    beta: Vec<f64>,
    /// PO epochs to try (model selection picks the best epoch inside each run as well).
    #[arg(long, value_delimiter = ',', default_values_t = [3])]
    epochs: Vec<usize>,
}

/// One point of the sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Setting {
    lr: f64,
    beta: f64,
    epochs: usize,
}

impl Setting {
    fn dir_name(&self) -> String {
        format!("lr{:e}-beta{}-epochs{}", self.lr, self.beta, self.epochs)
    }

    fn apply(&self, base: &ExperimentConfig) -> ExperimentConfig {
        let mut config = base.clone();
        config.po.lr = self.lr;
        config.objective.beta = self.beta;
        config.po.epochs = self.epochs;
        config.name = format!("{}-{}", base.name, self.dir_name());
        config
    }
}

pub fn run(args: TuneArgs) -> Result<ExitCode> {
    let (base, source) = args.matrix.config("tune")?;
    let settings = grid(&args)?;
    // One directory a setting, and `tune.md` with the table beside them.
    let out = args.matrix.out(&base);
    let mut rows = Vec::with_capacity(settings.len());
    signals::install();
    let stop = StopToken::process();
    for setting in &settings {
        let config = setting
            .apply(&base)
            .revalidated(&format!("tune setting {}", setting.dir_name()))?;
        let options = args
            .matrix
            .options(&config, &source, out.join(setting.dir_name()), 1)?;
        eprintln!("tune: {}", setting.dir_name());
        let schedule = Schedule {
            shard: None,
            jobs: 1,
        };
        match execute::run(&config, &options, schedule, &mut Terminal::default(), &stop)? {
            Finished::Report(_) => {}
            Finished::Interrupted => return Ok(stopped_matrix(&options.out)),
        }
        // Counted as `report` counts them: identical copies once, conflicting ones refused.
        let unique = read_unique(&[options.out.results()])?;
        rows.push((*setting, Scores::of(&unique.records)));
    }
    let table = render(&base, &rows);
    prefbench_io::write_atomic(&out.join("tune.md"), table.as_bytes())?;
    print!("{table}");
    Ok(ExitCode::SUCCESS)
}

fn grid(args: &TuneArgs) -> Result<Vec<Setting>> {
    if args.lr.is_empty() || args.beta.is_empty() || args.epochs.is_empty() {
        bail!("--lr, --beta and --epochs each need at least one value");
    }
    let mut settings = Vec::new();
    for &lr in &args.lr {
        for &beta in &args.beta {
            for &epochs in &args.epochs {
                settings.push(Setting { lr, beta, epochs });
            }
        }
    }
    Ok(settings)
}

/// Means over every run of one setting (all methods, K and seeds of the config).
#[derive(Debug, Clone, PartialEq)]
struct Scores {
    runs: usize,
    valid: f64,
    sft_valid: f64,
    test: f64,
    sft_test: f64,
    /// Runs whose selected validation HR@1 is above their SFT reference's.
    lifted: usize,
    /// Mean selected epoch.
    epoch: f64,
}

impl Scores {
    fn of(records: &[RunRecord]) -> Self {
        let mean = |f: &dyn Fn(&RunRecord) -> f64| {
            records.iter().map(f).sum::<f64>() / records.len().max(1) as f64
        };
        Self {
            runs: records.len(),
            valid: mean(&|r| r.valid.hr_at_1),
            sft_valid: mean(&|r| r.sft.valid.hr_at_1),
            test: mean(&|r| r.test.hr_at_1),
            sft_test: mean(&|r| r.sft.test.hr_at_1),
            lifted: records
                .iter()
                .filter(|r| r.valid.hr_at_1 > r.sft.valid.hr_at_1)
                .count(),
            epoch: mean(&|r| r.selected_epoch as f64),
        }
    }
}

/// The sweep as Markdown, best validation first; the chosen setting is the first row.
fn render(base: &ExperimentConfig, rows: &[(Setting, Scores)]) -> String {
    let mut sorted: Vec<&(Setting, Scores)> = rows.iter().collect();
    sorted.sort_by(|a, b| b.1.valid.total_cmp(&a.1.valid));
    let mut out = String::new();
    let methods: Vec<String> = base.methods.iter().map(|m| m.to_string()).collect();
    let _ = writeln!(
        out,
        "# Tuning `{}`: {} on {}, K {:?}, seeds {:?}\n\nChosen by mean validation HR@1 at each \
         run's selected epoch; test HR@1 is shown, never used to choose.\n",
        base.name,
        methods.join(", "),
        base.datasets.join(", "),
        base.k,
        base.seeds
    );
    let columns = [
        "valid HR@1",
        "SFT valid",
        "lift (valid)",
        "runs lifted",
        "mean selected epoch",
        "test HR@1",
        "SFT test",
    ];
    let columns = ["po.lr", "β", "epochs", "runs"]
        .into_iter()
        .chain(columns)
        .map(Column::right)
        .collect();
    let four = |value| Value::Number { value, decimals: 4 };
    let rows = sorted
        .iter()
        .map(|(s, r)| {
            vec![
                Value::Text(format!("{:e}", s.lr)),
                Value::Text(s.beta.to_string()),
                Value::Count(s.epochs),
                Value::Count(r.runs),
                four(r.valid),
                four(r.sft_valid),
                Value::Signed {
                    value: r.valid - r.sft_valid,
                    decimals: 4,
                },
                Value::Text(format!("{}/{}", r.lifted, r.runs)),
                Value::Number {
                    value: r.epoch,
                    decimals: 2,
                },
                four(r.test),
                four(r.sft_test),
            ]
        })
        .collect();
    out += &markdown_table(&Table::new(None, columns, rows));
    if let Some((best, scores)) = sorted.first() {
        let _ = writeln!(
            out,
            "Chosen: po.lr {:e}, β {}, {} epochs (validation lift {:+.4}).",
            best.lr,
            best.beta,
            best.epochs,
            scores.valid - scores.sft_valid
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_is_a_report_table_best_validation_first() {
        let base = ExperimentConfig::preset("demo").unwrap();
        let scores = |valid: f64| Scores {
            runs: 4,
            valid,
            sft_valid: 0.25,
            test: 0.5,
            sft_test: 0.25,
            lifted: 3,
            epoch: 1.5,
        };
        let setting = |lr| Setting {
            lr,
            beta: 1.0,
            epochs: 2,
        };
        let text = render(
            &base,
            &[(setting(1e-5), scores(0.3)), (setting(3e-5), scores(0.375))],
        );
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].starts_with("| po.lr | β | epochs | runs | valid HR@1 |"),
            "{text}"
        );
        assert_eq!(lines[1], format!("|{}", "--:|".repeat(11)));
        assert_eq!(
            lines[2],
            "| 3e-5 | 1 | 2 | 4 | 0.3750 | 0.2500 | +0.1250 | 3/4 | 1.50 | 0.5000 | 0.2500 |"
        );
        assert!(lines[3].starts_with("| 1e-5 |"), "{text}");
        assert!(text.contains("Chosen: po.lr 3e-5, β 1, 2 epochs (validation lift +0.1250)."));
    }

    #[test]
    fn settings_are_named_and_applied() {
        let base = ExperimentConfig::preset("demo").unwrap();
        let s = Setting {
            lr: 3e-5,
            beta: 0.5,
            epochs: 2,
        };
        assert_eq!(s.dir_name(), "lr3e-5-beta0.5-epochs2");
        let c = s.apply(&base);
        assert_eq!((c.po.lr, c.objective.beta, c.po.epochs), (3e-5, 0.5, 2));
        assert_eq!(c.name, "demo-lr3e-5-beta0.5-epochs2");
    }
}
