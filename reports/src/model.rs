//! The typed report: what the analysis found, before any markup. `report.md` and
//! `report.json` are two renderings of one [`Report`] (see `render`), so they cannot disagree,
//! and a table is a [`Table`] of typed [`Value`]s whatever prints it (the report, `compare`).
use prefbench_results::stats::{SeedsNeeded, Summary};
use prefbench_vocabulary::Method;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The version of `report.json`'s layout, so that readers can refuse one they do not know.
/// 2: findings carry their decisive `tests` (effect, t and bootstrap intervals, raw and
/// Holm-adjusted p, power), `claims` names its dataset columns and its `statistics`, and a
/// per-dataset evidence list holds the datasets that could not test the claim too.
/// 3: `endpoints`, the pre-registered endpoints with five-outcome verdicts, comes first.
/// Nested objects grow within a version (each dataset's `cost.machine_sharing` came in 3).
pub const SCHEMA: u32 = 3;

/// The epoch every table and verdict reads a run at, unless it says otherwise.
pub const SELECTED_EPOCH: &str = "the PO epoch with the best validation HR@1 (ties: the earliest)";

/// The pre-registered endpoints (docs/claims.md, "Pre-registered analysis"): one row per
/// endpoint, dataset and protocol, primaries first.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoints {
    /// True when no artifact-free real dataset ran and the rows come from the report's other
    /// (e.g. synthetic) sections: they check the machinery, not the paper.
    pub pipeline_check: bool,
    pub statistics: EndpointStatistics,
    pub rows: Vec<EndpointRow>,
}

/// The settings of the endpoints' statistics.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointStatistics {
    pub alpha: f64,
    pub min_paired_seeds: usize,
    /// Resamples of the hierarchical bootstrap (seeds × test samples).
    pub hierarchical_resamples: usize,
    pub bootstrap_seed: u64,
}

/// One endpoint on one dataset under one protocol.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointRow {
    /// `P-C3` (primary) or `S-…` (secondary), as docs/claims.md names it.
    pub id: &'static str,
    pub claim: &'static str,
    pub primary: bool,
    /// `tuned` or `paper`.
    pub protocol: &'static str,
    /// Whether the analysis was registered before the runs (the tuned protocol).
    pub pre_registered: bool,
    pub dataset: String,
    /// `variant − base, measure, K = k`.
    pub comparison: String,
    /// The paper's relative lift for this comparison on this dataset, where it gave one.
    pub paper_relative: Option<f64>,
    /// At the selected epoch; [`Outcome::NotRun`] while its runs are missing.
    pub outcome: Outcome,
    /// The base (a vanilla method) ends below its SFT reference on average: under the tuned
    /// protocol a primary is then [`Outcome::BaselineDoesNotTrain`]; elsewhere it is flagged.
    pub base_below_sft: bool,
    /// `None` while its runs are missing.
    pub test: Option<EndpointTest>,
}

/// The numbers of one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointTest {
    /// Paired seeds.
    pub n: usize,
    /// The base's mean over the paired seeds.
    pub base_mean: f64,
    /// Δ's interval from the hierarchical bootstrap over seeds and test samples; `None`
    /// without per-sample ranks (records before schema 3, the SFT base, the win rate).
    pub hierarchical_ci95: Option<(f64, f64)>,
    /// Δ / base mean, with the t interval scaled alike.
    pub relative_lift: Option<f64>,
    pub relative_ci95: Option<(f64, f64)>,
    pub seeds_needed: Option<SeedsNeeded>,
    /// At the epoch with the best validation HR@1: what decides.
    pub at_selected: EpochTest,
    /// At the last epoch (the robustness test of the checkpoint rule).
    pub at_last: Option<EpochTest>,
    /// The outcome under the alternative families (primaries only).
    pub alternatives: Vec<AlternativeFamily>,
}

/// One checkpoint's test of an endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct EpochTest {
    pub effect: f64,
    pub t_ci95: Option<(f64, f64)>,
    pub p: Option<f64>,
    /// Within the endpoint's family (Holm for primaries, Benjamini–Hochberg for secondaries);
    /// `None` below the paired-seed minimum.
    pub p_adjusted: Option<f64>,
    pub outcome: Outcome,
}

/// An endpoint's adjusted p and outcome under another choice of family.
#[derive(Debug, Clone, Serialize)]
pub struct AlternativeFamily {
    pub family: &'static str,
    pub p_adjusted: f64,
    pub outcome: Outcome,
}

