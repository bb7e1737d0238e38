//! `prefbench compare BASE NEW`: matches the cells of two result sets and flags a change only
//! when it is both significant over seeds (Welch's t-test, p < [`ALPHA`]: the seeds of two
//! result sets are independent runs, so they are not paired) and larger than a practical
//! threshold.
//! A nightly job fails on [`Comparison::regressed`].
//!
//! Records count as in `report` and `results merge` (`prefbench_results::store::unique`),
//! and a cell is (dataset, method, K) plus the whole run setting except the prefbench
//! version, which is what `compare` compares: runs of two settings (two learning rates, two
//! policies) are two cells, labelled by what differs, and never pooled as seeds of one.
use crate::model::{Column, Table, Value};
use crate::render::blocks;
use prefbench_results::setting::{differences, VERSION};
use prefbench_results::stats::{welch_t_test, Summary, ALPHA};
use prefbench_results::store::{unique, StoreError};
use prefbench_results::{Cell, CellKey, RunRecord};
use std::collections::{BTreeMap, BTreeSet};

/// Spec keys a comparison ignores: the version is what two result sets differ in.
const IGNORED: [&str; 1] = [VERSION];

/// How large a change must be to matter, whatever its p-value. Build it with
/// [`Thresholds::new`], which refuses values no change can be compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Absolute change of test HR@1 (default 0.01).
    pub hr_at_1: f64,
    /// Relative change of PO wall-clock, as a fraction (default 0.10, that is 10%).
    pub time: f64,
}

impl Thresholds {
    /// Checks both thresholds: NaN (every comparison with it is false, so nothing would ever
    /// be flagged, silently) and negative values (every change would exceed them) are refused.
    /// Infinity is accepted and switches that gate off.
    pub fn new(hr_at_1: f64, time: f64) -> Result<Self, CompareError> {
        for (name, value) in [("--hr-threshold", hr_at_1), ("--time-threshold", time)] {
            if value.is_nan() || value < 0.0 {
                return Err(CompareError::Threshold { name, value });
            }
        }
        Ok(Self { hr_at_1, time })
    }
}

/// Why two result sets cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(
        "{name} must be a number ≥ 0 (an absolute HR@1 change, or a fraction of the PO \
         wall-clock), not {value}"
    )]
    Threshold { name: &'static str, value: f64 },
    #[error("the {side} result set: {source}")]
    Records {
        side: &'static str,
        source: StoreError,
    },
    #[error(
        "the {side} result set holds two runs of seed {seed} in cell {cell} that differ only \
         in the prefbench version; compare one version per side"
    )]
    SeedTwice {
        side: &'static str,
        cell: String,
        seed: u64,
    },
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
    /// A side holds a value that is not a finite number, so the change is not defined.
    Undefined,
    /// Larger than the threshold, but a side has one seed, so no test can tell.
    Unverifiable,
    /// Within the threshold, or not significant.
    Unchanged,
}

