//! Durable appends to line logs (`failures.jsonl`, a job's log): each line is written with its
//! newline in one call and synced, so a crash leaves every line whole or absent.
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::{sync_parent, IoError};

/// Appends `line` and a newline to `path` (created if absent, its directory synced then) and
/// syncs the file.
pub fn append_line(path: &Path, line: &str) -> Result<(), IoError> {
    let created = !path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(IoError::at(path, "opening for appending"))?;
    if created {
        sync_parent(path)?;
    }
    file.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(IoError::at(path, "appending"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_accumulate_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        append_line(&path, "{\"a\":1}").unwrap();
        append_line(&path, "{\"b\":2}").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"b\":2}\n"
        );
        let missing = dir.path().join("no/such/dir/log");
        let err = append_line(&missing, "x").unwrap_err();
        assert!(err.to_string().contains("opening for appending"), "{err}");
    }
}