/// The outcome of a comparison against the paper (docs/claims.md, "Five outcomes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Significant in the paper's direction, the paper's size not excluded.
    Reproduced,
    /// Significant in the paper's direction, the paper's size excluded.
    SmallerThanClaimed,
    /// Not significant, and an effect of the paper's size excluded.
    RuledOut,
    /// Neither excluded (or too few seeds).
    Underpowered,
    /// Significant against the paper.
    Opposite,
    /// The base stays below its SFT reference: a plug-in claim on it cannot be tested.
    BaselineDoesNotTrain,
    /// Its runs are not in the records yet.
    NotRun,
    /// A secondary comparison (no claimed size): significantly higher than its base.
    Higher,
    /// A secondary comparison: significantly lower than its base.
    Lower,
    /// A secondary comparison: no significant difference.
    NotSignificant,
}

impl Outcome {
    /// How the report prints it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reproduced => "reproduced",
            Self::SmallerThanClaimed => "smaller than claimed",
            Self::RuledOut => "ruled out",
            Self::Underpowered => "underpowered",
            Self::Opposite => "opposite",
            Self::BaselineDoesNotTrain => "not testable (baseline does not train)",
            Self::NotRun => "not run yet",
            Self::Higher => "higher",
            Self::Lower => "lower",
            Self::NotSignificant => "no significant difference",
        }
    }

    /// The label in the report's first, compact table, where the cell must stay short; the
    /// table's note says what the two shortened ones mean.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::BaselineDoesNotTrain => "not testable",
            Self::SmallerThanClaimed => "smaller",
            other => other.label(),
        }
    }
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The config name.
    pub title: String,
    /// `None` when no run has finished.
    pub overview: Option<Overview>,
    /// The pre-registered endpoints, the report's first table; `None` without records.
    pub endpoints: Option<Endpoints>,
    /// `None` when no run has finished.
    pub claims: Option<Claims>,
    /// For each dataset that ran several policies, DynamicPO's differences side by side.
    pub regimes: Vec<RegimeComparison>,
    /// One per (dataset, policy, setting), in that order.
    pub datasets: Vec<DatasetSection>,
    /// The runs that diverged and have no record; `None` when every run finished.
    pub failed_runs: Option<Table>,
    /// The context's Markdown blocks (environment, cards, config), in the harness's order.
    pub appendices: Vec<Appendix>,
}

/// What ran: the facts the report's first paragraph states.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub runs: usize,
    /// Distinct dataset names.
    pub datasets: usize,
    pub seeds: Vec<u64>,
    /// Every policy that ran, in full ("transformer over item ids only").
    pub policies: Vec<String>,
    /// The datasets whose cards say they are generated, in name order.
    pub synthetic: Vec<String>,
}

/// The verdict on every claim of docs/claims.md.
#[derive(Debug, Clone, Serialize)]
pub struct Claims {
    /// Whether several policies ran, so each claim has a verdict per policy.
    pub by_policy: bool,
    /// The datasets (with their setting when one ran several) that tested some claim, in name
    /// order: the verdict table gives each its own column, so that two variants of one
    /// dataset (`lastfm-raw`, `lastfm-dated`) are read side by side, never only pooled.
    pub datasets: Vec<String>,
    /// Per claim in docs/claims.md's order, one per policy (C5 one for all).
    pub verdicts: Vec<ClaimVerdict>,
    /// Labels of the datasets whose id-order baseline beats every method.
    pub ordering_artifacts: Vec<String>,
    /// Every claim's verdict rule, as the report prints it.
    pub rules: Vec<Rule>,
    /// How the tests behind the verdicts were run and corrected.
    pub statistics: VerdictStatistics,
}

/// The statistical choices every verdict of a report shares, stated with the report so that a
/// reader can check them (docs/claims.md, "Shared machinery").
#[derive(Debug, Clone, Serialize)]
pub struct VerdictStatistics {
    /// Two-sided level of every test, applied to Holm-adjusted p-values.
    pub alpha: f64,
    /// The multiple-comparison correction: "holm" (Holm–Bonferroni).
    pub correction: &'static str,
    /// Members of the Holm family: the distinct hypotheses whose p-value decides a verdict
    /// row of this report.
    pub family_size: usize,
    /// Paired seeds below which a paired comparison is inconclusive whatever its p.
    pub min_paired_seeds: usize,
    /// The power at which minimum detectable effects and seeds needed are stated.
    pub power: f64,
    /// The most seeds "seeds needed" searches; more is reported as `{"more_than": …}`.
    pub max_seeds: usize,
    /// "percentile": the bootstrap interval's kind.
    pub bootstrap: &'static str,
    pub bootstrap_resamples: usize,
    /// The bootstrap generator's fixed seed (ChaCha8), so a rebuilt report is identical.
    pub bootstrap_seed: u64,
}

