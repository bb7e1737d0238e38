//! `manifest.json`: what an output directory held when its report was written, so that anyone
//! handed the directory can check it (`prefbench verify DIR`) instead of trusting it.
//!
//! The manifest lists the sha256 of every file in the directory (records, failures, configs,
//! environment, dataset cards, report.md, report.json, figures; not hidden files such as the
//! lock, nor itself), with the prefbench version and git commit that wrote it, and a seal: the
//! hash of those fields, so that an edit to the manifest itself is caught like an edit to a
//! file. It is written after the report, by `run` and `report`, so it seals the report
//! together with the inputs it was built from. `verify` checks that the manifest is sealed and
//! byte for byte as written, that the directory still holds exactly the listed files with
//! those hashes, that every record passes the readers' check (`prefbench_results::validate`),
//! and that the records rebuild report.md and report.json byte for byte.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use prefbench_results::setting::canonical_hash;
use prefbench_results::store::read_unique;
use prefbench_results::SCHEMA_VERSION;
use serde::{Deserialize, Serialize};

use crate::environment::GIT_COMMIT;
use crate::output_dir::OutputDir;
use crate::report;

/// The `format` of `manifest.json`; a manifest of another format is not read.
const FORMAT: &str = "prefbench output manifest v2";
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
    /// The canonical hash of every field above ([`Manifest::sealed`]).
    seal: String,
}

/// What the seal hashes: every field of [`Manifest`] but the seal.
#[derive(Serialize)]
struct Sealed<'a> {
    format: &'a str,
    prefbench: &'a str,
    git_commit: Option<&'a str>,
    record_schema: u32,
    sha256: &'a BTreeMap<String, String>,
}

impl Manifest {
    /// The canonical hash of the manifest's fields but the seal. Built by destructuring, so a
    /// field added to `Manifest` does not compile until it is sealed or named as left out.
    fn sealed(&self) -> Result<String> {
        let Manifest {
            format,
            prefbench,
            git_commit,
            record_schema,
            sha256,
            seal: _,
        } = self;
        let fields = Sealed {
            format,
            prefbench,
            git_commit: git_commit.as_deref(),
            record_schema: *record_schema,
            sha256,
        };
        Ok(canonical_hash(&serde_json::to_value(fields)?))
    }

