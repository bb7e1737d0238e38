//! What runs cost: wall-clock per stage and method, DynamicPO's overhead over its base, and
//! peak memory. Timings are single measurements on a shared machine, so DynamicPO's overhead
//! is measured on paired runs (same dataset, policy, setting, K and seed), whose order the
//! harness balances (the runs of a group are interleaved, so no method is systematically
//! first and a warming machine favours none), with an interval over the pairs.
use super::dataset::DatasetResults;
use super::metric::{po_seconds, step_ms};
use super::pairs::pairs;
use super::stages;
use crate::model::{Column, Cost, Table, Value, NON_NEGATIVE};
use prefbench_results::stats::{mean, Summary};
use prefbench_results::RunRecord;
use prefbench_vocabulary::Method;
use std::collections::BTreeMap;

/// One paired measurement of DynamicPO's step-time overhead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StepPair {
    /// Median PO step time of DynamicPO-X over X's.
    pub ratio: f64,
    /// Share of the DynamicPO step spent in selection + β.
    pub selection_share: f64,
}

/// DynamicPO's step-time overhead over a set of pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Overhead {
    /// The step time ratio over pairs.
    pub ratio: Summary,
    /// The 95% t interval of the mean ratio; `None` below two pairs.
    pub ci: Option<(f64, f64)>,
    /// Mean selection + β share of a DynamicPO step over the pairs.
    pub selection_share: f64,
}

impl Overhead {
    /// Summarises pairs; `None` without any.
    pub fn of(pairs: &[StepPair]) -> Option<Self> {
        let mut ratios: Vec<f64> = pairs.iter().map(|p| p.ratio).collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = Summary::of(&ratios)?;
        let mut shares: Vec<f64> = pairs.iter().map(|p| p.selection_share).collect();
        shares.sort_by(f64::total_cmp);
        Some(Self {
            ratio,
            ci: NON_NEGATIVE.interval(&ratio),
            selection_share: mean(&shares).unwrap_or(f64::NAN),
        })
    }
}

/// The paired step-time ratios of `variant` over `base`, one per (K, seed) both ran and timed
/// alike, and how many pairs were left out for being timed unalike.
pub(crate) struct StepPairs {
    pub pairs: Vec<StepPair>,
    /// Pairs whose two runs were timed by different builds, devices, CPUs or thread counts:
    /// such runs ran in different sessions, whose machine load differs more than DynamicPO's
    /// overhead, so their ratio measures the session, not the method.
    pub unlike: usize,
}

/// Whether two runs' step times compare: the same build (`environment.git_commit`), CPU
/// model, device and threads.
fn timed_alike(a: &RunRecord, b: &RunRecord) -> bool {
    let (x, y) = (&a.environment, &b.environment);
    a.device == b.device
        && a.threads == b.threads
        && x.git_commit == y.git_commit
        && x.cpu_model == y.cpu_model
}

/// The step pairs of `variant` over `base` (see [`StepPairs`]).
pub(crate) fn step_pairs(data: &DatasetResults, variant: Method, base: Method) -> StepPairs {
    let mut found = StepPairs {
        pairs: Vec::new(),
        unlike: 0,
    };
    for k in data.ks_of(variant) {
        let at_k = |m: Method| -> BTreeMap<u64, &RunRecord> {
            data.runs(m)
                .filter(|r| r.cell.k == k)
                .map(|r| (r.seed, r))
                .collect()
        };
        let bases = at_k(base);
        for (seed, v) in at_k(variant) {
            let (Some(b), Some(v_ms)) = (bases.get(&seed), step_ms(v)) else {
                continue;
            };
            let Some(b_ms) = step_ms(b) else { continue };
            if !timed_alike(v, b) {
                found.unlike += 1;
                continue;
            }
            found.pairs.push(StepPair {
                ratio: v_ms / b_ms,
                selection_share: v.timings.selection_share,
            });
        }
    }
    found
}

