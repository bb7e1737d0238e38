//! The renderers of a [`crate::model::Report`], one per format: `markdown` for people
//! (`report.md`, `compare`'s output), `json` for programs (`report.json`). They only lay out
//! and print what the model holds; no statistics happen here.
pub(crate) mod blocks;
mod endpoints;
pub(crate) mod json;
pub(crate) mod markdown;
