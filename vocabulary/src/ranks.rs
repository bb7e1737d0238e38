//! Per-sample ranks of one split, stored compactly in a run record so that the test set's own
//! sampling error (which sample a method gets right, not only how many) can be computed
//! afterwards: hierarchical bootstraps over samples and seeds, paired per-sample tests.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::limits::CANDIDATES;

/// The digits of a rank: 0-based rank `r` of the target among the candidates is the `r`-th
/// character, so a split of n samples is an n-character string (`0` is a hit at 1).
const DIGITS: &[u8; CANDIDATES] = b"0123456789abcdefghij";

/// The 0-based rank of every sample's target among its candidates (ties count against the
/// target), in split order; serialised as one character per sample (`0`–`9`, `a`–`j`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SampleRanks(Vec<u8>);

/// Why a stored rank string is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("character {position} of the ranks is `{found}`, not a rank digit 0-9 or a-j")]
pub struct RanksError {
    /// 0-based position in the string.
    pub position: usize,
    pub found: char,
}

impl SampleRanks {
    /// Ranks as the evaluation computes them; each must be below [`CANDIDATES`].
    pub fn new(ranks: Vec<u8>) -> Self {
        assert!(
            ranks.iter().all(|&r| (r as usize) < CANDIDATES),
            "a rank is below the number of candidates"
        );
        Self(ranks)
    }

    /// The ranks, in split order.
    pub fn ranks(&self) -> &[u8] {
        &self.0
    }

    /// Samples in the split.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the split had no sample.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// 1 where the target ranks first (HR@1's hit), else 0, in split order.
    pub fn hits_at_1(&self) -> Vec<u8> {
        self.0.iter().map(|&r| u8::from(r == 0)).collect()
    }

    /// How many targets rank first.
    pub fn hit_count(&self) -> usize {
        self.0.iter().filter(|&&r| r == 0).count()
    }

    fn parse(text: &str) -> Result<Self, RanksError> {
        text.chars()
            .enumerate()
            .map(|(position, found)| {
                DIGITS
                    .iter()
                    .position(|&d| char::from(d) == found)
                    .map(|r| r as u8)
                    .ok_or(RanksError { position, found })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl fmt::Display for SampleRanks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: String = self
            .0
            .iter()
            .map(|&r| char::from(DIGITS[r as usize]))
            .collect();
        f.write_str(&text)
    }
}

impl Serialize for SampleRanks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SampleRanks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The per-sample ranks a run record keeps: both splits at the selected epoch (what the
/// verdicts read) and the test split at the last epoch (the checkpoint-rule robustness test).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRanks {
    pub valid: SampleRanks,
    pub test: SampleRanks,
    pub last_test: SampleRanks,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_round_trip_through_their_text() {
        let ranks = SampleRanks::new(vec![0, 9, 10, 19, 0]);
        let json = serde_json::to_string(&ranks).unwrap();
        assert_eq!(json, "\"09aj0\"");
        assert_eq!(serde_json::from_str::<SampleRanks>(&json).unwrap(), ranks);
        assert_eq!(ranks.hits_at_1(), vec![1, 0, 0, 0, 1]);
        assert_eq!(ranks.hit_count(), 2);
        let err = serde_json::from_str::<SampleRanks>("\"0k\"").unwrap_err();
        assert!(
            err.to_string().contains("character 1 of the ranks is `k`"),
            "{err}"
        );
    }
}
