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
//! One rule decides which records count, for `merge`, `report` and `compare` alike
//! ([`read_unique`], [`unique`]): one record per run id; identical copies of a record (a
//! shard merged twice, a line pasted twice) collapse into one and are listed as
//! [`Duplicate`]s so the caller can warn; two different records under one id are refused
//! ([`StoreError::Conflict`]), since one of them cannot be the run it claims to be.
use crate::record::{RunRecord, SCHEMA_VERSION};
use crate::unique::keep_unique;
pub use crate::unique::{unique, Duplicate, Unique};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Everything that can go wrong with a results file; each names the file (and line) and says
/// what to do, because users meet these when resuming or reporting.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {action} failed: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    #[error(
        "{path}:{line}: not a valid run record ({source}); remove or repair that line, or \
         restore the file from a shard copy"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error(
        "{path}:{line}: record has schema {found} but this prefbench reads schema {expected}; \
         rerun those runs with this version, or report them with the prefbench that wrote them"
    )]
    Schema {
        path: PathBuf,
        line: usize,
        found: u32,
        expected: u32,
    },
    #[error(
        "{path}:{line}: the last line is incomplete (no newline, not a valid record), left by \
         a run that was killed while writing; that run is not recorded. Resuming with \
         `prefbench run` drops it and reruns the run"
    )]
    PartialTail { path: PathBuf, line: usize },
    #[error("{path}: a record with id {id} is already stored; runs in the store are skipped")]
    DuplicateId { path: PathBuf, id: String },
    #[error(
        "run {id} has two different records, at {first} and at {second}; the same run gave \
         different results (another machine, thread count or prefbench build?). Keep one of \
         the two out of the results (leave a file out of the merge, or remove one line)"
    )]
    Conflict {
        id: String,
        /// Where the first record was read (`file:line`, or its place in the input).
        first: String,
        second: String,
    },
    #[error(
        "{path}: record {id} would not read back ({source}); non-finite numbers (NaN, inf) \
         cannot be stored in JSON, so it was not written"
    )]
    Unreadable {
        path: PathBuf,
        id: String,
        source: serde_json::Error,
    },
}

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
            fs::create_dir_all(parent).map_err(io_err(parent, "creating directory"))?;
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
            .map_err(io_err(&path, "opening for append"))?;
        if !existed {
            sync_parent(&path)?;
        }
        if !ends_with_newline {
            file.write_all(b"\n")
                .and_then(|()| file.sync_all())
                .map_err(io_err(&path, "adding the missing final newline"))?;
        }
        let ids = records.into_iter().map(|(_, r)| r.id).collect();
        Ok(Self { path, file, ids })
    }

    /// Appends one finished run as one whole, synced line; refuses an id already stored so the
    /// store keeps one record per run.
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
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_all())
            .map_err(io_err(&self.path, "appending a record"))?;
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
/// directory and a rename, so a reader sees the old file or the new one, never a mix.
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
    let tmp = path.with_extension("jsonl.tmp");
    File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .map_err(io_err(&tmp, "writing"))?;
    fs::rename(&tmp, path).map_err(io_err(path, "replacing"))?;
    sync_parent(path)
}

/// Cuts a [`StoreError::PartialTail`] off the file so appending can resume; returns the line
/// number dropped, or `None` when the file had no partial tail. Only the runner should call
/// this, after it has decided the interrupted run is to be rerun.
pub fn truncate_partial_tail(path: impl AsRef<Path>) -> Result<Option<usize>, StoreError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(io_err(path, "reading"))?;
    match parse_bytes(path, &bytes) {
        Err(StoreError::PartialTail { line, .. }) => {
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io_err(path, "opening for repair"))?;
            file.set_len(keep as u64)
                .and_then(|()| file.sync_all())
                .map_err(io_err(path, "truncating the partial last line"))?;
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
    let bytes = fs::read(path).map_err(io_err(path, "reading"))?;
    parse_bytes(path, &bytes)
}

fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Parsed, StoreError> {
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
    if probe.schema != SCHEMA_VERSION {
        return Err(StoreError::Schema {
            path: path.to_path_buf(),
            line,
            found: probe.schema,
            expected: SCHEMA_VERSION,
        });
    }
    serde_json::from_slice(text).map_err(parse_err)
}

/// Makes a newly created file's directory entry durable, so "complete or absent" also holds
/// for the first record.
fn sync_parent(path: &Path) -> Result<(), StoreError> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir, "syncing directory")),
        None => Ok(()),
    }
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        path,
        action,
        source,
    }
}
