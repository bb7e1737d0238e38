//! The registry of public datasets (`datasets/registry.yaml`, embedded in the binary): what
//! to download, which hash to expect and which recipe to run.
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::DatasetError;
use crate::recipe::Recipe;

/// One file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub url: String,
    /// Full URLs of byte-identical copies, tried in order after `url`.
    #[serde(default)]
    pub mirrors: Vec<String>,
    /// `None`: no trustworthy public hash; the lock file pins the first download.
    pub sha256: Option<String>,
    /// Exact length in bytes (the registry's sizes are byte counts, not estimates: no margin):
    /// a download is capped at it and a server announcing another length is refused. `None`:
    /// unknown, capped at `FetchOptions::max_size`.
    pub size: Option<u64>,
    /// For an archive: the members its recipe reads, each with its own pinned sha256 (checked
    /// after extraction) and the URL of the member alone, which is fetched and verified in
    /// the archive's stead when the archive cannot be had. Empty for plain files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<FileEntry>,
}

/// A file a recipe writes, with the sha256 it must have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedEntry {
    pub name: String,
    pub sha256: String,
}

/// One dataset of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetEntry {
    pub description: String,
    /// Printed on the first fetch and copied into every card.
    pub terms: String,
    pub raw_format: String,
    pub recipe: Recipe,
    pub files: Vec<FileEntry>,
    /// Files the recipe writes beside the prepared samples, pinned so that a rebuild that
    /// drifts is seen on its card (`derived[].expected_sha256`).
    #[serde(default)]
    pub derived: Vec<DerivedEntry>,
}

/// All datasets by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registry {
    pub datasets: BTreeMap<String, DatasetEntry>,
}

impl Registry {
    /// The embedded registry, parsed once.
    pub fn builtin() -> Result<&'static Registry, DatasetError> {
        static REGISTRY: OnceLock<Result<Registry, String>> = OnceLock::new();
        REGISTRY
            .get_or_init(|| {
                serde_norway::from_str(include_str!("../registry.yaml")).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| DatasetError::Registry(format!("registry.yaml: {e}")))
    }

    /// The dataset called `name`, or an error listing the known ones.
    pub fn get(&self, name: &str) -> Result<&DatasetEntry, DatasetError> {
        self.datasets
            .get(name)
            .ok_or_else(|| DatasetError::UnknownDataset {
                name: name.to_string(),
                known: self.datasets.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_registry_is_complete() {
        let r = Registry::builtin().unwrap();
        let names: Vec<&str> = r.datasets.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "goodreads",
                "lastfm",
                "lastfm-dated",
                "lastfm-raw",
                "movielens-llara",
                "movielens-loo",
                "steam",
                "synthetic"
            ]
        );
        for (name, d) in &r.datasets {
            assert!(!d.terms.is_empty(), "{name}");
            for f in &d.files {
                assert!(
                    f.url.starts_with("https://") && f.url.ends_with(&f.name),
                    "{name}: {}",
                    f.url
                );
                assert!(
                    f.sha256.as_ref().is_none_or(|h| h.len() == 64),
                    "{name}: {}",
                    f.name
                );
                for url in std::iter::once(&f.url).chain(&f.mirrors) {
                    assert!(url.ends_with(&f.name), "{url}");
                }
                assert_ne!(f.size, Some(0), "{name}: {}", f.name);
                for m in &f.members {
                    assert!(m.url.ends_with(&m.name), "{name}: {}", m.url);
                    assert!(
                        m.sha256.as_ref().is_some_and(|h| h.len() == 64),
                        "{name}: {}",
                        m.name
                    );
                    assert!(m.members.is_empty(), "{name}: nested members");
                }
                let members: Vec<&str> = f.members.iter().map(|m| m.name.as_str()).collect();
                assert!(
                    members.is_empty() || members == d.recipe.name.members(),
                    "{name}"
                );
            }
        }
        assert_eq!(r.get("lastfm").unwrap().files.len(), 3);
    }

    /// lastfm-raw pins S-DPO's published files, so a rebuild is checked against them.
    #[test]
    fn lastfm_raw_derives_sdpo_files() {
        let r = Registry::builtin().unwrap();
        let published: Vec<(String, String)> = r.datasets["lastfm"]
            .files
            .iter()
            .map(|f| (f.name.clone(), f.sha256.clone().unwrap()))
            .collect();
        let derived: Vec<(String, String)> = r.datasets["lastfm-raw"]
            .derived
            .iter()
            .map(|d| (d.name.clone(), d.sha256.clone()))
            .collect();
        assert_eq!(derived, published);
        assert_eq!(r.datasets["lastfm-dated"].derived.len(), 3);
    }

    #[test]
    fn unknown_dataset_lists_known_ones() {
        let err = Registry::builtin()
            .unwrap()
            .get("movielens")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "unknown dataset `movielens`; known datasets: goodreads, lastfm, lastfm-dated, lastfm-raw, movielens-llara, movielens-loo, steam, synthetic");
    }
}
