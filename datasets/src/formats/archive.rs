//! Members of a zip archive, or of a directory of extracted files, read into memory by exact
//! file name: nothing is extracted to disk, so archive paths (`..`, absolute, symlinks) can
//! never escape anywhere, and a member that expands beyond [`MAX_MEMBER`] is refused.
use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::DatasetError;

/// Largest member accepted from an archive (the real ones are a few MB).
const MAX_MEMBER: u64 = 256 << 20;

/// The bytes of each of `members` in the zip archive at `path`, matched by their file name
/// whatever folder the archive keeps them in.
pub fn read_zip_members(path: &Path, members: &[&str]) -> Result<Vec<Vec<u8>>, DatasetError> {
    let file = std::fs::File::open(path).map_err(DatasetError::io("opening", path))?;
    let shown = path.display().to_string();
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        DatasetError::bad_input(
            &shown,
            format!("not a readable zip archive ({e}); delete it and fetch it again"),
        )
    })?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    members
        .iter()
        .map(|member| {
            let full = names
                .iter()
                .find(|n| n.rsplit('/').next() == Some(*member))
                .ok_or_else(|| {
                    DatasetError::bad_input(&shown, format!("has no member `{member}`"))
                })?;
            let entry = zip
                .by_name(full)
                .map_err(|e| DatasetError::bad_input(&shown, format!("{full}: {e}")))?;
            let mut bytes = Vec::new();
            entry
                .take(MAX_MEMBER + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    DatasetError::bad_input(
                        &shown,
                        format!("{full}: corrupt or truncated ({e}); delete the archive and fetch it again"),
                    )
                })?;
            if bytes.len() as u64 > MAX_MEMBER {
                return Err(DatasetError::bad_input(
                    &shown,
                    format!("{full} expands beyond {MAX_MEMBER} bytes; refusing it"),
                ));
            }
            Ok(bytes)
        })
        .collect()
}

/// The bytes of each of `members` in the directory `dir` (already extracted files).
pub fn read_dir_members(dir: &Path, members: &[&str]) -> Result<Vec<Vec<u8>>, DatasetError> {
    members
        .iter()
        .map(|m| {
            let p = dir.join(m);
            std::fs::read(&p).map_err(DatasetError::io("reading the extracted member", p))
        })
        .collect()
}

/// `bytes` as UTF-8 text, or an error naming `file` (an archive member, possibly `archive:member`).
pub fn utf8(file: &str, bytes: Vec<u8>) -> Result<String, DatasetError> {
    String::from_utf8(bytes).map_err(|e| DatasetError::bad_input(file, format!("not UTF-8 ({e})")))
}
