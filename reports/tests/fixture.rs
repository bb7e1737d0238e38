//! The report of a real small run (`fixtures/results.jsonl`, frozen from `prefbench run` on
//! `fixtures/run-config.yaml`: synthetic data, dmpo, dynamicpo-dmpo, sdpo, dynamicpo-sdpo,
//! K ∈ {1, 5, 15}, seeds 0–2, curves thinned to every second step).
#[path = "../../results/tests/common/mod.rs"]
mod common;

use common::scratch;
use prefbench_reports::{write_report, ReportContext, ReportFiles};
use prefbench_results::store::read_records;
use std::fs;
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn report(dir: &Path) -> (ReportFiles, String) {
    let records = read_records(Path::new(FIXTURES).join("results.jsonl")).unwrap();
    assert_eq!(records.len(), 36);
    let read = |name: &str| fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap();
    let ctx = ReportContext {
        title: "fixture".into(),
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
    };
    let files = write_report(dir, &records, &ctx).unwrap();
    let text = fs::read_to_string(&files.report).unwrap();
    (files, text)
}

#[test]
fn fixture_report_has_every_section_and_a_verdict_per_claim() {
    let (_, text) = report(&scratch("fixture-sections"));
    for heading in [
        "# prefbench report: fixture\n",
        "## Claims of the paper\n",
        "### Verdict rules\n",
        "## Dataset `synthetic` (synthetic: a pipeline check, not evidence)\n",
        "### Test HR@1\n",
        "### Test HR@5\n",
        "### Test NDCG@5\n",
        "### DynamicPO against its base\n",
        "### Figures\n",
        "### Cost\n",
        "## Environment\n",
        "## Resolved config\n",
    ] {
        assert!(text.contains(heading), "missing {heading:?}");
    }
    assert!(text.contains("not a 7B LLM"));
    let claims = &text[text.find("| claim | verdict |").unwrap()..];
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
}

#[test]
fn fixture_charts_are_valid_svg_and_png() {
    let dir = scratch("fixture-charts");
    let (files, text) = report(&dir);
    assert_eq!(files.figures.len(), 10);
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
    let (a, b) = (scratch("fixture-det-a"), scratch("fixture-det-b"));
    let (files, _) = report(&a);
    report(&b);
    for path in std::iter::once(&files.report).chain(&files.figures) {
        let relative = path.strip_prefix(&a).unwrap();
        assert!(
            fs::read(path).unwrap() == fs::read(b.join(relative)).unwrap(),
            "{} differs",
            relative.display()
        );
    }
}
