//! Writing report files so that a reader never sees a half-written one: through a temporary
//! file beside the target, synced and renamed over it (`prefbench_io`).
use crate::ReportError;
use std::path::Path;

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    Ok(prefbench_io::write_atomic(path, bytes)?)
}

/// Writes `text` to `path` atomically.
pub(crate) fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    write_bytes(path, text.as_bytes())
}
