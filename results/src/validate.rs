//! The one check of a [`RunRecord`] that every reader applies (`report`, `compare`, `results
//! merge`, the resume of `run`, the estimate of `--dry-run`) and that the store applies before
//! it appends: a record that parses is not yet a record prefbench could have written. A hand
//! edit, a damaged copy or a bug elsewhere can put any value into a well-formed line (a test
//! HR@1 of 5, K = 10^12, a `cell` that disagrees with its `spec`, an id that is not the hash
//! of the spec), and reports would print it as a result. So every value is checked against its
//! domain and every redundant value against its source:
//!
//! - the id is recomputed from the spec ([`canonical_hash`]), the spec must read as a
//!   [`RunIdentity`], and the cell, seed and version must be the identity's;
//! - metrics are fractions of a whole number of samples, and NDCG@5 lies within the exact
//!   bounds its two hit rates allow: a hit at 1 scores 1, a hit at ranks 2 to 5 between
//!   1/log2(6) and 1/log2(3), a miss 0;
//! - the SFT reference's kept epoch is the one its own curve says (the first best validation
//!   HR@1 with early stopping, the last epoch without), with that epoch's validation HR@1;
//! - K fits the 20 candidates (1..=19, DPO only at 1);
//! - `epochs` holds every PO epoch of `spec.po.epochs`, `selected_epoch` is the one with the best
//!   validation HR@1 (ties: the earliest), and `valid`, `test` and `final_train_loss` are
//!   copies of the selected and the last epoch;
//! - times are finite, non-negative and below a year, memory below a pebibyte; a selection
//!   share only where the method selects (DynamicPO and its ablations).
//!
//! What one record cannot show, that records sharing one SFT reference agree on it, is checked
//! where records are read together (`crate::unique`).
//!
//! The dataset name is not checked against the registry: records are self-describing (the id
//! binds the name to the data's content hash), the results crate does not know the registry,
//! and a record of a recipe added later is still a record. The name must be a plain file name,
//! since reports use it in paths (`figures/`, `datasets/<name>/`).
use crate::identity::RunIdentity;
use crate::record::{RunRecord, Timings};
use crate::setting::canonical_hash;
use prefbench_vocabulary::{RankingMetrics, MAX_K};
use serde_json::Value;
use std::fmt;

/// The longest any stage of one run can plausibly take: a year. A larger time is damage, not
/// a slow machine.
const MAX_SECONDS: f64 = 365.25 * 24.0 * 3600.0;
/// The most memory a record may claim, MiB: one pebibyte.
const MAX_MIB: f64 = (1u64 << 30) as f64;
/// The latest time a record may name, seconds since the Unix epoch: the year 10000.
const MAX_UNIX_S: f64 = 253_402_300_800.0;
/// Float slack of a share computed as a ratio of two float sums.
const SLACK: f64 = 1e-9;

/// The first value of a record outside its domain or in disagreement with its source: the
/// field (a dotted path such as `epochs[2].test.hr_at_1`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {problem}")]
pub struct InvalidRecord {
    pub field: String,
    pub problem: String,
}

/// Checks `record` as described in the module documentation; the error names the first field
/// found wrong.
pub fn validate(record: &RunRecord) -> Result<(), InvalidRecord> {
    let spec = identity(record)?;
    coordinates(record, &spec)?;
    po_epochs(record, &spec)?;
    sft(record, &spec)?;
    curve(record)?;
    ranks(record)?;
    timings(&record.timings)?;
    po_window(record)?;
    require(
        spec.method.is_dynamic() || record.timings.selection_share == 0.0,
        "timings.selection_share",
        || {
            format!(
                "is {:?}, but {} selects no boundary, so nothing was timed",
                record.timings.selection_share, spec.method
            )
        },
    )?;
    require(record.threads >= 1, "threads", || {
        "is 0; a run uses at least one thread".into()
    })?;
    require(!record.device.is_empty(), "device", || "is empty".into())
}

