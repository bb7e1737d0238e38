//! The eight claims of docs/claims.md and the test of each on one dataset (C5: across
//! backbones).
use super::collapse::Collapse;
use super::family::Family;
use crate::analysis::cost::{step_pairs, Overhead, StepPair};
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::{boundary_excess, boundary_share, reward_win_rate, HR_AT_1, MAIN_K};
use crate::analysis::pairs::{paired, pairs};
use crate::analysis::regime::Regime;
use crate::format::{number, p_value, percent, ratio, signed, signed_interval};
use crate::model::{DecisiveTest, Finding, TestKind, Verdict};
use prefbench_results::stats::{linear_trend, PairedEffect, SeedsNeeded, POWER};
use prefbench_results::RunRecord;
use prefbench_vocabulary::BaseObjective::{self, Dmpo, Mppo, Sdpo};
use prefbench_vocabulary::{DynamicVariant, Method, MAX_K};
use std::fmt;

/// Significance level of every verdict, applied to Holm-adjusted p-values.
pub(super) const ALPHA: f64 = prefbench_results::stats::ALPHA;

/// The fewest paired seeds on which a paired comparison (the C3 rule: C3, C4, C5, C7, C8) may
/// be reproduced or not reproduced; below it the comparison is inconclusive whatever its p,
/// stays out of the Holm family, and says how many seeds would detect its Δ. With fewer
/// seeds a t-test rests on an SD estimated from a handful of values (at n = 3 the 95%
/// critical t is 4.3), one unlucky seed decides, and the exact Wilcoxon test cannot reach
/// p < 0.05 at all (its smallest p is 2/2ⁿ). docs/claims.md states this number.
pub(crate) const MIN_PAIRED_SEEDS: usize = 5;
/// DynamicPO's overhead counts as negligible while its 95% CI stays below this (percent).
const NEGLIGIBLE_PERCENT: f64 = 5.0;

impl Verdict {
    /// The verdict over several tested parts (datasets, backbones): reproduced when every part
    /// reproduces the claim, not reproduced when one contradicts it, inconclusive otherwise.
    pub(super) fn combine(verdicts: &[Verdict]) -> Verdict {
        if verdicts.iter().all(|&v| v == Verdict::Reproduced) {
            Verdict::Reproduced
        } else if verdicts.contains(&Verdict::NotReproduced) {
            Verdict::NotReproduced
        } else {
            Verdict::Inconclusive
        }
    }
}

impl Finding {
    /// A finding of a rule; rules are the only place verdicts are decided.
    pub(super) fn new(verdict: Verdict, evidence: impl Into<String>) -> Self {
        Self {
            verdict,
            evidence: evidence.into(),
            tests: Vec::new(),
        }
    }

    /// This finding with the tests it rests on.
    fn with_tests(mut self, tests: Vec<DecisiveTest>) -> Self {
        self.tests = tests;
        self
    }

    /// Not testable because the matrix lacks what the claim needs.
    pub(super) fn absent(what: impl fmt::Display) -> Self {
        Self::new(Verdict::NotTestable, format!("not in this matrix: {what}"))
    }
}

/// Where a claim is tested.
pub(super) enum Scope {
    /// On each dataset of one regime; the findings are combined per regime. Every p-value
    /// that decides goes through the report's [`Family`].
    Dataset(fn(&DatasetResults, &mut Family) -> Finding),
    /// Across regimes (backbones), from C3's verdict on each.
    Backbones(fn(&[(Regime, Verdict)]) -> Finding),
}

/// One claim of the paper and how prefbench tests it.
pub(super) struct Claim {
    pub id: &'static str,
    pub text: &'static str,
    /// The paper's evidence, quoted from docs/claims.md.
    pub paper: &'static str,
    /// The verdict rule, as printed in the report.
    pub rule: &'static str,
    pub scope: Scope,
}

