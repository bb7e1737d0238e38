//! The cache directory: where downloads and prepared datasets live, the `datasets.lock` file
//! that pins the first-seen hash of unpinned files, and inter-process locks so that several
//! processes can share one cache.
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use prefbench_io::FileLock;

use crate::error::DatasetError;

/// `$PREFBENCH_CACHE`, else the platform cache directory + `prefbench`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PREFBENCH_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    };
    base.unwrap_or_else(std::env::temp_dir).join("prefbench")
}

/// Creates `dir` (and parents), with an error that names it.
pub fn ensure_dir(dir: &Path) -> Result<(), DatasetError> {
    fs::create_dir_all(dir).map_err(DatasetError::io("creating the directory", dir))
}

/// `path` with `suffix` appended to its file name (`a.json.gz` + `.part` = `a.json.gz.part`;
/// unlike `with_extension`, two files that differ only in their last extension stay apart).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Moves a cached file that failed verification to `<name>.corrupt` beside it (replacing an
/// older one), so that it no longer counts as cached but can still be inspected.
pub fn set_aside(path: &Path) -> Result<PathBuf, DatasetError> {
    let moved = with_suffix(path, ".corrupt");
    fs::rename(path, &moved).map_err(DatasetError::io("moving aside the corrupt file", path))?;
    Ok(moved)
}

/// Removes `path`; one that is already gone is no error.
pub(crate) fn remove_if_exists(path: &Path) -> Result<(), DatasetError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(DatasetError::io("removing", path)(e))
        }
        _ => Ok(()),
    }
}

/// `datasets.lock` in the cache root: `sha256  dataset/file` lines for files the registry
/// does not pin, recorded on first download and required to match afterwards.
pub struct HashLock {
    path: PathBuf,
}

impl HashLock {
    pub fn new(cache: &Path) -> Self {
        HashLock {
            path: cache.join("datasets.lock"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<BTreeMap<String, String>, DatasetError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(DatasetError::io("reading", &self.path)(e)),
        };
        let mut out = BTreeMap::new();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (hash, key) = line
                .split_once("  ")
                .filter(|(h, _)| h.len() == 64)
                .ok_or_else(|| {
                    DatasetError::parse(
                        self.path.display(),
                        n as u64 + 1,
                        "expected `<sha256>  <dataset>/<file>`; fix or delete the line",
                    )
                })?;
            out.insert(key.to_string(), hash.to_string());
        }
        Ok(out)
    }

    /// The recorded hash of `dataset/file`.
    pub fn get(&self, dataset: &str, file: &str) -> Result<Option<String>, DatasetError> {
        Ok(self.read()?.remove(&format!("{dataset}/{file}")))
    }

    /// Records a first-seen hash (under a lock, atomically).
    pub fn record(&self, dataset: &str, file: &str, sha256: &str) -> Result<(), DatasetError> {
        let _guard = FileLock::acquire(&self.path.with_extension("lock.guard"))?;
        let mut all = self.read()?;
        all.insert(format!("{dataset}/{file}"), sha256.to_string());
        let mut text = String::from(
            "# sha256 of files the registry does not pin, recorded on first download\n",
        );
        for (k, h) in all {
            text.push_str(&format!("{h}  {k}\n"));
        }
        Ok(prefbench_io::write_atomic(&self.path, text.as_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_lock_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let lock = HashLock::new(dir.path());
        assert_eq!(lock.get("steam", "a.gz").unwrap(), None);
        lock.record("steam", "a.gz", &"a".repeat(64)).unwrap();
        lock.record("steam", "b.gz", &"b".repeat(64)).unwrap();
        assert_eq!(lock.get("steam", "a.gz").unwrap(), Some("a".repeat(64)));
        fs::write(lock.path(), "garbage\n").unwrap();
        assert!(lock
            .get("steam", "a.gz")
            .unwrap_err()
            .to_string()
            .contains("datasets.lock:1"));
    }
}
