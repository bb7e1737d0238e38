use prefbench_reports::{write_report, DatasetFacts, ReportContext, ReportFiles};
use prefbench_results::RunRecord;
use prefbench_testkit::{record, scratch};
use std::fs;
use std::path::Path;

/// A partial matrix: `dynamicpo-dmpo` lacks K = 5 and has one seed at K = 3.
fn records() -> Vec<RunRecord> {
    vec![
        record("synthetic-demo", "dmpo", 1, 0, 0.5),
        record("synthetic-demo", "dmpo", 1, 1, 0.625),
        record("synthetic-demo", "dmpo", 3, 0, 0.375),
        record("synthetic-demo", "dmpo", 3, 1, 0.375),
        record("synthetic-demo", "dmpo", 5, 0, 0.25),
        record("synthetic-demo", "dynamicpo-dmpo", 1, 0, 0.5),
        record("synthetic-demo", "dynamicpo-dmpo", 1, 1, 0.5),
        record("synthetic-demo", "dynamicpo-dmpo", 3, 0, 0.4375),
        record("lastfm", "dmpo", 5, 0, 0.25),
    ]
}

fn context() -> ReportContext {
    ReportContext {
        title: "demo".into(),
        sections: vec![
            ("Environment".into(), "- threads: 2\n".into()),
            ("Configuration".into(), "```yaml\nseeds: [0, 1]\n```".into()),
        ],
        datasets: [(
            "synthetic-demo".to_string(),
            DatasetFacts {
                synthetic: true,
                ..DatasetFacts::default()
            },
        )]
        .into(),
        failures: Vec::new(),
        overhead: None,
    }
}

fn write(dir: &Path, records: &[RunRecord]) -> (ReportFiles, String) {
    let files = write_report(dir, records, &context()).unwrap();
    let text = fs::read_to_string(&files.report).unwrap();
    (files, text)
}

#[test]
fn report_states_scale_and_synthetic_data_and_holds_context() {
    let (_, text) = write(&scratch!("report-context"), &records());
    assert!(text.starts_with("# prefbench report: demo\n"), "{text}");
    assert!(text.contains("it is not a 7B LLM"), "{text}");
    assert!(text.contains("`synthetic-demo` is synthetic"), "{text}");
    assert!(
        text.contains("## Dataset `synthetic-demo` (synthetic: a pipeline check, not evidence)"),
        "{text}"
    );
    assert!(text.contains("## Dataset `lastfm`\n"), "{text}");
    assert!(text.contains("## Environment\n\n- threads: 2\n"), "{text}");
    assert!(
        text.contains("## Configuration\n\n```yaml\nseeds: [0, 1]\n```\n"),
        "{text}"
    );
}

#[test]
fn tables_show_mean_std_n_and_missing_cells() {
    let (_, text) = write(&scratch!("report-tables"), &records());
    let demo = &text[text.find("## Dataset `synthetic-demo`").unwrap()..];
    for line in [
        "| method | K = 1 | K = 3 | K = 5 |",
        // python3: statistics.mean([0.5, 0.625]), statistics.stdev(...) = 0.5625, 0.0884; the
        // t interval [-0.2316, 1.3566] is clamped to the range of a rate.
        "| dmpo | 0.5625 ± 0.0884 [0.0000, 1.0000] (n=2) | 0.3750 ± 0.0000 [0.3750, 0.3750] (n=2) | 0.2500 ± 0.0000 (n=1) |",
        "| dynamicpo-dmpo | 0.5000 ± 0.0000 [0.5000, 0.5000] (n=2) | 0.4375 ± 0.0000 (n=1) | – |",
        // SFT HR@1 over seeds 0 and 1: 0.25 and 0.265625, std 0.0110 (python3)
        "SFT reference (before PO): 0.2578 ± 0.0110 [0.1585, 0.3571] (n=2)",
        "### Test HR@5",
        "### Test NDCG@5",
        "| dmpo | 10.50 ± 0.71 (n=2) | 30.50 ± 0.71 (n=2) | 50.00 ± 0.00 (n=1) |",
        "| dynamicpo-dmpo | 10.50 ± 0.71 (n=2) | 30.00 ± 0.00 (n=1) | – |",
        "![Test HR@1 (best-validation epoch) against K on synthetic-demo](figures/hr1-vs-k-synthetic-demo.svg)",
        "[figures/hr1-vs-k-synthetic-demo.png](figures/hr1-vs-k-synthetic-demo.png)",
    ] {
        assert!(demo.contains(line), "missing {line:?} in\n{demo}");
    }
    let lastfm = &text[text.find("## Dataset `lastfm`").unwrap()
        ..text.find("## Dataset `synthetic-demo`").unwrap()];
    assert!(
        lastfm.contains("| dmpo | 0.2500 ± 0.0000 (n=1) |"),
        "{lastfm}"
    );
}

