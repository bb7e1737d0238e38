//! The pre-registered analysis (docs/claims.md, "Pre-registered analysis"): every endpoint of
//! [`catalogue`] on each artifact-free dataset under each protocol, computed once. Each test is
//! kept in one list; families are sets of its indices, so an adjusted p is joined to its test by
//! position in that list, never by a formatted name, and no test can miss its family.
//!
//! Primaries: Holm within each protocol (the tuned protocol's family is the pre-registered one;
//! the paper protocol's runs predate the plan), plus the outcome under the alternative families
//! (none, per claim, per claim × dataset) and at the last epoch. Secondaries:
//! Benjamini–Hochberg within each protocol, exploratory.
mod catalogue;
mod outcome;

use super::claims::MIN_PAIRED_SEEDS;
use super::dataset::DatasetResults;
use super::metric::{last_epoch_test, reward_win_rate};
use crate::model::{
    AlternativeFamily, EndpointRow, EndpointStatistics, EndpointTest, Endpoints, EpochTest, Outcome,
};
use catalogue::{Base, Endpoint, Measure, DATASETS, PRIMARIES, SECONDARIES};
use prefbench_results::inference::{benjamini_hochberg, hierarchical_bootstrap_ci, RelativeLift};
use prefbench_results::stats::{holm, PairedEffect, ALPHA, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED};
use prefbench_results::{Protocol, RunRecord};
use prefbench_vocabulary::{Architecture, ItemText, Method, SampleRanks};
use std::collections::BTreeMap;

/// Which checkpoint a test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Epoch {
    Selected,
    Last,
}

/// One comparison measured at one checkpoint.
struct Measured {
    effect: PairedEffect,
    base_mean: f64,
    relative: Option<RelativeLift>,
    hierarchical: Option<(f64, f64)>,
}

impl Measured {
    /// The p that enters a family: only with enough paired seeds.
    fn p(&self) -> Option<f64> {
        self.effect.p.filter(|_| self.effect.n >= MIN_PAIRED_SEEDS)
    }
}

/// One endpoint on one section (or its absence).
struct Row<'a> {
    endpoint: Endpoint,
    primary: bool,
    protocol: Option<Protocol>,
    dataset: String,
    data: Option<&'a DatasetResults<'a>>,
    selected: Option<Measured>,
    last: Option<Measured>,
    /// The base method's mean test HR@1 stays below its SFT reference's (a plug-in claim on it
    /// cannot be tested).
    base_untrained: bool,
}

/// The sections the endpoints are decided on: the artifact-free real datasets under the
/// titles-reading transformer; when a report has none of them (the demo), every section, so
/// the machinery shows itself as a pipeline check.
fn decisive<'a>(datasets: &'a [DatasetResults<'a>]) -> (Vec<&'a DatasetResults<'a>>, bool) {
    let real: Vec<&DatasetResults> = datasets
        .iter()
        .filter(|d| !d.synthetic && DATASETS.contains(&d.name))
        .filter(|d| {
            d.regime.architecture == Architecture::Transformer
                && d.regime.item_text == ItemText::Minilm
        })
        .collect();
    match real.is_empty() {
        true => (datasets.iter().collect(), true),
        false => (real, false),
    }
}

/// The endpoints of a report; `None` when it has no records.
pub(crate) fn endpoints(datasets: &[DatasetResults]) -> Option<Endpoints> {
    if datasets.is_empty() {
        return None;
    }
    let (sections, pipeline_check) = decisive(datasets);
    let mut rows = Vec::new();
    for (catalogue, primary) in [(&PRIMARIES[..], true), (&SECONDARIES[..], false)] {
        for protocol in [Some(Protocol::Tuned), None] {
            let of_protocol: Vec<&DatasetResults> = sections
                .iter()
                .copied()
                .filter(|d| d.protocol() == protocol)
                .collect();
            for endpoint in catalogue {
                for &data in &of_protocol {
                    let endpoint = match pipeline_check {
                        true => at_shared_k(endpoint, data),
                        false => *endpoint,
                    };
                    let row = measure(endpoint, primary, protocol, data);
                    // A secondary whose methods this matrix did not run is left out; a primary
                    // is listed whatever (the table holds what was registered), but in a
                    // pipeline check only what the matrix ran.
                    if (primary && !pipeline_check) || row.selected.is_some() {
                        rows.push(row);
                    }
                }
                // A pre-registered primary on a dataset this protocol has not run yet is listed
                // as such.
                if primary && !pipeline_check {
                    let missing = DATASETS
                        .iter()
                        .filter(|name| !of_protocol.iter().any(|d| d.name == **name));
                    for dataset in missing {
                        rows.push(Row {
                            endpoint: *endpoint,
                            primary,
                            protocol,
                            dataset: dataset.to_string(),
                            data: None,
                            selected: None,
                            last: None,
                            base_untrained: false,
                        });
                    }
                }
            }
        }
    }
    Some(decide(rows, pipeline_check))
}

