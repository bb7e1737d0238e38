//! The canonical JSON of a value: compact, with object keys sorted at every level, so that equal
//! specs give equal text whatever order their keys were written in. A run's id is the hash of
//! its spec's canonical form, computed here so that the harness that assigns ids and every
//! reader that checks them use one function. A module of its own, depending on nothing in the
//! crate, so that the identity types and the setting grouping can both use it.
use serde_json::Value;
use std::collections::BTreeMap;

/// Compact JSON with object keys sorted at every level, so that equal settings give equal
/// strings whatever order their keys were written in.
pub fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            let fields: Vec<String> = sorted
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical(v)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// Lowercase hex sha256 of [`canonical`]`(value)`: a run's id is the hash of its spec (and an
/// SFT cache key a prefix of its identity's), computed here so that the harness that assigns
/// ids and every reader that checks them use one function.
pub fn canonical_hash(value: &Value) -> String {
    prefbench_io::sha256_hex(canonical(value).as_bytes())
}
