//! What `prefbench results merge` carries beside the records, so that `prefbench report` says of
//! a merged directory what it says of one `prefbench run` wrote: the dataset cards (whether a
//! dataset is synthetic, which labels its verdicts pipeline checks, and its trivial
//! baselines), the resolved config (the report's title; a `grid` makes it a tuning table), the
//! environment, and the runs that diverged. Only output directories have these files; a
//! `.jsonl` input brings its records alone.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::failures::{self, RunFailure};
use crate::output_dir::{self, OutputDir};

/// What was carried into the merged directory, and what could not be, as lines to print.
pub struct Carried {
    pub files: Vec<String>,
    pub notes: Vec<String>,
}

/// Carries the files of the output directories among `inputs` into `out`, whose own files count
/// as those of a first input. `stored`: the ids of the merged records (a failure of a run that
/// another input finished is not carried). Two different cards for one dataset are refused:
/// their records were made from different data and do not belong in one report.
pub fn carry(inputs: &[PathBuf], out: &OutputDir, stored: &BTreeSet<&str>) -> Result<Carried> {
    let mut dirs = vec![out.clone()];
    dirs.extend(
        inputs
            .iter()
            .filter(|p| p.is_dir() && !same_dir(p, out.root()))
            .map(OutputDir::at),
    );
    let mut carried = Carried {
        files: Vec::new(),
        notes: Vec::new(),
    };
    let cards = cards(&dirs)?;
    for (name, (text, _)) in &cards {
        write_if_changed(&out.dataset_card(name), text)?;
    }
    if !cards.is_empty() {
        carried
            .files
            .push(format!("{} dataset card(s)", cards.len()));
    }
    for (file, why) in [
        (out.config(), "the report is titled by its directory"),
        (out.environment(), "each record keeps its own environment"),
    ] {
        let name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let copies = read_each(&dirs, |d| d.root().join(&name));
        match agreed(&copies) {
            Ok(Some(text)) => {
                write_if_changed(&file, text)?;
                carried.files.push(name);
            }
            Ok(None) => {}
            Err((a, b)) => carried.notes.push(format!(
                "{name} differs between {} and {}: not carried ({why}{})",
                a.display(),
                b.display(),
                if file.is_file() {
                    "; the merged directory keeps its own"
                } else {
                    ""
                }
            )),
        }
    }
    let failed = failures_of(&dirs, stored);
    if !failed.is_empty() {
        carried
            .files
            .push(format!("{} failed run(s)", failed.len()));
    }
    write_failures(out, &failed)?;
    Ok(carried)
}

/// Whether `a` and `b` name one directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `name → (card text, its file)` over `dirs`, refusing two different cards for one name.
fn cards(dirs: &[OutputDir]) -> Result<BTreeMap<String, (String, PathBuf)>> {
    let mut cards: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.datasets()) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = dir.dataset_card(&name);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            match cards.get(&name) {
                Some((first, from)) if *first != text => bail!(
                    "dataset `{name}` has two different cards, {} and {}: these stores were \
                     made from different data (another recipe, version or synthetic setting), \
                     so their records do not belong in one report; merge the stores of one \
                     matrix",
                    from.display(),
                    path.display()
                ),
                Some(_) => {}
                None => {
                    cards.insert(name, (text, path));
                }
            }
        }
    }
    Ok(cards)
}

/// `(file, text)` of `file_of(dir)` for every dir that has it.
fn read_each(
    dirs: &[OutputDir],
    file_of: impl Fn(&OutputDir) -> PathBuf,
) -> Vec<(PathBuf, String)> {
    dirs.iter()
        .map(&file_of)
        .filter_map(|path| Some((path.clone(), std::fs::read_to_string(&path).ok()?)))
        .collect()
}

/// The one text all `copies` share (`None` when there are none), or the files of the first two
/// that differ.
fn agreed(copies: &[(PathBuf, String)]) -> Result<Option<&String>, (PathBuf, PathBuf)> {
    let Some((first_path, first)) = copies.first() else {
        return Ok(None);
    };
    match copies.iter().find(|(_, text)| text != first) {
        Some((other, _)) => Err((first_path.clone(), other.clone())),
        None => Ok(Some(first)),
    }
}

