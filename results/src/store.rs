//! The append-only `results.jsonl` store: one [`RunRecord`] per line, written whole.
//!
//! A record is complete or absent. [`ResultsStore::append`] serialises the record fully, checks
//! that it reads back, and writes the line and its newline in one call before `sync_all`, so a
//! killed process can leave at most one trailing line without its newline.
//!
//! Such a partial tail is not silently dropped: [`read_records`] and [`ResultsStore::open`]
//! return [`StoreError::PartialTail`], so the caller decides. Its run never finished, so the
//! runner may call [`truncate_partial_tail`] and rerun it; `report` and `merge` should stop
//! and tell the user. A last line without its newline that still parses as a record (for
//! example after a hand edit) is accepted, and `open` adds the missing newline.
//!
//! Every record read is checked ([`crate::validate`]) and refused with its file, line, id and
//! field ([`StoreError::Invalid`]); `append` checks before it writes, so the store never holds
//! a record its readers would refuse.
//!
//! One rule decides which records count, for `merge`, `report` and `compare` alike
//! ([`read_unique`], [`unique`]): one record per run id; identical copies of a record (a
//! shard merged twice, a line pasted twice) collapse into one and are listed as
//! [`Duplicate`]s so the caller can warn; two different records under one id are refused
//! ([`StoreError::Conflict`]), since one of them cannot be the run it claims to be.
pub use crate::error::StoreError;
use crate::record::{RunRecord, READABLE_SCHEMAS, SCHEMA_VERSION};
use crate::unique::keep_unique;
pub use crate::unique::{unique, Duplicate, Unique};
use crate::validate::validate;
use prefbench_io::{sync_parent, write_atomic, IoError};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// An open results file for appending, with the ids it holds so a resumed matrix skips them.
#[derive(Debug)]
pub struct ResultsStore {
    path: PathBuf,
    file: File,
    ids: BTreeSet<String>,
}

impl ResultsStore {
    /// Opens (creating it and its parent directories if needed) the store at `path`, reading
    /// the ids already present; fails on any record it cannot trust, see [`StoreError`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(IoError::at(parent, "creating directory"))?;
        }
        let existed = path.exists();
        let (records, ends_with_newline) = if existed {
            parse(&path)?
        } else {
            (Vec::new(), true)
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(IoError::at(&path, "opening for append"))?;
        if !existed {
            sync_parent(&path)?;
        }
        if !ends_with_newline {
            file.write_all(b"\n")
                .and_then(|()| file.sync_all())
                .map_err(IoError::at(&path, "adding the missing final newline"))?;
        }
        let ids = records.into_iter().map(|(_, r)| r.id).collect();
        Ok(Self { path, file, ids })
    }

    /// Appends one finished run as one whole, synced line; refuses an id already stored so the
    /// store keeps one record per run, and a record that readers would refuse.
    pub fn append(&mut self, record: &RunRecord) -> Result<(), StoreError> {
        if self.ids.contains(&record.id) {
            return Err(StoreError::DuplicateId {
                path: self.path.clone(),
                id: record.id.clone(),
            });
        }
        let mut line =
            serde_json::to_string(record).map_err(|source| self.unreadable(record, source))?;
        serde_json::from_str::<RunRecord>(&line)
            .map_err(|source| self.unreadable(record, source))?;
        validate(record).map_err(|invalid| StoreError::Refused {
            path: self.path.clone(),
            id: record.id.clone(),
            invalid,
        })?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_all())
            .map_err(IoError::at(&self.path, "appending a record"))?;
        self.ids.insert(record.id.clone());
        Ok(())
    }

    /// The ids of the stored runs, which a resumed matrix skips.
    pub fn ids(&self) -> &BTreeSet<String> {
        &self.ids
    }

    /// Whether the run with this id is already stored (and so must not run again).
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The file this store appends to, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn unreadable(&self, record: &RunRecord, source: serde_json::Error) -> StoreError {
        StoreError::Unreadable {
            path: self.path.clone(),
            id: record.id.clone(),
            source,
        }
    }
}

/// Reads every record of a results file, in file order, refusing anything it cannot trust
/// (see [`StoreError`]); reports and merges are built from this.
pub fn read_records(path: impl AsRef<Path>) -> Result<Vec<RunRecord>, StoreError> {
    parse(path.as_ref()).map(|(records, _)| records.into_iter().map(|(_, r)| r).collect())
}