/// A pipeline check's endpoint at the K its data ran: the endpoint's own K when both sides ran
/// it, else the largest K they share (the demo runs small K).
fn at_shared_k(endpoint: &Endpoint, data: &DatasetResults) -> Endpoint {
    let Base::Method(base, base_k) = endpoint.base else {
        return *endpoint;
    };
    if base_k != endpoint.k {
        return *endpoint;
    }
    let shared = data.ks_of(endpoint.variant);
    let shared: Vec<usize> = shared.intersection(&data.ks_of(base)).copied().collect();
    match shared.contains(&endpoint.k) {
        true => *endpoint,
        false => shared.last().map_or(*endpoint, |&k| Endpoint {
            k,
            base: Base::Method(base, k),
            ..*endpoint
        }),
    }
}

fn measure<'a>(
    endpoint: Endpoint,
    primary: bool,
    protocol: Option<Protocol>,
    data: &'a DatasetResults<'a>,
) -> Row<'a> {
    Row {
        endpoint,
        primary,
        protocol,
        dataset: format!("{}{}", data.name, data.setting_note_beyond_protocol()),
        data: Some(data),
        selected: compare(&endpoint, data, Epoch::Selected),
        last: compare(&endpoint, data, Epoch::Last),
        base_untrained: base_untrained(&endpoint, data),
    }
}

/// A run's value of `measure` at `epoch`; the reward win rate has no per-epoch value.
fn value(record: &RunRecord, measure: Measure, epoch: Epoch) -> Option<f64> {
    match (measure, epoch) {
        (Measure::TestHr1, Epoch::Selected) => Some(record.test.hr_at_1),
        (Measure::TestHr1, Epoch::Last) => last_epoch_test(record).map(|m| m.hr_at_1),
        (Measure::RewardWinRate, Epoch::Selected) => reward_win_rate(record),
        (Measure::RewardWinRate, Epoch::Last) => None,
    }
}

/// A run's per-sample test ranks at `epoch`, when its record keeps them.
fn ranks(record: &RunRecord, epoch: Epoch) -> Option<&SampleRanks> {
    let ranks = record.ranks.as_ref()?;
    Some(match epoch {
        Epoch::Selected => &ranks.test,
        Epoch::Last => &ranks.last_test,
    })
}

/// Each seed's run of `method` at `k`.
fn by_seed<'a>(
    data: &DatasetResults<'a>,
    method: Method,
    k: usize,
) -> BTreeMap<u64, &'a RunRecord> {
    data.runs(method)
        .filter(|r| r.cell.k == k)
        .map(|r| (r.seed, r))
        .collect()
}

/// The paired comparison of `endpoint` on `data` at `epoch`, over the seeds both sides ran.
fn compare(endpoint: &Endpoint, data: &DatasetResults, epoch: Epoch) -> Option<Measured> {
    let variants = by_seed(data, endpoint.variant, endpoint.k);
    let bases_by_seed = match endpoint.base {
        Base::Sft => BTreeMap::new(),
        Base::Method(method, k) => by_seed(data, method, k),
    };
    let mut diffs = Vec::new();
    let mut bases = Vec::new();
    let mut hits = Vec::new();
    for (seed, variant) in &variants {
        let v = value(variant, endpoint.measure, epoch)?;
        let (b, base_ranks) = match endpoint.base {
            Base::Sft => (variant.sft.test.hr_at_1, None),
            Base::Method(..) => {
                let Some(base) = bases_by_seed.get(seed) else {
                    continue;
                };
                (value(base, endpoint.measure, epoch)?, ranks(base, epoch))
            }
        };
        diffs.push(v - b);
        bases.push(b);
        if let (Measure::TestHr1, Some(vr), Some(br)) =
            (endpoint.measure, ranks(variant, epoch), base_ranks)
        {
            hits.push((vr.hits_at_1(), br.hits_at_1()));
        }
    }
    let effect = PairedEffect::of(&diffs)?;
    let base_mean = bases.iter().sum::<f64>() / bases.len() as f64;
    let hierarchical = (hits.len() == diffs.len())
        .then(|| hierarchical_bootstrap_ci(&hits, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED))
        .flatten();
    Some(Measured {
        relative: RelativeLift::of(&effect, base_mean),
        effect,
        base_mean,
        hierarchical,
    })
}

