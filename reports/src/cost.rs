//! What runs cost: wall-clock per stage and method, DynamicPO's overhead over its base, and
//! peak memory. Timings are single measurements on a shared machine, so DynamicPO's overhead
//! is measured on paired runs (same dataset, policy, setting, K and seed), whose order the
//! harness balances (the runs of a group are interleaved, so no method is systematically
//! first and a warming machine favours none), with an interval over the pairs.
use crate::dataset::{po_seconds, step_ms, DatasetResults};
use crate::format::{interval, number, percent, short_summary, signed, MISSING, NON_NEGATIVE};
use crate::markdown::table;
use crate::pairs::pairs;
use prefbench_results::stats::{mean, Summary};
use prefbench_results::RunRecord;
use prefbench_vocabulary::Method;

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
            ci: interval(&ratio, NON_NEGATIVE),
            selection_share: mean(&shares).unwrap_or(f64::NAN),
        })
    }
}

/// A step time ratio as `1.034× (+3.4%)`.
pub(crate) fn ratio_text(ratio: f64) -> String {
    format!(
        "{}× ({}%)",
        number(ratio, 3),
        signed(100.0 * (ratio - 1.0), 1)
    )
}

/// The paired step-time ratios of `variant` over `base`, one per (K, seed) both ran.
pub(crate) fn step_pairs(data: &DatasetResults, variant: Method, base: Method) -> Vec<StepPair> {
    data.ks_of(variant)
        .into_iter()
        .flat_map(|k| {
            let base_ms = data.per_seed(base, k, step_ms);
            let shares = data.per_seed(variant, k, |r| Some(r.timings.selection_share));
            data.per_seed(variant, k, step_ms)
                .into_iter()
                .filter_map(move |(seed, ms)| {
                    Some(StepPair {
                        ratio: ms / *base_ms.get(&seed)?,
                        selection_share: *shares.get(&seed)?,
                    })
                })
        })
        .collect()
}

/// The cost subsection of a dataset.
pub(crate) fn section(data: &DatasetResults) -> String {
    let mut out = String::from("### Cost\n\n");
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
    let stage = |f: fn(&RunRecord) -> f64| {
        mean(&paid.iter().map(|r| f(r)).collect::<Vec<_>>())
            .map_or(MISSING.to_string(), |s| format!("{} s", number(s, 2)))
    };
    out += &format!(
        "Shared by all methods of a seed: SFT {} and reference log-likelihood cache {} (mean \
         over the {} seed(s) that trained them).\n\n",
        stage(|r| r.timings.sft_s),
        stage(|r| r.timings.reference_cache_s),
        paid.len()
    );
    out += "Per method, over all its runs: mean wall-clock of PO training and of evaluation, \
            median PO step, DynamicPO's selection + β share of a step, and the largest peak \
            resident memory (VmHWM of the process, so it includes SFT and earlier runs).\n\n\
            | method | runs | PO (s) | eval (s) | PO step (ms) | selection share | peak memory (MiB) |\n\
            |:--|--:|--:|--:|--:|--:|--:|\n";
    for method in data.methods() {
        let runs: Vec<&RunRecord> = data.runs(method).collect();
        let avg = |f: fn(&RunRecord) -> f64| {
            mean(&runs.iter().map(|r| f(r)).collect::<Vec<_>>()).unwrap_or(f64::NAN)
        };
        let peak = runs
            .iter()
            .map(|r| r.timings.peak_rss_mib)
            .fold(f64::NEG_INFINITY, f64::max);
        out += &format!(
            "| {method} | {} | {} | {} | {} | {} | {} |\n",
            runs.len(),
            number(avg(|r| r.timings.po_s), 2),
            number(avg(|r| r.timings.eval_s), 2),
            number(avg(|r| r.timings.po_step_median_ms), 2),
            percent(avg(|r| r.timings.selection_share)),
            number(peak, 0),
        );
    }
    let po_s = data.cells(po_seconds);
    out += "\nPO wall-clock (s) per method and K:\n\n";
    out += &table(&data.methods(), &data.ks(), |method, k| {
        po_s.get(method, k)
            .map_or(MISSING.into(), |s| short_summary(s, 2))
    });
    let pairs = pairs(data);
    if !pairs.is_empty() {
        out += "DynamicPO's overhead: the ratio of median PO step times, variant over base, per \
                paired run (same K and seed; the runs of a group are interleaved, so run order \
                is balanced), with a 95% t confidence interval over the pairs, and the mean \
                share of a DynamicPO step spent in selection + β:\n\n\
                | variant | base | step time ratio | 95% CI | selection + β share | pairs |\n\
                |:--|:--|--:|--:|--:|--:|\n";
        for (variant, base) in pairs {
            let row = match Overhead::of(&step_pairs(data, variant, base)) {
                Some(o) => {
                    let ci = o.ci.map_or(MISSING.into(), |(lo, hi)| {
                        format!("{} … {}", number(lo, 3), number(hi, 3))
                    });
                    format!(
                        "{} | {ci} | {} | {}",
                        ratio_text(o.ratio.mean),
                        percent(o.selection_share),
                        o.ratio.n
                    )
                }
                None => format!("{MISSING} | {MISSING} | {MISSING} | 0"),
            };
            out += &format!("| {variant} | {base} | {row} |\n");
        }
        out.push('\n');
    }
    out
}
