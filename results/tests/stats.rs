use prefbench_results::stats::{
    aggregate, bootstrap_ci, bootstrap_ci95, bootstrap_ci_from, bootstrap_indices, holm,
    linear_trend, mean, median, minimum_detectable_effect, noncentral_t_cdf, noncentral_t_sf,
    paired_t_power, paired_t_test, sample_std, seeds_needed, welch_t_test, wilcoxon_signed_rank,
    PairedEffect, SeedsNeeded, Summary, ALPHA, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, MAX_SEEDS,
    POWER,
};
use prefbench_results::{Cell, CellKey};
use prefbench_testkit::record;

/// Reference values from python3's `statistics.mean` and `statistics.stdev`.
const PYTHON: &[(&[f64], f64, f64)] = &[
    (
        &[0.5848, 0.6661, 0.6383],
        0.6297333333333334,
        0.04132146334937008,
    ),
    (
        &[0.1, 0.2, 0.3, 0.4, 0.5, 0.55],
        0.3416666666666667,
        0.17440374613713625,
    ),
    (&[0.7], 0.7, 0.0),
    (
        &[1e-3, 2.5e-3, 7.25e-3, 0.125],
        0.0339375,
        0.06076675866239151,
    ),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn mean_and_std_match_python_statistics() {
    for &(values, want_mean, want_std) in PYTHON {
        let (m, s) = (mean(values).unwrap(), sample_std(values).unwrap());
        assert!(close(m, want_mean), "mean {values:?}: {m} vs {want_mean}");
        assert!(close(s, want_std), "std {values:?}: {s} vs {want_std}");
    }
}

/// Reference values from python3's `statistics.median`.
#[test]
fn median_matches_python_statistics() {
    let cases: &[(&[f64], f64)] = &[
        (&[3.0, 1.0, 2.0], 2.0),
        (&[4.0, 1.0, 3.0, 2.0], 2.5),
        (&[5.5], 5.5),
        (&[2.0, -1.0], 0.5),
    ];
    for &(values, want) in cases {
        assert_eq!(median(values), Some(want), "{values:?}");
    }
    assert_eq!(median(&[]), None);
}

#[test]
fn empty_input_has_no_summary() {
    assert_eq!(mean(&[]), None);
    assert_eq!(sample_std(&[]), None);
    assert_eq!(Summary::of(&[]), None);
}

#[test]
fn aggregate_groups_by_cell_over_seeds() {
    let hr = [0.5848, 0.6661, 0.6383];
    let mut records: Vec<_> = hr
        .iter()
        .enumerate()
        .map(|(seed, &h)| record("lastfm", "dmpo", 15, seed as u64, h))
        .collect();
    records.push(record("lastfm", "dmpo", 1, 0, 0.7));
    records.push(record("goodreads", "dmpo", 15, 0, 0.1));

    let cells = aggregate(&records, |r| r.test.hr_at_1);
    let keys: Vec<(&str, usize)> = cells
        .keys()
        .map(|c| (c.cell.dataset.as_str(), c.cell.k))
        .collect();
    assert_eq!(keys, [("goodreads", 15), ("lastfm", 1), ("lastfm", 15)]);

    let key = CellKey::of(&records[0]);
    assert_eq!(
        key.cell,
        Cell {
            dataset: "lastfm".into(),
            method: "dmpo".parse().unwrap(),
            k: 15,
        }
    );
    let s = cells[&key];
    assert_eq!(s.n, 3);
    assert!(
        close(s.mean, PYTHON[0].1) && close(s.std, PYTHON[0].2),
        "{s:?}"
    );
    let single = cells.values().find(|s| s.mean == 0.7).unwrap();
    assert_eq!((single.n, single.std), (1, 0.0));
}

/// Agreement with `stats_reference.py`, whose t probabilities come from numerical integration
/// of the density (independent of statrs), accurate to about 1e-9.
fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-7
}

// Every expected value below is printed by `python3 results/tests/stats_reference.py`.

#[test]
fn t_confidence_intervals_match_python() {
    for (values, lo, hi) in [
        (PYTHON[0].0, 0.5270851279224602, 0.7323815387442065),
        (PYTHON[1].0, 0.15864115973899479, 0.5246921735943386),
    ] {
        let (l, h) = Summary::of(values).unwrap().ci95().unwrap();
        assert!(near(l, lo) && near(h, hi), "{values:?}: ({l}, {h})");
    }
    assert_eq!(
        Summary::of(&[0.7]).unwrap().ci95(),
        None,
        "one seed, no interval"
    );
}

