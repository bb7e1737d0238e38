//! The sizes every crate must agree on: the candidate list of a sample, the history length and
//! the number of negatives.

/// Number of candidates per sample (target + 19 negatives), fixed by the paper's protocol.
pub const CANDIDATES: usize = 20;
/// Longest history the policy sees.
pub const MAX_HISTORY: usize = 10;
/// The largest K: 20 candidates are one positive and 19 negatives.
pub const MAX_K: usize = CANDIDATES - 1;
