mod common;

use common::record;
use prefbench_results::stats::{aggregate, mean, sample_std, Summary};
use prefbench_results::Cell;

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
    let keys: Vec<(&str, usize)> = cells.keys().map(|c| (c.dataset.as_str(), c.k)).collect();
    assert_eq!(keys, [("goodreads", 15), ("lastfm", 1), ("lastfm", 15)]);

    let cell = Cell {
        dataset: "lastfm".into(),
        method: "dmpo".into(),
        k: 15,
    };
    let s = cells[&cell];
    assert_eq!(s.n, 3);
    assert!(
        close(s.mean, PYTHON[0].1) && close(s.std, PYTHON[0].2),
        "{s:?}"
    );
    let single = cells.values().find(|s| s.mean == 0.7).unwrap();
    assert_eq!((single.n, single.std), (1, 0.0));
}
