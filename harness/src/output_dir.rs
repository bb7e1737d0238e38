//! An output directory (docs/design.md, output directory) and every path inside it, named in
//! this one place, so the layout the report, merge and resume rely on cannot drift between the
//! modules that write and read it. Every write into it goes through `prefbench_io`.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The store of finished runs inside an output directory.
const RESULTS: &str = "results.jsonl";

/// A run's (or merge's) output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDir {
    root: PathBuf,
}

impl OutputDir {
    /// The directory at `root`, as it is (nothing is created or checked).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Creates the directory and proves it writable before any training, naming it in the
    /// error if not.
    pub fn create(&self) -> Result<()> {
        self.refuse_a_file()?;
        let fail = || {
            format!(
                "output directory {} is not writable; choose another with --out DIR",
                self.root.display()
            )
        };
        std::fs::create_dir_all(&self.root).with_context(fail)?;
        let probe = self.root.join(".prefbench-write-probe");
        std::fs::write(&probe, b"").with_context(fail)?;
        std::fs::remove_file(&probe).with_context(fail)?;
        Ok(())
    }

    /// Refuses a path that is a file, or lies under one: creating the directory would fail with
    /// the OS's "File exists" or "Not a directory", which reads like a permission problem.
    pub fn refuse_a_file(&self) -> Result<()> {
        let existing = self
            .root
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .find_map(|a| std::fs::metadata(a).ok().map(|m| (a, m.is_dir())));
        match existing {
            Some((file, false)) if file == self.root => bail!(
                "output directory {} is a file, not a directory; choose another with --out DIR",
                self.root.display()
            ),
            Some((file, false)) => bail!(
                "output directory {}: {} is a file, not a directory; choose another with --out DIR",
                self.root.display(),
                file.display()
            ),
            _ => Ok(()),
        }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `results.jsonl`: one whole record a line, appended as runs finish.
    pub fn results(&self) -> PathBuf {
        self.root.join(RESULTS)
    }

    /// `failures.jsonl`: the runs of the latest invocation that diverged.
    pub fn failures(&self) -> PathBuf {
        self.root.join("failures.jsonl")
    }

    /// `.prefbench.lock`: held by the one process that owns the directory.
    pub fn lock(&self) -> PathBuf {
        self.root.join(".prefbench.lock")
    }

    /// `config.yaml`: the resolved config of the run, which `--jobs` children read too.
    pub fn config(&self) -> PathBuf {
        self.root.join("config.yaml")
    }

    /// `env.json`: the environment the runs happened in.
    pub fn environment(&self) -> PathBuf {
        self.root.join("env.json")
    }

    /// `manifest.json`: the sha256 of every file, written after the report (`manifest`).
    pub fn manifest(&self) -> PathBuf {
        self.root.join("manifest.json")
    }

    /// `datasets/`: one folder per prepared dataset, holding its card.
    pub fn datasets(&self) -> PathBuf {
        self.root.join("datasets")
    }

    /// `datasets/<name>/card.json`: the card of a prepared dataset.
    pub fn dataset_card(&self, name: &str) -> PathBuf {
        self.datasets().join(name).join("card.json")
    }

    /// `jobs/`: the children's directories while `--jobs N` runs.
    pub fn jobs(&self) -> PathBuf {
        self.root.join("jobs")
    }

    /// `jobs/<j>/`: the output directory of job `job` (0-based; named 1-based).
    pub fn job(&self, job: usize) -> Self {
        Self::at(self.jobs().join((job + 1).to_string()))
    }
}

/// The store an input names: an output directory's `results.jsonl`, or the file itself.
pub fn results_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(RESULTS)
    } else {
        path.to_path_buf()
    }
}

/// Removes `path`; one that is already absent is fine.
pub fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--out` naming a file, or a path under one, is refused as a file before anything is
    /// created, not as "not writable" with the OS's "File exists".
    #[test]
    fn a_file_or_a_path_under_one_is_refused_as_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("afile");
        std::fs::write(&file, "x").unwrap();
        for (out, named) in [(file.clone(), "is a file"), (file.join("sub/dir"), ": ")] {
            let err = format!("{:#}", OutputDir::at(&out).create().unwrap_err());
            assert!(
                err.contains(named)
                    && err.contains("afile is a file, not a directory")
                    && !err.contains("not writable"),
                "{err}"
            );
        }
        let fresh = OutputDir::at(tmp.path().join("new/out"));
        fresh.refuse_a_file().unwrap();
        fresh.create().unwrap();
        assert!(fresh.root().is_dir());
    }
}
