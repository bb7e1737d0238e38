//! Statistics over the right records: duplicates count once, conflicting records and
//! unusable thresholds are refused, two settings are never pooled as seeds of one cell, and
//! no record value can make `report` or `compare` panic.
mod support;

use prefbench_reports::compare::{compare, CompareError, Thresholds};
use prefbench_reports::{write_report, FailedRun, ReportContext, ReportError};
use prefbench_results::{Cell, RunKey, RunRecord, StepPoint};
use prefbench_testkit::{record, scratch};
use support::{baselines, context, section, write_with};

fn two_seeds() -> Vec<RunRecord> {
    vec![
        record("lastfm", "dmpo", 5, 0, 0.5),
        record("lastfm", "dmpo", 5, 1, 0.625),
    ]
}

#[test]
fn identical_duplicates_count_once_in_the_report() {
    let mut records = two_seeds();
    records.push(records[1].clone());
    records.push(records[1].clone());
    let (_, text) = write_with(&scratch!("dup-report"), &records, &context());
    assert!(
        text.starts_with("# prefbench report: test\n\n") && text.contains("\n\n2 PO runs"),
        "{text}"
    );
    assert!(
        text.contains("| dmpo | 0.5625 ± 0.0884 [0.0000, 1.0000] (n=2) |"),
        "the copy is not a third seed:\n{text}"
    );
}