#[test]
fn paired_and_welch_t_tests_match_python() {
    let p = paired_t_test(&[0.05, 0.07, 0.02]).unwrap();
    assert!(near(p, 0.08479136935514131), "{p}");
    let p = paired_t_test(&[0.01, -0.02, 0.03, 0.005, 0.012]).unwrap();
    assert!(near(p, 0.40984018349532114), "{p}");
    let p = welch_t_test(&[0.5, 0.52, 0.49], &[0.45, 0.47, 0.44, 0.46]).unwrap();
    assert!(near(p, 0.011756015260897978), "{p}");
    let p = welch_t_test(&[10.0, 11.0, 10.5], &[10.2, 12.5, 11.0]).unwrap();
    assert!(near(p, 0.39806690319055005), "{p}");
    assert_eq!(paired_t_test(&[0.1]), None, "one pair cannot be tested");
    assert_eq!(welch_t_test(&[0.1], &[0.2, 0.3]), None);
    assert_eq!(paired_t_test(&[0.0, 0.0]), Some(1.0), "identical seeds");
    assert_eq!(welch_t_test(&[1.0, 1.0], &[2.0, 2.0]), Some(0.0));
}

#[test]
fn exact_wilcoxon_matches_python_enumeration() {
    let cases: &[(&[f64], f64)] = &[
        (&[0.5, -1.0, 1.5, 2.0, 2.5], 0.1875),
        (&[1.0, 1.0, -2.0, 3.0, 0.0, 4.0, -4.0], 0.78125),
        (&[0.1, 0.2, 0.3], 0.25),
        (
            &[
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, -12.0,
            ],
            0.0341796875,
        ),
        (
            &[
                -0.3, 0.3, 0.3, 0.7, 0.9, -1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9,
            ],
            0.0030517578125,
        ),
    ];
    for &(d, want) in cases {
        let p = wilcoxon_signed_rank(d).unwrap();
        assert!((p - want).abs() < 1e-12, "{d:?}: {p} vs {want}");
    }
    assert_eq!(wilcoxon_signed_rank(&[]), None);
    assert_eq!(wilcoxon_signed_rank(&[0.0, 0.0]), Some(1.0));
}

#[test]
fn wilcoxon_uses_the_tie_corrected_normal_approximation_above_the_exact_limit() {
    // 53 non-zero differences with ties (two 5s): past WILCOXON_EXACT_MAX.
    let mut d: Vec<f64> = (1..=51)
        .map(|i| if i % 3 == 0 { -(i as f64) } else { i as f64 })
        .collect();
    d.extend([5.0, -5.0]);
    let p = wilcoxon_signed_rank(&d).unwrap();
    assert!((p - 0.053068024528538316).abs() < 1e-9, "{p}");
}