fn require(
    ok: bool,
    field: impl fmt::Display,
    problem: impl FnOnce() -> String,
) -> Result<(), InvalidRecord> {
    match ok {
        true => Ok(()),
        false => Err(InvalidRecord {
            field: field.to_string(),
            problem: problem(),
        }),
    }
}

/// `x` lies in `[lo, hi]` (NaN does not).
fn within(field: impl fmt::Display, x: f64, lo: f64, hi: f64) -> Result<(), InvalidRecord> {
    require((lo..=hi).contains(&x), field, || {
        format!("is {x:?}, outside [{lo}, {hi}]")
    })
}

fn finite(field: impl fmt::Display, x: f64) -> Result<(), InvalidRecord> {
    require(x.is_finite(), field, || {
        format!("is {x}, not a finite number")
    })
}

/// The id is a sha256 and the hash of the spec, so neither was changed after the run; the
/// spec's typed view, which the other checks read.
fn identity(r: &RunRecord) -> Result<RunIdentity, InvalidRecord> {
    let hex = r.id.len() == 64 && r.id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    require(hex, "id", || {
        format!("is {:?}, not a run id (64 lowercase hex digits)", r.id)
    })?;
    require(r.spec.is_object(), "spec", || "is not an object".into())?;
    let hashed = canonical_hash(&r.spec);
    require(hashed == r.id, "id", || {
        format!(
            "is {} but the record's spec hashes to {hashed}: the spec or the id was changed \
             after the run",
            r.id
        )
    })?;
    r.identity().map_err(|e| InvalidRecord {
        field: "spec".into(),
        problem: format!("is not the spec of a run of this version: {e}"),
    })
}

/// The cell, seed and version: in their domains and equal to the spec's, which the id vouches
/// for.
fn coordinates(r: &RunRecord, spec: &RunIdentity) -> Result<(), InvalidRecord> {
    let name = &r.cell.dataset;
    let plain = !name.starts_with('.')
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    require(plain, "cell.dataset", || {
        format!("is {name:?}, not a plain name (letters, digits, '-', '_', '.')")
    })?;
    let k = r.cell.k;
    require((1..=MAX_K).contains(&k), "cell.k", || {
        format!("is {k}; K is 1 to {MAX_K} (one target and {MAX_K} negatives among the candidates)")
    })?;
    r.cell
        .method
        .validate_k(k as i64)
        .map_err(|e| InvalidRecord {
            field: "cell.k".into(),
            problem: format!("is {k}: {e}"),
        })?;
    let text = |s: &str| Value::from(s);
    let agrees = [
        ("cell.dataset", "dataset", text(name), text(&spec.dataset)),
        (
            "cell.method",
            "method",
            text(r.cell.method.name()),
            text(spec.method.name()),
        ),
        ("cell.k", "k", Value::from(k), Value::from(spec.k)),
        (
            "seed",
            "seed",
            Value::from(r.seed),
            Value::from(spec.reference.seed),
        ),
        (
            "prefbench_version",
            "prefbench",
            text(&r.prefbench_version),
            text(&spec.reference.prefbench),
        ),
    ];
    for (field, key, value, in_spec) in agrees {
        require(in_spec == value, field, || {
            format!("is {value} but spec.{key} is {in_spec}")
        })?;
    }
    Ok(())
}

