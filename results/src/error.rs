//! The errors of the results store and of the rule on which records count, apart from the
//! code that raises them so that both modules depend on it and not on each other.
use crate::validate::InvalidRecord;
use prefbench_io::IoError;
use std::path::PathBuf;

/// Everything that can go wrong with a results file; each names the file (and line) and says
/// what to do, because users meet these when resuming or reporting.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Io(#[from] IoError),
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
        "{path}: starts with a UTF-8 byte-order mark (bytes EF BB BF, as some editors save), \
         which a JSON Lines file must not have; remove those 3 bytes (`sed -i '1s/^\\xEF\\xBB\\xBF//' \
         {path}`)"
    )]
    ByteOrderMark { path: PathBuf },
    #[error(
        "{path}:{line}: record has schema {found} but this prefbench reads schemas 2 to {expected}; \
         rerun those runs with this version, or report them with the prefbench that wrote them"
    )]
    Schema {
        path: PathBuf,
        line: usize,
        found: u32,
        expected: u32,
    },
    #[error(
        "{path}:{line}: record {id}: {invalid}; prefbench never writes such a record, so the \
         line was edited or damaged: repair or remove it, or restore the file from a shard copy"
    )]
    Invalid {
        path: PathBuf,
        line: usize,
        id: String,
        invalid: InvalidRecord,
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
        "the records at {first} and {second} share one SFT reference ({reference}: the same \
         dataset content, seed, policy and SFT settings, trained on the same device and CPU \
         model) but disagree on its `{field}`; one of them was edited or damaged: keep it out \
         of the results (remove that line, or restore the file from a shard copy)"
    )]
    SharedReferenceDisagrees {
        /// The reference's SFT cache key.
        reference: String,
        field: &'static str,
        /// Where each record was read (`file:line`, or its place in the input).
        first: String,
        second: String,
    },
    #[error(
        "{path}: record {id} was not written: {invalid}; readers would refuse it (a bug in \
         prefbench: please report it with this message)"
    )]
    Refused {
        path: PathBuf,
        id: String,
        invalid: InvalidRecord,
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
