//! The verdict on each claim of the paper (docs/claims.md), from the records alone. Each claim
//! has a written rule ([`Claim::rule`], printed in the report) tested per dataset by a
//! function in [`rules`]; the per-dataset findings are kept side by side and combined into one
//! verdict per policy regime, since DynamicPO's effect can differ between regimes. C5 ("it
//! holds on other backbones") is the one claim judged across regimes: C3's verdict on each
//! backbone. Every p-value that decides is Holm-adjusted over the whole report ([`family`]),
//! which is why the rules run twice.
mod collapse;
mod family;
mod rules;

use super::dataset::DatasetResults;
use super::regime::Regime;
use super::trivial::ordering_artifact;
use crate::model::{
    ClaimVerdict, Claims, DatasetFinding, Evidence, Finding, Rule, Verdict, VerdictStatistics,
};
use family::Family;
use prefbench_results::overhead::{OverheadAnalysis, OverheadVerdict};
use prefbench_results::stats::{BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, MAX_SEEDS, POWER};
pub(crate) use rules::MIN_PAIRED_SEEDS;
use rules::{Claim, Scope, ALPHA};
use std::collections::BTreeSet;

/// A claim's verdict under one regime: the combined verdict over its datasets.
struct Row {
    verdict: Verdict,
    /// True when only synthetic datasets were tested.
    pipeline_check: bool,
    evidence: Evidence,
}

/// Tests one per-dataset claim on the datasets of one regime. Real datasets decide the
/// verdict; synthetic ones are used only when no real dataset ran, and their verdicts are
/// labelled as pipeline checks.
fn evaluate(
    test: fn(&DatasetResults, &mut Family) -> Finding,
    datasets: &[&DatasetResults],
    family: &mut Family,
) -> Row {
    let real: Vec<&DatasetResults> = datasets.iter().copied().filter(|d| !d.synthetic).collect();
    let pipeline_check = real.is_empty();
    let tested: Vec<&DatasetResults> = if pipeline_check {
        datasets.to_vec()
    } else {
        real
    };
    let findings: Vec<DatasetFinding> = tested
        .iter()
        .map(|d| DatasetFinding {
            dataset: format!("{}{}", d.name, d.setting_note()),
            finding: test(d, family),
        })
        .collect();
    let (verdict, evidence) = combine(findings);
    Row {
        verdict,
        pipeline_check: pipeline_check && verdict != Verdict::NotTestable,
        evidence,
    }
}

/// The verdict of every regime for one claim: one per regime for a per-dataset claim, one
/// for all regimes for C5.
fn verdicts(
    claim: &'static Claim,
    regimes: &[(Regime, Vec<&DatasetResults>)],
    family: &mut Family,
) -> Vec<ClaimVerdict> {
    let verdict = |policy: String, row: Row| ClaimVerdict {
        id: claim.id,
        claim: claim.text,
        paper: claim.paper,
        policy,
        verdict: row.verdict,
        pipeline_check: row.pipeline_check,
        evidence: row.evidence,
    };
    match claim.scope {
        Scope::Dataset(test) => regimes
            .iter()
            .map(|(_, datasets)| {
                let label = datasets.first().map_or(String::new(), |d| d.regime_label());
                verdict(label, evaluate(test, datasets, family))
            })
            .collect(),
        Scope::Backbones(test) => {
            let per_backbone: Vec<(Regime, Row)> = regimes
                .iter()
                .map(|(regime, datasets)| (*regime, evaluate(rules::C3_TEST, datasets, family)))
                .collect();
            let verdicts: Vec<(Regime, Verdict)> = per_backbone
                .iter()
                .map(|(r, row)| (*r, row.verdict))
                .collect();
            let finding = test(&verdicts);
            let pipeline_check = finding.verdict != Verdict::NotTestable
                && per_backbone
                    .iter()
                    .map(|(_, row)| row)
                    .filter(|row| row.verdict != Verdict::NotTestable)
                    .all(|row| row.pipeline_check);
            let row = Row {
                verdict: finding.verdict,
                pipeline_check,
                evidence: Evidence::Overall(finding.evidence),
            };
            vec![verdict("all backbones".to_string(), row)]
        }
    }
}

/// Reproduced when every testable dataset reproduces the claim, not reproduced when any
/// contradicts it, inconclusive otherwise; not testable when no dataset can test it. Every
/// dataset's finding stays in the evidence, the untestable ones with what they lack, so the
/// verdict table shows each dataset in its own column.
fn combine(findings: Vec<DatasetFinding>) -> (Verdict, Evidence) {
    if findings.is_empty() {
        return (
            Verdict::NotTestable,
            Evidence::Overall("not in this matrix: no runs".to_string()),
        );
    }
    let verdicts: Vec<Verdict> = findings
        .iter()
        .map(|f| f.finding.verdict)
        .filter(|&v| v != Verdict::NotTestable)
        .collect();
    let verdict = if verdicts.is_empty() {
        Verdict::NotTestable
    } else {
        Verdict::combine(&verdicts)
    };
    (verdict, Evidence::PerDataset(findings))
}

