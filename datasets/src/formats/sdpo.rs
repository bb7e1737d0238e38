//! S-DPO's sample files (`lastfm-{train,val,test}.json`): reading them into samples, with the
//! `:wumpscut:` fix, and writing samples back in byte-identical form (`json.dumps(indent=4)`,
//! ASCII escapes, no trailing newline) so that a rebuilt file can be checked by its sha256.
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::io::Read;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::DatasetError;
use crate::sample::{ItemId, Sample, MAX_HISTORY};

/// One object of an S-DPO file, by item name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SdpoRecord {
    #[serde(rename = "historyList")]
    pub history: String,
    #[serde(rename = "itemList")]
    pub items: Vec<String>,
    #[serde(rename = "trueSelection")]
    pub target: String,
}

/// Item names interned into dense ids in order of first appearance (candidate lists of the
/// train, val, then test file), plus the raw history strings still to be resolved.
#[derive(Default)]
pub struct SdpoReader {
    ids: HashMap<String, ItemId>,
    names: Vec<String>,
    /// Per file: (history string, candidate ids, target id).
    pending: Vec<Vec<(String, Vec<ItemId>, ItemId)>>,
}

impl SdpoReader {
    fn intern(&mut self, name: String) -> ItemId {
        if let Some(&id) = self.ids.get(&name) {
            return id;
        }
        let id = self.names.len() as ItemId;
        self.ids.insert(name.clone(), id);
        self.names.push(name);
        id
    }

    /// Streams one file's array, interning names as it goes (memory stays proportional to the
    /// number of samples, not to the file's text).
    pub fn read_file(&mut self, file: &str, reader: impl Read) -> Result<(), DatasetError> {
        struct Seq<'a>(&'a mut SdpoReader, Vec<(String, Vec<ItemId>, ItemId)>);
        impl<'de> Visitor<'de> for Seq<'_> {
            type Value = Vec<(String, Vec<ItemId>, ItemId)>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON array of S-DPO sample objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Self::Value, A::Error> {
                while let Some(r) = seq.next_element::<SdpoRecord>()? {
                    let items = r.items.into_iter().map(|n| self.0.intern(n)).collect();
                    let target = self.0.intern(r.target);
                    self.1.push((r.history, items, target));
                }
                Ok(self.1)
            }
        }
        let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
        let parsed = de
            .deserialize_seq(Seq(self, Vec::new()))
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e: serde_json::Error| {
                let hint = if e.is_eof() && e.line() <= 1 {
                    "empty or truncated file; delete it and fetch it again"
                } else {
                    "not an S-DPO sample file"
                };
                DatasetError::parse(file, e.line() as u64, format!("{e} ({hint})"))
            })?;
        if parsed.is_empty() {
            return Err(DatasetError::bad_input(
                file,
                "holds no samples; delete it and fetch it again",
            ));
        }
        self.pending.push(parsed);
        Ok(())
    }

    /// Resolves every history against the vocabulary and returns the samples of each file (in
    /// the order read) and the item names. Users are reconstructed: S-DPO writes each user's
    /// samples consecutively, the first with a history of exactly 3 items.
    pub fn finish(self, files: &[&str]) -> Result<(Vec<Vec<Sample>>, Vec<String>), DatasetError> {
        let vocab: HashSet<&str> = self.names.iter().map(String::as_str).collect();
        let mut user = 0u32;
        let mut out = Vec::new();
        for (file, pending) in files.iter().zip(&self.pending) {
            let mut samples = Vec::with_capacity(pending.len());
            for (k, (history, candidates, target)) in pending.iter().enumerate() {
                let names = split_history(history, &vocab).ok_or_else(|| {
                    DatasetError::bad_input(
                        file,
                        format!(
                            "sample {}: history `{history}` does not split into known item names",
                            k + 1
                        ),
                    )
                })?;
                if names.is_empty() || names.len() > MAX_HISTORY {
                    return Err(DatasetError::bad_input(
                        file,
                        format!("sample {}: history of {} items", k + 1, names.len()),
                    ));
                }
                if names.len() == 3 && !samples.is_empty() {
                    user += 1;
                }
                samples.push(Sample {
                    user,
                    history: names.iter().map(|n| self.ids[*n]).collect(),
                    candidates: candidates.clone(),
                    target: *target,
                });
            }
            user += 1;
            out.push(samples);
        }
        Ok((out, self.names))
    }
}