    /// The file's bytes: pretty JSON and a final newline.
    fn text(&self) -> Result<String> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

/// Rebuilds the report of `dir` and then writes its manifest; returns the report's path.
pub fn report_and_seal(dir: &Path) -> Result<PathBuf> {
    let report = report::write(dir)?;
    seal(dir)?;
    Ok(report)
}

/// Writes the manifest of `dir` as it is now.
fn seal(dir: &Path) -> Result<()> {
    let mut manifest = Manifest {
        format: FORMAT.into(),
        prefbench: env!("CARGO_PKG_VERSION").into(),
        git_commit: GIT_COMMIT.map(str::to_string),
        record_schema: SCHEMA_VERSION,
        sha256: hashes(dir)?,
        seal: String::new(),
    };
    manifest.seal = manifest.sealed()?;
    prefbench_io::write_atomic(&OutputDir::at(dir).manifest(), manifest.text()?.as_bytes())?;
    Ok(())
}

/// What `verify` found in a directory that passed.
pub struct Verified {
    pub files: usize,
    pub records: usize,
}

/// Checks `dir` against its manifest, its records against their domains and its report against
/// a rebuild; the error names the first file that differs.
pub fn verify(dir: &Path) -> Result<Verified> {
    let manifest = unchanged(dir)?;
    let records = read_unique(&[OutputDir::at(dir).results()])?.records.len();
    rebuilds(dir, &manifest)?;
    Ok(Verified {
        files: manifest.sha256.len(),
        records,
    })
}

/// The manifest of `dir`, once it is found sealed and byte for byte as written, and the
/// directory holds exactly the files it lists, with their hashes.
fn unchanged(dir: &Path) -> Result<Manifest> {
    let path = OutputDir::at(dir).manifest();
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
            "{}: format {:?}, but this prefbench reads {FORMAT:?}; `prefbench report {}` \
             rebuilds the report and writes a manifest of this format",
            path.display(),
            manifest.format,
            dir.display()
        );
    }
    if manifest.sealed()? != manifest.seal {
        bail!(
            "{}: its fields do not match its seal: the manifest was edited after it was written",
            path.display()
        );
    }
    if manifest.text()?.as_bytes() != text.as_slice() {
        bail!(
            "{}: not byte for byte as prefbench wrote it: the manifest was edited after it was \
             written",
            path.display()
        );
    }
    // A sealed manifest only lists files inside its directory; an entry naming another place
    // would otherwise be reported as missing, or copied from outside to rebuild the report.
    if let Some(outside) = manifest.sha256.keys().find(|name| !inside(name)) {
        bail!(
            "{}: lists {outside:?}, a path outside {} (absolute, or through `..`); prefbench \
             lists only files inside the directory, so the manifest was edited: restore it, or \
             rebuild it with `prefbench report {}`",
            path.display(),
            dir.display(),
            dir.display()
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
    Ok(manifest)
}

/// Whether a manifest entry names a path inside the directory: relative, of plain names only.
fn inside(name: &str) -> bool {
    let path = Path::new(name);
    !name.is_empty()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
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
            } else if !kind.is_file() {
                bail!(
                    "{}: {}, not a regular file: prefbench writes only files and folders \
                     here, so it can neither seal nor verify this entry; remove it (or keep \
                     such entries out of the output directory)",
                    entry.path().display(),
                    special_kind(&kind)
                );
            } else {
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

/// What a directory entry that is neither a file nor a folder is, in words.
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    match () {
        _ if kind.is_symlink() => "a symbolic link",
        _ if kind.is_fifo() => "a FIFO",
        _ if kind.is_socket() => "a socket",
        _ if kind.is_block_device() || kind.is_char_device() => "a device",
        _ => "a special file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flips the lowest bit of byte `at` of `path`.
    fn flip(path: &Path, at: usize) {
        let mut bytes = std::fs::read(path).unwrap();
        bytes[at] ^= 0x01;
        std::fs::write(path, bytes).unwrap();
    }

    /// A sealed directory of three small files, one in a subfolder.
    fn sealed() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("figures")).unwrap();
        for (name, text) in [
            ("results.jsonl", "{}\n"),
            ("report.md", "# r\n"),
            ("figures/a.svg", "<svg/>"),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        seal(dir.path()).unwrap();
        dir
    }

    #[test]
    fn every_flipped_bit_of_the_manifest_or_a_file_is_caught() {
        let dir = sealed();
        let manifest = unchanged(dir.path()).unwrap();
        assert_eq!(manifest.sha256.len(), 3);
        let mut files = vec![OutputDir::at(dir.path()).manifest()];
        files.extend(manifest.sha256.keys().map(|name| dir.path().join(name)));
        for file in files {
            for at in 0..std::fs::metadata(&file).unwrap().len() as usize {
                flip(&file, at);
                assert!(
                    unchanged(dir.path()).is_err(),
                    "{} byte {at} flipped",
                    file.display()
                );
                flip(&file, at);
            }
        }
        unchanged(dir.path()).unwrap();
    }

    #[test]
    fn an_edit_that_keeps_the_json_valid_is_named_as_an_edit_of_the_manifest() {
        let dir = sealed();
        let path = OutputDir::at(dir.path()).manifest();
        let text = std::fs::read_to_string(&path).unwrap();
        for (from, to, said) in [
            (
                "\"prefbench\": \"",
                "\"prefbench\": \"9",
                "do not match its seal",
            ),
            ("{\n  \"format\"", "{\n   \"format\"", "not byte for byte"),
        ] {
            std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
            let err = format!("{:#}", unchanged(dir.path()).unwrap_err());
            assert!(err.contains(said), "{err}");
        }
        std::fs::write(&path, &text).unwrap();
        std::fs::write(dir.path().join("added.txt"), "x").unwrap();
        let err = format!("{:#}", unchanged(dir.path()).unwrap_err());
        assert!(err.contains("added.txt: not in the manifest"), "{err}");
        std::fs::remove_file(dir.path().join("added.txt")).unwrap();
        std::fs::remove_file(dir.path().join("report.md")).unwrap();
        let err = format!("{:#}", unchanged(dir.path()).unwrap_err());
        assert!(
            err.contains("report.md: listed in the manifest but missing"),
            "{err}"
        );
    }

    /// A manifest edited to list a path outside its directory, and sealed again (the seal is a
    /// hash anyone can recompute), is refused as naming an outside path, not as a missing file.
    #[test]
    fn an_entry_outside_the_directory_is_named_as_outside() {
        let dir = sealed();
        let path = OutputDir::at(dir.path()).manifest();
        let original = std::fs::read(&path).unwrap();
        for outside in ["../elsewhere.md", "/etc/hostname", "figures/../../x"] {
            let mut manifest: Manifest = serde_json::from_slice(&original).unwrap();
            manifest.sha256.insert(outside.into(), "0".repeat(64));
            manifest.seal = manifest.sealed().unwrap();
            std::fs::write(&path, manifest.text().unwrap()).unwrap();
            let err = format!("{:#}", unchanged(dir.path()).unwrap_err());
            assert!(
                err.contains(&format!("lists {outside:?}, a path outside"))
                    && !err.contains("missing"),
                "{err}"
            );
        }
        assert!(inside("figures/a.svg") && !inside("") && !inside("./a"));
    }

    /// An entry added after sealing that is not a regular file (a link to a sealed file, a
    /// FIFO) is refused by name and kind, not passed over.
    #[test]
    fn links_and_fifos_added_after_sealing_are_refused() {
        let dir = sealed();
        let link = dir.path().join("figures/b.svg");
        std::os::unix::fs::symlink(dir.path().join("figures/a.svg"), &link).unwrap();
        let err = format!("{:#}", unchanged(dir.path()).unwrap_err());
        assert!(
            err.contains("b.svg: a symbolic link, not a regular file"),
            "{err}"
        );
        std::fs::remove_file(&link).unwrap();
        let fifo = dir.path().join("pipe");
        let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo only creates the entry.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        let err = format!("{:#}", unchanged(dir.path()).unwrap_err());
        assert!(err.contains("pipe: a FIFO, not a regular file"), "{err}");
        std::fs::remove_file(&fifo).unwrap();
        unchanged(dir.path()).unwrap();
    }
}
