//! `manifest.json`: what an output directory held when its report was written, so that anyone
//! handed the directory can check it (`prefbench verify DIR`) instead of trusting it.
//!
//! The manifest lists the sha256 of every file in the directory (records, failures, configs,
//! environment, dataset cards, report.md, report.json, figures; not hidden files such as the
//! lock, nor itself), with the prefbench version and git commit that wrote it. It is written
//! after the report, by `run` and `report`, so it seals the report together with the inputs it
//! was built from. `verify` checks that the directory still holds exactly those files with
//! those hashes, that every record passes the readers' check (`prefbench_results::validate`),
//! and that the records rebuild report.md and report.json byte for byte.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use prefbench_results::store::read_unique;
use prefbench_results::SCHEMA_VERSION;
use serde::{Deserialize, Serialize};

use crate::environment::GIT_COMMIT;
use crate::output_dir::OutputDir;
use crate::report;

/// The `format` of `manifest.json`; a manifest of another format is not read.
const FORMAT: &str = "prefbench output manifest v1";
/// The report files that `verify` rebuilds and compares, in that order.
const REBUILT: [&str; 2] = ["report.md", "report.json"];

/// `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    /// The prefbench that wrote the directory's report.
    prefbench: String,
    git_commit: Option<String>,
    /// The run record schema of `results.jsonl`.
    record_schema: u32,
    /// Hex sha256 of every file, by its `/`-separated path inside the directory.
    sha256: BTreeMap<String, String>,
}

/// Rebuilds the report of `dir` and then writes its manifest; returns the report's path.
pub fn report_and_seal(dir: &Path) -> Result<PathBuf> {
    let report = report::write(dir)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        prefbench: env!("CARGO_PKG_VERSION").into(),
        git_commit: GIT_COMMIT.map(str::to_string),
        record_schema: SCHEMA_VERSION,
        sha256: hashes(dir)?,
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    prefbench_io::write_atomic(&OutputDir::at(dir).manifest(), text.as_bytes())?;
    Ok(report)
}

/// What `verify` found in a directory that passed.
pub struct Verified {
    pub files: usize,
    pub records: usize,
}

/// Checks `dir` against its manifest, its records against their domains and its report against
/// a rebuild; the error names the first file that differs.
pub fn verify(dir: &Path) -> Result<Verified> {
    let out = OutputDir::at(dir);
    let path = out.manifest();
    let text = std::fs::read(&path).with_context(|| {
        format!(
            "{}: no manifest to verify against; `prefbench run` and `prefbench report {}` \
             write one with the report",
            path.display(),
            dir.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a prefbench manifest", path.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "{}: format {:?}, but this prefbench reads {FORMAT:?}",
            path.display(),
            manifest.format
        );
    }
    let found = hashes(dir)?;
    let names: BTreeSet<&String> = manifest.sha256.keys().chain(found.keys()).collect();
    for name in names {
        let file = dir.join(name);
        match (manifest.sha256.get(name), found.get(name)) {
            (Some(_), None) => bail!("{}: listed in the manifest but missing", file.display()),
            (None, Some(_)) => bail!(
                "{}: not in the manifest (added after the report was written)",
                file.display()
            ),
            (Some(want), Some(got)) if want != got => bail!(
                "{}: changed after the report was written (sha256 {got}, the manifest says \
                 {want})",
                file.display()
            ),
            _ => {}
        }
    }
    let records = read_unique(&[out.results()])?.records.len();
    rebuilds(dir, &manifest)?;
    Ok(Verified {
        files: found.len(),
        records,
    })
}

/// Rebuilds the report from a copy of the directory's files in a temporary directory and
/// compares [`REBUILT`] byte for byte.
fn rebuilds(dir: &Path, manifest: &Manifest) -> Result<()> {
    let scratch = tempfile::tempdir().context("cannot create a directory to rebuild the report")?;
    // Under the directory's own name, which a report may show (as its title when there is no
    // config.yaml).
    let own = std::fs::canonicalize(dir)
        .with_context(|| format!("cannot resolve {}", dir.display()))?
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_os_string());
    let copy = &scratch.path().join(own);
    for name in manifest.sha256.keys() {
        let to = copy.join(name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(dir.join(name), &to)
            .with_context(|| format!("cannot copy {} to rebuild the report", name))?;
    }
    report::write(copy)?;
    for name in REBUILT {
        let (kept, rebuilt) = (read(&dir.join(name))?, read(&copy.join(name))?);
        if kept != rebuilt {
            let at = kept
                .iter()
                .zip(&rebuilt)
                .position(|(a, b)| a != b)
                .unwrap_or(kept.len().min(rebuilt.len()));
            let version = match manifest.prefbench == env!("CARGO_PKG_VERSION") {
                true => String::new(),
                false => format!(
                    "; it was written by prefbench {}, this is {}",
                    manifest.prefbench,
                    env!("CARGO_PKG_VERSION")
                ),
            };
            bail!(
                "{}: does not rebuild from the directory's records (first difference at byte \
                 {at}){version}",
                dir.join(name).display()
            );
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The sha256 of every regular file under `dir`, by `/`-separated relative path, leaving out
/// hidden entries (the lock, write probes) and the manifest itself.
fn hashes(dir: &Path) -> Result<BTreeMap<String, String>> {
    let manifest = OutputDir::at(dir).manifest();
    let mut files = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(sub) = pending.pop() {
        let at = dir.join(&sub);
        let entries =
            std::fs::read_dir(&at).with_context(|| format!("cannot list {}", at.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", at.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = sub.join(&name);
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot inspect {}", entry.path().display()))?;
            if name.starts_with('.') || entry.path() == manifest {
                continue;
            }
            if kind.is_dir() {
                pending.push(rel);
            } else if kind.is_file() {
                let key = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.insert(key, prefbench_io::sha256_file(&entry.path())?);
            }
        }
    }
    Ok(files)
}