#[test]
fn linear_trend_matches_python() {
    let points = [
        (5.0, 0.545),
        (5.0, 0.528),
        (5.0, 0.533),
        (15.0, 0.495),
        (15.0, 0.485),
        (15.0, 0.486),
    ];
    let t = linear_trend(&points).unwrap();
    assert!(near(t.slope, -0.0046666666666666705), "{t:?}");
    assert!(near(t.p, 0.0014390896258333896), "{t:?}");
    // The slope's 95% interval: slope ± t(0.975, 4) · se, with scipy.stats.linregress's
    // stderr 0.0005962847939999448 and scipy.stats.t.ppf(0.975, 4).
    let (lo, hi) = t.ci.unwrap();
    assert!(
        near(lo, -0.006322218664271692) && near(hi, -0.0030111146690616495),
        "{t:?}"
    );
    assert_eq!(t.n, 6);
    assert_eq!(linear_trend(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
}

#[test]
fn aggregate_never_pools_two_settings_as_seeds_of_one_cell() {
    let mut records: Vec<_> = (0..3)
        .map(|seed| record("lastfm", "dmpo", 15, seed, 0.5))
        .collect();
    for seed in 0..2 {
        let mut r = record("lastfm", "dmpo", 15, seed, 0.25);
        r.spec["po"]["lr"] = 1e-3.into();
        r.id += "-lr";
        records.push(r);
    }
    let cells = aggregate(&records, |r| r.test.hr_at_1);
    let summaries: Vec<(usize, f64)> = cells.values().map(|s| (s.n, s.mean)).collect();
    assert_eq!(summaries.len(), 2, "two settings, two cells: {cells:?}");
    assert!(summaries.contains(&(3, 0.5)) && summaries.contains(&(2, 0.25)));
    // The seed is not part of the setting.
    assert_eq!(CellKey::of(&records[0]), CellKey::of(&records[1]));
}

#[test]
fn non_finite_and_extreme_values_give_no_test_and_never_panic() {
    let nan = f64::NAN;
    for values in [
        vec![nan, 0.5, 0.25],
        vec![f64::INFINITY, 0.5],
        vec![1e308, 1e308, -1e308],
        vec![f64::MAX, f64::MAX],
    ] {
        let s = Summary::of(&values).unwrap();
        assert_eq!(s.ci95(), None, "{values:?}: {s:?}");
        assert_eq!(paired_t_test(&values), None, "{values:?}");
        assert_eq!(welch_t_test(&values, &[0.1, 0.2]), None, "{values:?}");
        assert_eq!(welch_t_test(&[0.1, 0.2], &values), None, "{values:?}");
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect();
        let mut three = points.clone();
        three.push((9.0, 0.5));
        let _ = linear_trend(&three);
    }
    assert_eq!(wilcoxon_signed_rank(&[nan, 0.1, 0.2]), None);
    assert_eq!(wilcoxon_signed_rank(&[f64::INFINITY, 0.1]), None);
    assert_eq!(linear_trend(&[(1.0, nan), (2.0, 0.5), (3.0, 0.25)]), None);
    // Extreme but finite differences still test.
    assert!(paired_t_test(&[1e-300, 2e-300, 3e-300]).is_some());
    assert!(wilcoxon_signed_rank(&[1e300, -1e300, 2e300]).is_some());
}

/// Reference values from scipy, numpy and statsmodels, written by
/// `scripts/stats_power_reference.py` (which says how to run it) into
/// `tests/fixtures/power_reference.json`.
fn reference() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/power_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn u(v: &serde_json::Value) -> usize {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}")) as usize
}

#[test]
fn the_fixture_uses_the_constants_of_the_code() {
    let r = reference();
    assert_eq!(f(&r["alpha"]), ALPHA);
    assert_eq!(f(&r["power"]), POWER);
    assert_eq!(u(&r["cap"]), MAX_SEEDS);
}

#[test]
fn noncentral_t_matches_scipy() {
    let r = reference();
    let cases = r["noncentral_t"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let (t, df, nc) = (f(&c["t"]), f(&c["df"]), f(&c["nc"]));
        let cdf = noncentral_t_cdf(t, df, nc).unwrap();
        let sf = noncentral_t_sf(t, df, nc).unwrap();
        assert!((cdf - f(&c["cdf"])).abs() < 1e-10, "{c}: cdf {cdf}");
        assert!((sf - f(&c["sf"])).abs() < 1e-10, "{c}: sf {sf}");
    }
    // With nc = 0 it is Student's t, which statrs has.
    let p = paired_t_test(&[0.05, 0.07, 0.02]).unwrap();
    let t = 0.04666666666666667 / (0.025166114784235832 / 3f64.sqrt());
    assert!((2.0 * noncentral_t_sf(t, 2.0, 0.0).unwrap() - p).abs() < 1e-10);
    assert_eq!(noncentral_t_cdf(f64::NAN, 3.0, 0.0), None);
    assert_eq!(noncentral_t_sf(1.0, 0.0, 0.0), None);
}

#[test]
fn paired_power_matches_statsmodels() {
    let r = reference();
    for c in r["paired_power"].as_array().unwrap() {
        let power = paired_t_power(f(&c["d"]), u(&c["n"]), ALPHA).unwrap();
        assert!((power - f(&c["power"])).abs() < 1e-9, "{c}: {power}");
    }
    assert_eq!(paired_t_power(1.0, 1, ALPHA), None, "one pair has no test");
    assert_eq!(paired_t_power(f64::NAN, 5, ALPHA), None);
}

#[test]
fn minimum_detectable_effect_matches_statsmodels() {
    let r = reference();
    for c in r["mde"].as_array().unwrap() {
        let n = u(&c["n"]);
        let d = minimum_detectable_effect(n).unwrap();
        let want = f(&c["d"]);
        assert!(
            (d - want).abs() < 1e-8 * want.max(1.0),
            "n = {n}: {d} vs {want}"
        );
        assert!((paired_t_power(d, n, ALPHA).unwrap() - POWER).abs() < 1e-9);
    }
    assert_eq!(minimum_detectable_effect(1), None);
    assert!(
        minimum_detectable_effect(5) < minimum_detectable_effect(4),
        "more seeds, less"
    );
}

#[test]
fn seeds_needed_matches_a_statsmodels_scan() {
    let r = reference();
    for c in r["seeds_needed"].as_array().unwrap() {
        let d = f(&c["d"]);
        let want = match c["n"].as_u64() {
            Some(n) => SeedsNeeded::Seeds(n as usize),
            None => SeedsNeeded::MoreThan(MAX_SEEDS),
        };
        assert_eq!(seeds_needed(d), Some(want), "{c}");
        assert_eq!(
            seeds_needed(-d),
            Some(want),
            "two-sided: the sign does not matter"
        );
    }
    assert_eq!(seeds_needed(0.0), Some(SeedsNeeded::MoreThan(MAX_SEEDS)));
    assert_eq!(seeds_needed(f64::INFINITY), Some(SeedsNeeded::Seeds(2)));
    assert_eq!(seeds_needed(f64::NAN), None);
    assert_eq!(SeedsNeeded::MoreThan(1000).to_string(), "> 1000");
    assert_eq!(SeedsNeeded::Seeds(8).to_string(), "8");
}

#[test]
fn holm_matches_statsmodels_multipletests() {
    let r = reference();
    for c in r["holm"].as_array().unwrap() {
        let p: Vec<f64> = c["p"].as_array().unwrap().iter().map(f).collect();
        let want: Vec<f64> = c["adjusted"].as_array().unwrap().iter().map(f).collect();
        let got = holm(&p);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-15, "{p:?}: {got:?} vs {want:?}");
        }
    }
    assert!(holm(&[]).is_empty());
    let adjusted = holm(&[0.01, f64::NAN]);
    assert!(adjusted[1].is_nan() && adjusted[0] == 0.02, "{adjusted:?}");
}

