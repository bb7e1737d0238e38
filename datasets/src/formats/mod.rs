//! Parsers of the raw formats and the recipes that turn them into samples.
pub mod catalogue;
pub mod goodreads;
pub mod hetrec;
pub mod lines;
pub mod pyliteral;
pub mod sdpo;
pub mod sequences;
pub mod steam;