/// One claim's verdict under one policy.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimVerdict {
    pub id: &'static str,
    pub claim: &'static str,
    /// The paper's evidence, quoted from docs/claims.md.
    pub paper: &'static str,
    /// The policy the verdict is for ("all backbones" for C5).
    pub policy: String,
    pub verdict: Verdict,
    /// True when only synthetic datasets were tested: the verdict checks the pipeline, it is
    /// no evidence about the paper.
    pub pipeline_check: bool,
    pub evidence: Evidence,
}

/// What a verdict rests on.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    /// What each dataset of the regime says, in name order: those that could test the claim
    /// (which the verdict combines) and those that could not (as not testable, with what is
    /// missing), so that every dataset column of the verdict table is filled.
    PerDataset(Vec<DatasetFinding>),
    /// One statement for all: why nothing could be tested, or C5's verdict across backbones.
    Overall(String),
}

/// One dataset's finding on one claim.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetFinding {
    /// The dataset's name, with its setting when it ran several.
    pub dataset: String,
    #[serde(flatten)]
    pub finding: Finding,
}

/// What one part (a dataset, a backbone) says about one claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub verdict: Verdict,
    /// The measured numbers (or, when not testable, what is missing).
    pub evidence: String,
    /// The tests the verdict rests on, as numbers; empty when none ran.
    pub tests: Vec<DecisiveTest>,
}

/// The kind of a [`DecisiveTest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Two-sided paired t-test of the per-seed differences (variant − base) against 0.
    PairedT,
    /// Two-sided t-test of a least-squares slope against 0 (C2).
    SlopeT,
}

/// One test a verdict rests on, with its effect size beside its p-values, so a reader sees how
/// large a difference is and how sure, not only whether it passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisiveTest {
    /// What is tested, e.g. "dynamicpo-dmpo − dmpo, test HR@1, K = 15".
    pub comparison: String,
    pub test: TestKind,
    /// Paired seeds, or points of a slope.
    pub n: usize,
    /// Δ (the mean of the per-seed differences) or the slope.
    pub effect: f64,
    /// The effect's 95% t interval; `null` when it cannot be computed.
    pub t_ci95: Option<(f64, f64)>,
    /// The percentile bootstrap 95% interval of Δ over the seeds' differences; `null` for a
    /// slope or below two pairs.
    pub bootstrap_ci95: Option<(f64, f64)>,
    /// The raw two-sided p-value.
    pub p: Option<f64>,
    /// The Holm-adjusted p-value that decides; `null` when the test is not in the family
    /// (fewer paired seeds than the minimum, or no p).
    pub p_holm: Option<f64>,
    /// The smallest |Δ| the paired t-test finds with 80% power at this n and the observed SD.
    pub mde80: Option<f64>,
    /// The paired seeds that would find the observed Δ with 80% power.
    pub seeds_needed: Option<SeedsNeeded>,
}

/// The verdict vocabulary of docs/claims.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every tested part shows the claimed effect, significantly.
    Reproduced,
    /// A tested part shows the opposite, significantly.
    NotReproduced,
    /// The spread across seeds does not separate the methods.
    Inconclusive,
    /// The matrix lacks the methods or K values, or the claim needs what prefbench lacks.
    NotTestable,
}

/// The words of docs/claims.md, as the report prints a verdict.
impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Reproduced => "reproduced",
            Self::NotReproduced => "not reproduced",
            Self::Inconclusive => "inconclusive",
            Self::NotTestable => "not testable here",
        })
    }
}

/// A claim's verdict rule.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub rule: &'static str,
}

/// DynamicPO − base per policy on one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct RegimeComparison {
    pub dataset: String,
    pub table: Table,
}

/// The results of one dataset under one policy and one setting.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetSection {
    pub name: String,
    /// What tells this section from the dataset's others: ` (policy)` when the report holds
    /// several policies, ` [setting=value]` when the dataset ran several settings.
    pub qualifier: String,
    /// The policy in full, whether or not the report holds others.
    pub policy: String,
    pub synthetic: bool,
    pub warnings: Warnings,
    /// Test HR@1 (the headline, with the last-epoch table), HR@5 and NDCG@5.
    pub metrics: Vec<MetricTables>,
    /// Test HR@1 after PO minus the run's SFT reference.
    pub lift: Table,
    /// `None` when the dataset's card has no trivial baselines.
    pub trivial: Option<Table>,
    /// DynamicPO against its base; `None` when no pair ran.
    pub pairs: Option<Table>,
    /// The paired differences behind `pairs`, drawn; `None` when no pair ran.
    pub pairs_figure: Option<Figure>,
    pub figures: Vec<Figure>,
    pub cost: Cost,
}

