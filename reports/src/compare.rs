//! `prefbench compare BASE NEW`: matches the cells of two result sets and flags a change only
//! when it is both significant over seeds (Welch's t-test, p < 0.05: the seeds of two result
//! sets are independent runs, so they are not paired) and larger than a practical threshold.
//! A nightly job fails on [`Comparison::regressed`].
use crate::format::{p_value, signed, MISSING};
use crate::regime::Regime;
use prefbench_results::stats::{welch_t_test, Summary};
use prefbench_results::{Cell, RunRecord};
use std::collections::{BTreeMap, BTreeSet};

/// Significance level of a flagged change.
pub const ALPHA: f64 = 0.05;

/// How large a change must be to matter, whatever its p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Absolute change of test HR@1 (default 0.01).
    pub hr_at_1: f64,
    /// Relative change of PO wall-clock, as a fraction (default 0.10, that is 10%).
    pub time: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            hr_at_1: 0.01,
            time: 0.10,
        }
    }
}

/// What happened to one metric of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Worse, significantly and by more than the threshold.
    Regressed,
    /// Better, significantly and by more than the threshold.
    Improved,
    /// Larger than the threshold, but a side has one seed, so no test can tell.
    Unverifiable,
    /// Within the threshold, or not significant.
    Unchanged,
}

impl Change {
    fn label(self) -> &'static str {
        match self {
            Self::Regressed => "**regressed**",
            Self::Improved => "improved",
            Self::Unverifiable => "unverifiable (one seed)",
            Self::Unchanged => "unchanged",
        }
    }
}

/// The metrics compared, with their direction and threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    /// Test HR@1; higher is better, absolute threshold.
    HitRatio1,
    /// PO training wall-clock; lower is better, relative threshold.
    PoWallClock,
}

impl Measure {
    fn label(self) -> &'static str {
        match self {
            Self::HitRatio1 => "test HR@1",
            Self::PoWallClock => "PO wall-clock (s)",
        }
    }

    fn value(self, record: &RunRecord) -> f64 {
        match self {
            Self::HitRatio1 => record.test.hr_at_1,
            Self::PoWallClock => record.timings.po_s,
        }
    }

    /// Signed size of the change, positive when better, in the threshold's unit.
    fn improvement(self, base: f64, new: f64) -> f64 {
        match self {
            Self::HitRatio1 => new - base,
            Self::PoWallClock if base > 0.0 => 1.0 - new / base,
            Self::PoWallClock => 0.0,
        }
    }

    fn threshold(self, t: &Thresholds) -> f64 {
        match self {
            Self::HitRatio1 => t.hr_at_1,
            Self::PoWallClock => t.time,
        }
    }

    fn change_text(self, base: f64, new: f64) -> String {
        match self {
            Self::HitRatio1 => signed(new - base, 4),
            Self::PoWallClock if base > 0.0 => {
                format!("{}%", signed(100.0 * (new / base - 1.0), 1))
            }
            Self::PoWallClock => MISSING.into(),
        }
    }
}

/// One metric of one cell present in both result sets.
#[derive(Debug, Clone, PartialEq)]
pub struct CellDiff {
    pub cell: Cell,
    pub measure: Measure,
    pub base: Summary,
    pub new: Summary,
    /// Welch's t-test; `None` when a side has one seed.
    pub p: Option<f64>,
    pub change: Change,
}

/// The comparison of two result sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub thresholds: Thresholds,
    /// Cells in both, ordered by (change, cell, measure) so regressions come first.
    pub diffs: Vec<CellDiff>,
    pub only_in_base: Vec<Cell>,
    pub only_in_new: Vec<Cell>,
}