/// The cost subsection of a dataset.
pub(crate) fn section(data: &DatasetResults) -> Cost {
    // One SFT per seed: every record of a seed carries the same reference timings.
    let paid: Vec<&RunRecord> = data
        .methods()
        .into_iter()
        .flat_map(|m| data.runs(m))
        .filter(|r| !r.timings.sft_cached)
        .map(|r| (r.seed, r))
        .collect::<std::collections::BTreeMap<u64, &RunRecord>>()
        .into_values()
        .collect();
    let stage = |f: fn(&RunRecord) -> f64| mean(&paid.iter().map(|r| f(r)).collect::<Vec<_>>());
    let po_s = data.cells(po_seconds);
    let po_wall_clock = data.table("PO wall-clock (s) per method and K:", |method, k| {
        po_s.get(method, k)
            .map_or(Value::Missing, |s| Value::Spread {
                summary: *s,
                decimals: 2,
            })
    });
    Cost {
        sft_s: stage(|r| r.timings.sft_s),
        reference_cache_s: stage(|r| r.timings.reference_cache_s),
        seeds: paid.len(),
        per_method: per_method(data),
        po_wall_clock,
        overhead: overhead(data),
        stages: stages::profile(data).as_ref().map(stages::table),
        machine_sharing: data.sharing_summary(),
    }
}

/// Per method over all its runs: mean stage times, median step, selection share and peak
/// memory.
fn per_method(data: &DatasetResults) -> Table {
    let rows = data
        .methods()
        .into_iter()
        .map(|method| {
            let runs: Vec<&RunRecord> = data.runs(method).collect();
            let avg = |f: fn(&RunRecord) -> f64| {
                mean(&runs.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(f64::NAN)
            };
            let peak = runs
                .iter()
                .map(|r| r.timings.peak_rss_mib)
                .fold(f64::NEG_INFINITY, f64::max);
            let two = |value| Value::Number { value, decimals: 2 };
            vec![
                Value::Method(method),
                Value::Count(runs.len()),
                two(avg(|r| r.timings.po_s)),
                two(avg(|r| r.timings.eval_s)),
                two(avg(|r| r.timings.po_step_median_ms)),
                Value::Share(avg(|r| r.timings.selection_share)),
                Value::Number {
                    value: peak,
                    decimals: 0,
                },
            ]
        })
        .collect();
    Table::new(
        Some(
            "Per method, over all its runs: mean wall-clock of PO training and of evaluation, \
             median PO step, DynamicPO's selection + β share of a step, and the largest peak \
             resident memory (VmHWM of the process, so it includes SFT and earlier runs)."
                .into(),
        ),
        vec![
            Column::left("method"),
            Column::right("runs"),
            Column::right("PO (s)"),
            Column::right("eval (s)"),
            Column::right("PO step (ms)"),
            Column::right("selection share"),
            Column::right("peak memory (MiB)"),
        ],
        rows,
    )
}

/// DynamicPO's step-time overhead over its base, per pair; `None` without a pair.
fn overhead(data: &DatasetResults) -> Option<Table> {
    let pairs = pairs(data);
    if pairs.is_empty() {
        return None;
    }
    let rows = pairs
        .into_iter()
        .map(|(variant, base)| {
            let mut row = vec![Value::Method(variant), Value::Method(base)];
            row.extend(match Overhead::of(&step_pairs(data, variant, base).pairs) {
                Some(o) => [
                    Value::Ratio(o.ratio.mean),
                    o.ci.map_or(Value::Missing, |(lo, hi)| Value::Interval {
                        lo,
                        hi,
                        decimals: 3,
                    }),
                    Value::Share(o.selection_share),
                    Value::Count(o.ratio.n),
                ],
                None => [
                    Value::Missing,
                    Value::Missing,
                    Value::Missing,
                    Value::Count(0),
                ],
            });
            row
        })
        .collect();
    Some(Table::new(
        Some(
            "DynamicPO's overhead: the ratio of median PO step times, variant over base, per \
             paired run (same K and seed, timed by the same build, CPU and threads; the runs \
             of a group are interleaved, so run order is balanced), with a 95% t confidence interval over the pairs, and the mean \
             share of a DynamicPO step spent in selection + β:"
                .into(),
        ),
        vec![
            Column::left("variant"),
            Column::left("base"),
            Column::right("step time ratio"),
            Column::right("95% CI"),
            Column::right("selection + β share"),
            Column::right("pairs"),
        ],
        rows,
    ))
}