/// Every PO epoch, numbered from 1, with one split size throughout; the selected epoch and the
/// copies of it and of the last epoch.
fn po_epochs(r: &RunRecord, spec: &RunIdentity) -> Result<(), InvalidRecord> {
    metrics("valid", &r.valid)?;
    metrics("test", &r.test)?;
    let n = spec.po.epochs;
    let epochs = &r.epochs;
    require(epochs.len() == n && n > 0, "epochs", || {
        format!(
            "holds {} epochs but spec.po.epochs is {n}; a run records every PO epoch",
            epochs.len()
        )
    })?;
    for (i, e) in epochs.iter().enumerate() {
        let at = |field: &str| format!("epochs[{i}].{field}");
        require(e.epoch == i + 1, at("epoch"), || {
            format!("is {}, expected {}", e.epoch, i + 1)
        })?;
        finite(at("train_loss"), e.train_loss)?;
        metrics(&at("valid"), &e.valid)?;
        metrics(&at("test"), &e.test)?;
        for (split, m, first) in [
            ("valid", e.valid, epochs[0].valid),
            ("test", e.test, epochs[0].test),
        ] {
            require(m.samples == first.samples, at(split) + ".samples", || {
                format!(
                    "is {} but epoch 1 evaluated {} samples of the same split",
                    m.samples, first.samples
                )
            })?;
        }
    }
    let best = first_best(epochs.iter().map(|e| e.valid.hr_at_1)) - 1;
    let selected = r.selected_epoch;
    require(selected == best + 1, "selected_epoch", || {
        format!(
            "is {selected}, but epoch {} has the best validation HR@1 (ties: the earliest) \
             of the {n} epochs",
            best + 1
        )
    })?;
    let (chosen, last) = (epochs[best], epochs[n - 1]);
    require(r.valid == chosen.valid, "valid", || {
        format!("differs from epochs[{best}].valid, the selected epoch's")
    })?;
    require(r.test == chosen.test, "test", || {
        format!("differs from epochs[{best}].test, the selected epoch's")
    })?;
    require(
        r.final_train_loss.to_bits() == last.train_loss.to_bits(),
        "final_train_loss",
        || {
            format!(
                "is {:?} but the last epoch's train_loss is {:?}",
                r.final_train_loss, last.train_loss
            )
        },
    )
}

/// Fractions of a whole number of samples, NDCG@5 within the bounds of its hit rates.
fn metrics(field: &str, m: &RankingMetrics) -> Result<(), InvalidRecord> {
    require(m.samples > 0, format!("{field}.samples"), || {
        "is 0; metrics are means over at least one sample".into()
    })?;
    let n = m.samples as f64;
    for (name, x) in [
        ("hr_at_1", m.hr_at_1),
        ("hr_at_5", m.hr_at_5),
        ("ndcg_at_5", m.ndcg_at_5),
    ] {
        within(format!("{field}.{name}"), x, 0.0, 1.0)?;
    }
    for (name, x) in [("hr_at_1", m.hr_at_1), ("hr_at_5", m.hr_at_5)] {
        let hits = x * n;
        require(
            (hits - hits.round()).abs() <= 1e-6,
            format!("{field}.{name}"),
            || {
                format!(
                    "is {x}, not a whole number of hits out of {} samples",
                    m.samples
                )
            },
        )?;
    }
    let (lowest, highest) = ndcg_at_5_bounds(m.hr_at_1, m.hr_at_5);
    require(
        lowest - SLACK <= m.ndcg_at_5 && m.ndcg_at_5 <= highest + SLACK,
        format!("{field}.ndcg_at_5"),
        || {
            format!(
                "is {:?}, outside [{lowest:.6}, {highest:.6}], what HR@1 {:?} and HR@5 {:?} \
                 allow (every hit at rank 2 to 5 scoring 1/log2(6) to 1/log2(3))",
                m.ndcg_at_5, m.hr_at_1, m.hr_at_5
            )
        },
    )
}

/// The least and the most NDCG@5 a split can have with these hit rates: the hits at 1 score 1
/// each, the other hits within the top 5 score 1/log2(rank + 1), at least 1/log2(6) (rank 5)
/// and at most 1/log2(3) (rank 2), and misses 0.
fn ndcg_at_5_bounds(hr_at_1: f64, hr_at_5: f64) -> (f64, f64) {
    let lower_ranks = hr_at_5 - hr_at_1;
    (
        hr_at_1 + lower_ranks / 6f64.log2(),
        hr_at_1 + lower_ranks / 3f64.log2(),
    )
}