/// Diverged runs have no record; the report lists them (Markdown and JSON) so that a cell's
/// mean is never silently over fewer seeds, and says nothing when there are none.
#[test]
fn diverged_runs_are_listed_in_both_renderings() {
    let ctx = ReportContext {
        failures: vec![FailedRun {
            key: RunKey {
                cell: Cell {
                    dataset: "lastfm".into(),
                    method: "dynamicpo-dmpo".parse().unwrap(),
                    k: 15,
                },
                seed: 2,
            },
            policy: "transformer/none".into(),
            why: "PO diverged: loss | not finite".into(),
        }],
        ..context()
    };
    let (files, text) = write_with(&scratch!("failed-runs"), &two_seeds(), &ctx);
    let failed = section(&text, "## Failed runs");
    assert!(
        failed.contains("1 run(s) of the latest invocation diverged and have no record"),
        "{failed}"
    );
    assert!(
        failed.contains(
            "| lastfm | dynamicpo-dmpo | 15 | 2 | transformer/none | PO diverged: loss \\| not finite |"
        ),
        "{failed}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    let rows = &json["failed_runs"]["rows"];
    assert_eq!(rows[0][1], "dynamicpo-dmpo", "{json}");
    assert_eq!(rows[0][2], 15, "{json}");
    let (_, clean) = write_with(&scratch!("no-failed-runs"), &two_seeds(), &context());
    assert!(!clean.contains("Failed runs"), "{clean}");
}

#[test]
fn two_different_records_under_one_id_are_refused_before_writing() {
    let mut records = two_seeds();
    let mut changed = records[0].clone();
    changed.test.hr_at_1 = 0.75;
    records.push(changed);
    let dir = scratch!("conflict-report");
    let err = write_report(&dir, &records, &context()).unwrap_err();
    assert!(matches!(err, ReportError::Records(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&records[0].id) && message.contains("record 3"),
        "{message}"
    );
    assert!(!dir.join("report.md").exists());
}

/// `two_seeds` at the spec's PO learning rate, and two more runs with `po.lr = 0.001`.
fn two_settings() -> Vec<RunRecord> {
    let mut records = two_seeds();
    for mut r in two_seeds() {
        r.spec["po"]["lr"] = 1e-3.into();
        r.test.hr_at_1 = 0.125;
        r.id += "-lr";
        records.push(r);
    }
    records
}

#[test]
fn two_settings_are_two_labelled_sections_never_pooled() {
    let dir = scratch!("settings-report");
    let mut records = two_settings();
    let variants: Vec<RunRecord> = records
        .iter()
        .map(|r| {
            let mut v = r.clone();
            v.cell.method = "dynamicpo-dmpo".parse().unwrap();
            v.spec["method"] = "dynamicpo-dmpo".into();
            v.id += "-dynamicpo";
            v
        })
        .collect();
    records.extend(variants);
    let (files, text) = write_with(&dir, &records, &context());
    let slow = section(&text, "## Dataset `lastfm` [po.lr=0.0001]\n");
    let fast = section(&text, "## Dataset `lastfm` [po.lr=0.001]\n");
    assert!(slow.contains("| dmpo | 0.5625 ± 0.0884"), "{slow}");
    assert!(fast.contains("| dmpo | 0.1250 ± 0.0000"), "{fast}");
    assert!(
        !text.contains("(n=4)"),
        "no cell pools the two settings:\n{text}"
    );
    assert!(
        text.contains(
            "| claim | verdict (all datasets) | `lastfm [po.lr=0.0001]` | `lastfm [po.lr=0.001]` \
             | paper |"
        ),
        "each setting has its own verdict column:\n{text}"
    );
    for stem in ["paired-lastfm-setting1.svg", "paired-lastfm-setting2.svg"] {
        assert!(
            files
                .figures
                .iter()
                .any(|f| f.ends_with(format!("figures/{stem}"))),
            "{stem}"
        );
    }
}

/// Records whose values are as extreme as f64 allows, or not numbers at all (in memory:
/// JSON cannot hold NaN, but an overflowing sum gives it).
fn extreme() -> Vec<RunRecord> {
    let mut records = Vec::new();
    for (seed, value) in [1e308, -1e308, f64::NAN, f64::INFINITY, 5.0, f64::MAX]
        .into_iter()
        .enumerate()
    {
        for (method, k) in [("dmpo", 1), ("dmpo", 15), ("dynamicpo-dmpo", 15)] {
            let mut r = record("lastfm", method, k, seed as u64, value);
            r.sft.test.hr_at_1 = value;
            r.sft.valid.hr_at_1 = -value;
            r.final_train_loss = value;
            r.epochs[0].test.hr_at_1 = value;
            r.timings.po_step_median_ms = value;
            r.timings.po_s = value;
            r.timings.selection_share = value;
            r.timings.peak_rss_mib = value;
            r.curve = (0..4)
                .map(|step| StepPoint {
                    step,
                    loss: value,
                    reward_win_rate: value,
                    violating_share: value,
                    boundary_size: value,
                    boundary_grad_share: value,
                    lr: value,
                })
                .collect();
            records.push(r);
        }
    }
    records
}

#[test]
fn extreme_and_non_finite_values_never_panic_and_print_as_n_a() {
    let mut ctx = context();
    ctx.datasets = [baselines("lastfm", [f64::NAN, 1e308, -1.0, f64::INFINITY])].into();
    let (files, text) = write_with(&scratch!("extreme"), &extreme(), &ctx);
    assert!(text.contains("n/a"), "{text}");
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    // Five kinds and the paired difference, each as SVG and PNG.
    assert_eq!(files.figures.len(), 12);
    let json = std::fs::read_to_string(&files.json).unwrap();
    let parsed: serde_json::Value =
        serde_json::from_str(&json).expect("non-finite numbers as null");
    assert!(parsed["datasets"][0]["metrics"][0]["table"]["rows"][0][1]["mean"].is_null());
    // Any subset too: one seed, two seeds, one method.
    for n in [1, 2, 3, 6] {
        let some: Vec<RunRecord> = extreme().into_iter().take(n).collect();
        write_with(&scratch!(&format!("extreme-{n}")), &some, &ctx);
    }
    let c = compare(&extreme(), &extreme(), Thresholds::default()).unwrap();
    assert!(
        c.to_markdown().contains("undefined (n/a values)"),
        "{}",
        c.to_markdown()
    );
}

#[test]
fn compare_refuses_unusable_thresholds() {
    for (hr, time) in [
        (f64::NAN, 0.1),
        (0.01, f64::NAN),
        (-0.01, 0.1),
        (0.01, -1.0),
    ] {
        let err = Thresholds::new(hr, time).unwrap_err();
        assert!(matches!(err, CompareError::Threshold { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("threshold") && message.contains("≥ 0"),
            "{message}"
        );
    }
    assert_eq!(Thresholds::new(0.01, 0.1).unwrap(), Thresholds::default());
    assert!(
        Thresholds::new(0.0, f64::INFINITY).is_ok(),
        "infinity switches a gate off"
    );
}

#[test]
fn compare_counts_duplicates_once_refuses_conflicts_and_keeps_settings_apart() {
    let base = two_seeds();
    let mut doubled = base.clone();
    doubled.push(base[0].clone());
    let c = compare(&base, &doubled, Thresholds::default()).unwrap();
    assert_eq!(c.diffs[0].new.n, 2, "{c:?}");

    let mut conflicting = base.clone();
    let mut changed = base[0].clone();
    changed.test.hr_at_1 = 0.0;
    conflicting.push(changed);
    let err = compare(&base, &conflicting, Thresholds::default()).unwrap_err();
    assert!(
        matches!(err, CompareError::Records { side: "NEW", .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&base[0].id), "{err}");

    let c = compare(&two_settings(), &two_settings(), Thresholds::default()).unwrap();
    assert_eq!(c.shared_cells(), 2, "one cell per setting");
    assert!(
        c.diffs.iter().all(|d| d.base.n == 2 && d.new.n == 2),
        "{c:?}"
    );
    assert!(c.diffs.iter().any(|d| d.setting == "po.lr=0.001"), "{c:?}");
    let c = compare(&two_seeds(), &two_settings(), Thresholds::default()).unwrap();
    assert_eq!(c.only_in_new, ["lastfm/dmpo/K=5 [po.lr=0.001]"]);

    // The version is what compare compares: ignored in the match, refused within a side.
    let mut newer = base.clone();
    newer
        .iter_mut()
        .for_each(|r| r.spec["prefbench"] = "0.2.0".into());
    assert_eq!(
        compare(&base, &newer, Thresholds::default())
            .unwrap()
            .shared_cells(),
        1
    );
    let mut mixed = base.clone();
    let mut other = base[0].clone();
    other.spec["prefbench"] = "0.2.0".into();
    other.id += "-v2";
    mixed.push(other);
    let err = compare(&base, &mixed, Thresholds::default()).unwrap_err();
    assert!(
        matches!(err, CompareError::SeedTwice { seed: 0, .. }),
        "{err}"
    );
}

#[test]
fn compare_prints_flagged_cells_in_one_table_regressions_first() {
    let base: Vec<RunRecord> = (0..3)
        .flat_map(|seed| {
            [
                record("lastfm", "dmpo", 5, seed, 0.5 + seed as f64 / 64.0),
                record("lastfm", "sdpo", 5, seed, 0.5 + seed as f64 / 64.0),
            ]
        })
        .collect();
    let new: Vec<RunRecord> = base
        .iter()
        .cloned()
        .map(|mut r| {
            if r.cell.method.name() == "dmpo" {
                r.test.hr_at_1 -= 0.25;
            } else {
                r.timings.po_s *= 2.0;
            }
            r
        })
        .collect();
    let text = compare(&base, &new, Thresholds::default())
        .unwrap()
        .to_markdown();
    let table = &text[text.find("\n| cell |").expect("a table") + 1..];
    assert_eq!(
        table,
        "| cell | metric | base | new | change | Welch p | verdict |\n\
         |:--|:--|--:|--:|--:|--:|:--|\n\
         | lastfm/dmpo/K=5 | test HR@1 | 0.5156 (n=3) | 0.2656 (n=3) | -0.2500 | < 0.001 | **regressed** |\n\
         | lastfm/sdpo/K=5 | PO wall-clock (s) | 51.0000 (n=3) | 102.0000 (n=3) | +100.0% | < 0.001 | **regressed** |\n",
        "{text}"
    );
}
