//! The records of one dataset under one policy regime and one setting, and the per-cell
//! summaries that tables and charts show. Runs of two settings (say two PO learning rates
//! in one output directory) are two sections, labelled by what differs, never pooled.
use super::metric::{last_epoch_test, Metric};
use super::regime::Regime;
use super::sharing::{self, Sharing};
use crate::context::{DatasetFacts, TrivialBaseline};
use crate::model::{Column, SharingSummary, Table, Value};
use prefbench_results::setting::{canonical, protocol_setting, section_labels, SectionLabel};
use prefbench_results::stats::{aggregate, Summary};
use prefbench_results::{Protocol, RunRecord, SftMetrics};
use prefbench_vocabulary::Method;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// A method ordered by its name: tables and charts have always listed methods in name order
/// (`dmpo`, `dynamicpo-dmpo`, …, `sdpo`), which [`Method`]'s own order (bases first) is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByName(Method);

impl Ord for ByName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.name().cmp(other.0.name())
    }
}

impl PartialOrd for ByName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Summaries over seeds per (method, K), iterated in (method name, K) order so that every
/// list built from them (warnings, lines of a chart) reads in table order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cells(BTreeMap<(ByName, usize), Summary>);

impl Cells {
    /// The summary of (method, K), `None` when that cell has no value.
    pub fn get(&self, method: Method, k: usize) -> Option<&Summary> {
        self.0.get(&(ByName(method), k))
    }

    /// Every cell, in (method name, K) order.
    pub fn iter(&self) -> impl Iterator<Item = (Method, usize, &Summary)> {
        self.0.iter().map(|((m, k), s)| (m.0, *k, s))
    }

    /// Every summary, in (method name, K) order.
    pub fn values(&self) -> impl Iterator<Item = &Summary> {
        self.0.values()
    }

    /// How many cells have a value.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Records of one dataset under one policy regime and one setting, sorted by (cell, seed, id)
/// so that every output is independent of the order of `results.jsonl` (shards may be merged
/// in any order).
pub(crate) struct DatasetResults<'a> {
    pub name: &'a str,
    pub regime: Regime,
    /// Whether the report holds more than one regime, so names must say which one this is.
    several_regimes: bool,
    /// Whether the report holds more than one architecture, so labels must name it.
    several_architectures: bool,
    /// What tells this section from the dataset's others under this regime (its protocol,
    /// `po.lr=0.001`, …); empty when the dataset ran one setting.
    setting_label: SectionLabel,
    /// 1-based place among those settings, for unique figure names; 0 when there is one.
    setting_index: usize,
    records: Vec<&'a RunRecord>,
    /// Whether each of `records` shared the machine, by id, judged over every record read.
    sharing: BTreeMap<&'a str, Sharing>,
    /// The dataset's trivial baselines, in the order its card lists them.
    pub trivial: &'a [TrivialBaseline],
    /// Whether the data is generated: such numbers test the machinery, not the paper.
    pub synthetic: bool,
}