/// Every claim's verdict under every regime, deciding through `family`.
fn all_verdicts(
    regimes: &[(Regime, Vec<&DatasetResults>)],
    family: &mut Family,
) -> Vec<ClaimVerdict> {
    rules::CLAIMS
        .iter()
        .flat_map(|claim| verdicts(claim, regimes, family))
        .collect()
}

/// Every claim's verdict. With several regimes, each claim has one verdict per regime (C5 one
/// for all).
pub(crate) fn claims(datasets: &[DatasetResults], overhead: Option<&OverheadAnalysis>) -> Claims {
    let present: BTreeSet<Regime> = datasets.iter().map(|d| d.regime).collect();
    let regimes: Vec<(Regime, Vec<&DatasetResults>)> = present
        .into_iter()
        .map(|regime| {
            let of: Vec<&DatasetResults> = datasets.iter().filter(|d| d.regime == regime).collect();
            (regime, of)
        })
        .collect();
    // The first pass collects the family's raw p-values; its verdicts are discarded.
    let mut collecting = Family::collecting();
    all_verdicts(&regimes, &mut collecting);
    let mut family = Family::adjusted(collecting);
    let mut verdicts = all_verdicts(&regimes, &mut family);
    if let Some(overhead) = overhead {
        verdicts
            .iter_mut()
            .filter(|v| v.id == "C6")
            .for_each(|v| in_one_process(v, overhead));
    }
    let columns: BTreeSet<String> = verdicts
        .iter()
        .filter_map(|v| match &v.evidence {
            Evidence::PerDataset(findings) => Some(findings),
            Evidence::Overall(_) => None,
        })
        .flatten()
        .map(|f| f.dataset.clone())
        .collect();
    Claims {
        by_policy: regimes.len() > 1,
        datasets: columns.into_iter().collect(),
        verdicts,
        ordering_artifacts: datasets
            .iter()
            .filter(|d| ordering_artifact(d).is_some())
            .map(DatasetResults::label)
            .collect(),
        rules: rules::CLAIMS
            .iter()
            .map(|claim| Rule {
                id: claim.id,
                rule: claim.rule,
            })
            .collect(),
        statistics: VerdictStatistics {
            alpha: ALPHA,
            correction: "holm",
            family_size: family.size(),
            min_paired_seeds: MIN_PAIRED_SEEDS,
            power: POWER,
            max_seeds: MAX_SEEDS,
            bootstrap: "percentile",
            bootstrap_resamples: BOOTSTRAP_RESAMPLES,
            bootstrap_seed: BOOTSTRAP_SEED,
        },
    }
}

/// C6 decided by the in-process measurement (docs/claims.md, "In-process measurement"): base
/// and DynamicPO steps alternated on identical batches in one process, so machine load cannot
/// pass for DynamicPO's cost. The cross-run step-time ratios stay in each dataset's cost
/// section, secondary.
fn in_one_process(verdict: &mut ClaimVerdict, o: &OverheadAnalysis) {
    use crate::format::{number, ratio};
    let interval = |r: &prefbench_results::overhead::GeometricRatio| {
        r.ci95.map_or(String::new(), |(lo, hi)| {
            format!(" [95% CI {}, {}]", number(lo, 4), number(hi, 4))
        })
    };
    let pairs: Vec<String> = o
        .pairs
        .iter()
        .map(|p| {
            format!(
                "{} / {} at K = {}: {}{} over {} repetitions, selection + β {} µs a sample",
                p.method,
                p.base,
                p.k,
                ratio(p.ratio.ratio),
                interval(&p.ratio),
                p.ratio.n,
                number(p.selection_us_per_sample, 2)
            )
        })
        .collect();
    verdict.verdict = match o.verdict {
        OverheadVerdict::Reproduced => Verdict::Reproduced,
        OverheadVerdict::NotReproduced => Verdict::NotReproduced,
        OverheadVerdict::Inconclusive => Verdict::Inconclusive,
    };
    verdict.pipeline_check = false;
    verdict.evidence = Evidence::Overall(format!(
        "in one process (`overhead.json`, {} time, base and DynamicPO steps alternated on \
         identical batches): geometric-mean ratio {}{}, against the 5% bound (paper +0.85%); \
         {}. Cross-run step-time ratios of the matrix's runs are in each dataset's cost section \
         (secondary: machine load moves them more than DynamicPO does)",
        match o.clock {
            prefbench_results::overhead::Clock::Cpu => "CPU",
            prefbench_results::overhead::Clock::Wall => "wall-clock",
        },
        ratio(o.pooled.ratio),
        interval(&o.pooled),
        pairs.join("; ")
    ));
}
