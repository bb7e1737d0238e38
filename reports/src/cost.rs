//! What runs cost: wall-clock per stage and method, DynamicPO's overhead over its base, and
//! peak memory. Timings are single measurements on a shared machine, so every comparison is
//! over seeds with an interval.
use crate::dataset::{po_seconds, step_ms, DatasetResults};
use crate::format::{signed, MISSING};
use crate::markdown::table;
use crate::pairs::pairs;
use prefbench_results::stats::{mean, Summary};
use prefbench_results::RunRecord;

/// DynamicPO's median PO step time over its base's in percent, one value per (K, seed) both ran.
pub(crate) fn overhead_percent(data: &DatasetResults, variant: &str, base: &str) -> Vec<f64> {
    data.ks_of(variant)
        .into_iter()
        .flat_map(|k| {
            let base_s = data.per_seed(base, k, step_ms);
            data.per_seed(variant, k, step_ms)
                .into_iter()
                .filter_map(move |(seed, s)| {
                    let b = *base_s.get(&seed)?;
                    (b > 0.0).then(|| 100.0 * (s / b - 1.0))
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
            .map_or(MISSING.to_string(), |s| format!("{s:.2} s"))
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
        let avg = |f: fn(&RunRecord) -> f64| mean(&runs.iter().map(|r| f(r)).collect::<Vec<_>>());
        let peak = runs
            .iter()
            .map(|r| r.timings.peak_rss_mib)
            .fold(f64::NEG_INFINITY, f64::max);
        out += &format!(
            "| {method} | {} | {:.2} | {:.2} | {:.2} | {:.1}% | {peak:.0} |\n",
            runs.len(),
            avg(|r| r.timings.po_s).unwrap_or(f64::NAN),
            avg(|r| r.timings.eval_s).unwrap_or(f64::NAN),
            avg(|r| r.timings.po_step_median_ms).unwrap_or(f64::NAN),
            100.0 * avg(|r| r.timings.selection_share).unwrap_or(f64::NAN),
        );
    }
    let po_s = data.cells(po_seconds);
    out += "\nPO wall-clock (s) per method and K:\n\n";
    out += &table(&data.methods(), &data.ks(), |key| {
        po_s.get(key).map_or(MISSING.into(), |s| {
            format!("{:.2} ± {:.2} (n={})", s.mean, s.std, s.n)
        })
    });
    let pairs = pairs(data);
    if !pairs.is_empty() {
        out += "DynamicPO's median PO step time over its base's, per (K, seed) pair, with a 95% t \
                confidence interval:\n\n\
                | variant | base | overhead | 95% CI | pairs |\n|:--|:--|--:|--:|--:|\n";
        for (variant, base) in pairs {
            let row = match Summary::of(&overhead_percent(data, variant, base)) {
                Some(s) => {
                    let ci = s.ci95().map_or(MISSING.into(), |(lo, hi)| {
                        format!("{}% … {}%", signed(lo, 1), signed(hi, 1))
                    });
                    format!("{}% | {ci} | {}", signed(s.mean, 1), s.n)
                }
                None => format!("{MISSING} | {MISSING} | 0"),
            };
            out += &format!("| {variant} | {base} | {row} |\n");
        }
        out.push('\n');
    }
    out
}
