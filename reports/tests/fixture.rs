//! The report of a real small run (`fixtures/results.jsonl`, frozen from `prefbench run` on
//! `fixtures/run-config.yaml`: synthetic data, dmpo, dynamicpo-dmpo, sdpo, dynamicpo-sdpo,
//! K ∈ {1, 5, 15}, seeds 0–2, one PO epoch, curves thinned to every second step).
//!
//! The records were converted from schema 1 to schema 2 by hand: `sft_test` became
//! `sft.test`; schema 1 did not record the SFT validation metrics nor the SFT curves, so
//! `sft.valid` is a copy of `sft.test`, `sft.valid_hr_at_1` and `sft.train_loss` are empty and
//! `sft.kept_epoch` is 3 (the config's SFT epochs, no early stopping); with one PO epoch the
//! selected epoch is 1, the last. The trivial baselines of `synthetic` below are illustrative
//! values, not computed from the data.

use prefbench_reports::{write_report, DatasetFacts, ReportContext, ReportFiles};
use prefbench_results::store::read_records;
use prefbench_testkit::scratch;
use std::fs;
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn report(dir: &Path) -> (ReportFiles, String) {
    let records = read_records(Path::new(FIXTURES).join("results.jsonl")).unwrap();
    assert_eq!(records.len(), 36);
    let read = |name: &str| fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap();
    let card = serde_json::json!({ "synthetic": true, "trivial": [
        {"name": "random", "description": "a uniformly random candidate",
         "valid_hr_at_1": 0.05, "test_hr_at_1": 0.05},
        {"name": "popularity", "description": "the most frequent training item",
         "valid_hr_at_1": 0.0769, "test_hr_at_1": 0.0833},
        {"name": "successor", "description": "the item that most often follows the last one",
         "valid_hr_at_1": 0.0947, "test_hr_at_1": 0.1009},
        {"name": "id-order", "description": "the candidate whose id follows the last item's",
         "valid_hr_at_1": 0.0414, "test_hr_at_1": 0.0395},
    ]});
    let ctx = ReportContext {
        title: "fixture".into(),
        datasets: [("synthetic".to_string(), DatasetFacts::from_card(&card))].into(),
        sections: vec![
            (
                "Environment".into(),
                format!("```json\n{}\n```", read("env.json")),
            ),
            (
                "Resolved config".into(),
                format!("```yaml\n{}\n```", read("config.yaml")),
            ),
        ],
        failures: Vec::new(),
        overhead: None,
    };
    let files = write_report(dir, &records, &ctx).unwrap();
    let text = fs::read_to_string(&files.report).unwrap();
    (files, text)
}

