//! The statistics of the pre-registered analysis (docs/claims.md, "Pre-registered analysis")
//! beyond the per-seed tests of [`crate::stats`]: an interval that also sees the fixed test
//! set's sampling error, the false-discovery-rate adjustment of the exploratory comparisons,
//! and the relative lift that is compared with the paper's.
use crate::stats::{percentile, Draws, PairedEffect, CONFIDENCE};

/// The hierarchical (two-level) bootstrap interval of Δ, the mean over seeds of the mean over
/// test samples of (variant − base) per-sample hits. `hits` holds one pair of hit vectors per
/// seed, all answering the same test samples in the same order. Each of `resamples` resamples
/// draws the seeds with replacement and, independently, the test samples with replacement —
/// one draw of samples shared by every seed, since every seed answers the same test set — and
/// computes Δ on it; the interval is the 2.5th and 97.5th percentiles of those Δ (linear
/// between order statistics). The percentile interval of the per-seed means alone would see
/// only the seeds' spread; this one adds the sampling error of which users the test set holds.
/// `None` with fewer than two seeds, no samples, or vectors of different lengths.
pub fn hierarchical_bootstrap_ci(
    hits: &[(Vec<u8>, Vec<u8>)],
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    let seeds = hits.len();
    let samples = hits.first()?.0.len();
    if seeds < 2
        || samples == 0
        || u32::try_from(samples).is_err()
        || hits
            .iter()
            .any(|(v, b)| v.len() != samples || b.len() != samples)
    {
        return None;
    }
    // Each seed's per-sample differences, kept where they are not zero. They and the counts
    // of a resample are whole numbers, and every partial sum of difference × count is at most
    // 255 × samples < 2^53 in size, so summing them as integers in any order gives exactly the
    // f64 sum taken in sample order. Taken over every sample in f64 they were half of this
    // function's time; over the non-zero differences they cost little beside the draws.
    let differences: Vec<Vec<(usize, i64)>> = hits
        .iter()
        .map(|(v, b)| {
            v.iter()
                .zip(b)
                .map(|(&v, &b)| i64::from(v) - i64::from(b))
                .enumerate()
                .filter(|&(_, d)| d != 0)
                .collect()
        })
        .collect();
    let mut draws = Draws::new(seed);
    let mut counts = vec![0i64; samples];
    let mut deltas = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let drawn_seeds: Vec<usize> = (0..seeds).map(|_| draws.below(seeds)).collect();
        counts.iter_mut().for_each(|c| *c = 0);
        for _ in 0..samples {
            counts[draws.below(samples)] += 1;
        }
        // Each seed's mean over the drawn samples, computed once however often it is drawn.
        let per_seed: Vec<f64> = differences
            .iter()
            .map(|d| d.iter().map(|&(i, d)| d * counts[i]).sum::<i64>() as f64 / samples as f64)
            .collect();
        deltas.push(drawn_seeds.iter().map(|&s| per_seed[s]).sum::<f64>() / seeds as f64);
    }
    deltas.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Some((percentile(&deltas, tail), percentile(&deltas, 1.0 - tail)))
}

/// Benjamini–Hochberg adjusted p-values (the false discovery rate), in the order of `p`: sorted
/// ascending, the i-th smallest (from 1) times m / i, then a running minimum from the largest
/// down keeps the order, capped at 1; as statsmodels' `multipletests(method="fdr_bh")`. The
/// exploratory comparisons use it: it bounds the share of false findings among those called
/// significant rather than the chance of any. Non-finite p-values come back NaN.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).filter(|&i| p[i].is_finite()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![f64::NAN; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// The lift relative to the base, Δ / b̄, with the t interval of Δ scaled by 1 / b̄ (b̄, the
/// base's mean over the paired seeds, taken as known: its own error is small beside Δ's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelativeLift {
    pub lift: f64,
    pub ci: Option<(f64, f64)>,
}

