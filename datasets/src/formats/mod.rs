//! Parsers of the raw formats and the recipes that turn them into samples.
pub mod archive;
pub mod catalogue;
pub mod goodreads;
pub mod hetrec;
pub mod lines;
pub mod movielens;
pub mod pyliteral;
pub mod sdpo;
pub mod sequences;
pub mod steam;

use serde::Deserialize;

use crate::error::DatasetError;
use crate::sample::Dataset;

/// What a recipe that rebuilds a published sample produces: the dataset, the files it renders
/// for a byte-exact check against the registry's pins `(file name, text)`, and notes for its
/// card.
pub struct Rebuilt {
    pub dataset: Dataset,
    pub files: Vec<(String, String)>,
    pub notes: Vec<String>,
}

/// An explicit user split (`lastfm-split.json`, `movielens-split.json`): the source's user ids
/// of the test and validation users; every other user trains.
#[derive(Debug, Clone, Deserialize)]
pub struct SplitUsers {
    pub test: Vec<u32>,
    pub val: Vec<u32>,
}

impl SplitUsers {
    /// Parses the embedded split file `file`.
    pub fn parse(file: &str, json: &str) -> Result<Self, DatasetError> {
        serde_json::from_str(json).map_err(|e| DatasetError::Registry(format!("{file}: {e}")))
    }
}