/// Whether the base of a plug-in comparison ends below its SFT reference (mean test HR@1 over
/// its seeds): then DynamicPO is compared with a method that does not train.
fn base_untrained(endpoint: &Endpoint, data: &DatasetResults) -> bool {
    let Base::Method(method @ Method::Base(_), k) = endpoint.base else {
        return false;
    };
    let runs: Vec<&RunRecord> = by_seed(data, method, k).into_values().collect();
    let mean = |f: &dyn Fn(&RunRecord) -> f64| {
        runs.iter().map(|r| f(r)).sum::<f64>() / runs.len().max(1) as f64
    };
    !runs.is_empty() && mean(&|r| r.test.hr_at_1) < mean(&|r| r.sft.test.hr_at_1)
}

/// A family: the rows it holds and how it adjusts their p.
struct Family {
    name: &'static str,
    members: Vec<usize>,
    adjust: fn(&[f64]) -> Vec<f64>,
}

impl Family {
    /// Adjusted p of each member at `epoch`, by row index.
    fn adjusted(&self, rows: &[Row], epoch: Epoch) -> BTreeMap<usize, f64> {
        let tested: Vec<(usize, f64)> = self
            .members
            .iter()
            .filter_map(|&i| Some((i, measured(&rows[i], epoch)?.p()?)))
            .collect();
        let p: Vec<f64> = tested.iter().map(|(_, p)| *p).collect();
        tested
            .iter()
            .map(|(i, _)| *i)
            .zip((self.adjust)(&p))
            .collect()
    }
}

fn measured<'r>(row: &'r Row, epoch: Epoch) -> Option<&'r Measured> {
    match epoch {
        Epoch::Selected => row.selected.as_ref(),
        Epoch::Last => row.last.as_ref(),
    }
}

fn unadjusted(p: &[f64]) -> Vec<f64> {
    p.to_vec()
}

/// Rows grouped by `key`, each group one family.
fn families<K: Ord>(
    rows: &[Row],
    name: &'static str,
    adjust: fn(&[f64]) -> Vec<f64>,
    keep: impl Fn(&Row) -> bool,
    key: impl Fn(&Row) -> K,
) -> Vec<Family> {
    let mut groups: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate().filter(|(_, r)| keep(r)) {
        groups.entry(key(row)).or_default().push(i);
    }
    groups
        .into_values()
        .map(|members| Family {
            name,
            members,
            adjust,
        })
        .collect()
}

/// Adjusted p of every row of every family in `families`, by row index.
fn adjust_all(
    families: &[Family],
    rows: &[Row],
    epoch: Epoch,
) -> BTreeMap<usize, (&'static str, f64)> {
    families
        .iter()
        .flat_map(|f| {
            f.adjusted(rows, epoch)
                .into_iter()
                .map(move |(i, p)| (i, (f.name, p)))
        })
        .collect()
}

