//! Durable file I/O shared by the workspace, so that every crate writes, hashes and locks files
//! the same way and every failure names its file and what was being done to it.
mod append;
mod atomic;
mod error;
mod hash;
mod lock;

pub use append::append_line;
pub use atomic::{
    persist, rename_durably, sync_directory, sync_parent, temp_file_beside, write_atomic,
};
pub use error::IoError;
pub use hash::{sha256_file, sha256_hex};
pub use lock::FileLock;
