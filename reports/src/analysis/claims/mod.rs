//! The verdict on each claim of the paper (docs/claims.md), from the records alone. Each claim
//! has a written rule ([`Claim::rule`], printed in the report) tested per dataset by a
//! function in [`rules`]; the per-dataset findings are combined into one verdict per policy
//! regime, since DynamicPO's effect can differ between regimes. C5 ("it holds on other
//! backbones") is the one claim judged across regimes: C3's verdict on each backbone.
mod collapse;
mod rules;

use super::dataset::DatasetResults;
use super::regime::Regime;
use super::trivial::ordering_artifact;
use crate::model::{ClaimVerdict, Claims, DatasetFinding, Evidence, Finding, Rule, Verdict};
use rules::{Claim, Scope};
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
fn evaluate(test: fn(&DatasetResults) -> Finding, datasets: &[&DatasetResults]) -> Row {
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
            finding: test(d),
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
                verdict(label, evaluate(test, datasets))
            })
            .collect(),
        Scope::Backbones(test) => {
            let per_backbone: Vec<(Regime, Row)> = regimes
                .iter()
                .map(|(regime, datasets)| (*regime, evaluate(rules::C3_TEST, datasets)))
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
/// contradicts it, inconclusive otherwise; not testable when no dataset can test it, with
/// the reasons as the evidence.
fn combine(findings: Vec<DatasetFinding>) -> (Verdict, Evidence) {
    let (testable, untestable): (Vec<DatasetFinding>, Vec<DatasetFinding>) = findings
        .into_iter()
        .partition(|f| f.finding.verdict != Verdict::NotTestable);
    if testable.is_empty() {
        let mut reasons: Vec<&str> = untestable
            .iter()
            .map(|f| f.finding.evidence.as_str())
            .collect();
        reasons.dedup();
        let evidence = if reasons.is_empty() {
            "not in this matrix: no runs".to_string()
        } else {
            reasons.join("; ")
        };
        return (Verdict::NotTestable, Evidence::Overall(evidence));
    }
    let verdicts: Vec<Verdict> = testable.iter().map(|f| f.finding.verdict).collect();
    (Verdict::combine(&verdicts), Evidence::PerDataset(testable))
}

/// Every claim's verdict. With several regimes, each claim has one verdict per regime (C5 one
/// for all).
pub(crate) fn claims(datasets: &[DatasetResults]) -> Claims {
    let present: BTreeSet<Regime> = datasets.iter().map(|d| d.regime).collect();
    let regimes: Vec<(Regime, Vec<&DatasetResults>)> = present
        .into_iter()
        .map(|regime| {
            let of: Vec<&DatasetResults> = datasets.iter().filter(|d| d.regime == regime).collect();
            (regime, of)
        })
        .collect();
    Claims {
        by_policy: regimes.len() > 1,
        verdicts: rules::CLAIMS
            .iter()
            .flat_map(|claim| verdicts(claim, &regimes))
            .collect(),
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
    }
}