impl<'a> DatasetResults<'a> {
    /// Splits records by (dataset, regime, setting), in that order.
    pub fn split(
        records: &[&'a RunRecord],
        facts: &'a BTreeMap<String, DatasetFacts>,
    ) -> Vec<Self> {
        type Key<'k> = (&'k str, Regime, String);
        let mut by_key: BTreeMap<Key, Vec<&RunRecord>> = BTreeMap::new();
        for &record in records {
            let setting = canonical(&protocol_setting(&record.spec));
            by_key
                .entry((&record.cell.dataset, Regime::of(record), setting))
                .or_default()
                .push(record);
        }
        let regimes: BTreeSet<&Regime> = by_key.keys().map(|(_, r, _)| r).collect();
        let several_regimes = regimes.len() > 1;
        let architectures: BTreeSet<&str> = regimes.iter().map(|r| r.architecture_id()).collect();
        let several_architectures = architectures.len() > 1;
        let mut groups: BTreeMap<(&str, &Regime), Vec<&Key>> = BTreeMap::new();
        by_key
            .keys()
            .for_each(|k| groups.entry((k.0, &k.1)).or_default().push(k));
        let sharing = sharing::of_all(records);
        let mut notes: BTreeMap<Key, (SectionLabel, usize)> = BTreeMap::new();
        for keys in groups.values() {
            let specs: Vec<&serde_json::Value> = keys.iter().map(|k| &by_key[*k][0].spec).collect();
            let labels = section_labels(&specs);
            for (i, (key, label)) in keys.iter().zip(labels).enumerate() {
                let index = if keys.len() > 1 { i + 1 } else { 0 };
                notes.insert((*key).clone(), (label, index));
            }
        }
        by_key
            .into_iter()
            .map(|(key, mut records)| {
                records.sort_by(|a, b| (&a.cell, a.seed, &a.id).cmp(&(&b.cell, b.seed, &b.id)));
                let (setting_label, setting_index) = notes.remove(&key).unwrap_or_default();
                let (name, regime, _) = key;
                let facts = facts.get(name);
                let sharing = records
                    .iter()
                    .filter_map(|r| sharing.get_key_value(r.id.as_str()))
                    .map(|(&id, &s)| (id, s))
                    .collect();
                Self {
                    name,
                    regime,
                    several_regimes,
                    several_architectures,
                    setting_label,
                    setting_index,
                    records,
                    sharing,
                    trivial: facts.map_or(&[], |f| &f.trivial),
                    synthetic: facts.is_some_and(|f| f.synthetic),
                }
            })
            .collect()
    }

    /// ` (regime)` when the report holds several regimes, else nothing: follows the dataset's
    /// name wherever it is shown.
    pub fn regime_note(&self) -> String {
        if self.several_regimes {
            format!(" ({})", self.regime_label())
        } else {
            String::new()
        }
    }

    /// The regime's label in this report (the architecture named only when several ran).
    pub fn regime_label(&self) -> String {
        self.regime.label_among(self.several_architectures)
    }

    /// ` [setting=value, …]` when the dataset ran several settings under this regime.
    pub fn setting_note(&self) -> String {
        bracketed(&self.setting_label.to_string())
    }

    /// [`Self::setting_note`] without the protocol, for tables with a protocol column of their
    /// own.
    pub fn setting_note_beyond_protocol(&self) -> String {
        bracketed(&self.setting_label.differences)
    }

    /// [`Self::regime_note`] and [`Self::setting_note`]: what tells this section from the
    /// dataset's others.
    pub fn qualifier(&self) -> String {
        format!("{}{}", self.regime_note(), self.setting_note())
    }

    /// The dataset's name and [`Self::qualifier`].
    pub fn label(&self) -> String {
        format!("{}{}", self.name, self.qualifier())
    }

    /// The dataset's part of figure file names, with its regime when the report holds several,
    /// `-tuned` for a tuned protocol's section beside the paper protocol's (whose names stay as
    /// they were without it), and the setting's place when settings differ otherwise.
    pub fn file_stem(&self) -> String {
        let mut stem = file_safe(self.name);
        if self.several_regimes {
            stem += &format!("-{}", self.regime.file_suffix(self.several_architectures));
        }
        if let (Some(_), Some(protocol)) = (self.setting_label.protocol, self.protocol()) {
            stem += &format!("-{}", protocol.name());
        }
        if !self.setting_label.differences.is_empty() {
            stem += &format!("-setting{}", self.setting_index);
        }
        stem
    }

    /// The protocol of this section's runs (`None`: the paper's, one setting for all).
    pub fn protocol(&self) -> Option<Protocol> {
        self.records
            .first()
            .and_then(|r| r.identity().ok())
            .and_then(|i| i.protocol)
    }

    /// Every run, in (cell, seed) order.
    pub fn records(&self) -> &[&'a RunRecord] {
        &self.records
    }

    /// Whether `record`, one of this section's runs, shared the machine while it trained.
    pub fn sharing(&self, record: &RunRecord) -> Sharing {
        self.sharing
            .get(record.id.as_str())
            .copied()
            .unwrap_or(Sharing::Unknown)
    }

    /// How this section's runs trained: alone, beside other processes' runs, or not said.
    pub fn sharing_summary(&self) -> SharingSummary {
        SharingSummary::of(self.records.iter().map(|r| self.sharing(r)))
    }

