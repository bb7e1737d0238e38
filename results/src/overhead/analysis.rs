//! The ratio of a variant's step time to its base's, as a geometric mean over repetitions:
//! the mean of the per-repetition log ratios, with its 95 % t interval, mapped back by exp.
//! Step times are positive and skewed, and a ratio and its inverse should weigh alike, so
//! logs and not ratios are averaged. The verdict is C6's rule on the pooled interval.
use prefbench_vocabulary::Method;
use serde::{Deserialize, Serialize};

use super::{
    Clock, OverheadError, OverheadRecord, PairMeasurement, RepetitionTimes, NEGLIGIBLE_RATIO,
};
use crate::stats::{median, Summary};

/// A geometric-mean ratio over `n` repetitions, with the 95 % t interval of its log; `None`
/// for one repetition, whose spread is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeometricRatio {
    pub n: usize,
    pub ratio: f64,
    pub ci95: Option<(f64, f64)>,
}

/// C6's verdict words (docs/claims.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverheadVerdict {
    /// The interval lies below [`NEGLIGIBLE_RATIO`].
    Reproduced,
    /// The interval lies above it.
    NotReproduced,
    /// The interval holds it, or there is no interval.
    Inconclusive,
}

/// The words of docs/claims.md, as the report prints a verdict.
impl std::fmt::Display for OverheadVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Reproduced => "reproduced",
            Self::NotReproduced => "not reproduced",
            Self::Inconclusive => "inconclusive",
        })
    }
}

/// One pair's analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairOverhead {
    pub method: Method,
    pub base: Method,
    pub k: usize,
    /// On the record's clock.
    pub ratio: GeometricRatio,
    /// On the wall clock (the same as `ratio` on CUDA); on a shared CPU, other processes'
    /// load is in it.
    pub wall: GeometricRatio,
    /// DynamicPO's selection + β, µs per sample of a batch: the median over the variant's
    /// steps, since this is a wall-clock reading and a shared machine's preemptions add a few
    /// long outliers to it.
    pub selection_us_per_sample: f64,
    /// C6's rule applied to this pair alone; C6 reads the pooled verdict.
    pub verdict: OverheadVerdict,
}

/// The analysis of one [`OverheadRecord`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverheadAnalysis {
    pub clock: Clock,
    pub pairs: Vec<PairOverhead>,
    /// Every pair's repetitions as one sample (the pairs have as many each, so they weigh
    /// alike); on the record's clock.
    pub pooled: GeometricRatio,
    /// C6's verdict, from `pooled`.
    pub verdict: OverheadVerdict,
}

impl GeometricRatio {
    /// The geometric mean of `exp(log_ratios)`; `None` for no values.
    pub fn of_logs(log_ratios: &[f64]) -> Option<Self> {
        let summary = Summary::of(log_ratios)?;
        Some(Self {
            n: summary.n,
            ratio: summary.mean.exp(),
            ci95: summary.ci95().map(|(lo, hi)| (lo.exp(), hi.exp())),
        })
    }

    /// C6's rule: reproduced when the interval's upper end is below [`NEGLIGIBLE_RATIO`], not
    /// reproduced when its lower end is above it, else inconclusive.
    pub fn verdict(&self) -> OverheadVerdict {
        match self.ci95 {
            Some((_, hi)) if hi < NEGLIGIBLE_RATIO => OverheadVerdict::Reproduced,
            Some((lo, _)) if lo > NEGLIGIBLE_RATIO => OverheadVerdict::NotReproduced,
            _ => OverheadVerdict::Inconclusive,
        }
    }
}

/// The ratio of every pair and of all pairs pooled, on the record's clock, and C6's verdict.
/// Refuses a record with no pair, a pair with no repetition, or a time that is not positive
/// and finite (no ratio of it exists).
pub fn analyse(record: &OverheadRecord) -> Result<OverheadAnalysis, OverheadError> {
    if record.pairs.is_empty() {
        return Err(OverheadError::NoPairs);
    }
    let mut pooled = Vec::new();
    let mut pairs = Vec::with_capacity(record.pairs.len());
    for pair in &record.pairs {
        let logs = log_ratios(pair, record.clock)?;
        let no_repetitions = || OverheadError::NoRepetitions {
            method: pair.method,
            base: pair.base,
        };
        let ratio = GeometricRatio::of_logs(&logs).ok_or_else(no_repetitions)?;
        let wall =
            GeometricRatio::of_logs(&log_ratios(pair, Clock::Wall)?).ok_or_else(no_repetitions)?;
        let selection: Vec<f64> = pair
            .repetitions
            .iter()
            .map(|r| r.selection_seconds)
            .collect();
        let selection = median(&selection).ok_or_else(no_repetitions)?;
        pairs.push(PairOverhead {
            method: pair.method,
            base: pair.base,
            k: pair.k,
            ratio,
            wall,
            selection_us_per_sample: selection / record.batch.max(1) as f64 * 1e6,
            verdict: ratio.verdict(),
        });
        pooled.extend(logs);
    }
    let pooled = GeometricRatio::of_logs(&pooled).ok_or(OverheadError::NoPairs)?;
    Ok(OverheadAnalysis {
        clock: record.clock,
        pairs,
        pooled,
        verdict: pooled.verdict(),
    })
}

/// ln(variant / base) of every repetition of `pair` on `clock`.
fn log_ratios(pair: &PairMeasurement, clock: Clock) -> Result<Vec<f64>, OverheadError> {
    let times = |r: &RepetitionTimes| match clock {
        Clock::Cpu => [r.variant_cpu_seconds, r.base_cpu_seconds],
        Clock::Wall => [r.variant_wall_seconds, r.base_wall_seconds],
    };
    pair.repetitions
        .iter()
        .enumerate()
        .map(|(repetition, r)| {
            let [variant, base] = times(r);
            match [variant, base]
                .into_iter()
                .find(|s| !(s.is_finite() && *s > 0.0))
            {
                Some(seconds) => Err(OverheadError::NotPositive {
                    method: pair.method,
                    base: pair.base,
                    repetition,
                    seconds,
                }),
                None => Ok((variant / base).ln()),
            }
        })
        .collect()
}
