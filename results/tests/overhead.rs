//! The overhead record (`overhead.json`) reads back as written and refuses another schema, and
//! its analysis gives the geometric-mean ratios and 95 % t intervals that numpy and scipy give
//! (`scripts/overhead_reference.py`) and C6's verdicts.
use prefbench_results::overhead::{
    analyse, Clock, GeometricRatio, OverheadError, OverheadRecord, OverheadVerdict,
    PairMeasurement, RepetitionTimes, OVERHEAD_SCHEMA,
};
use prefbench_results::Environment;

/// Base steps of 1 s, variant steps `variant` (CPU) and twice the base (wall), a median of 2 ms
/// of selection (one long outlier, as a preemption leaves): a batch of 128 makes 15.625 µs a
/// sample.
fn pair(method: &str, base: &str, variant: &[f64]) -> PairMeasurement {
    let selection = [0.001, 0.002, 0.009, 0.002];
    PairMeasurement {
        method: method.parse().unwrap(),
        base: base.parse().unwrap(),
        k: 15,
        repetitions: variant
            .iter()
            .zip(selection.iter().cycle())
            .enumerate()
            .map(|(i, (&v, &selection_seconds))| RepetitionTimes {
                variant_first: i % 2 == 0,
                variant_cpu_seconds: v,
                base_cpu_seconds: 1.0,
                variant_wall_seconds: 2.0,
                base_wall_seconds: 1.0,
                selection_seconds,
            })
            .collect(),
    }
}

fn record(pairs: Vec<PairMeasurement>) -> OverheadRecord {
    OverheadRecord {
        schema: OVERHEAD_SCHEMA,
        device: "Cpu".into(),
        threads: 1,
        clock: Clock::Cpu,
        batch: 128,
        items: 4606,
        warmup: 10,
        pairs,
        environment: Environment {
            prefbench: "0.2.0".into(),
            git_commit: None,
            tch: "0.24.0".into(),
            libtorch: Some("2.11.0".into()),
            libtorch_loaded: None,
            os: "linux".into(),
            arch: "x86_64".into(),
            cpu_model: None,
            cores: 2,
            torch_threads: 1,
            cuda_available: false,
            cuda_device_names: Vec::new(),
            cudnn_available: false,
        },
    }
}

const DMPO: [f64; 4] = [1.10, 1.20, 1.00, 1.05];
const SDPO: [f64; 4] = [0.99, 1.01, 1.00, 1.02];

fn two_pairs() -> OverheadRecord {
    record(vec![
        pair("dynamicpo-dmpo", "dmpo", &DMPO),
        pair("dynamicpo-sdpo", "sdpo", &SDPO),
    ])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn assert_ratio(got: GeometricRatio, n: usize, ratio: f64, (lo, hi): (f64, f64)) {
    let (got_lo, got_hi) = got.ci95.expect("an interval");
    assert_eq!(got.n, n);
    assert!(
        close(got.ratio, ratio) && close(got_lo, lo) && close(got_hi, hi),
        "{got:?}, expected {ratio} ({lo}, {hi})"
    );
}

/// scripts/overhead_reference.py; the first ratio by hand: (1.1 · 1.2 · 1 · 1.05)^¼ = 1.386^¼.
#[test]
fn ratios_and_intervals_match_scipy() {
    let analysis = analyse(&two_pairs()).unwrap();
    assert!(close(1.386f64.powf(0.25), 1.0850276550489002));
    let [dmpo, sdpo] = &analysis.pairs[..] else {
        panic!("two pairs")
    };
    assert_ratio(
        dmpo.ratio,
        4,
        1.0850276550489002,
        (0.9589827310935227, 1.227639428791865),
    );
    assert_ratio(
        sdpo.ratio,
        4,
        1.0049378065577068,
        (0.9846034275684938, 1.0256921383495399),
    );
    assert_ratio(
        analysis.pooled,
        8,
        1.0442151654325338,
        (0.9883105725986127, 1.1032820471122666),
    );
    // Every wall ratio is 2: no spread, an interval of one point.
    assert_ratio(dmpo.wall, 4, 2.0, (2.0, 2.0));
    assert!(close(dmpo.selection_us_per_sample, 15.625));
    assert_eq!(dmpo.verdict, OverheadVerdict::Inconclusive);
    assert_eq!(sdpo.verdict, OverheadVerdict::Reproduced);
    assert_eq!(analysis.verdict, OverheadVerdict::Inconclusive);
}

/// The record's clock decides what the ratio and the verdict read.
#[test]
fn the_wall_clock_is_read_where_the_record_says() {
    let mut record = two_pairs();
    record.clock = Clock::Wall;
    let analysis = analyse(&record).unwrap();
    assert_ratio(analysis.pooled, 8, 2.0, (2.0, 2.0));
    assert_eq!(analysis.verdict, OverheadVerdict::NotReproduced);
}

#[test]
fn the_verdict_is_c6s_rule_on_the_interval() {
    let ratio = |ci95| GeometricRatio {
        n: 2,
        ratio: 1.0,
        ci95,
    };
    assert_eq!(
        ratio(Some((0.9, 1.049))).verdict(),
        OverheadVerdict::Reproduced
    );
    assert_eq!(
        ratio(Some((1.051, 1.2))).verdict(),
        OverheadVerdict::NotReproduced
    );
    assert_eq!(
        ratio(Some((1.0, 1.05))).verdict(),
        OverheadVerdict::Inconclusive
    );
    assert_eq!(ratio(None).verdict(), OverheadVerdict::Inconclusive);
    // One repetition has no spread, hence no interval.
    let one = analyse(&record(vec![pair("dynamicpo-mppo", "mppo", &[1.0])])).unwrap();
    assert_eq!(one.pooled.ci95, None);
    assert_eq!(one.verdict, OverheadVerdict::Inconclusive);
}

#[test]
fn records_without_a_ratio_are_refused() {
    assert!(matches!(
        analyse(&record(Vec::new())),
        Err(OverheadError::NoPairs)
    ));
    assert!(matches!(
        analyse(&record(vec![pair("dynamicpo-dmpo", "dmpo", &[])])),
        Err(OverheadError::NoRepetitions { .. })
    ));
    let zero = analyse(&record(vec![pair("dynamicpo-dmpo", "dmpo", &[1.0, 0.0])]));
    let message = zero.unwrap_err().to_string();
    assert!(message.contains("repetition 1"), "{message}");
}

#[test]
fn a_record_reads_back_as_written_and_another_schema_is_refused() {
    let dir = prefbench_testkit::scratch!("overhead_read");
    let path = dir.join("overhead.json");
    let written = two_pairs();
    std::fs::write(&path, serde_json::to_vec_pretty(&written).unwrap()).unwrap();
    assert_eq!(OverheadRecord::read(&path).unwrap(), written);
    let mut value = serde_json::to_value(&written).unwrap();
    assert_eq!(value["clock"], "cpu");
    assert_eq!(value["pairs"][0]["method"], "dynamicpo-dmpo");
    value["schema"] = 2.into();
    value["pairs"] = "another layout".into();
    std::fs::write(&path, value.to_string()).unwrap();
    let refused = OverheadRecord::read(&path).unwrap_err();
    assert!(
        matches!(refused, OverheadError::Schema { found: 2, .. }),
        "{refused}"
    );
}
