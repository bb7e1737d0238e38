//! The pre-registered endpoints of docs/claims.md ("Pre-registered analysis"), as data: which
//! comparison, at which K, on which measure, and the paper's size for it. The report computes
//! exactly these and nothing chosen after seeing the results.
use prefbench_vocabulary::BaseObjective::{Dmpo, Mppo, Sdpo};
use prefbench_vocabulary::DynamicVariant::{BetaOnly, Full, RandomSubset, SelectOnly};
use prefbench_vocabulary::Method;

/// The datasets the endpoints are decided on: the artifact-free variants.
pub(super) const DATASETS: [&str; 2] = ["lastfm-dated", "movielens-loo"];

/// The paper's main K.
const K: usize = 15;

/// What a comparison measures on each run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Measure {
    /// Test HR@1 (at the selected epoch, or the last one for the robustness test).
    TestHr1,
    /// The reward win rate averaged over the logged training steps (C7).
    RewardWinRate,
}

/// What the variant is compared with, paired by seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Base {
    /// A method's run of the same seed at `k`.
    Method(Method, usize),
    /// The seed's SFT reference.
    Sft,
}

/// The paper's relative lift for a comparison, per dataset: on LastFM its own number; on a
/// dataset the paper did not run (MovieLens) the smallest of its three datasets, the most
/// conservative size it claims.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PaperSize {
    pub lastfm: f64,
    pub smallest: f64,
}

impl PaperSize {
    /// The size that applies to `dataset`.
    pub fn on(self, dataset: &str) -> f64 {
        if dataset.starts_with("lastfm") {
            self.lastfm
        } else {
            self.smallest
        }
    }
}

/// One pre-registered comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Endpoint {
    /// `P-C3`, `S-select-vs-random`, …: how docs/claims.md names it.
    pub id: &'static str,
    /// The claim it decides or qualifies.
    pub claim: &'static str,
    pub variant: Method,
    pub k: usize,
    pub base: Base,
    pub measure: Measure,
    /// `None` where the paper published no number (then size-free outcomes).
    pub paper: Option<PaperSize>,
}

/// (Δ / base) of the paper's Table, Llama-2-7B, K = 15, rounded to 4 decimals as docs/claims.md
/// prints them: LastFM and the smallest over LastFM, Goodreads, Steam.
const C3_SIZE: PaperSize = PaperSize {
    lastfm: 0.1390,
    smallest: 0.0951,
};
const C4_MPPO_SIZE: PaperSize = PaperSize {
    lastfm: 0.0468,
    smallest: 0.0333,
};
const C4_SDPO_SIZE: PaperSize = PaperSize {
    lastfm: 0.0074,
    smallest: 0.0072,
};

const fn dynamic(base: prefbench_vocabulary::BaseObjective) -> Method {
    Method::Dynamic(base, Full)
}

const fn lift(
    id: &'static str,
    claim: &'static str,
    base: prefbench_vocabulary::BaseObjective,
    measure: Measure,
    paper: Option<PaperSize>,
) -> Endpoint {
    Endpoint {
        id,
        claim,
        variant: dynamic(base),
        k: K,
        base: Base::Method(Method::Base(base), K),
        measure,
        paper,
    }
}

/// The primaries: one Holm family per protocol (docs/claims.md).
pub(super) const PRIMARIES: [Endpoint; 4] = [
    lift("P-C3", "C3", Dmpo, Measure::TestHr1, Some(C3_SIZE)),
    lift("P-C4m", "C4", Mppo, Measure::TestHr1, Some(C4_MPPO_SIZE)),
    lift("P-C4s", "C4", Sdpo, Measure::TestHr1, Some(C4_SDPO_SIZE)),
    lift("P-C7", "C7", Dmpo, Measure::RewardWinRate, None),
];

const fn against(id: &'static str, variant: Method, base: Base) -> Endpoint {
    Endpoint {
        id,
        claim: "ablation",
        variant,
        k: K,
        base,
        measure: Measure::TestHr1,
        paper: None,
    }
}

const DMPO: Method = Method::Base(Dmpo);

/// The exploratory comparisons (Benjamini–Hochberg over all of them): which part of
/// DynamicPO carries the lift, and DynamicPO-DMPO against the references a sceptic asks for.
pub(super) const SECONDARIES: [Endpoint; 7] = [
    against(
        "S-select",
        Method::Dynamic(Dmpo, SelectOnly),
        Base::Method(DMPO, K),
    ),
    against(
        "S-beta",
        Method::Dynamic(Dmpo, BetaOnly),
        Base::Method(DMPO, K),
    ),
    against(
        "S-random",
        Method::Dynamic(Dmpo, RandomSubset),
        Base::Method(DMPO, K),
    ),
    against(
        "S-select-vs-random",
        Method::Dynamic(Dmpo, SelectOnly),
        Base::Method(Method::Dynamic(Dmpo, RandomSubset), K),
    ),
    Endpoint {
        claim: "context",
        ..against("S-vs-sft", dynamic(Dmpo), Base::Sft)
    },
    Endpoint {
        claim: "context",
        ..against("S-vs-dpo", dynamic(Dmpo), Base::Method(Method::Dpo, 1))
    },
    Endpoint {
        claim: "context",
        ..against(
            "S-vs-sdpo",
            dynamic(Dmpo),
            Base::Method(Method::Base(Sdpo), K),
        )
    },
];
