//! The verdict on each claim of the paper (docs/claims.md), from the records alone. Each claim
//! has a written rule ([`Claim::rule`], printed in the report) tested per dataset by a
//! function in [`rules`]; the per-dataset findings are combined into one verdict per policy
//! regime, since DynamicPO's effect can differ between regimes. C5 ("it holds on other
//! backbones") is the one claim judged across regimes: C3's verdict on each backbone.
mod collapse;
mod rules;

use crate::dataset::DatasetResults;
use crate::regime::{self, Regime};
use crate::selection::SELECTED_EPOCH;
use crate::trivial::ordering_artifact;
use std::fmt;

/// The verdict vocabulary of docs/claims.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Reproduced,
    NotReproduced,
    /// The spread across seeds does not separate the methods.
    Inconclusive,
    /// The matrix lacks the methods or K values, or the claim needs what prefbench lacks.
    NotTestable,
}

impl Verdict {
    /// The verdict over several tested parts (datasets, backbones): reproduced when every part
    /// reproduces the claim, not reproduced when one contradicts it, inconclusive otherwise.
    pub(crate) fn combine(verdicts: &[Verdict]) -> Verdict {
        if verdicts.iter().all(|&v| v == Verdict::Reproduced) {
            Verdict::Reproduced
        } else if verdicts.contains(&Verdict::NotReproduced) {
            Verdict::NotReproduced
        } else {
            Verdict::Inconclusive
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Reproduced => "reproduced",
            Self::NotReproduced => "not reproduced",
            Self::Inconclusive => "inconclusive",
            Self::NotTestable => "not testable here",
        })
    }
}

/// What one dataset says about one claim.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub verdict: Verdict,
    /// The measured numbers (or, when not testable, what is missing).
    pub evidence: String,
}

impl Finding {
    fn new(verdict: Verdict, evidence: impl Into<String>) -> Self {
        Self {
            verdict,
            evidence: evidence.into(),
        }
    }

    /// Not testable because the matrix lacks what the claim needs.
    fn absent(what: impl fmt::Display) -> Self {
        Self::new(Verdict::NotTestable, format!("not in this matrix: {what}"))
    }
}

/// Where a claim is tested.
pub(crate) enum Scope {
    /// On each dataset of one regime; the findings are combined per regime.
    Dataset(fn(&DatasetResults) -> Finding),
    /// Across regimes (backbones), from C3's verdict on each.
    Backbones(fn(&[(Regime, Row)]) -> Finding),
}

/// One claim of the paper and how prefbench tests it.
pub(crate) struct Claim {
    pub id: &'static str,
    pub text: &'static str,
    /// The paper's evidence, quoted from docs/claims.md.
    pub paper: &'static str,
    /// The verdict rule, as printed in the report.
    pub rule: &'static str,
    scope: Scope,
}

/// The claims table's row: the combined verdict over datasets.
pub(crate) struct Row {
    pub claim: &'static Claim,
    pub verdict: Verdict,
    /// True when only synthetic datasets were tested: the verdict checks the pipeline, it is
    /// no evidence about the paper.
    pub pipeline_check: bool,
    pub evidence: String,
}

/// Tests one per-dataset claim on the datasets of one regime. Real datasets decide the
/// verdict; synthetic ones are used only when no real dataset ran, and their verdicts are
/// labelled as pipeline checks.
fn evaluate(
    claim: &'static Claim,
    test: fn(&DatasetResults) -> Finding,
    datasets: &[&DatasetResults],
) -> Row {
    let real: Vec<&DatasetResults> = datasets.iter().copied().filter(|d| !d.synthetic).collect();
    let pipeline_check = real.is_empty();
    let tested: Vec<&DatasetResults> = if pipeline_check {
        datasets.to_vec()
    } else {
        real
    };
    let findings: Vec<(String, Finding)> = tested
        .iter()
        .map(|d| (format!("{}{}", d.name, d.setting_note()), test(d)))
        .collect();
    let (verdict, evidence) = combine(&findings);
    Row {
        claim,
        verdict,
        pipeline_check: pipeline_check && verdict != Verdict::NotTestable,
        evidence,
    }
}

