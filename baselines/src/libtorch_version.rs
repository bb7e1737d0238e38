//! Which libtorch a library directory holds, read from the files beside it. Shared by the build
//! script (the version the binary was built against) and the running binary (the version it
//! loaded), so the two readings cannot disagree on how to read it.
use std::path::Path;

/// The version of the libtorch whose `lib/` is `lib`: `__version__` of `torch/version.py` for a
/// wheel, `build-version` for a standalone libtorch; `None` when neither is there.
pub fn libtorch_version(lib: &Path) -> Option<String> {
    let root = lib.parent()?;
    if let Ok(text) = std::fs::read_to_string(root.join("version.py")) {
        let line = text.lines().find(|l| l.starts_with("__version__"))?;
        return Some(line.split(['\'', '"']).nth(1)?.to_string());
    }
    let text = std::fs::read_to_string(root.join("build-version")).ok()?;
    Some(text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheels_and_standalone_builds_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        assert_eq!(libtorch_version(&lib), None);
        std::fs::write(dir.path().join("build-version"), "2.11.0+cpu\n").unwrap();
        assert_eq!(libtorch_version(&lib).as_deref(), Some("2.11.0+cpu"));
        let py = "from typing import Optional\n__version__ = '2.11.0+cu130'\ncuda = '13.0'\n";
        std::fs::write(dir.path().join("version.py"), py).unwrap();
        assert_eq!(libtorch_version(&lib).as_deref(), Some("2.11.0+cu130"));
    }
}
