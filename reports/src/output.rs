//! Writing report files so that a reader never sees a half-written one: through a temporary
//! file beside the target, synced and renamed over it (`prefbench_io`).
use crate::ReportError;
use std::path::Path;

/// Lets `write` fill a temporary sibling of `path` (same extension, which the PNG encoder
/// needs), then renames it over `path`; on an error the temporary file is removed.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let tmp = prefbench_io::temp_file_beside(path)?;
    write(tmp.path())?;
    Ok(prefbench_io::persist(tmp, path)?)
}

/// Writes `text` to `path` atomically.
pub(crate) fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    Ok(prefbench_io::write_atomic(path, text.as_bytes())?)
}
