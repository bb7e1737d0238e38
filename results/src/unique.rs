//! The rule of `merge`, `report` and `compare` on which records count (see the `store`
//! module): one record per run id, identical copies collapse into one and are listed, two
//! different records under one id are refused, and so are records that share one SFT reference
//! but disagree on it (`crate::shared_reference`).
use crate::error::StoreError;
use crate::record::RunRecord;
use crate::shared_reference::check_shared_references;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

/// A run stored more than once with identical records: it counts once, and the caller warns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub id: String,
    /// How many identical copies were read (two or more).
    pub copies: usize,
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "run {} is stored {} times with identical records; it counts once",
            self.id, self.copies
        )
    }
}

/// Records with one per run id, in input order (first copy kept), and the ids that were
/// stored more than once, in id order.
#[derive(Debug, Clone, PartialEq)]
pub struct Unique<R> {
    pub records: Vec<R>,
    pub duplicates: Vec<Duplicate>,
}

/// The rule of this module on records already in memory; a conflict names the records by
/// their 1-based place in `records`.
pub fn unique(records: &[RunRecord]) -> Result<Unique<&RunRecord>, StoreError> {
    let numbered = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r, format!("record {} of the input", i + 1)));
    keep_unique(numbered)
}

pub(crate) fn keep_unique<R: Borrow<RunRecord>>(
    items: impl IntoIterator<Item = (R, String)>,
) -> Result<Unique<R>, StoreError> {
    let mut records: Vec<R> = Vec::new();
    // id -> (index in `records`, where it was read, copies)
    let mut seen: BTreeMap<String, (usize, String, usize)> = BTreeMap::new();
    for (record, origin) in items {
        let id = record.borrow().id.clone();
        match seen.get_mut(&id) {
            Some((at, _, copies)) if records[*at].borrow() == record.borrow() => *copies += 1,
            Some((_, first, _)) => {
                return Err(StoreError::Conflict {
                    id,
                    first: first.clone(),
                    second: origin,
                })
            }
            None => {
                seen.insert(id, (records.len(), origin, 1));
                records.push(record);
            }
        }
    }
    let mut origins = vec![""; records.len()];
    for (at, origin, _) in seen.values() {
        origins[*at] = origin;
    }
    check_shared_references(records.iter().map(Borrow::borrow).zip(origins))?;
    let duplicates = seen
        .into_iter()
        .filter(|(_, (_, _, copies))| *copies > 1)
        .map(|(id, (_, _, copies))| Duplicate { id, copies })
        .collect();
    Ok(Unique {
        records,
        duplicates,
    })
}
