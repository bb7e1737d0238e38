//! Content hashes of files, streamed so that multi-gigabyte downloads need no memory.
use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::IoError;

/// Lowercase hex sha256 of `bytes` already in memory (a canonical JSON form, a small file).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Lowercase hex sha256 of the file at `path`, read in 64 KiB chunks.
pub fn sha256_file(path: &Path) -> Result<String, IoError> {
    let mut file = File::open(path).map_err(IoError::at(path, "opening"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(IoError::at(path, "reading"))?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_a_known_string() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, "abc").unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_file(&path).unwrap(), abc);
        assert_eq!(sha256_hex(b"abc"), abc);
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = sha256_file(Path::new("/nonexistent/f")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent/f: opening failed: "),
            "{err}"
        );
    }
}
