//! Writing report files so that a reader never sees a half-written one (docs/design.md: write to
//! a temporary file in the target directory, then rename).
use crate::ReportError;
use std::path::Path;

/// Lets `write` create a temporary sibling of `path` (same extension, which the PNG encoder
/// needs), then renames it over `path`.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".partial.{name}"));
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(|source| io_err(path, "replacing", source))
}

/// An I/O error that names its file.
pub(crate) fn io_err(path: &Path, action: &'static str, source: std::io::Error) -> ReportError {
    ReportError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Writes `text` to `path` atomically.
pub(crate) fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    write_atomically(path, |tmp| {
        std::fs::write(tmp, text).map_err(|source| io_err(tmp, "writing", source))
    })
}
