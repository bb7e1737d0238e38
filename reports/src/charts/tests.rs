//! The layout test: every chart kind, laid out for the data of the published report and for a
//! worst case of nine methods under the longest section label, keeps its text on the canvas
//! and its legend off the plots; the extents it checks cover the ink the rasteriser draws; and
//! the check itself fails on the layout the charts had before (a one-line 24 px title, the
//! legend inside the plot).
use super::frame::{Axes, Frame, XTicks};
use super::legend::{Entry, Legend, Place, Swatch};
use super::text::{text_width, Label, Rect};
use super::{charts, Chart, Kind, SIZE};
use crate::analysis::dataset::DatasetResults;
use crate::context::DatasetFacts;
use crate::palette::{method_style, Dash, REFERENCE};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use prefbench_results::RunRecord;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// (stem, frame) of every chart of every section of `records`.
fn frames(records: &[RunRecord], facts: &BTreeMap<String, DatasetFacts>) -> Vec<(String, Frame)> {
    let refs: Vec<&RunRecord> = records.iter().collect();
    DatasetResults::split(&refs, facts)
        .iter()
        .flat_map(|data| {
            charts(data)
                .into_iter()
                .map(|kind| with_chart!(kind, chart => (chart.stem(), chart.frame())))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn assert_sound(frames: &[(String, Frame)]) {
    let problems: Vec<String> = frames
        .iter()
        .flat_map(|(stem, frame)| {
            frame
                .problems()
                .into_iter()
                .map(move |p| format!("{stem}: {p}"))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The chart kinds among `frames`, by the stem's prefix.
fn kinds(frames: &[(String, Frame)]) -> BTreeSet<&str> {
    const KINDS: [&str; 7] = [
        "paired-",
        "hr1-vs-k-",
        "loss-vs-k-",
        "curves-",
        "boundary-share-vs-k-",
        "wallclock-",
        "stages-",
    ];
    frames
        .iter()
        .filter_map(|(stem, _)| KINDS.into_iter().find(|k| stem.starts_with(k)))
        .collect()
}

#[test]
fn every_chart_of_the_published_report_keeps_its_text_on_the_canvas_and_legend_off_the_plots() {
    let published = Path::new(env!("CARGO_MANIFEST_DIR")).join("../published");
    let records = prefbench_results::store::read_records(published.join("results.jsonl")).unwrap();
    let mut facts = BTreeMap::new();
    for entry in std::fs::read_dir(published.join("datasets")).unwrap() {
        let dir = entry.unwrap().path();
        let card: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("card.json")).unwrap()).unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        facts.insert(name, DatasetFacts::from_card(&card));
    }
    let frames = frames(&records, &facts);
    assert_eq!(
        kinds(&frames).len(),
        7,
        "every kind is checked: {:?}",
        kinds(&frames)
    );
    assert_sound(&frames);
}

#[test]
fn nine_methods_under_a_long_label_fit_too_and_one_k_draws_no_chart_against_k() {
    let methods = [
        "dpo",
        "dmpo",
        "sdpo",
        "mppo",
        "dynamicpo-dmpo",
        "dynamicpo-sdpo",
        "dynamicpo-mppo",
        "dynamicpo-dmpo-select-only",
        "dynamicpo-dmpo-beta-only",
    ];
    let dataset = "a-dataset-with-a-rather-long-name-for-a-registry";
    let mut records = Vec::new();
    for (i, method) in methods.iter().enumerate() {
        let ks: &[usize] = if *method == "dpo" {
            &[1]
        } else {
            &[1, 3, 5, 10, 15, 19]
        };
        for &k in ks {
            for seed in 0..5 {
                let hr = 0.4 + 0.003 * i as f64 - 0.001 * k as f64 + 0.002 * seed as f64;
                let mut record = prefbench_testkit::record(dataset, method, k, seed, hr);
                // The wall-clock chart's legend at its longest: seed 3 trained beside the
                // others in a process of its own, seed 4 does not say.
                match seed {
                    3 => record.timings.po_window.as_mut().unwrap().process = 7,
                    4 => record.timings.po_window = None,
                    _ => {}
                }
                records.push(record);
            }
        }
    }
    let all = frames(&records, &BTreeMap::new());
    assert!(kinds(&all).contains("paired-") && kinds(&all).contains("hr1-vs-k-"));
    assert_sound(&all);

    let one_k: Vec<RunRecord> = records.into_iter().filter(|r| r.cell.k == 15).collect();
    let single = frames(&one_k, &BTreeMap::new());
    let stems: Vec<&str> = single.iter().map(|(s, _)| s.as_str()).collect();
    assert!(
        !stems
            .iter()
            .any(|s| s.contains("-vs-k-") || s.starts_with("wallclock")),
        "{stems:?}"
    );
    assert!(stems.iter().any(|s| s.starts_with("paired-")), "{stems:?}");
    assert_sound(&single);
}

#[test]
fn the_check_fails_on_the_old_layout() {
    // Before: the title in one line at 24 px whatever its length, the legend in a corner of
    // the plot.
    let title = "Test HR@1 (best-validation epoch) against K on lastfm-dated (transformer, \
                 item ids + MiniLM titles)";
    assert!(text_width(title, 24.0) > SIZE.0 as i32);
    let entries = || {
        ["dmpo", "dynamicpo-dmpo"]
            .map(|m| {
                let method = m.parse().unwrap();
                Entry::new(m, Swatch::Method(method_style(method)))
            })
            .into()
    };
    let axes = Axes {
        title: None,
        x_desc: "K".into(),
        y_desc: "HR@1".into(),
        y_ticks: vec!["0.45".into()],
        x_ticks: XTicks::Ends("0".into(), "20".into()),
    };
    let mut frame = Frame::new(title, &[axes], 1, entries(), Place::Right);
    assert!(frame.problems().is_empty(), "{:?}", frame.problems());
    frame.title = vec![Label::new(title, 24.0, (480, 12), HPos::Center, VPos::Top)];
    let plot = frame.panels[0].plot;
    let corner = Rect {
        x0: plot.x1 - 300,
        y0: plot.y1 - 120,
        ..plot
    };
    frame.legend = Legend::new(entries(), Place::Below, corner);
    let problems = frame.problems().join("\n");
    assert!(problems.contains("leaves the canvas"), "{problems}");
    assert!(problems.contains("the legend"), "{problems}");
}

/// Rasterises `labels` and returns every inked pixel outside its label's extent; panics on a
/// label that draws no ink, which would make the check vacuous.
fn ink_outside(labels: &[Label]) -> Vec<(usize, (u32, u32))> {
    crate::fonts::ensure_registered();
    let (w, h) = SIZE;
    let mut outside = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let mut buffer = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
            super::text::draw_labels(&root, std::iter::once(label)).unwrap();
            root.present().unwrap();
        }
        let extent = label.extent();
        assert!(
            buffer.iter().any(|&c| c < 250),
            "{:?} drew nothing",
            label.text
        );
        for y in 0..h {
            for x in 0..w {
                let p = ((y * w + x) * 3) as usize;
                let inked = buffer[p..p + 3].iter().any(|&c| c < 250);
                let inside = (extent.x0..extent.x1).contains(&(x as i32))
                    && (extent.y0..extent.y1).contains(&(y as i32));
                if inked && !inside {
                    outside.push((i, (x, y)));
                }
            }
        }
    }
    outside
}

#[test]
fn extents_cover_the_rasterised_ink() {
    let text = "Åg|jÉ (K) 0.428 dynamicpo-dmpo − dmpo Δ";
    let mut labels = Vec::new();
    for size in [9.0, 13.0, 17.0, 22.0] {
        for (h, v) in [
            (HPos::Left, VPos::Top),
            (HPos::Center, VPos::Center),
            (HPos::Right, VPos::Bottom),
        ] {
            labels.push(Label::new(text, size, (480, 300), h, v));
            labels.push(Label {
                vertical: true,
                ..Label::new(text, size, (300, 300), h, v)
            });
        }
    }
    let outside = ink_outside(&labels);
    assert!(
        outside.is_empty(),
        "{} pixels, first {:?}",
        outside.len(),
        &outside[..outside.len().min(5)]
    );
}

#[test]
fn legend_swatches_of_every_kind_draw() {
    let body = Rect {
        x0: 0,
        y0: 0,
        x1: 960,
        y1: 600,
    };
    let entries = vec![
        Entry::new(
            "dmpo",
            Swatch::Method(method_style("dmpo".parse().unwrap())),
        ),
        Entry::new("reference", Swatch::Line(REFERENCE, Dash::Dotted)),
        Entry::new("stage", Swatch::Block(REFERENCE)),
        Entry::new("seed", Swatch::Dot(REFERENCE)),
        Entry::new("mean", Swatch::Interval(REFERENCE)),
        Entry::new("shared", Swatch::Ring(REFERENCE)),
        Entry::new("note", Swatch::Blank),
    ];
    let legend = Legend::new(entries, Place::Below, body);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        legend.draw(&root).unwrap();
    }
    for label in [
        "dmpo",
        "reference",
        "stage",
        "seed",
        "mean",
        "shared",
        "note",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    assert!(legend.rect.is_some_and(|r| r.y1 == 600));
}