/// Reads several results files in order and applies the rule of this module: what `merge`,
/// `report` and `compare` count. Conflicts name both files and lines.
pub fn read_unique(paths: &[PathBuf]) -> Result<Unique<RunRecord>, StoreError> {
    let mut all = Vec::new();
    for path in paths {
        for (line, record) in parse(path)?.0 {
            all.push((record, format!("{}:{line}", path.display())));
        }
    }
    keep_unique(all)
}

/// Joins the records of several results files in order by the rule of [`read_unique`]; the
/// caller that wants to warn about duplicates calls [`read_unique`] itself.
pub fn merge(paths: &[PathBuf]) -> Result<Vec<RunRecord>, StoreError> {
    read_unique(paths).map(|u| u.records)
}

/// Writes `records` as a whole results file at `path`, through a temporary file in the same
/// directory, synced and renamed ([`prefbench_io::write_atomic`]), so a reader sees the old
/// file or the new one, never a mix.
pub fn write_records(path: impl AsRef<Path>, records: &[RunRecord]) -> Result<(), StoreError> {
    let path = path.as_ref();
    let mut text = String::new();
    for record in records {
        text.push_str(
            &serde_json::to_string(record).map_err(|source| StoreError::Unreadable {
                path: path.to_path_buf(),
                id: record.id.clone(),
                source,
            })?,
        );
        text.push('\n');
    }
    Ok(write_atomic(path, text.as_bytes())?)
}

/// Cuts a [`StoreError::PartialTail`] off the file so appending can resume; returns the line
/// number dropped, or `None` when the file had no partial tail. Only the runner should call
/// this, after it has decided the interrupted run is to be rerun.
pub fn truncate_partial_tail(path: impl AsRef<Path>) -> Result<Option<usize>, StoreError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(IoError::at(path, "reading"))?;
    match parse_bytes(path, &bytes) {
        Err(StoreError::PartialTail { line, .. }) => {
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(IoError::at(path, "opening for repair"))?;
            file.set_len(keep as u64)
                .and_then(|()| file.sync_all())
                .map_err(IoError::at(path, "truncating the partial last line"))?;
            Ok(Some(line))
        }
        other => other.map(|_| None),
    }
}

/// Reads just the schema first, so a record of another schema is refused as such rather than
/// as a confusing missing-field error.
#[derive(Deserialize)]
struct SchemaProbe {
    schema: u32,
}

/// Records with their 1-based line numbers, and whether the file ends with a newline.
type Parsed = (Vec<(usize, RunRecord)>, bool);

/// Parses the file; also says whether it ends with a newline (true when empty).
fn parse(path: &Path) -> Result<Parsed, StoreError> {
    let bytes = fs::read(path).map_err(IoError::at(path, "reading"))?;
    parse_bytes(path, &bytes)
}

fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Parsed, StoreError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(StoreError::ByteOrderMark {
            path: path.to_path_buf(),
        });
    }
    let ends_with_newline = bytes.last().is_none_or(|&b| b == b'\n');
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let count = lines.len() - usize::from(ends_with_newline);
    let mut records = Vec::new();
    for (i, text) in lines[..count].iter().enumerate() {
        let line = i + 1;
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(path, line, text) {
            Err(StoreError::Parse { .. }) if line == count && !ends_with_newline => {
                return Err(StoreError::PartialTail {
                    path: path.to_path_buf(),
                    line,
                });
            }
            result => records.push((line, result?)),
        }
    }
    Ok((records, ends_with_newline))
}

fn parse_line(path: &Path, line: usize, text: &[u8]) -> Result<RunRecord, StoreError> {
    let parse_err = |source| StoreError::Parse {
        path: path.to_path_buf(),
        line,
        source,
    };
    let probe: SchemaProbe = serde_json::from_slice(text).map_err(parse_err)?;
    if !READABLE_SCHEMAS.contains(&probe.schema) {
        return Err(StoreError::Schema {
            path: path.to_path_buf(),
            line,
            found: probe.schema,
            expected: SCHEMA_VERSION,
        });
    }
    let record: RunRecord = serde_json::from_slice(text).map_err(parse_err)?;
    validate(&record).map_err(|invalid| StoreError::Invalid {
        path: path.to_path_buf(),
        line,
        id: record.id.clone(),
        invalid,
    })?;
    Ok(record)
}