impl RelativeLift {
    /// The relative lift of `effect` over a base whose mean is `base_mean`; `None` when the
    /// base's mean is not positive.
    pub fn of(effect: &PairedEffect, base_mean: f64) -> Option<Self> {
        (base_mean > 0.0 && base_mean.is_finite()).then(|| Self {
            lift: effect.mean / base_mean,
            ci: effect.t_ci.map(|(lo, hi)| (lo / base_mean, hi / base_mean)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03, 0.2, NaN-free],
        // method="fdr_bh")[1] = [0.04, 0.0533…, 0.0533…, 0.2].
        let adjusted = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.2]);
        let want = [0.04, 0.04 * 4.0 / 3.0, 0.04 * 4.0 / 3.0, 0.2];
        for (a, w) in adjusted.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adjusted:?}");
        }
        assert!(benjamini_hochberg(&[f64::NAN, 0.5])[0].is_nan());
        assert_eq!(benjamini_hochberg(&[0.5, 0.9]), vec![0.9, 0.9]);
    }

    #[test]
    fn the_hierarchical_interval_holds_the_estimate_and_widens_with_sample_noise() {
        // Five seeds of 400 samples: the variant hits 5 more samples than the base per seed.
        let seed_hits = |shift: usize| {
            let base: Vec<u8> = (0..400)
                .map(|i| u8::from((i + shift).is_multiple_of(3)))
                .collect();
            let mut variant = base.clone();
            let mut changed = 0;
            for v in variant.iter_mut() {
                if *v == 0 && changed < 5 {
                    *v = 1;
                    changed += 1;
                }
            }
            (variant, base)
        };
        let hits: Vec<_> = (0..5).map(seed_hits).collect();
        let (lo, hi) = hierarchical_bootstrap_ci(&hits, 2000, 7).unwrap();
        let delta = 5.0 / 400.0;
        assert!(lo < delta && delta < hi, "({lo}, {hi})");
        // Every seed has the same Δ, so the seeds alone would give a zero-width interval; the
        // test samples' resampling gives it width.
        assert!(hi - lo > 0.005, "({lo}, {hi})");
        assert_eq!(
            hierarchical_bootstrap_ci(&hits, 2000, 7),
            Some((lo, hi)),
            "repeatable"
        );
        assert_eq!(hierarchical_bootstrap_ci(&hits[..1], 2000, 7), None);
    }

    /// Δ's sums taken in whole numbers, zeros skipped, are exactly the f64 sums in sample order
    /// that the interval was first computed with (and published reports were built with): the
    /// same bits, hit counts up to 255 included.
    #[test]
    fn whole_number_sums_give_the_f64_sums_bit_for_bit() {
        fn in_sample_order(hits: &[(Vec<u8>, Vec<u8>)], resamples: usize, seed: u64) -> (f64, f64) {
            let (seeds, samples) = (hits.len(), hits[0].0.len());
            let differences: Vec<Vec<f64>> = hits
                .iter()
                .map(|(v, b)| {
                    v.iter()
                        .zip(b)
                        .map(|(&v, &b)| f64::from(v) - f64::from(b))
                        .collect()
                })
                .collect();
            let mut draws = Draws::new(seed);
            let mut deltas = Vec::new();
            for _ in 0..resamples {
                let drawn: Vec<usize> = (0..seeds).map(|_| draws.below(seeds)).collect();
                let mut counts = vec![0.0f64; samples];
                for _ in 0..samples {
                    counts[draws.below(samples)] += 1.0;
                }
                let per_seed: Vec<f64> = differences
                    .iter()
                    .map(|d| {
                        d.iter().zip(&counts).map(|(d, c)| d * c).sum::<f64>() / samples as f64
                    })
                    .collect();
                deltas.push(drawn.iter().map(|&s| per_seed[s]).sum::<f64>() / seeds as f64);
            }
            deltas.sort_by(f64::total_cmp);
            let tail = (1.0 - CONFIDENCE) / 2.0;
            (percentile(&deltas, tail), percentile(&deltas, 1.0 - tail))
        }
        let mut draws = Draws::new(11);
        for (seeds, samples, most) in [(2, 1, 1), (3, 7, 1), (5, 400, 1), (4, 300, 255)] {
            let mut vector =
                || -> Vec<u8> { (0..samples).map(|_| draws.below(most + 1) as u8).collect() };
            let hits: Vec<_> = (0..seeds).map(|_| (vector(), vector())).collect();
            let (lo, hi) = hierarchical_bootstrap_ci(&hits, 300, 3).unwrap();
            let (want_lo, want_hi) = in_sample_order(&hits, 300, 3);
            assert_eq!(
                (lo.to_bits(), hi.to_bits()),
                (want_lo.to_bits(), want_hi.to_bits()),
                "{seeds} seeds, {samples} samples, hits up to {most}: ({lo}, {hi}) against ({want_lo}, {want_hi})"
            );
        }
    }

    #[test]
    fn the_relative_lift_scales_the_interval_by_the_base() {
        let effect = PairedEffect::of(&[0.01, 0.03, 0.02]).unwrap();
        let rel = RelativeLift::of(&effect, 0.5).unwrap();
        assert!((rel.lift - 0.04).abs() < 1e-12);
        let (lo, hi) = rel.ci.unwrap();
        let (tlo, thi) = effect.t_ci.unwrap();
        assert!((lo - tlo / 0.5).abs() < 1e-12 && (hi - thi / 0.5).abs() < 1e-12);
        assert_eq!(RelativeLift::of(&effect, 0.0), None);
    }
}