#[test]
fn bootstrap_percentiles_match_numpy_on_the_same_indices() {
    let r = reference();
    for c in r["bootstrap"].as_array().unwrap() {
        let values: Vec<f64> = c["values"].as_array().unwrap().iter().map(f).collect();
        let indices: Vec<usize> = c["indices"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(u))
            .collect();
        assert_eq!(indices.len(), 1000 * values.len());
        let (lo, hi) = bootstrap_ci_from(&values, &indices).unwrap();
        let (want_lo, want_hi) = (f(&c["ci"][0]), f(&c["ci"][1]));
        assert!(
            (lo - want_lo).abs() < 1e-14 && (hi - want_hi).abs() < 1e-14,
            "{values:?}: ({lo}, {hi}) vs ({want_lo}, {want_hi})"
        );
        // Our own generator, 10,000 resamples: close to scipy.stats.bootstrap's percentile
        // interval from 200,000 resamples of another generator (Monte Carlo error only).
        let (lo, hi) = bootstrap_ci95(&values).unwrap();
        let (s_lo, s_hi) = (
            f(&c["scipy_percentile_ci"][0]),
            f(&c["scipy_percentile_ci"][1]),
        );
        let tolerance = 0.02 * (s_hi - s_lo);
        assert!(
            (lo - s_lo).abs() < tolerance && (hi - s_hi).abs() < tolerance,
            "{values:?}: ({lo}, {hi}) vs scipy ({s_lo}, {s_hi})"
        );
    }
}