/// C3's test, which C5 runs on every backbone.
pub(super) const C3_TEST: fn(&DatasetResults, &mut Family) -> Finding = c3_lifts_dmpo;

/// Every claim, in docs/claims.md's order (the order of the claims table).
pub(super) const CLAIMS: [Claim; 8] = [
    Claim {
        id: "C1",
        text: "Collapse: with DMPO, HR@1 rises with K and then falls while the training loss keeps falling",
        paper: "figure only (no values published)",
        rule: "needs DMPO at three or more K. The collapse reading C1 and C8 share: a method \
               collapses when its mean test HR@1 over K peaks at an interior K and the paired drop \
               from that K to the largest K (per seed) is positive with paired t p < 0.05 \
               (exploratory: the peak is chosen from the same data). Reproduced when DMPO \
               collapses while its mean final training loss keeps decreasing from the peak on; \
               not reproduced when it collapses but the loss does not keep falling, or when its \
               mean peaks at the smallest or the largest K (no rise then fall); inconclusive \
               when the peak is interior but the drop is not significant. MPPO is shown \
               alongside.",
        scope: Scope::Dataset(c1_collapse),
    },
    Claim {
        id: "C2",
        text: "Cause: the boundary share of DMPO's gradient shrinks as K grows",
        paper: "theory section",
        rule: "under DMPO every negative of a sample gets the same gradient weight, so the \
               boundary's gradient share equals its count share |B|/K up to the per-sample \
               sigmoid weights, and a share that falls with K is algebra. The test is therefore \
               a least-squares line through (K, the run's mean over its training curve of the \
               boundary gradient share minus |B|/K) of every DMPO run with K > 1 (at K = 1 the \
               single negative carries the whole gradient by construction). Reproduced when \
               that excess falls with K (negative slope, Holm-adjusted p < 0.05: hard negatives \
               lose gradient beyond their count), not reproduced when it rises with Holm-adjusted \
               p < 0.05, inconclusive otherwise. The raw share's slope is shown beside it.",
        scope: Scope::Dataset(c2_gradient_share),
    },
    Claim {
        id: "C3",
        text: "DynamicPO lifts DMPO",
        paper: "K = 15: LastFM 0.5848 → 0.6661, Goodreads 0.5349 → 0.6728, Steam 0.6383 → 0.6990",
        rule: "DynamicPO-DMPO against DMPO at K = 15 (if K = 15 is absent, the largest K both \
               ran, named in the evidence), test HR@1 paired by seed. With at least the minimum \
               of paired seeds (above), reproduced when the mean difference Δ is positive with \
               Holm-adjusted paired t-test p < 0.05, not reproduced when negative with \
               Holm-adjusted p < 0.05; inconclusive otherwise, and always below the minimum, \
               where the evidence names the seeds that would detect Δ with 80% power. Δ is shown \
               with its 95% t and bootstrap intervals and the minimum detectable effect. The \
               exact Wilcoxon p is shown too; with fewer than six seeds it cannot fall below \
               0.05, so it does not decide.",
        scope: Scope::Dataset(c3_lifts_dmpo),
    },
    Claim {
        id: "C4",
        text: "Plug-and-play: DynamicPO lifts MPPO and S-DPO too, least for S-DPO",
        paper: "MPPO 0.6597 → 0.6906, 0.6993 → 0.7226, 0.7614 → 0.8069; S-DPO 0.6617 → 0.6666, \
                0.6778 → 0.6843, 0.6948 → 0.6998 (LastFM, Goodreads, Steam)",
        rule: "the C3 rule for each of the pairs DynamicPO-MPPO/MPPO and DynamicPO-S-DPO/S-DPO \
               that ran. With both pairs (and DMPO's), reproduced only when every lift is and \
               S-DPO's mean lift is the smallest.",
        scope: Scope::Dataset(c4_plug_and_play),
    },
    Claim {
        id: "C5",
        text: "It holds on other backbones",
        paper: "Llama-3-8B 0.6232 → 0.7331, 0.6645 → 0.7641; Qwen2.5-7B 0.5892 → 0.6433, \
                0.6617 → 0.7359",
        rule: "the C3 rule on each backbone that ran (transformer or GRU, each with or without \
               MiniLM titles), over its datasets as C3 reads them. Reproduced when C3 is \
               reproduced on every backbone where it could be tested, not reproduced when it is \
               not reproduced on one, inconclusive otherwise; not measured (not testable here) \
               with fewer than two such backbones. Caveat: these backbones are small item \
               models, not the paper's LLMs, so a reproduction says the lift survives a change \
               of small architecture, not a change of LLM.",
        scope: Scope::Backbones(c5_backbones),
    },
    Claim {
        id: "C6",
        text: "Negligible overhead",
        paper: "4×A100 wall-clock +0.85% on average (62.58 → 63.11 GPU-hours)",
        rule: "the ratio of median PO step times, DynamicPO-X over X, of paired runs (same \
               dataset, policy, K and seed), pooled over the variants and K. Run order is \
               balanced: the harness interleaves the runs of a group, so no method is \
               systematically first. Reproduced when the upper end of the mean ratio's 95% t \
               confidence interval over pairs is below 1.05 (+5%), not reproduced when its lower \
               end is above 1.05; inconclusive otherwise. The mean share of a DynamicPO step \
               spent in selection + β is shown beside it.",
        scope: Scope::Dataset(c6_overhead),
    },
    Claim {
        id: "C7",
        text: "Higher reward win rate during training than vanilla DMPO",
        paper: "figure only",
        rule: "the reward win rate averaged over the training curve, DynamicPO-DMPO against \
               DMPO at the K of C3, paired by seed, decided as C3; the same runs' test HR@1 Δ \
               is shown beside it.",
        scope: Scope::Dataset(c7_win_rate),
    },
    Claim {
        id: "C8",
        text: "Up to K = 19: DMPO collapses earlier and harder than MPPO; S-DPO stays stable; \
               DynamicPO improves all three",
        paper: "figures only (LastFM)",
        rule: "needs K = 19 for DMPO, MPPO, S-DPO and their DynamicPO variants; every part is \
               tested, with C1's collapse reading. Earlier and harder: DMPO collapses, its mean \
               peaks at a smaller K than MPPO's, and its drop exceeds MPPO's seed by seed (paired \
               t p < 0.05). S-DPO stable: it does not collapse and the upper end of its drop's \
               95% interval is below DMPO's mean drop. Lifts: each DynamicPO variant against its \
               base at K = 19 and each against vanilla S-DPO at K = 19, by the C3 rule. \
               Reproduced when every part holds; not reproduced when a lift or a comparison with \
               S-DPO is significantly negative; inconclusive otherwise.",
        scope: Scope::Dataset(c8_up_to_19),
    },
];

