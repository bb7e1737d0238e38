//! The one I/O error of the workspace: which file, what was being done, and the OS's reason.
use std::path::PathBuf;

/// An I/O failure on `path` while doing `action` (a gerund phrase: "reading", "renaming into
/// place"); displayed as `{path}: {action} failed: {source}`.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {action} failed: {source}")]
pub struct IoError {
    pub path: PathBuf,
    pub action: &'static str,
    pub source: std::io::Error,
}

impl IoError {
    /// A `map_err` adapter that wraps an `std::io::Error` with `path` and `action`.
    pub fn at(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(std::io::Error) -> IoError {
        let path = path.into();
        move |source| IoError {
            path,
            action,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_path_and_action() {
        let e = IoError::at("/x/y", "reading")(std::io::Error::other("boom"));
        assert_eq!(e.to_string(), "/x/y: reading failed: boom");
        assert!(std::error::Error::source(&e).is_some());
    }
}