#[test]
fn charts_are_svg_and_png_of_the_chart_size() {
    let dir = scratch!("report-charts");
    let (files, _) = write(&dir, &records());
    let names: Vec<_> = files
        .figures
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().to_owned())
        .collect();
    // `lastfm` ran one K and no pair: no chart against K, no paired difference.
    let kinds_one_k = ["curves", "stages"];
    let kinds = [
        "paired",
        "hr1-vs-k",
        "loss-vs-k",
        "curves",
        "boundary-share-vs-k",
        "wallclock",
        "stages",
    ];
    let want: Vec<std::path::PathBuf> = kinds_one_k
        .iter()
        .map(|k| format!("figures/{k}-lastfm"))
        .chain(kinds.iter().map(|k| format!("figures/{k}-synthetic-demo")))
        .flat_map(|stem| [format!("{stem}.svg"), format!("{stem}.png")])
        .map(Into::into)
        .collect();
    assert_eq!(names, want);
    let svg = fs::read_to_string(dir.join("figures/hr1-vs-k-synthetic-demo.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..80]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    for text in [
        "Test HR@1 (best-validation epoch) against K on synthetic-demo",
        "dynamicpo-dmpo",
        "SFT reference",
        "K (negatives per sample)",
    ] {
        assert!(svg.contains(text), "SVG lacks {text:?}");
    }
    let stages = fs::read_to_string(dir.join("figures/stages-lastfm.svg")).unwrap();
    for text in ["time goes on lastfm", "PO steps", "evaluation, test"] {
        assert!(stages.contains(text), "the stage chart lacks {text:?}");
    }
    let png = fs::read(dir.join("figures/hr1-vs-k-synthetic-demo.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (960, 600));
    let leftovers: Vec<_> = fs::read_dir(dir.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn same_records_in_any_order_give_identical_bytes() {
    let (a, b) = (scratch!("report-det-a"), scratch!("report-det-b"));
    let forward = records();
    let mut backward = records();
    backward.reverse();
    let (files_a, _) = write(&a, &forward);
    write(&b, &backward);
    for path in std::iter::once(&files_a.report).chain(&files_a.figures) {
        let relative = path.strip_prefix(&a).unwrap();
        assert!(
            fs::read(path).unwrap() == fs::read(b.join(relative)).unwrap(),
            "{} differs between two reports of the same records",
            relative.display()
        );
    }
}

#[test]
fn no_records_give_a_short_report_not_an_error() {
    let (files, text) = write(&scratch!("report-empty"), &[]);
    assert!(files.figures.is_empty());
    assert!(text.contains("No run records yet"), "{text}");
    assert!(text.contains("## Environment"), "{text}");
}

/// `dmpo` and `dynamicpo-dmpo` on `lastfm` at K = 1 and 3 over two seeds, under `item_text`
/// (`None`: a record from before the option, which trained item ids only). DynamicPO gains
/// 0.0625 with titles and loses 0.0625 without.
fn regime_records(item_text: Option<&str>, gain: f64) -> Vec<RunRecord> {
    let mut records = Vec::new();
    for k in [1, 3] {
        for seed in [0, 1] {
            for (method, hr) in [("dmpo", 0.25), ("dynamicpo-dmpo", 0.25 + gain)] {
                let mut r = record("lastfm", method, k, seed, hr + seed as f64 / 8.0);
                let model = r.spec["model"].as_object_mut().unwrap();
                match item_text {
                    Some(text) => {
                        model.insert("item_text".into(), text.into());
                        r.id += text;
                    }
                    None => {
                        model.remove("item_text");
                    }
                }
                records.push(r);
            }
        }
    }
    records
}

#[test]
fn one_regime_is_named_and_two_are_reported_apart() {
    let (_, text) = write(
        &scratch!("report-one-regime"),
        &regime_records(None, -0.0625),
    );
    assert!(
        text.contains("Policy: transformer over item ids only.\n"),
        "{text}"
    );
    assert!(text.contains("8 PO runs on 1 dataset(s)"), "{text}");
    assert!(text.contains("## Dataset `lastfm`\n"), "{text}");
    assert!(!text.contains("## Regimes"), "{text}");

    let mut both = regime_records(Some("none"), -0.0625);
    both.extend(regime_records(Some("minilm"), 0.0625));
    let dir = scratch!("report-two-regimes");
    let (files, text) = write(&dir, &both);
    for line in [
        "16 PO runs on 1 dataset(s)",
        "Policies: transformer over item ids only; transformer over item ids + frozen \
         all-MiniLM-L6-v2 title embeddings;",
        "## Dataset `lastfm` (item ids only)\n",
        "## Dataset `lastfm` (item ids + MiniLM titles)\n",
        "| claim | policy | verdict (all datasets) | `lastfm` | paper |",
        "![Test HR@1 (best-validation epoch) against K on lastfm (item ids + MiniLM \
         titles)](figures/hr1-vs-k-lastfm-minilm.svg)",
        "## Regimes\n",
        "| variant − base | K | item ids only | item ids + MiniLM titles |",
        "| dynamicpo-dmpo − dmpo | 1 | -0.0625 (n=2) | +0.0625 (n=2) |",
        "| dynamicpo-dmpo − dmpo | 3 | -0.0625 (n=2) | +0.0625 (n=2) |",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    let ids_section = &text[text.find("## Dataset `lastfm` (item ids only)").unwrap()
        ..text
            .find("## Dataset `lastfm` (item ids + MiniLM titles)")
            .unwrap()];
    assert!(
        ids_section.contains("| dynamicpo-dmpo | 0.2500 ± 0.0884"),
        "the regimes are not pooled:\n{ids_section}"
    );
    for regime in ["item ids only", "item ids + MiniLM titles"] {
        let rows = text
            .lines()
            .filter(|l| l.starts_with("| **C") && l.contains(&format!("| {regime} |")))
            .count();
        assert!(rows >= 1, "no claim verdict for {regime} in\n{text}");
    }
    assert!(files
        .figures
        .iter()
        .any(|f| f.ends_with("figures/wallclock-lastfm-ids.png")));
}

#[test]
fn compare_never_pools_the_two_regimes() {
    use prefbench_reports::compare::{compare, Thresholds};
    let ids = regime_records(None, 0.0);
    let titles = regime_records(Some("minilm"), 0.0);
    // The base ran item ids only, the new set titles only: no cell is shared.
    let c = compare(&ids, &titles, Thresholds::default()).unwrap();
    assert_eq!(c.shared_cells(), 0);
    assert_eq!(c.only_in_base.len(), c.only_in_new.len());
    assert!(
        c.only_in_new[0].contains("model.item_text=minilm"),
        "{:?}",
        c.only_in_new
    );
    // Both regimes on both sides: every cell matched with its own regime.
    let both: Vec<RunRecord> = ids.iter().chain(&titles).cloned().collect();
    assert_eq!(
        compare(&both, &both, Thresholds::default())
            .unwrap()
            .shared_cells(),
        8
    );
}

#[test]
fn synthetic_is_what_the_card_says_not_what_the_name_suggests() {
    let records = vec![
        record("synthetic-lookalike", "dmpo", 1, 0, 0.5),
        record("generated", "dmpo", 1, 0, 0.5),
    ];
    let mut ctx = context();
    ctx.datasets = [(
        "generated".to_string(),
        DatasetFacts::from_card(&serde_json::json!({ "synthetic": true })),
    )]
    .into();
    let files = write_report(&scratch!("report-synthetic-flag"), &records, &ctx).unwrap();
    let text = fs::read_to_string(files.report).unwrap();
    assert!(
        text.contains("## Dataset `generated` (synthetic: a pipeline check, not evidence)"),
        "{text}"
    );
    assert!(
        text.contains("## Dataset `synthetic-lookalike`\n"),
        "{text}"
    );
    assert!(text.contains("`generated` is synthetic"), "{text}");
}

/// A chart an earlier report drew that this one no longer draws is removed, so the directory
/// (and the manifest sealed over it) holds only what the report links; other files stay.
#[test]
fn charts_of_an_earlier_report_that_this_one_does_not_draw_are_removed() {
    let dir = scratch!("report-stale-charts");
    fs::create_dir_all(dir.join("figures")).unwrap();
    for name in ["hr1-vs-k-gone.png", "hr1-vs-k-gone.svg", "notes.txt"] {
        fs::write(dir.join("figures").join(name), "old").unwrap();
    }
    let (files, _) = write(&dir, &records());
    assert!(!files.figures.is_empty());
    assert!(files.figures.iter().all(|f| f.is_file()));
    assert!(!dir.join("figures/hr1-vs-k-gone.png").exists());
    assert!(!dir.join("figures/hr1-vs-k-gone.svg").exists());
    assert!(dir.join("figures/notes.txt").exists(), "not a chart: kept");
}
