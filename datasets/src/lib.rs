//! Where prefbench's data comes from: the canonical sample types, the registry of public
//! sources, verified downloads, parsers and recipes, the synthetic generator and dataset cards.
pub mod cache;
pub mod candidates;
pub mod card;
pub mod download;
pub mod error;
pub mod formats;
pub mod prepare;
pub mod pyrandom;
pub mod recipe;
pub mod registry;
pub mod sample;
pub mod synthetic;
pub mod trivial;

pub use card::{DatasetCard, Provenance};
pub use download::{FetchOptions, Mirror, RetryPolicy};
pub use error::DatasetError;
pub use prepare::{prepare, prepare_synthetic, PrepareOptions};
pub use sample::{Dataset, ItemId, Sample, Split, CANDIDATES, MAX_HISTORY};