#[test]
fn fixture_report_has_every_section_and_a_verdict_per_claim() {
    let (_, text) = report(&scratch!("fixture-sections"));
    for heading in [
        "# prefbench report: fixture\n",
        "## Claims of the paper\n",
        "### Verdict rules\n",
        "## Dataset `synthetic` (synthetic: a pipeline check, not evidence)\n",
        "### Test HR@1\n",
        "### Test HR@5\n",
        "### Test NDCG@5\n",
        "### SFT → PO lift\n",
        "### Trivial baselines\n",
        "### DynamicPO against its base\n",
        "### Figures\n",
        "### Cost\n",
        "## Environment\n",
        "## Resolved config\n",
    ] {
        assert!(text.contains(heading), "missing {heading:?}");
    }
    assert!(text.contains("not a 7B LLM"));
    let claims = &text[text
        .find("| claim | verdict (all datasets) | `synthetic` |")
        .unwrap()..];
    let rows: Vec<&str> = claims
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(rows.len(), 8, "{claims}");
    for (i, row) in rows.iter().enumerate() {
        assert!(row.starts_with(&format!("| **C{}** ", i + 1)), "{row}");
    }
    // Synthetic data only: every testable verdict is a pipeline check.
    for (id, verdict) in [
        ("C5", "**not testable here**"),
        ("C8", "**not testable here**"),
        ("C4", "**pipeline check: "),
        ("C3", "**pipeline check: "),
    ] {
        let row = rows
            .iter()
            .find(|r| r.contains(&format!("**{id}**")))
            .unwrap();
        assert!(row.contains(verdict), "{row}");
    }
    assert!(
        rows[7].contains("not in this matrix: K = 19 runs of"),
        "{}",
        rows[7]
    );
    assert!(
        text.contains("| dynamicpo-dmpo | dmpo | 15 |"),
        "paired table has a row per K"
    );
    assert!(
        text.contains("| dynamicpo-sdpo | sdpo | "),
        "overhead table"
    );
    // PO lowers SFT in 4 of the 36 runs: no warning; successor beats some cells.
    assert!(text.contains("in 4 of 36 runs."), "{text}");
    assert!(!text.contains("Warning: PO lowers"), "{text}");
    assert!(
        text.contains("> **Warning: a trivial baseline beats "),
        "{text}"
    );
    assert!(text.contains("beaten by successor (0.1009)"), "{text}");
    assert!(!text.contains("Ordering artifact"), "{text}");
    assert!(
        text.contains("| SFT reference | the policy before PO | "),
        "{text}"
    );
}

/// The whole report text against the committed snapshot `fixtures/report.md`, so a refactor
/// that changes one character of the output fails here. After an intended change, rewrite the
/// snapshot with `PREFBENCH_BLESS=1 cargo test -p prefbench-reports --test fixture` and review
/// its diff.
#[test]
fn fixture_report_matches_the_snapshot() {
    let (_, text) = report(&scratch!("fixture-snapshot"));
    let snapshot = Path::new(FIXTURES).join("report.md");
    if std::env::var_os("PREFBENCH_BLESS").is_some() {
        fs::write(&snapshot, &text).unwrap();
    }
    let expected = fs::read_to_string(&snapshot).unwrap();
    assert!(
        text == expected,
        "the fixture report differs from {}; rerun with PREFBENCH_BLESS=1 if the change is \
         intended\n{text}",
        snapshot.display()
    );
}

#[test]
fn fixture_charts_are_valid_svg_and_png() {
    let dir = scratch!("fixture-charts");
    let (files, text) = report(&dir);
    // Five kinds and the paired difference, each as SVG and PNG.
    assert_eq!(files.figures.len(), 12);
    for path in &files.figures {
        let relative = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(text.contains(&relative), "report links {relative}");
        let bytes = fs::read(path).unwrap();
        if relative.ends_with(".svg") {
            let svg = String::from_utf8(bytes).unwrap();
            assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
            for method in ["dmpo", "dynamicpo-sdpo"] {
                assert!(svg.contains(method), "{relative} lacks {method}");
            }
        } else {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{relative}");
            assert_eq!(&bytes[12..16], b"IHDR");
            let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
            let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
            assert_eq!((w, h), (960, 600), "{relative}");
        }
    }
}

#[test]
fn fixture_report_is_byte_identical_across_runs() {
    let (a, b) = (scratch!("fixture-det-a"), scratch!("fixture-det-b"));
    let (files, _) = report(&a);
    report(&b);
    for path in [&files.report, &files.json]
        .into_iter()
        .chain(&files.figures)
    {
        let relative = path.strip_prefix(&a).unwrap();
        assert!(
            fs::read(path).unwrap() == fs::read(b.join(relative)).unwrap(),
            "{} differs",
            relative.display()
        );
    }
}

#[test]
fn fixture_compares_with_itself_cell_by_cell() {
    use prefbench_reports::compare::{compare, Thresholds};
    let records = read_records(Path::new(FIXTURES).join("results.jsonl")).unwrap();
    let c = compare(&records, &records, Thresholds::default()).unwrap();
    assert_eq!(c.shared_cells(), 12, "one cell per (method, K)");
    assert!(!c.regressed());
    assert!(c
        .diffs
        .iter()
        .all(|d| d.setting.is_empty() && d.base.n == 3));
}