#[test]
fn bootstrap_is_reproducible_centred_and_narrows_with_more_seeds() {
    // The same seed gives the same indices and interval, to the bit; another seed does not.
    let values = [0.03, -0.01, 0.05, 0.02, 0.04, 0.0, 0.06];
    let indices = bootstrap_indices(values.len(), BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
    assert_eq!(indices.len(), values.len() * BOOTSTRAP_RESAMPLES);
    assert_eq!(
        indices,
        bootstrap_indices(values.len(), BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)
    );
    assert_ne!(
        indices,
        bootstrap_indices(values.len(), BOOTSTRAP_RESAMPLES, 1)
    );
    assert_eq!(
        bootstrap_ci95(&values),
        bootstrap_ci_from(&values, &indices)
    );
    assert_eq!(bootstrap_ci95(&values), bootstrap_ci95(&values));
    // Every position is drawn about equally often (the draw is unbiased): 10,000 draws per
    // position expected, binomial SD about 93.
    let mut counts = vec![0usize; values.len()];
    indices.iter().for_each(|&i| counts[i] += 1);
    assert!(
        counts
            .iter()
            .all(|&c| c.abs_diff(BOOTSTRAP_RESAMPLES) < 500),
        "{counts:?}"
    );

    // Symmetric data: the interval holds the mean and is nearly symmetric about it.
    let symmetric = [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3];
    let (lo, hi) = bootstrap_ci95(&symmetric).unwrap();
    assert!(lo < 0.0 && 0.0 < hi, "({lo}, {hi})");
    assert!((lo + hi).abs() < 0.1 * (hi - lo), "({lo}, {hi})");

    // The interval shrinks like 1/√n: the same spread over 4× the seeds, about half as wide.
    let few: Vec<f64> = (0..8).map(|i| (i % 4) as f64 / 10.0).collect();
    let many: Vec<f64> = (0..32).map(|i| (i % 4) as f64 / 10.0).collect();
    let width = |v: &[f64]| {
        let (lo, hi) = bootstrap_ci95(v).unwrap();
        hi - lo
    };
    let ratio = width(&many) / width(&few);
    assert!((0.4..0.6).contains(&ratio), "{ratio}");

    // Constant data: a point; fewer than two values or a NaN: no interval.
    assert_eq!(bootstrap_ci95(&[0.25, 0.25, 0.25]), Some((0.25, 0.25)));
    assert_eq!(bootstrap_ci95(&[0.25]), None);
    assert_eq!(bootstrap_ci95(&[0.25, f64::NAN]), None);
    assert_eq!(
        bootstrap_ci_from(&[0.1, 0.2], &[0, 2]),
        None,
        "index out of range"
    );
    assert_eq!(bootstrap_ci(&[0.1, 0.2], 0, 1), None, "no resample");
}

#[test]
fn bootstrap_interval_covers_the_true_mean_about_95_percent_of_the_time() {
    // 400 samples of 10 from a known distribution (a deterministic sequence, uniform on
    // [-0.5, 0.5] shifted by 1): the percentile interval is a little liberal at n = 10, so
    // its coverage lies between 85% and 99%; a broken interval (a wrong percentile, a
    // biased draw) falls far outside.
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let covered = (0..400)
        .filter(|i| {
            let sample: Vec<f64> = (0..10).map(|_| 1.0 + next()).collect();
            let (lo, hi) = bootstrap_ci(&sample, 2000, *i).unwrap();
            lo <= 1.0 && 1.0 <= hi
        })
        .count();
    assert!((340..=396).contains(&covered), "{covered} of 400");
}

#[test]
fn paired_effect_gathers_interval_test_and_power() {
    let d = [0.05, 0.07, 0.02, 0.04, 0.06];
    let e = PairedEffect::of(&d).unwrap();
    assert_eq!(e.n, 5);
    assert!(close(e.mean, 0.048) && close(e.sd, sample_std(&d).unwrap()));
    assert_eq!(e.t_ci, Summary::of(&d).unwrap().ci95());
    assert_eq!(e.bootstrap_ci, bootstrap_ci95(&d));
    assert_eq!(e.p, paired_t_test(&d));
    let mde = minimum_detectable_effect(5).unwrap() * e.sd;
    assert!(close(e.mde.unwrap(), mde), "{e:?}");
    assert_eq!(e.seeds_needed, seeds_needed(e.mean / e.sd));
    let (t_lo, t_hi) = e.t_ci.unwrap();
    let (b_lo, b_hi) = e.bootstrap_ci.unwrap();
    assert!(
        t_lo < b_lo && b_hi < t_hi,
        "five seeds: the bootstrap is the narrower"
    );

    let one = PairedEffect::of(&[0.1]).unwrap();
    assert_eq!(
        (one.t_ci, one.bootstrap_ci, one.p, one.mde, one.seeds_needed),
        (None, None, None, None, None)
    );
    let flat = PairedEffect::of(&[0.25, 0.25, 0.25]).unwrap();
    assert_eq!(flat.seeds_needed, Some(SeedsNeeded::Seeds(2)));
    assert_eq!(flat.mde, Some(0.0));
    let zero = PairedEffect::of(&[0.0, 0.0]).unwrap();
    assert_eq!(
        zero.seeds_needed, None,
        "no effect and no spread: undefined"
    );
    assert_eq!(PairedEffect::of(&[]), None);
    let nan = PairedEffect::of(&[f64::NAN, 0.1]).unwrap();
    assert_eq!(
        (nan.bootstrap_ci, nan.mde, nan.seeds_needed),
        (None, None, None)
    );
}
