mod common;

use common::record;
use prefbench_results::stats::{
    aggregate, linear_trend, mean, median, paired_t_test, sample_std, welch_t_test,
    wilcoxon_signed_rank, Summary,
};
use prefbench_results::{Cell, CellKey};

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