/// The reference's metrics and its curve (empty in records of references cached before the
/// curve was kept).
fn sft(r: &RunRecord, spec: &RunIdentity) -> Result<(), InvalidRecord> {
    let s = &r.sft;
    metrics("sft.valid", &s.valid)?;
    metrics("sft.test", &s.test)?;
    let n = spec.reference.sft.epochs;
    let ran = s.valid_hr_at_1.len();
    require(ran <= n, "sft.valid_hr_at_1", || {
        format!("holds {ran} epochs but spec.sft.epochs is {n}")
    })?;
    require(s.train_loss.len() == ran, "sft.train_loss", || {
        format!(
            "holds {} epochs but sft.valid_hr_at_1 {ran}",
            s.train_loss.len()
        )
    })?;
    let last = if ran == 0 { n } else { ran };
    require((1..=last).contains(&s.kept_epoch), "sft.kept_epoch", || {
        format!("is {}, not one of the epochs 1 to {last}", s.kept_epoch)
    })?;
    for (i, (&hr, &loss)) in s.valid_hr_at_1.iter().zip(&s.train_loss).enumerate() {
        within(format!("sft.valid_hr_at_1[{i}]"), hr, 0.0, 1.0)?;
        finite(format!("sft.train_loss[{i}]"), loss)?;
    }
    if ran == 0 {
        return Ok(());
    }
    // The trainer keeps the first epoch of best validation HR@1 when it stops early, the last
    // epoch otherwise, and evaluates the kept weights again: the same validation HR@1.
    let early_stopping = spec.reference.sft.patience > 0;
    let kept = match early_stopping {
        true => first_best(s.valid_hr_at_1.iter().copied()),
        false => ran,
    };
    require(s.kept_epoch == kept, "sft.kept_epoch", || {
        let rule = match early_stopping {
            true => "the first epoch of best validation HR@1 (spec.sft.patience > 0)",
            false => "the last epoch that ran (spec.sft.patience is 0)",
        };
        format!(
            "is {} but its curve's kept epoch, {rule}, is {kept}",
            s.kept_epoch
        )
    })?;
    let at_kept = s.valid_hr_at_1[kept - 1];
    require(s.valid.hr_at_1 == at_kept, "sft.valid.hr_at_1", || {
        format!(
            "is {:?} but sft.valid_hr_at_1 holds {at_kept:?} at the kept epoch {kept}",
            s.valid.hr_at_1
        )
    })
}

/// The 1-based place of the first largest of `values` (1 when empty): model selection's rule,
/// ties to the earliest.
fn first_best(values: impl Iterator<Item = f64>) -> usize {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map_or(1, |(i, _)| i + 1)
}

/// The inspected steps: at least the first, in order, every share a fraction, the boundary at
/// most K negatives.
fn curve(r: &RunRecord) -> Result<(), InvalidRecord> {
    require(!r.curve.is_empty(), "curve", || {
        "is empty; PO inspects at least its first step".into()
    })?;
    for (i, p) in r.curve.iter().enumerate() {
        let at = |field: &str| format!("curve[{i}].{field}");
        if i > 0 {
            let before = r.curve[i - 1].step;
            require(p.step > before, at("step"), || {
                format!("is {}, not after the previous step {before}", p.step)
            })?;
        }
        finite(at("loss"), p.loss)?;
        within(at("reward_win_rate"), p.reward_win_rate, 0.0, 1.0)?;
        within(at("violating_share"), p.violating_share, 0.0, 1.0)?;
        within(
            at("boundary_grad_share"),
            p.boundary_grad_share,
            0.0,
            1.0 + SLACK,
        )?;
        within(at("boundary_size"), p.boundary_size, 0.0, r.cell.k as f64)?;
        require(p.lr.is_finite() && p.lr >= 0.0, at("lr"), || {
            format!("is {:?}, not a learning rate (finite, >= 0)", p.lr)
        })?;
    }
    Ok(())
}