/// `report.json` of the fixture, parsed.
fn json(dir: &Path) -> (serde_json::Value, String) {
    let (files, text) = report(dir);
    assert_eq!(files.json, dir.join("report.json"));
    let json = serde_json::from_str(&fs::read_to_string(&files.json).unwrap()).unwrap();
    (json, text)
}

#[test]
fn fixture_json_parses_back_with_a_verdict_per_claim() {
    let (json, _) = json(&scratch!("fixture-json-claims"));
    assert_eq!(json["schema"], 3);
    assert_eq!(json["title"], "fixture");
    assert_eq!(json["overview"]["runs"], 36);
    assert_eq!(
        json["overview"]["synthetic"],
        serde_json::json!(["synthetic"])
    );
    let verdicts = json["claims"]["verdicts"].as_array().unwrap();
    let ids: Vec<&str> = verdicts.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]);
    for v in verdicts {
        let verdict = v["verdict"].as_str().unwrap();
        assert!(
            [
                "reproduced",
                "not_reproduced",
                "inconclusive",
                "not_testable"
            ]
            .contains(&verdict),
            "{v}"
        );
        assert!(v["evidence"].is_array() || v["evidence"].is_string(), "{v}");
    }
    assert_eq!(
        verdicts[4]["verdict"], "not_testable",
        "C5 needs two backbones"
    );
    assert_eq!(
        verdicts[2]["pipeline_check"], true,
        "C3 on synthetic data only"
    );
    assert_eq!(verdicts[2]["evidence"][0]["dataset"], "synthetic");
    assert_eq!(json["claims"]["rules"].as_array().unwrap().len(), 8);
    let dataset = &json["datasets"][0];
    assert_eq!(dataset["name"], "synthetic");
    assert_eq!(dataset["synthetic"], true);
    assert_eq!(dataset["figures"].as_array().unwrap().len(), 5);
    assert!(dataset["pairs_figure"]["svg"]
        .as_str()
        .is_some_and(|svg| svg.starts_with("figures/paired-")));
}

#[test]
fn fixture_json_numbers_agree_with_the_markdown() {
    let (json, text) = json(&scratch!("fixture-json-numbers"));
    let hr1 = &json["datasets"][0]["metrics"][0];
    assert_eq!(hr1["metric"], "HR@1");
    let columns: Vec<&str> = hr1["table"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["method", "K = 1", "K = 5", "K = 15"]);
    let row = &hr1["table"]["rows"][0];
    assert_eq!(row[0], "dmpo");
    let cell = &row[1];
    let f = |v: &serde_json::Value| format!("{:.4}", v.as_f64().unwrap());
    let markdown = format!(
        "| dmpo | {} ± {} [{}, {}] (n={}) |",
        f(&cell["mean"]),
        f(&cell["std"]),
        f(&cell["ci95"][0]),
        f(&cell["ci95"][1]),
        cell["n"]
    );
    assert_eq!(
        markdown,
        "| dmpo | 0.0892 ± 0.0067 [0.0725, 0.1058] (n=3) |"
    );
    assert!(text.contains(&markdown), "{text}");
    // A paired row: typed columns, numbers as numbers, a missing test as null.
    let pairs = &json["datasets"][0]["pairs"]["rows"];
    let last = pairs.as_array().unwrap().last().unwrap();
    assert_eq!(last[0], "dynamicpo-sdpo");
    assert_eq!(last[2], 15);
    assert_eq!(
        format!(
            "| dynamicpo-sdpo | sdpo | 15 | {} | {} |",
            f(&last[3]),
            f(&last[4])
        ),
        "| dynamicpo-sdpo | sdpo | 15 | 0.1067 | 0.1053 |"
    );
}