    /// Methods present, in name order (rows of tables, lines of charts).
    pub fn methods(&self) -> Vec<Method> {
        let methods: BTreeSet<ByName> =
            self.records.iter().map(|r| ByName(r.cell.method)).collect();
        methods.into_iter().map(|m| m.0).collect()
    }

    /// K values present over all methods (columns of tables); cells a method lacks are missing.
    pub fn ks(&self) -> BTreeSet<usize> {
        self.records.iter().map(|r| r.cell.k).collect()
    }

    /// A method × K table: this dataset's methods as rows (name order), its K values as
    /// columns; `cell` gives the value of each (method, K).
    pub fn table(&self, title: &str, cell: impl Fn(Method, usize) -> Value) -> Table {
        let ks = self.ks();
        let mut columns = vec![Column::left("method")];
        columns.extend(ks.iter().map(|k| Column::right(format!("K = {k}"))));
        let rows = self
            .methods()
            .into_iter()
            .map(|method| {
                let mut row = vec![Value::Method(method)];
                row.extend(ks.iter().map(|&k| cell(method, k)));
                row
            })
            .collect();
        Table::new(Some(title.to_string()), columns, rows)
    }

    /// `value` summarised over seeds for each (method, K); runs without a value (for example
    /// without a logged curve) are left out, so they cannot pass for zeros. All runs of a
    /// section share one setting, so (method, K) identifies a cell.
    pub fn cells(&self, value: impl Fn(&RunRecord) -> Option<f64>) -> Cells {
        let with_value = self.records.iter().copied().filter(|r| value(r).is_some());
        Cells(
            aggregate(with_value, |r| value(r).unwrap_or(f64::NAN))
                .into_iter()
                .map(|(key, summary)| ((ByName(key.cell.method), key.cell.k), summary))
                .collect(),
        )
    }

    /// A metric on the test split at the selected PO epoch (best validation HR@1), per
    /// (method, K): what every table and verdict shows unless it says otherwise.
    pub fn test_cells(&self, metric: Metric) -> Cells {
        self.cells(|r| Some((metric.of)(&r.test)))
    }

    /// A metric on the test split at the last PO epoch (no model selection), per (method, K).
    pub fn last_epoch_cells(&self, metric: Metric) -> Cells {
        self.cells(|r| last_epoch_test(r).map(metric.of))
    }

    /// `value` of each seed's run of (method, K), by seed: tests pair methods by seed.
    pub fn per_seed(
        &self,
        method: Method,
        k: usize,
        value: impl Fn(&RunRecord) -> Option<f64>,
    ) -> BTreeMap<u64, f64> {
        self.runs(method)
            .filter(|r| r.cell.k == k)
            .filter_map(|r| Some((r.seed, value(r)?)))
            .collect()
    }

    /// Every run of `method`, in (K, seed) order.
    pub fn runs(&self, method: Method) -> impl Iterator<Item = &'a RunRecord> + '_ {
        self.records
            .iter()
            .copied()
            .filter(move |r| r.cell.method == method)
    }

    /// The K values `method` ran with, ascending.
    pub fn ks_of(&self, method: Method) -> BTreeSet<usize> {
        self.runs(method).map(|r| r.cell.k).collect()
    }

    /// The SFT reference on the test split, over seeds.
    pub fn sft(&self, metric: Metric) -> Option<Summary> {
        self.sft_summary(|s| (metric.of)(&s.test))
    }

    /// `value` of the SFT reference over seeds: SFT is trained once per (dataset, seed), so
    /// each seed counts once however many PO runs share it.
    pub fn sft_summary(&self, value: impl Fn(&SftMetrics) -> f64) -> Option<Summary> {
        let mut per_seed = BTreeMap::new();
        for record in &self.records {
            per_seed.entry(record.seed).or_insert(value(&record.sft));
        }
        let mut values: Vec<f64> = per_seed.into_values().collect();
        values.sort_by(f64::total_cmp);
        Summary::of(&values)
    }
}

/// A dataset name as a file-name part: other characters than ASCII letters, digits, `-`, `_`
/// and `.` become `-`, so names from registries cannot escape `figures/`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
            _ => '-',
        })
        .collect()
}

/// ` [label]`, or nothing for an empty label: how a section's qualifier follows its name.
fn bracketed(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!(" [{label}]")
    }
}