/// Per-sample ranks, when kept: one per sample of their split, and as many hits at 1 as the
/// metrics they sit beside count (the selected epoch's, the last epoch's test).
fn ranks(r: &RunRecord) -> Result<(), InvalidRecord> {
    let Some(ranks) = &r.ranks else {
        return Ok(());
    };
    require(r.schema >= 3, "ranks", || {
        format!(
            "are kept by schema 3 on, but the record has schema {}",
            r.schema
        )
    })?;
    let last = r.epochs.last().map_or(r.test, |e| e.test);
    for (field, ranks, metrics) in [
        ("ranks.valid", &ranks.valid, &r.valid),
        ("ranks.test", &ranks.test, &r.test),
        ("ranks.last_test", &ranks.last_test, &last),
    ] {
        require(ranks.len() == metrics.samples, field, || {
            format!(
                "hold {} samples, the metrics {}",
                ranks.len(),
                metrics.samples
            )
        })?;
        let hits = ranks.hit_count();
        require(
            hits as f64 / metrics.samples.max(1) as f64 == metrics.hr_at_1,
            field,
            || {
                format!(
                    "hold {hits} hits at 1, which is not HR@1 = {}",
                    metrics.hr_at_1
                )
            },
        )?;
    }
    Ok(())
}

/// The PO window: kept from schema 4 on, required there; an interval of real time.
fn po_window(r: &RunRecord) -> Result<(), InvalidRecord> {
    let Some(window) = &r.timings.po_window else {
        return require(r.schema < 4, "timings.po_window", || {
            format!("is missing; schema {} records keep it", r.schema)
        });
    };
    require(r.schema >= 4, "timings.po_window", || {
        format!(
            "is kept by schema 4 on, but the record has schema {}",
            r.schema
        )
    })?;
    let (start, end) = (window.started_unix_s, window.finished_unix_s);
    within("timings.po_window.started_unix_s", start, 0.0, MAX_UNIX_S)?;
    within("timings.po_window.finished_unix_s", end, 0.0, MAX_UNIX_S)?;
    require(end >= start, "timings.po_window.finished_unix_s", || {
        format!("is {end:?}, before started_unix_s {start:?}")
    })?;
    require(
        window.machine.as_ref().is_none_or(|m| !m.is_empty()),
        "timings.po_window.machine",
        || "is empty; a machine without a boot id has none (null)".into(),
    )
}

fn timings(t: &Timings) -> Result<(), InvalidRecord> {
    for (name, seconds) in [
        ("sft_s", t.sft_s),
        ("reference_cache_s", t.reference_cache_s),
        ("po_s", t.po_s),
        ("eval_s", t.eval_s),
    ] {
        within(format!("timings.{name}"), seconds, 0.0, MAX_SECONDS)?;
    }
    within(
        "timings.po_step_median_ms",
        t.po_step_median_ms,
        0.0,
        MAX_SECONDS * 1e3,
    )?;
    within("timings.peak_rss_mib", t.peak_rss_mib, 0.0, MAX_MIB)?;
    for (name, seconds) in [
        ("data_s", t.data_s),
        ("reference_load_s", t.reference_load_s),
    ] {
        if let Some(seconds) = seconds {
            within(format!("timings.{name}"), seconds, 0.0, MAX_SECONDS)?;
        }
    }
    // The parts of a stage never exceed it (up to clock rounding).
    for (name, part, whole) in [
        ("po_steps_s", t.po_steps_s, t.po_s),
        ("eval_valid_s", t.eval_valid_s, t.eval_s),
        ("eval_test_s", t.eval_test_s, t.eval_s),
    ] {
        if let Some(seconds) = part {
            within(format!("timings.{name}"), seconds, 0.0, whole + SLACK)?;
        }
    }
    if let Some(mib) = t.cuda_peak_mib {
        within("timings.cuda_peak_mib", mib, 0.0, MAX_MIB)?;
    }
    if let Some(members) = t.stack_members {
        require(members >= 2, "timings.stack_members", || {
            format!("is {members}; a run trained alone has none")
        })?;
    }
    // A stacked run's selection time is its objective group's share and its step time the
    // stack's share, so the ratio can reach the stack's size, never more.
    let most = t.stack_members.unwrap_or(1) as f64;
    within(
        "timings.selection_share",
        t.selection_share,
        0.0,
        most + SLACK,
    )
}
