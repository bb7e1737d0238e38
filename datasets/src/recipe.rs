//! The recipes that turn a dataset's files into samples, as types: the registry's `recipe`
//! string is parsed once into a [`RecipeKind`], and each kind names the input files it reads, in
//! the order the registry lists them.
use std::fmt;

use serde::{Deserialize, Serialize};

/// A recipe is identified by name and version; changing its output means bumping the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    pub name: RecipeKind,
    pub version: u32,
}

/// Every recipe prefbench can run; serialised as its registry name (`sdpo-json`, ...), so the
/// registry and dataset cards read as before, and an unknown name fails when they are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecipeKind {
    /// S-DPO's published train/valid/test JSON files, read as they are.
    SdpoJson,
    /// The hetrec2011 LastFM archive, rebuilt into S-DPO's files.
    HetrecLastfm,
    /// The same archive and users, each user's artists ordered by first-tag date instead of
    /// artist id (`lastfm-dated`).
    HetrecLastfmDated,
    /// MovieLens-100K rebuilt into LLaRA's frames, byte for byte (`movielens-llara`).
    MovielensLlara,
    /// MovieLens-100K, every user's last positive to test and the one before to validation
    /// (`movielens-loo`).
    MovielensLoo,
    Steam,
    Goodreads,
    /// Generated locally; no input files.
    Synthetic,
}

impl RecipeKind {
    /// The registry name, as written in `registry.yaml` and `card.json`.
    pub fn name(self) -> &'static str {
        match self {
            RecipeKind::SdpoJson => "sdpo-json",
            RecipeKind::HetrecLastfm => "hetrec-lastfm",
            RecipeKind::HetrecLastfmDated => "hetrec-lastfm-dated",
            RecipeKind::MovielensLlara => "movielens-llara",
            RecipeKind::MovielensLoo => "movielens-loo",
            RecipeKind::Steam => "steam",
            RecipeKind::Goodreads => "goodreads",
            RecipeKind::Synthetic => "synthetic",
        }
    }

    /// How the hetrec recipes order a user's artists; `None` for the other recipes.
    pub fn hetrec_order(self) -> Option<crate::formats::hetrec::Order> {
        use crate::formats::hetrec::Order;
        match self {
            RecipeKind::HetrecLastfm => Some(Order::ArtistId),
            RecipeKind::HetrecLastfmDated => Some(Order::FirstTagDate),
            _ => None,
        }
    }

    /// Which MovieLens recipe this is; `None` for the other recipes.
    pub fn movielens_variant(self) -> Option<crate::formats::movielens::Variant> {
        use crate::formats::movielens::Variant;
        match self {
            RecipeKind::MovielensLlara => Some(Variant::Llara),
            RecipeKind::MovielensLoo => Some(Variant::Loo),
            _ => None,
        }
    }

    /// The archive members a recipe reads, which `--from DIR` may hold instead of the archive;
    /// empty for recipes that read no archive.
    pub fn members(self) -> &'static [&'static str] {
        if self.hetrec_order().is_some() {
            &crate::formats::hetrec::MEMBERS
        } else if self.movielens_variant().is_some() {
            &crate::formats::movielens::MEMBERS
        } else {
            &[]
        }
    }

    /// What each input file of the recipe is, in the order of the registry's files.
    pub fn inputs(self) -> &'static [&'static str] {
        match self {
            RecipeKind::SdpoJson => &["train", "valid", "test"],
            RecipeKind::HetrecLastfm
            | RecipeKind::HetrecLastfmDated
            | RecipeKind::MovielensLlara
            | RecipeKind::MovielensLoo => &["archive"],
            RecipeKind::Steam => &["reviews", "games"],
            RecipeKind::Goodreads => &["interactions", "books"],
            RecipeKind::Synthetic => &[],
        }
    }
}

impl fmt::Display for RecipeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialised_as_the_registry_name() {
        for kind in [
            RecipeKind::SdpoJson,
            RecipeKind::HetrecLastfm,
            RecipeKind::HetrecLastfmDated,
            RecipeKind::MovielensLlara,
            RecipeKind::MovielensLoo,
            RecipeKind::Steam,
            RecipeKind::Goodreads,
            RecipeKind::Synthetic,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<RecipeKind>(&json).unwrap(), kind);
        }
        let err = serde_norway::from_str::<Recipe>("{ name: movielens-1m, version: 1 }");
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("unknown variant `movielens-1m`"));
    }
}