/// Compares every cell present in both result sets on every [`Measure`].
pub fn compare(base: &[RunRecord], new: &[RunRecord], thresholds: Thresholds) -> Comparison {
    let (base, new) = (by_cell(base), by_cell(new));
    let mut diffs = Vec::new();
    for (cell, base_runs) in &base {
        let Some(new_runs) = new.get(cell) else {
            continue;
        };
        for measure in [Measure::HitRatio1, Measure::PoWallClock] {
            let values = |runs: &[&RunRecord]| -> Vec<f64> {
                let mut v: Vec<f64> = runs.iter().map(|r| measure.value(r)).collect();
                v.sort_by(f64::total_cmp);
                v
            };
            let (b, n) = (values(base_runs), values(new_runs));
            let (Some(bs), Some(ns)) = (Summary::of(&b), Summary::of(&n)) else {
                continue;
            };
            let p = welch_t_test(&b, &n);
            let size = measure.improvement(bs.mean, ns.mean);
            let change = if size.abs() <= measure.threshold(&thresholds) {
                Change::Unchanged
            } else {
                match p {
                    None => Change::Unverifiable,
                    Some(p) if p >= ALPHA => Change::Unchanged,
                    Some(_) if size < 0.0 => Change::Regressed,
                    Some(_) => Change::Improved,
                }
            };
            diffs.push(CellDiff {
                cell: cell.clone(),
                measure,
                base: bs,
                new: ns,
                p,
                change,
            });
        }
    }
    diffs.sort_by(|a, b| (a.change, &a.cell, a.measure).cmp(&(b.change, &b.cell, b.measure)));
    let only = |a: &BTreeMap<Cell, _>, b: &BTreeMap<Cell, _>| -> Vec<Cell> {
        a.keys().filter(|c| !b.contains_key(*c)).cloned().collect()
    };
    Comparison {
        thresholds,
        only_in_base: only(&base, &new),
        only_in_new: only(&new, &base),
        diffs,
    }
}

impl Comparison {
    /// Whether any cell regressed: the nightly gate.
    pub fn regressed(&self) -> bool {
        self.diffs.iter().any(|d| d.change == Change::Regressed)
    }

    /// Cells present in both result sets.
    pub fn shared_cells(&self) -> usize {
        self.diffs
            .iter()
            .map(|d| &d.cell)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// The diff as Markdown: counts, then every row that is not unchanged.
    pub fn to_markdown(&self) -> String {
        let count = |c: Change| self.diffs.iter().filter(|d| d.change == c).count();
        let mut out = format!(
            "# prefbench compare\n\n{} shared cell(s); a change is flagged when Welch's t-test \
             over seeds gives p < {ALPHA} and it exceeds {} absolute test HR@1 or {}% PO \
             wall-clock.\n\n- regressed: {}\n- improved: {}\n- unverifiable (one seed, above \
             the threshold): {}\n- unchanged: {}\n",
            self.shared_cells(),
            self.thresholds.hr_at_1,
            100.0 * self.thresholds.time,
            count(Change::Regressed),
            count(Change::Improved),
            count(Change::Unverifiable),
            count(Change::Unchanged),
        );
        for (what, cells) in [
            ("only in BASE", &self.only_in_base),
            ("only in NEW", &self.only_in_new),
        ] {
            if !cells.is_empty() {
                let names: Vec<String> = cells.iter().map(cell_name).collect();
                out += &format!("- {what}: {}\n", names.join(", "));
            }
        }
        let flagged: Vec<&CellDiff> = self
            .diffs
            .iter()
            .filter(|d| d.change != Change::Unchanged)
            .collect();
        if !flagged.is_empty() {
            out += "\n| cell | metric | base | new | change | Welch p | verdict |\n\
                    |:--|:--|--:|--:|--:|--:|:--|\n";
            for d in flagged {
                out += &format!(
                    "| {} | {} | {:.4} (n={}) | {:.4} (n={}) | {} | {} | {} |\n",
                    cell_name(&d.cell),
                    d.measure.label(),
                    d.base.mean,
                    d.base.n,
                    d.new.mean,
                    d.new.n,
                    d.measure.change_text(d.base.mean, d.new.mean),
                    p_value(d.p),
                    d.change.label()
                );
            }
        }
        out
    }
}

fn by_cell(records: &[RunRecord]) -> BTreeMap<Cell, Vec<&RunRecord>> {
    let mut cells: BTreeMap<Cell, Vec<&RunRecord>> = BTreeMap::new();
    for record in records {
        cells.entry(compared_cell(record)).or_default().push(record);
    }
    cells
}

/// The cell a record is compared in: the dataset is qualified by the policy regime when the
/// run read titles, so runs of the two regimes are never pooled.
fn compared_cell(record: &RunRecord) -> Cell {
    let mut cell = record.cell.clone();
    let regime = Regime::of(record);
    if regime == Regime::Titles {
        cell.dataset = format!("{} ({})", cell.dataset, regime.label());
    }
    cell
}

fn cell_name(cell: &Cell) -> String {
    format!("{}/{}/K={}", cell.dataset, cell.method, cell.k)
}