/// The row of every regime for one claim: one per regime for a per-dataset claim, one for
/// all regimes for C5.
fn rows(claim: &'static Claim, regimes: &[(Regime, Vec<&DatasetResults>)]) -> Vec<(String, Row)> {
    match claim.scope {
        Scope::Dataset(test) => regimes
            .iter()
            .map(|(_, datasets)| {
                let label = datasets.first().map_or(String::new(), |d| d.regime_label());
                (label, evaluate(claim, test, datasets))
            })
            .collect(),
        Scope::Backbones(test) => {
            let c3 = &rules::CLAIMS[rules::C3];
            let per_backbone: Vec<(Regime, Row)> = regimes
                .iter()
                .map(|(regime, datasets)| (*regime, evaluate(c3, rules::C3_TEST, datasets)))
                .collect();
            let finding = test(&per_backbone);
            let tested: Vec<&Row> = per_backbone
                .iter()
                .map(|(_, row)| row)
                .filter(|row| row.verdict != Verdict::NotTestable)
                .collect();
            let pipeline_check = finding.verdict != Verdict::NotTestable
                && tested.iter().all(|row| row.pipeline_check);
            let row = Row {
                claim,
                verdict: finding.verdict,
                pipeline_check,
                evidence: finding.evidence,
            };
            vec![("all backbones".to_string(), row)]
        }
    }
}

/// Reproduced when every testable dataset reproduces the claim, not reproduced when any
/// contradicts it, inconclusive otherwise; not testable when no dataset can test it.
fn combine(findings: &[(String, Finding)]) -> (Verdict, String) {
    let testable: Vec<&(String, Finding)> = findings
        .iter()
        .filter(|(_, f)| f.verdict != Verdict::NotTestable)
        .collect();
    if testable.is_empty() {
        let mut reasons: Vec<&str> = findings.iter().map(|(_, f)| f.evidence.as_str()).collect();
        reasons.dedup();
        let evidence = if reasons.is_empty() {
            "not in this matrix: no runs".to_string()
        } else {
            reasons.join("; ")
        };
        return (Verdict::NotTestable, evidence);
    }
    let verdicts: Vec<Verdict> = testable.iter().map(|(_, f)| f.verdict).collect();
    let verdict = Verdict::combine(&verdicts);
    let evidence = testable
        .iter()
        .map(|(name, f)| format!("`{name}`: {} ({})", f.evidence, f.verdict))
        .collect::<Vec<_>>()
        .join("<br>");
    (verdict, evidence)
}

/// The summary table and the rules, as Markdown. With several regimes, each claim has one row
/// per regime (C5 one for all), and a column says which regime the verdict is for.
pub(crate) fn section(datasets: &[DatasetResults]) -> String {
    let regimes: Vec<(Regime, Vec<&DatasetResults>)> = regime::present(datasets)
        .into_iter()
        .map(|regime| {
            let of: Vec<&DatasetResults> = datasets.iter().filter(|d| d.regime == regime).collect();
            (regime, of)
        })
        .collect();
    let several = regimes.len() > 1;
    let mut out = format!(
        "## Claims of the paper\n\n\
         One row per claim of docs/claims.md. Our policy is a small item model trained from \
         scratch, not a 7B LLM fine-tuned with LoRA, so absolute numbers differ from the \
         paper's; the verdicts compare methods under the same conditions. HR@1 is test HR@1 \
         at {SELECTED_EPOCH} throughout. Verdicts on synthetic data are labelled *pipeline \
         check*: they show that the machinery works and say nothing about the paper's \
         claims.\n\n",
    );
    out += if several {
        "| claim | policy | verdict | measured (here) | paper |\n|:--|:--|:--|:--|:--|\n"
    } else {
        "| claim | verdict | measured (here) | paper |\n|:--|:--|:--|:--|\n"
    };
    for claim in &rules::CLAIMS {
        for (policy, row) in rows(claim, &regimes) {
            let verdict = if row.pipeline_check {
                format!("pipeline check: {}", row.verdict)
            } else {
                row.verdict.to_string()
            };
            let policy = if several {
                format!(" {policy} |")
            } else {
                String::new()
            };
            out += &format!(
                "| **{}** {} |{policy} **{verdict}** | {} | {} |\n",
                row.claim.id, row.claim.text, row.evidence, row.claim.paper
            );
        }
    }
    let artifacts: Vec<String> = datasets
        .iter()
        .filter(|d| ordering_artifact(d).is_some())
        .map(|d| format!("`{}`", d.label()))
        .collect();
    if !artifacts.is_empty() {
        out += &format!(
            "\n> **Ordering artifact in {}.** The id-order trivial baseline beats every \
             method there (histories sorted by item id, not by time): the verdicts from those \
             datasets measure how well each method exploits that ordering, not the paper's \
             claims. See each dataset's section.\n",
            artifacts.join(", ")
        );
    }
    out += "\n### Verdict rules\n\n\
            Tests are two-sided, over seeds, at the 5% level (p < 0.05); comparisons of two \
            methods are paired by seed (both runs of a seed share the SFT reference). \
            A claim is reproduced when every tested dataset reproduces it, not reproduced \
            when one contradicts it, and inconclusive otherwise.\n\n";
    for claim in &rules::CLAIMS {
        out += &format!("- **{}**: {}\n", claim.id, claim.rule);
    }
    out + "\n"
}