fn c1_collapse(data: &DatasetResults, _: &mut Family) -> Finding {
    let Some(dmpo) = Collapse::of(data, Method::Base(Dmpo)).filter(|c| c.means.len() >= 3) else {
        return Finding::absent("DMPO at three or more K");
    };
    let mut evidence = dmpo.describe("DMPO");
    if let Some(mppo) = Collapse::of(data, Method::Base(Mppo)).filter(|c| c.means.len() >= 3) {
        evidence += &format!("; {}", mppo.describe("MPPO"));
    }
    let verdict = match (dmpo.interior(), dmpo.collapses()) {
        (_, true) if dmpo.loss_falls => Verdict::Reproduced,
        (_, true) => Verdict::NotReproduced,
        (false, _) => Verdict::NotReproduced,
        (true, false) => Verdict::Inconclusive,
    };
    Finding::new(verdict, evidence)
}

fn c2_gradient_share(data: &DatasetResults, family: &mut Family) -> Finding {
    let dmpo = Method::Base(Dmpo);
    let points = |value: fn(&RunRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        data.runs(dmpo)
            .filter(|r| r.cell.k > 1)
            .filter_map(|r| Some((r.cell.k as f64, value(r)?)))
            .collect()
    };
    let (Some(share), Some(excess)) = (
        linear_trend(&points(boundary_share)),
        linear_trend(&points(boundary_excess)),
    ) else {
        return Finding::absent("DMPO runs with logged curves at two or more K > 1");
    };
    let (shares, excesses) = (data.cells(boundary_share), data.cells(boundary_excess));
    let trace = data
        .ks_of(dmpo)
        .into_iter()
        .filter(|&k| k > 1)
        .filter_map(|k| {
            Some(format!(
                "K={k}: {} ({})",
                number(shares.get(dmpo, k)?.mean, 3),
                signed(excesses.get(dmpo, k)?.mean, 3)
            ))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let comparison =
        "slope over K > 1 of DMPO's boundary gradient share minus its count share |B|/K"
            .to_string();
    let p_holm = family.decide(format!("{}: {comparison}", data.label()), excess.p);
    let verdict = significant_sign(-excess.slope, Some(p_holm));
    let ci = |t: &prefbench_results::stats::Trend| {
        t.ci.map_or(String::new(), |(lo, hi)| {
            format!(" (95% CI {})", signed_interval(lo, hi, 5))
        })
    };
    let test = DecisiveTest {
        comparison,
        test: TestKind::SlopeT,
        n: excess.n,
        effect: excess.slope,
        t_ci95: excess.ci,
        bootstrap_ci95: None,
        p: Some(excess.p),
        p_holm: Some(p_holm),
        mde80: None,
        seeds_needed: None,
    };
    Finding::new(
        verdict,
        format!(
            "DMPO boundary gradient share (its excess over the count share |B|/K) {trace}; the \
             share's slope {} per negative{}, p = {}; the excess's slope {}{}, p = {}, Holm p = \
             {} (n = {} runs)",
            signed(share.slope, 5),
            ci(&share),
            p_value(Some(share.p)),
            signed(excess.slope, 5),
            ci(&excess),
            p_value(Some(excess.p)),
            p_value(Some(p_holm)),
            excess.n
        ),
    )
    .with_tests(vec![test])
}

/// Test HR@1 at the selected epoch, the metric of C3, C4, C5 and C8.
const TEST_HR: Compared = Compared {
    label: "test HR@1",
    value: |r| Some((HR_AT_1.of)(&r.test)),
};

/// The quantity a lift compares, with the name the evidence gives it.
#[derive(Clone, Copy)]
struct Compared {
    label: &'static str,
    value: fn(&RunRecord) -> Option<f64>,
}

fn c3_lifts_dmpo(data: &DatasetResults, family: &mut Family) -> Finding {
    lift(data, Dmpo, TEST_HR, None, family)
}

fn c4_plug_and_play(data: &DatasetResults, family: &mut Family) -> Finding {
    let hr = TEST_HR.value;
    let tested: Vec<(BaseObjective, Finding, Option<f64>)> = [Mppo, Sdpo]
        .into_iter()
        .filter_map(|base| {
            let (variant, base_method) = pair(base);
            let k = main_k(data, base)?;
            let diff = paired(data, variant, base_method, k.0, hr).map(|p| p.diff);
            Some((base, lift(data, base, TEST_HR, None, family), diff))
        })
        .collect();
    if tested.is_empty() {
        return Finding::absent("DynamicPO-MPPO with MPPO, or DynamicPO-S-DPO with S-DPO");
    }
    let mut evidence: Vec<String> = tested
        .iter()
        .map(|(base, f, _)| format!("{}: {} ({})", base.name(), f.evidence, f.verdict))
        .collect();
    if tested.len() == 1 {
        evidence.push(format!(
            "the {} pair is not in this matrix",
            if tested[0].0 == Sdpo { "MPPO" } else { "S-DPO" }
        ));
    }
    let verdicts: Vec<Verdict> = tested.iter().map(|t| t.1.verdict).collect();
    let mut verdict = Verdict::combine(&verdicts);
    let sdpo = tested.iter().find(|t| t.0 == Sdpo).and_then(|t| t.2);
    let (variant, base) = pair(Dmpo);
    let dmpo = main_k(data, Dmpo)
        .and_then(|k| paired(data, variant, base, k.0, hr))
        .map(|p| p.diff);
    let others: Vec<f64> = tested
        .iter()
        .filter(|t| t.0 != Sdpo)
        .filter_map(|t| t.2)
        .chain(dmpo)
        .collect();
    match sdpo {
        Some(s) if !others.is_empty() => {
            let least = others.iter().all(|&o| s < o);
            evidence.push(format!(
                "S-DPO's lift is {}the smallest",
                if least { "" } else { "not " }
            ));
            if !least && verdict == Verdict::Reproduced {
                verdict = Verdict::NotReproduced;
            }
        }
        _ => evidence.push("\"least for S-DPO\" needs S-DPO and another pair".into()),
    }
    let tests = tested.into_iter().flat_map(|t| t.1.tests).collect();
    Finding::new(verdict, evidence.join("; ")).with_tests(tests)
}

fn c5_backbones(c3: &[(Regime, Verdict)]) -> Finding {
    // Regimes come sorted by architecture, so equal names are adjacent.
    let mut architectures: Vec<&str> = c3.iter().map(|(r, _)| r.architecture_name()).collect();
    architectures.dedup();
    let caveat = match architectures.is_empty() {
        true => "caveat: small item models, not the paper's LLM backbones".to_string(),
        false => format!(
            "caveat: small item models (here {}), not the paper's LLM backbones",
            architectures.join(" and ")
        ),
    };
    let tested: Vec<&(Regime, Verdict)> = c3
        .iter()
        .filter(|(_, verdict)| *verdict != Verdict::NotTestable)
        .collect();
    let each: Vec<String> = c3
        .iter()
        .map(|(regime, verdict)| format!("{}: C3 {verdict}", regime.label()))
        .collect();
    if tested.len() < 2 {
        let ran: Vec<String> = c3.iter().map(|(r, _)| r.label()).collect();
        return Finding::new(
            Verdict::NotTestable,
            format!(
                "not measured: C3 testable on {} backbone(s) of those that ran ({}); C5 needs \
                 two or more; {caveat}",
                tested.len(),
                ran.join("; ")
            ),
        );
    }
    let verdicts: Vec<Verdict> = tested.iter().map(|(_, verdict)| *verdict).collect();
    let verdict = Verdict::combine(&verdicts);
    Finding::new(
        verdict,
        format!("{} (see C3's rows); {caveat}", each.join("; ")),
    )
}

fn c6_overhead(data: &DatasetResults, _: &mut Family) -> Finding {
    let (mut measured, mut unlike): (Vec<StepPair>, usize) = (Vec::new(), 0);
    for (variant, base) in pairs(data) {
        let found = step_pairs(data, variant, base);
        measured.extend(found.pairs);
        unlike += found.unlike;
    }
    let unlike = match unlike {
        0 => String::new(),
        n => format!(
            "; {n} pair(s) left out, their runs timed by different builds, CPUs or threads \
             (other sessions)"
        ),
    };
    let Some(o) = Overhead::of(&measured) else {
        let stacked = data
            .methods()
            .into_iter()
            .flat_map(|m| data.runs(m))
            .any(|r| r.timings.stack_members.is_some());
        return Finding::absent(match stacked {
            true => {
                "a DynamicPO variant with its base trained alone (`po.ensemble: off`) at a \
                 shared K and seed: runs trained in a stack share its step time"
            }
            false => "a DynamicPO variant with its base at a shared K and seed, timed by one build",
        });
    };
    let share = format!(
        "selection + β {} of a DynamicPO step",
        percent(o.selection_share)
    );
    let Some((lo, hi)) = o.ci else {
        let evidence = format!(
            "median PO step ratio {} from {} pair(s); {share}{unlike}",
            ratio(o.ratio.mean),
            o.ratio.n
        );
        return Finding::new(Verdict::Inconclusive, evidence);
    };
    let limit = 1.0 + NEGLIGIBLE_PERCENT / 100.0;
    let verdict = if hi < limit {
        Verdict::Reproduced
    } else if lo > limit {
        Verdict::NotReproduced
    } else {
        Verdict::Inconclusive
    };
    Finding::new(
        verdict,
        format!(
            "median PO step ratio {} [95% CI {}, {}] over {} paired runs (K, seed), run order \
             balanced; {share}{unlike}",
            ratio(o.ratio.mean),
            number(lo, 3),
            number(hi, 3),
            o.ratio.n
        ),
    )
}

fn c7_win_rate(data: &DatasetResults, family: &mut Family) -> Finding {
    let win_rate = Compared {
        label: "mean reward win rate over training",
        value: reward_win_rate,
    };
    let mut finding = lift(data, Dmpo, win_rate, None, family);
    // Beside it, what the same runs did to accuracy: a higher win rate is the paper's
    // mechanism only if HR@1 follows it.
    let (variant, base) = pair(Dmpo);
    if let Some(k) = main_k(data, Dmpo) {
        if let Some(hr) = paired(data, variant, base, k.0, TEST_HR.value) {
            finding.evidence += &format!(
                "; the same runs' test HR@1: Δ {} (n = {})",
                signed(hr.diff, 4),
                hr.n
            );
        }
    }
    finding
}

fn c8_up_to_19(data: &DatasetResults, family: &mut Family) -> Finding {
    const BASES: [BaseObjective; 3] = [Dmpo, Mppo, Sdpo];
    let needed = BASES
        .map(|b| pair(b).1)
        .into_iter()
        .chain(BASES.map(|b| pair(b).0));
    let missing: Vec<&str> = needed
        .filter(|&m| !data.ks_of(m).contains(&MAX_K))
        .map(|m| m.name())
        .collect();
    if !missing.is_empty() {
        return Finding::absent(format!("K = {MAX_K} runs of {}", missing.join(", ")));
    }
    let lifts: Vec<Finding> = BASES
        .into_iter()
        .map(|b| lift(data, b, TEST_HR, Some(MAX_K), family))
        .collect();
    // DynamicPO-S-DPO against S-DPO is its lift, already above.
    let over_sdpo: Vec<Finding> = [Dmpo, Mppo]
        .into_iter()
        .map(|b| {
            let pair = (pair(b).0, Method::Base(Sdpo));
            versus(data, pair, TEST_HR, (MAX_K, false), family)
        })
        .collect();
    let collapse = |b| Collapse::of(data, Method::Base(b));
    let (Some(dmpo), Some(mppo), Some(sdpo)) = (collapse(Dmpo), collapse(Mppo), collapse(Sdpo))
    else {
        return Finding::absent("HR@1 of DMPO, MPPO and S-DPO");
    };
    // The one collapse reading (collapse.rs): DMPO collapses, at a smaller K than MPPO's peak,
    // and its drop is larger than MPPO's seed by seed (paired t p < 0.05).
    let harder = dmpo.harder_than(&mppo);
    let earlier_harder = dmpo.collapses()
        && dmpo.peak < mppo.peak
        && harder
            .as_ref()
            .is_some_and(|h| h.mean > 0.0 && h.p.is_some_and(|p| p < ALPHA));
    let stable = !sdpo.collapses() && sdpo.drop_below(dmpo.drop);
    let parts = |findings: &[Finding]| {
        findings
            .iter()
            .map(|f| format!("{} ({})", f.evidence, f.verdict))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let evidence = format!(
        "{}; {}; {}; DMPO's drop − MPPO's, paired: {} ({}); S-DPO {} beside DMPO's drop; \
         lifts at K = {MAX_K}: {}; against S-DPO at K = {MAX_K}: {}",
        dmpo.describe("DMPO"),
        mppo.describe("MPPO"),
        sdpo.describe("S-DPO"),
        harder
            .as_ref()
            .map_or("no paired seeds".into(), |h| format!(
                "{}, p = {}",
                signed(h.mean, 4),
                p_value(h.p)
            )),
        if earlier_harder {
            "earlier and harder"
        } else {
            "not shown earlier and harder"
        },
        if stable { "stable" } else { "not shown stable" },
        parts(&lifts),
        parts(&over_sdpo)
    );
    let all = || lifts.iter().chain(&over_sdpo);
    let verdict = if all().any(|f| f.verdict == Verdict::NotReproduced) {
        Verdict::NotReproduced
    } else if earlier_harder && stable && all().all(|f| f.verdict == Verdict::Reproduced) {
        Verdict::Reproduced
    } else {
        Verdict::Inconclusive
    };
    let tests = lifts
        .into_iter()
        .chain(over_sdpo)
        .flat_map(|f| f.tests)
        .collect();
    Finding::new(verdict, evidence).with_tests(tests)
}

/// DynamicPO on `base` and the base objective alone: the pair C3, C4, C7 and C8 compare.
fn pair(base: BaseObjective) -> (Method, Method) {
    (
        Method::Dynamic(base, DynamicVariant::Full),
        Method::Base(base),
    )
}

/// The K at which C3, C4 and C7 compare DynamicPO on `base` with `base`: 15 when both ran it,
/// else the largest K both ran; the flag says whether it is a fallback.
fn main_k(data: &DatasetResults, base: BaseObjective) -> Option<(usize, bool)> {
    let (variant, base) = pair(base);
    let shared: Vec<usize> = data
        .ks_of(variant)
        .intersection(&data.ks_of(base))
        .copied()
        .collect();
    if shared.contains(&MAIN_K) {
        Some((MAIN_K, false))
    } else {
        shared.last().map(|&k| (k, true))
    }
}

/// The C3 rule for `compared` of DynamicPO on `base` against `base`, at `k` or else at
/// [`main_k`]: the paired t-test of the per-seed differences decides through the report's
/// Holm [`Family`] once there are [`MIN_PAIRED_SEEDS`] pairs; below that the comparison is
/// inconclusive and stays out of the family.
fn lift(
    data: &DatasetResults,
    base: BaseObjective,
    compared: Compared,
    k: Option<usize>,
    family: &mut Family,
) -> Finding {
    let (variant, base_method) = pair(base);
    let k = match k {
        Some(k) => (k, false),
        None => match main_k(data, base) {
            Some(k) => k,
            None => return Finding::absent(format!("{variant} and {base_method} at a shared K")),
        },
    };
    versus(data, (variant, base_method), compared, k, family)
}

/// The C3 rule for `variant` against `base_method` at `k` (with whether it is a fallback from
/// the main K), for any two methods: C8 also sets each DynamicPO variant against S-DPO.
fn versus(
    data: &DatasetResults,
    (variant, base_method): (Method, Method),
    compared: Compared,
    k: (usize, bool),
    family: &mut Family,
) -> Finding {
    let paired_runs = paired(data, variant, base_method, k.0, compared.value);
    let Some((p, effect)) = paired_runs.and_then(|p| {
        let effect = PairedEffect::of(&p.diffs)?;
        Some((p, effect))
    }) else {
        return Finding::absent(format!(
            "{variant} and {base_method} with a shared seed at K = {}",
            k.0
        ));
    };
    let fallback = if k.1 {
        format!(" (K = {MAIN_K} absent: largest K both ran)")
    } else {
        String::new()
    };
    let comparison = format!("{variant} − {base_method}, {}, K = {}", compared.label, k.0);
    let enough = effect.n >= MIN_PAIRED_SEEDS;
    let p_holm = effect
        .p
        .filter(|_| enough)
        .map(|raw| family.decide(format!("{}: {comparison}", data.label()), raw));
    let verdict = if enough {
        significant_sign(effect.mean, p_holm)
    } else {
        Verdict::Inconclusive
    };
    let evidence = format!(
        "K = {}{fallback}: {base_method} {} → {variant} {}; {}",
        k.0,
        number(p.base_mean, 4),
        number(p.variant_mean, 4),
        describe_paired(&effect, p.wilcoxon_p, p_holm)
    );
    let test = DecisiveTest {
        comparison,
        test: TestKind::PairedT,
        n: effect.n,
        effect: effect.mean,
        t_ci95: effect.t_ci,
        bootstrap_ci95: effect.bootstrap_ci,
        p: effect.p,
        p_holm,
        mde80: effect.mde,
        seeds_needed: effect.seeds_needed,
    };
    Finding::new(verdict, evidence).with_tests(vec![test])
}

/// The numbers of a paired comparison as the evidence prints them: Δ with its t and bootstrap
/// intervals, the raw and Holm-adjusted p (and Wilcoxon's, which never decides), n, what the
/// seeds can detect, and below [`MIN_PAIRED_SEEDS`] how many seeds a verdict needs.
fn describe_paired(e: &PairedEffect, wilcoxon: Option<f64>, p_holm: Option<f64>) -> String {
    let power = format!("{:.0}% power", 100.0 * POWER);
    let mut delta = format!("Δ {}", signed(e.mean, 4));
    if let (Some((t_lo, t_hi)), Some((b_lo, b_hi))) = (e.t_ci, e.bootstrap_ci) {
        delta += &format!(
            " (95% CI t {}, bootstrap {})",
            signed_interval(t_lo, t_hi, 4),
            signed_interval(b_lo, b_hi, 4)
        );
    }
    let holm = p_holm.map_or(String::new(), |p| {
        format!(", Holm p = {}", p_value(Some(p)))
    });
    let mut parts = vec![
        delta,
        format!(
            "paired t p = {}{holm}, Wilcoxon p = {}",
            p_value(e.p),
            p_value(wilcoxon)
        ),
        format!("n = {}", e.n),
    ];
    if let Some(mde) = e.mde {
        parts.push(format!("MDE at {power} ±{}", number(mde, 4)));
    }
    let detect = |needed: SeedsNeeded| format!("{needed} seeds detect this Δ at {power}");
    let minimum = format!("below the {MIN_PAIRED_SEEDS} paired seeds a verdict needs");
    parts.extend(match (e.n >= MIN_PAIRED_SEEDS, e.seeds_needed) {
        (true, needed) => needed.map(detect),
        (false, Some(SeedsNeeded::Seeds(n))) if n >= MIN_PAIRED_SEEDS => Some(format!(
            "{minimum}: needs {n} seeds to detect this Δ at {power}"
        )),
        (false, Some(SeedsNeeded::Seeds(n))) => Some(format!(
            "{minimum}: needs {MIN_PAIRED_SEEDS} seeds ({})",
            detect(SeedsNeeded::Seeds(n))
        )),
        (false, Some(more)) => Some(format!("{minimum}; {}", detect(more))),
        (false, None) => Some(minimum),
    });
    parts.join("; ")
}

/// Reproduced when `effect` is positive and significant, not reproduced when negative and
/// significant, inconclusive otherwise (including when no test could run).
fn significant_sign(effect: f64, p: Option<f64>) -> Verdict {
    match p {
        Some(p) if p < ALPHA && effect > 0.0 => Verdict::Reproduced,
        Some(p) if p < ALPHA && effect < 0.0 => Verdict::NotReproduced,
        _ => Verdict::Inconclusive,
    }
}