/// Splits `A::B::C` into vocabulary names, trying every (even overlapping) `::` left to right
/// with backtracking, because names such as `:wumpscut:` contain `::` themselves. Suffixes
/// known not to split are remembered, which keeps hostile inputs linear-ish.
pub fn split_history<'a>(history: &'a str, vocab: &HashSet<&str>) -> Option<Vec<&'a str>> {
    fn go<'a>(
        s: &'a str,
        vocab: &HashSet<&str>,
        out: &mut Vec<&'a str>,
        failed: &mut HashSet<usize>,
    ) -> bool {
        if vocab.contains(s) {
            out.push(s);
            return true;
        }
        if failed.contains(&s.len()) {
            return false;
        }
        let b = s.as_bytes();
        for i in (0..b.len().saturating_sub(1)).filter(|&i| b[i] == b':' && b[i + 1] == b':') {
            if vocab.contains(&s[..i]) {
                out.push(&s[..i]);
                if go(&s[i + 2..], vocab, out, failed) {
                    return true;
                }
                out.pop();
            }
        }
        failed.insert(s.len());
        false
    }
    let mut out = Vec::new();
    go(history, vocab, &mut out, &mut HashSet::new()).then_some(out)
}

/// Serialises samples exactly like S-DPO's `json.dumps(data, indent=4)`.
pub fn write_sdpo(samples: &[Sample], names: &[String]) -> String {
    let mut out = String::from("[");
    for (k, s) in samples.iter().enumerate() {
        out.push_str(if k == 0 { "\n    {\n" } else { ",\n    {\n" });
        let history: Vec<&str> = s
            .history
            .iter()
            .map(|&i| names[i as usize].as_str())
            .collect();
        out.push_str("        \"historyList\": ");
        push_json_str(&mut out, &history.join("::"));
        out.push_str(",\n        \"itemList\": [");
        for (j, &c) in s.candidates.iter().enumerate() {
            out.push_str(if j == 0 {
                "\n            "
            } else {
                ",\n            "
            });
            push_json_str(&mut out, &names[c as usize]);
        }
        out.push_str(if s.candidates.is_empty() {
            "]"
        } else {
            "\n        ]"
        });
        out.push_str(",\n        \"trueSelection\": ");
        push_json_str(&mut out, &names[s.target as usize]);
        out.push_str("\n    }");
    }
    out.push_str(if samples.is_empty() { "]" } else { "\n]" });
    out
}

/// A string as Python's `json.dumps` with `ensure_ascii=True` writes it.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wumpscut_histories_resolve_against_the_vocabulary() {
        let vocab: HashSet<&str> = ["A", ":wumpscut:", "B", "B::C"].into_iter().collect();
        assert_eq!(
            split_history("A:::wumpscut:::B", &vocab).unwrap(),
            ["A", ":wumpscut:", "B"]
        );
        assert_eq!(split_history(":wumpscut:", &vocab).unwrap(), [":wumpscut:"]);
        assert_eq!(split_history("B::C::A", &vocab).unwrap(), ["B::C", "A"]);
        assert!(split_history("A::Z", &vocab).is_none());
    }

    #[test]
    fn escapes_like_python() {
        let mut s = String::new();
        push_json_str(&mut s, "Beyonc\u{e9} \"x\"\\ \u{1F600}\u{7f}\u{1}");
        assert_eq!(s, r#""Beyonc\u00e9 \"x\"\\ \ud83d\ude00\u007f\u0001""#);
    }
}