/// What must be read before a dataset's numbers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Warnings {
    /// PO lowers the SFT reference in most runs.
    pub lift: Option<LiftWarning>,
    /// Test HR@1 of the id-order baseline when it beats every method, the SFT reference and
    /// the other baselines: histories sorted by id.
    pub ordering_artifact: Option<f64>,
    /// Cells a trivial baseline beats.
    pub beaten: Option<Beaten>,
}

/// PO lowers the SFT reference in most runs.
#[derive(Debug, Clone, Serialize)]
pub struct LiftWarning {
    pub lowered: usize,
    pub runs: usize,
    /// Mean lift over all runs (NaN, shown as n/a, when not finite).
    pub mean_change: f64,
}

/// The cells trivial baselines beat.
#[derive(Debug, Clone, Serialize)]
pub struct Beaten {
    /// Cells with a value.
    pub of: usize,
    pub cells: Vec<BeatenCell>,
}

/// A cell whose mean test HR@1 is below some trivial baseline's.
#[derive(Debug, Clone, Serialize)]
pub struct BeatenCell {
    pub method: Method,
    pub k: usize,
    pub hr_at_1: f64,
    /// The baselines that beat it, strongest first, as (name, test HR@1).
    pub by: Vec<(String, f64)>,
}

/// One metric's tables.
#[derive(Debug, Clone, Serialize)]
pub struct MetricTables {
    /// "HR@1", "HR@5", "NDCG@5".
    pub metric: &'static str,
    /// At the selected epoch; its note gives the SFT reference.
    pub table: Table,
    /// The headline metric at the last epoch, without model selection.
    pub last_epoch: Option<Table>,
}

/// What a dataset's runs cost.
#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    /// Mean SFT and reference-cache seconds over the seeds that trained them; `None` when
    /// every run reused a cached SFT.
    pub sft_s: Option<f64>,
    pub reference_cache_s: Option<f64>,
    /// Seeds that trained an SFT reference.
    pub seeds: usize,
    pub per_method: Table,
    pub po_wall_clock: Table,
    /// DynamicPO's step-time overhead over its base; `None` when no pair ran.
    pub overhead: Option<Table>,
    /// Where a run's time goes, stage by stage ([`crate::analysis::stages`]); `None` when no
    /// record carries a stage profile (records of older versions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages: Option<Table>,
    /// How many of the section's runs shared the machine with runs of other processes while
    /// their PO trained ([`crate::analysis::sharing`]).
    pub machine_sharing: SharingSummary,
}

/// How a section's runs trained, among the runs the report read: alone on their machine, or
/// beside runs of other processes, or not said by their records (written before schema 4, or
/// on a system without a boot id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SharingSummary {
    /// Runs with no other process's run on their machine during their PO window.
    pub alone: usize,
    /// Runs that shared their machine with runs of other processes.
    pub shared: usize,
    /// The most other processes any one run shared with.
    pub most_processes: usize,
    /// Runs whose records do not say.
    pub unknown: usize,
}

/// A dataset's rendered charts: the paired difference, shown with the pairs table, and the
/// rest, shown under "Figures".
pub(crate) struct SectionFigures {
    pub pairs: Option<Figure>,
    pub others: Vec<Figure>,
}

/// A rendered chart, as the report links it.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What the chart shows, its alt text.
    pub caption: String,
    /// Paths relative to the report's directory.
    pub svg: String,
    pub png: String,
}

/// A block of the context, copied verbatim.
#[derive(Debug, Clone, Serialize)]
pub struct Appendix {
    pub heading: String,
    /// Markdown.
    pub body: String,
}

/// A table: what every tabular part of a report (and `compare`) is, so that one renderer per
/// format prints them all alike.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    /// What the table shows, printed before it.
    pub title: Option<String>,
    pub columns: Vec<Column>,
    /// Each as long as `columns`.
    pub rows: Vec<Vec<Value>>,
    /// Printed after it.
    pub notes: Vec<String>,
}

impl Table {
    /// A table without notes; add them after.
    pub fn new(title: Option<String>, columns: Vec<Column>, rows: Vec<Vec<Value>>) -> Self {
        Self {
            title,
            columns,
            rows,
            notes: Vec::new(),
        }
    }
}

/// A column's heading and how its cells align: text left, numbers right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    pub align: Align,
}

/// How a column's cells align.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Text.
    Left,
    /// Numbers, so digits line up.
    Right,
}

