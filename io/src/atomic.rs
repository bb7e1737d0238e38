//! Atomic, durable replacement of files: a reader sees the old content or the new, never a
//! part, and once a call returns the new content survives a power cut. The bytes go to a
//! uniquely named temporary file in the target's directory (a rename is atomic only within one
//! file system), which is synced, renamed over the target, and then the directory is synced
//! so that the rename itself is on disk.
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tempfile::NamedTempFile;

use crate::IoError;

/// Replaces `path` with `bytes` atomically and durably (creating its directory if needed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let mut tmp = temp_file_beside(path)?;
    tmp.write_all(bytes)
        .map_err(IoError::at(tmp.path(), "writing"))?;
    persist(tmp, path)
}

/// A new temporary file in `path`'s directory (created if needed), for content that is
/// checked before it may replace `path` with [`persist`]; dropped, it deletes itself. Its name
/// starts with `.` and the target's name and keeps the target's extension, for encoders that
/// go by it. It is created with mode 0666 less the umask, as `File::create` would create the
/// file itself, rather than tempfile's private 0600: a renamed temporary file keeps its mode,
/// and a report or a record must be as readable as any other file its user writes.
pub fn temp_file_beside(path: &Path) -> Result<NamedTempFile, IoError> {
    let dir = parent(path);
    fs::create_dir_all(dir).map_err(IoError::at(dir, "creating the directory"))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let suffix = path
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    tempfile::Builder::new()
        .permissions(fs::Permissions::from_mode(0o666))
        .prefix(&format!(".{name}."))
        .suffix(&suffix)
        .tempfile_in(dir)
        .map_err(IoError::at(dir, "creating a temporary file"))
}

/// Syncs `tmp` and renames it over `path`, then syncs the directory.
pub fn persist(tmp: NamedTempFile, path: &Path) -> Result<(), IoError> {
    tmp.as_file()
        .sync_all()
        .map_err(IoError::at(tmp.path(), "syncing"))?;
    tmp.persist(path)
        .map_err(|e| IoError::at(path, "renaming into place")(e.error))?;
    sync_parent(path)
}

/// Renames the already synced file `from` over `to` and syncs the directory, for files that
/// are staged under a name of their own (a resumable download's `.part`).
pub fn rename_durably(from: &Path, to: &Path) -> Result<(), IoError> {
    fs::rename(from, to).map_err(IoError::at(to, "renaming into place"))?;
    sync_parent(to)
}

/// Syncs every file directly in `dir`, then `dir` itself, so that a directory staged whole
/// (an SFT checkpoint) can be renamed into place with [`rename_durably`] and survive a crash.
pub fn sync_directory(dir: &Path) -> Result<(), IoError> {
    for entry in fs::read_dir(dir).map_err(IoError::at(dir, "listing the directory"))? {
        let path = entry
            .map_err(IoError::at(dir, "listing the directory"))?
            .path();
        if path.is_file() {
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(IoError::at(&path, "syncing"))?;
        }
    }
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(IoError::at(dir, "syncing the directory"))?;
    }
    Ok(())
}

/// Syncs the directory holding `path`, so that a file just created or renamed there keeps its
/// name after a crash. Only Unix can open a directory to sync it; elsewhere this does nothing.
pub fn sync_parent(path: &Path) -> Result<(), IoError> {
    let dir = parent(path);
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(IoError::at(dir, "syncing the directory"))?;
    }
    Ok(())
}

/// The directory of `path`; `.` for a bare file name.
fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_staged_directory_syncs_and_renames_into_place_and_a_missing_one_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let staging = tmp.path().join(".ckpt.tmp");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("weights"), b"w").unwrap();
        sync_directory(&staging).unwrap();
        let dir = tmp.path().join("ckpt");
        rename_durably(&staging, &dir).unwrap();
        assert_eq!(names(tmp.path()), ["ckpt"]);
        assert_eq!(fs::read(dir.join("weights")).unwrap(), b"w");
        let err = sync_directory(&staging).unwrap_err().to_string();
        assert!(
            err.contains(".ckpt.tmp") && err.contains("listing"),
            "{err}"
        );
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/a.json");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names(&dir.path().join("sub")), ["a.json"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_content_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory cannot be renamed over: the last step fails.
        let path = dir.path().join("target");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("old"), "old").unwrap();
        let err = write_atomic(&path, b"new").unwrap_err();
        assert!(
            err.to_string()
                .contains("target: renaming into place failed"),
            "{err}"
        );
        assert_eq!(names(dir.path()), ["target"]);
        assert_eq!(fs::read(path.join("old")).unwrap(), b"old");
    }

    #[test]
    fn an_unpersisted_temporary_file_removes_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.png");
        fs::write(&path, "old").unwrap();
        let mut tmp = temp_file_beside(&path).unwrap();
        let name = tmp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(".chart.png.") && name.ends_with(".png"),
            "{name}"
        );
        tmp.write_all(b"half").unwrap();
        drop(tmp);
        assert_eq!(names(dir.path()), ["chart.png"]);
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    /// Under umask 027 a replaced file is 0640, as `File::create` would make it (tempfile's
    /// own 0600 would hide a report from the group that should read it).
    #[test]
    fn a_replaced_file_gets_the_mode_the_umask_allows() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        // SAFETY: umask has no memory effects; no other test of this crate reads it.
        let before = unsafe { libc::umask(0o027) };
        let written = write_atomic(&path, b"x");
        // SAFETY: as above.
        unsafe { libc::umask(before) };
        written.unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{mode:o}");
    }

    #[test]
    fn rename_durably_moves_a_staged_file() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a.part"), dir.path().join("a"));
        fs::write(&from, "x").unwrap();
        rename_durably(&from, &to).unwrap();
        assert_eq!(names(dir.path()), ["a"]);
    }
}