impl Change {
    /// The verdict column's cell; a regression must not be missed.
    fn cell(self) -> Value {
        let text = |t: &str| Value::Text(t.into());
        match self {
            Self::Regressed => Value::Strong("regressed".into()),
            Self::Improved => text("improved"),
            Self::Undefined => text("undefined (n/a values)"),
            Self::Unverifiable => text("unverifiable (one seed)"),
            Self::Unchanged => text("unchanged"),
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

    /// The change from `base` to `new` in the measure's unit: absolute for HR@1, relative
    /// for time.
    fn change(self, base: f64, new: f64) -> Value {
        match self {
            Self::HitRatio1 => Value::Signed {
                value: new - base,
                decimals: 4,
            },
            Self::PoWallClock if base > 0.0 => Value::Change(new / base - 1.0),
            Self::PoWallClock => Value::Missing,
        }
    }
}

/// One metric of one cell present in both result sets.
#[derive(Debug, Clone, PartialEq)]
pub struct CellDiff {
    /// The cell's coordinates.
    pub cell: Cell,
    /// What sets this cell's setting apart from other cells with the same coordinates
    /// (`po.lr=0.001`), empty when no other cell shares them.
    pub setting: String,
    /// The metric compared.
    pub measure: Measure,
    /// The metric over BASE's seeds.
    pub base: Summary,
    /// The metric over NEW's seeds.
    pub new: Summary,
    /// Welch's t-test; `None` when a side has one seed.
    pub p: Option<f64>,
    /// What the nightly gate makes of it.
    pub change: Change,
}

/// The comparison of two result sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The thresholds the changes were judged by, as the output states them.
    pub thresholds: Thresholds,
    /// Cells in both, ordered by (change, cell, measure) so regressions come first.
    pub diffs: Vec<CellDiff>,
    /// Cells of one side only, as `dataset/method/K=k [setting]`.
    pub only_in_base: Vec<String>,
    /// Cells of NEW only, as `only_in_base`.
    pub only_in_new: Vec<String>,
}

/// Compares every cell present in both result sets on every [`Measure`]; refuses result sets
/// with two different records under one id, or with two runs of one seed in one cell.
pub fn compare(
    base: &[RunRecord],
    new: &[RunRecord],
    thresholds: Thresholds,
) -> Result<Comparison, CompareError> {
    let (base, new) = (by_cell(base, "BASE")?, by_cell(new, "NEW")?);
    let labels = setting_labels(base.keys().chain(new.keys()));
    let name = |key: &CellKey| cell_name(&key.cell, &labels[key]);
    let mut diffs = Vec::new();
    for (key, base_runs) in &base {
        let Some(new_runs) = new.get(key) else {
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
            let change = if !size.is_finite() {
                Change::Undefined
            } else if size.abs() <= measure.threshold(&thresholds) {
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
                cell: key.cell.clone(),
                setting: labels[key].clone(),
                measure,
                base: bs,
                new: ns,
                p,
                change,
            });
        }
    }
    diffs.sort_by(|a, b| {
        (a.change, &a.cell, &a.setting, a.measure).cmp(&(b.change, &b.cell, &b.setting, b.measure))
    });
    let only = |a: &Cells, b: &Cells| -> Vec<String> {
        a.keys().filter(|k| !b.contains_key(*k)).map(name).collect()
    };
    Ok(Comparison {
        thresholds,
        only_in_base: only(&base, &new),
        only_in_new: only(&new, &base),
        diffs,
    })
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
            .map(|d| (&d.cell, &d.setting))
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
                out += &format!("- {what}: {}\n", cells.join(", "));
            }
        }
        let table = self.table();
        if !table.rows.is_empty() {
            out.push('\n');
            out += blocks::table(&table).trim_end();
            out.push('\n');
        }
        out
    }

    /// Every row that is not unchanged, regressions first: the same table model as the
    /// report's, so `compare` prints numbers exactly as the report does.
    pub(crate) fn table(&self) -> Table {
        let mean = |s: &Summary| Value::Mean {
            mean: s.mean,
            n: s.n,
            signed: false,
        };
        let rows = self
            .diffs
            .iter()
            .filter(|d| d.change != Change::Unchanged)
            .map(|d| {
                vec![
                    Value::Text(cell_name(&d.cell, &d.setting)),
                    Value::Text(d.measure.label().into()),
                    mean(&d.base),
                    mean(&d.new),
                    d.measure.change(d.base.mean, d.new.mean),
                    Value::P(d.p),
                    d.change.cell(),
                ]
            })
            .collect();
        Table::new(
            None,
            vec![
                Column::left("cell"),
                Column::left("metric"),
                Column::right("base"),
                Column::right("new"),
                Column::right("change"),
                Column::right("Welch p"),
                Column::left("verdict"),
            ],
            rows,
        )
    }
}

/// The runs of each cell of one side.
type Cells<'a> = BTreeMap<CellKey, Vec<&'a RunRecord>>;

/// Groups one side's records into cells, after the store's rule on duplicates; a seed twice
/// in one cell can only be two prefbench versions of one run, which would be pooled.
fn by_cell<'a>(records: &'a [RunRecord], side: &'static str) -> Result<Cells<'a>, CompareError> {
    let records = unique(records)
        .map_err(|source| CompareError::Records { side, source })?
        .records;
    let mut cells: Cells = BTreeMap::new();
    for record in records {
        cells
            .entry(CellKey::ignoring(record, &IGNORED))
            .or_default()
            .push(record);
    }
    for runs in cells.values() {
        let mut seeds = BTreeSet::new();
        if let Some(twice) = runs.iter().find(|r| !seeds.insert(r.seed)) {
            return Err(CompareError::SeedTwice {
                side,
                cell: cell_name(&twice.cell, ""),
                seed: twice.seed,
            });
        }
    }
    Ok(cells)
}

/// For every key, what tells its setting apart from the other keys with the same cell
/// coordinates (empty when it is the only one).
fn setting_labels<'k>(keys: impl Iterator<Item = &'k CellKey>) -> BTreeMap<CellKey, String> {
    let mut by_cell: BTreeMap<&Cell, BTreeSet<&CellKey>> = BTreeMap::new();
    keys.for_each(|k| {
        by_cell.entry(&k.cell).or_default().insert(k);
    });
    let mut labels = BTreeMap::new();
    for keys in by_cell.values() {
        let settings: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| serde_json::from_str(&k.setting).unwrap_or(serde_json::Value::Null))
            .collect();
        for (key, label) in keys
            .iter()
            .zip(differences(&settings.iter().collect::<Vec<_>>()))
        {
            labels.insert((*key).clone(), label);
        }
    }
    labels
}

fn cell_name(cell: &Cell, setting: &str) -> String {
    let name = format!("{}/{}/K={}", cell.dataset, cell.method, cell.k);
    if setting.is_empty() {
        name
    } else {
        format!("{name} [{setting}]")
    }
}
