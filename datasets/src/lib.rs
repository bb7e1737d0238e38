//! Where prefbench's data comes from: the canonical sample types, the registry of public
//! sources, verified downloads, parsers and recipes, the synthetic generator and dataset cards.
//!
//! The modules are private; this root is the crate's whole public surface, so that parsers,
//! download internals and the candidate protocol can change without breaking callers.
mod cache;
mod candidates;
mod card;
mod download;
mod error;
mod formats;
mod npsort;
mod prepare;
mod pyrandom;
mod recipe;
#[cfg(test)]
mod recipe_tests;
mod registry;
mod sample;
mod synthetic;
mod trivial;

pub use cache::default_cache_dir;
pub use card::{DatasetCard, DerivedFile, IntegrityChecks, Provenance, SourceFile, SplitCard};
pub use download::{
    fetch_dataset, fetch_file, record_first_seen, verify_dataset, FetchOptions, Fetched, Mirror,
    RetryPolicy,
};
pub use error::{DatasetError, SyntheticError};
pub use prepare::{
    extracted_members, members_dir, prepare, prepare_entry, prepare_synthetic,
    reads_extracted_members, PrepareOptions,
};
pub use recipe::{Recipe, RecipeKind};
pub use registry::{DatasetEntry, FileEntry, Registry};
pub use sample::{Dataset, ItemId, Sample, Split, CANDIDATES, MAX_HISTORY};
pub use synthetic::{generate as generate_synthetic, SyntheticConfig};
pub use trivial::TrivialBaseline;