fn decide(rows: Vec<Row>, pipeline_check: bool) -> Endpoints {
    let protocol = |r: &Row| r.protocol;
    let decisive = families(&rows, "holm", holm, |r| r.primary, protocol);
    let exploratory = families(
        &rows,
        "benjamini-hochberg",
        benjamini_hochberg,
        |r| !r.primary,
        protocol,
    );
    let all: Vec<Family> = decisive.into_iter().chain(exploratory).collect();
    let selected = adjust_all(&all, &rows, Epoch::Selected);
    let last = adjust_all(&all, &rows, Epoch::Last);
    let alternatives = [
        families(
            &rows,
            "none",
            unadjusted,
            |r| r.primary,
            |r| (r.protocol, r.endpoint.id, r.dataset.clone()),
        ),
        families(
            &rows,
            "holm per claim",
            holm,
            |r| r.primary,
            |r| (r.protocol, r.endpoint.claim),
        ),
        families(
            &rows,
            "holm per claim × dataset",
            holm,
            |r| r.primary,
            |r| (r.protocol, r.endpoint.claim, r.dataset.clone()),
        ),
    ];
    let alternatives: Vec<BTreeMap<usize, (&'static str, f64)>> = alternatives
        .iter()
        .map(|f| adjust_all(f, &rows, Epoch::Selected))
        .collect();
    let out = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let paper = row
                .endpoint
                .paper
                .map(|s| s.on(row.data.map_or(&row.dataset, |d| d.name)));
            // The pre-registered rule: a tuned base that stays below SFT cannot test a plug-in.
            let untestable = row.base_untrained && row.primary && row.protocol.is_some();
            let epoch_test = |m: &Measured, adjusted: Option<f64>| {
                let outcome = match (untestable, row.primary) {
                    (true, _) => Outcome::BaselineDoesNotTrain,
                    (false, true) => outcome::classify(
                        m.effect.mean,
                        adjusted,
                        m.relative.and_then(|r| r.ci),
                        paper,
                    ),
                    (false, false) => outcome::direction(m.effect.mean, adjusted),
                };
                EpochTest {
                    effect: m.effect.mean,
                    t_ci95: m.effect.t_ci,
                    p: m.effect.p,
                    p_adjusted: adjusted,
                    outcome,
                }
            };
            let test = row.selected.as_ref().map(|m| {
                let adjusted = selected.get(&i).map(|(_, p)| *p);
                EndpointTest {
                    n: m.effect.n,
                    base_mean: m.base_mean,
                    hierarchical_ci95: m.hierarchical,
                    relative_lift: m.relative.map(|r| r.lift),
                    relative_ci95: m.relative.and_then(|r| r.ci),
                    seeds_needed: m.effect.seeds_needed,
                    at_selected: epoch_test(m, adjusted),
                    at_last: row
                        .last
                        .as_ref()
                        .map(|l| epoch_test(l, last.get(&i).map(|(_, p)| *p))),
                    alternatives: alternatives
                        .iter()
                        .filter_map(|a| a.get(&i))
                        .map(|&(family, p)| AlternativeFamily {
                            family,
                            p_adjusted: p,
                            outcome: epoch_test(m, Some(p)).outcome,
                        })
                        .collect(),
                }
            });
            EndpointRow {
                id: row.endpoint.id,
                claim: row.endpoint.claim,
                primary: row.primary,
                protocol: Protocol::name_of(row.protocol),
                pre_registered: row.protocol.is_some(),
                dataset: row.dataset.clone(),
                comparison: comparison(&row.endpoint),
                paper_relative: paper,
                outcome: test
                    .as_ref()
                    .map_or(Outcome::NotRun, |t| t.at_selected.outcome),
                base_below_sft: row.base_untrained,
                test,
            }
        })
        .collect();
    Endpoints {
        pipeline_check,
        statistics: EndpointStatistics {
            alpha: ALPHA,
            min_paired_seeds: MIN_PAIRED_SEEDS,
            hierarchical_resamples: BOOTSTRAP_RESAMPLES,
            bootstrap_seed: BOOTSTRAP_SEED,
        },
        rows: out,
    }
}

/// The paper's relative lift of `variant` over `base` in test HR@1 on `dataset` and the K it
/// was measured at, when a primary endpoint compares the two (the paired-difference chart
/// draws it as a reference); `None` for comparisons the paper gave no number for.
pub(crate) fn paper_lift(variant: Method, base: Method, dataset: &str) -> Option<(usize, f64)> {
    let endpoint = PRIMARIES.iter().find(|e| {
        e.variant == variant
            && e.measure == Measure::TestHr1
            && matches!(e.base, Base::Method(m, _) if m == base)
    })?;
    Some((endpoint.k, endpoint.paper?.on(dataset)))
}

/// `variant − base, measure, K = k` as the table prints it.
fn comparison(e: &Endpoint) -> String {
    let measure = match e.measure {
        Measure::TestHr1 => "HR@1",
        Measure::RewardWinRate => "reward win rate",
    };
    let base = match e.base {
        Base::Sft => "SFT".to_string(),
        Base::Method(m, k) if k != e.k => format!("{m} (K = {k})"),
        Base::Method(m, _) => m.to_string(),
    };
    format!("{} − {base}, {measure}, K = {}", e.variant, e.k)
}