/// The failures of `dirs` whose run has no stored record, once per run id.
fn failures_of(dirs: &[OutputDir], stored: &BTreeSet<&str>) -> Vec<RunFailure> {
    let mut seen = BTreeSet::new();
    dirs.iter()
        .flat_map(|d| failures::read(d.root()))
        .filter(|f| !stored.contains(f.id.as_str()) && seen.insert(f.id.clone()))
        .collect()
}

/// Replaces `failures.jsonl` of `out` with `failed`, or removes it when there are none.
fn write_failures(out: &OutputDir, failed: &[RunFailure]) -> Result<()> {
    if failed.is_empty() {
        return output_dir::remove_file(&out.failures());
    }
    let mut text = String::new();
    for failure in failed {
        text.push_str(&serde_json::to_string(failure)?);
        text.push('\n');
    }
    Ok(prefbench_io::write_atomic(
        &out.failures(),
        text.as_bytes(),
    )?)
}

/// Writes `text` to `path` atomically unless it already holds exactly that.
fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
        return Ok(());
    }
    Ok(prefbench_io::write_atomic(path, text.as_bytes())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_results::RunKey;

    fn failure(id: &str) -> RunFailure {
        RunFailure {
            id: id.into(),
            key: RunKey::new("synthetic", "dmpo".parse().unwrap(), 3, 1),
            model: Default::default(),
            error: "PO diverged".into(),
        }
    }

    /// Writes an output directory's files: a card for `synthetic`, config, environment and
    /// failures.
    fn shard(dir: &Path, card: &str, env: &str, failed: &[&str]) -> PathBuf {
        let out = OutputDir::at(dir);
        prefbench_io::write_atomic(&out.dataset_card("synthetic"), card.as_bytes()).unwrap();
        std::fs::write(out.config(), "name: m\n").unwrap();
        std::fs::write(out.environment(), env).unwrap();
        let log = failures::FailureLog::reset(&out).unwrap();
        for id in failed {
            log.append(&failure(id)).unwrap();
        }
        dir.to_path_buf()
    }

    #[test]
    fn cards_config_and_failures_come_along_and_a_differing_environment_stays_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let a = shard(&tmp.path().join("a"), "{}", "{\"host\": 1}", &["x", "y"]);
        let b = shard(&tmp.path().join("b"), "{}", "{\"host\": 2}", &["x", "z"]);
        let out = OutputDir::at(tmp.path().join("out"));
        let carried = carry(&[a, b.clone()], &out, &BTreeSet::from(["z"])).unwrap();
        assert_eq!(
            carried.files,
            ["1 dataset card(s)", "config.yaml", "2 failed run(s)"]
        );
        assert_eq!(carried.notes.len(), 1);
        assert!(
            carried.notes[0].starts_with("env.json differs between")
                && carried.notes[0].contains(&b.join("env.json").display().to_string()),
            "{}",
            carried.notes[0]
        );
        assert_eq!(
            std::fs::read_to_string(out.dataset_card("synthetic")).unwrap(),
            "{}"
        );
        assert_eq!(std::fs::read_to_string(out.config()).unwrap(), "name: m\n");
        assert!(!out.environment().exists());
        // x twice and y: once each; z has a record.
        let ids: Vec<String> = failures::read(out.root())
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, ["x", "y"]);
    }

    #[test]
    fn two_different_cards_for_one_dataset_are_refused_naming_both() {
        let tmp = tempfile::tempdir().unwrap();
        let a = shard(&tmp.path().join("a"), "{\"n_items\": 1}", "{}", &[]);
        let b = shard(&tmp.path().join("b"), "{\"n_items\": 2}", "{}", &[]);
        let out = OutputDir::at(tmp.path().join("out"));
        let err = carry(&[a, b.clone()], &out, &BTreeSet::new())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("`synthetic` has two different cards")
                && err.contains(&b.join("datasets/synthetic/card.json").display().to_string()),
            "{err}"
        );
        assert!(!out.dataset_card("synthetic").exists());
    }
}