impl Column {
    /// A column of text.
    pub fn left(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            align: Align::Left,
        }
    }

    /// A column of numbers.
    pub fn right(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            align: Align::Right,
        }
    }
}

/// A table cell, typed so that each format prints it its own way: the Markdown as text with
/// fixed decimals (`format`), the JSON with numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Free text, a label.
    Text(String),
    /// Text the reader must not miss (a regression).
    Strong(String),
    /// A method, by its name.
    Method(Method),
    /// Runs, seeds, pairs, a K.
    Count(usize),
    /// A value with a fixed number of decimals.
    Number { value: f64, decimals: usize },
    /// A difference, printed with its sign.
    Signed { value: f64, decimals: usize },
    /// A fraction, printed as a percentage.
    Share(f64),
    /// Mean ± std over seeds with the 95% t interval clamped to `bounds`; `signed` for a
    /// difference.
    Summary {
        summary: Summary,
        bounds: Bounds,
        signed: bool,
    },
    /// Mean ± std over seeds without an interval, for times and losses.
    Spread { summary: Summary, decimals: usize },
    /// A mean over `n` seeds (pairs); `signed` for a difference.
    Mean { mean: f64, n: usize, signed: bool },
    /// A test's p-value; `None` when the test could not run.
    P(Option<f64>),
    /// A step-time ratio, printed with the relative change it means.
    Ratio(f64),
    /// A relative change (0.1 is +10%).
    Change(f64),
    /// A confidence interval.
    Interval { lo: f64, hi: f64, decimals: usize },
    /// The last epoch's mean over `n` seeds and the epoch selection kept in each of `of`.
    LastEpoch {
        mean: f64,
        n: usize,
        kept: Vec<usize>,
        of: usize,
    },
    /// No finished run has this cell.
    Missing,
}

/// JSON readers get numbers as numbers (NaN and infinities as `null`), summaries as objects.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Text(text) | Value::Strong(text) => serializer.serialize_str(text),
            Value::Method(method) => serializer.serialize_str(method.name()),
            Value::Count(n) => serializer.serialize_u64(*n as u64),
            Value::Number { value, .. }
            | Value::Signed { value, .. }
            | Value::Share(value)
            | Value::Ratio(value)
            | Value::Change(value) => serializer.serialize_f64(*value),
            Value::Summary {
                summary, bounds, ..
            } => {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("mean", &summary.mean)?;
                map.serialize_entry("std", &summary.std)?;
                map.serialize_entry("ci95", &bounds.interval(summary))?;
                map.serialize_entry("n", &summary.n)?;
                map.end()
            }
            Value::Spread { summary, .. } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("mean", &summary.mean)?;
                map.serialize_entry("std", &summary.std)?;
                map.serialize_entry("n", &summary.n)?;
                map.end()
            }
            Value::Mean { mean, n, .. } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("mean", mean)?;
                map.serialize_entry("n", n)?;
                map.end()
            }
            Value::P(p) => p.serialize(serializer),
            Value::Interval { lo, hi, .. } => [lo, hi].serialize(serializer),
            Value::LastEpoch { mean, n, kept, of } => {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("mean", mean)?;
                map.serialize_entry("n", n)?;
                map.serialize_entry("kept", kept)?;
                map.serialize_entry("of", of)?;
                map.end()
            }
            Value::Missing => serializer.serialize_none(),
        }
    }
}

/// The range a quantity can take; confidence intervals are clamped to it, since a t interval
/// of a rate over two seeds easily reaches below 0 or above 1, where no value can lie.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub lower: f64,
    pub upper: f64,
}

/// Rates and ranking metrics: HR@k, NDCG, win rates, gradient shares.
pub const UNIT: Bounds = Bounds {
    lower: 0.0,
    upper: 1.0,
};
/// A difference of two rates.
pub const UNIT_DIFFERENCE: Bounds = Bounds {
    lower: -1.0,
    upper: 1.0,
};
/// Times, losses, ratios: never negative.
pub const NON_NEGATIVE: Bounds = Bounds {
    lower: 0.0,
    upper: f64::INFINITY,
};

impl Bounds {
    /// `value` clamped into the bounds (NaN stays NaN).
    pub fn clamp(self, value: f64) -> f64 {
        value.max(self.lower).min(self.upper)
    }

    /// The 95% t confidence interval of `s`, clamped; `None` for one seed or non-finite
    /// values.
    pub fn interval(self, s: &Summary) -> Option<(f64, f64)> {
        s.ci95().map(|(lo, hi)| (self.clamp(lo), self.clamp(hi)))
    }
}
