//! What makes runs seeds of one cell: the same run spec except the seed. A statistic over seeds
//! is only meaningful over runs that differ in nothing else, so every summary groups by
//! [`CellKey`]: the (dataset, method, K) coordinates plus the run's *setting* (model, SFT, PO
//! and objective settings, dataset hash, prefbench version). Two runs of an lr sweep written
//! into one output directory are then two cells, never two seeds of one.
//!
//! The canonical form of a spec is also what its run id hashes ([`canonical_hash`]), so every
//! reader can recompute a record's id from its spec.
/// The one canonicaliser, re-exported where readers have always found it.
pub use crate::canonical::{canonical, canonical_hash};
use crate::record::RunRecord;
use prefbench_vocabulary::Cell;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Spec keys that are a run's cell coordinates or its seed, not its setting: the JSON fields of
/// [`crate::RunKey`], and where [`crate::RunIdentity`] writes them (tests hold both equal).
pub const COORDINATES: [&str; 4] = ["dataset", "method", "k", "seed"];

/// The spec key of the prefbench version ([`crate::SftIdentity::prefbench`], tested equal),
/// which `compare` leaves out of the setting, since the version is what it compares.
pub const VERSION: &str = "prefbench";

/// The spec without [`COORDINATES`] and without the top-level keys in `ignore` (`compare`
/// ignores [`VERSION`]). A spec that is not an object is its own setting. It is the stored JSON,
/// not the typed [`crate::RunIdentity`], so that a record from before a setting existed (which
/// lacks it) is never pooled with the runs that set it to today's default.
pub fn setting(spec: &Value, ignore: &[&str]) -> Value {
    match spec {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !COORDINATES.contains(&k.as_str()) && !ignore.contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The settings each method of the tuned protocol chooses for itself ([`crate::Protocol`]),
/// as (section, key) of the spec: `po.lr`, `objective.beta`, `objective.margin`. A test holds
/// them equal to where [`crate::RunIdentity`] writes them.
pub const PER_METHOD: [(&str, &str); 3] =
    [("po", "lr"), ("objective", "beta"), ("objective", "margin")];

/// The spec key of [`crate::RunIdentity::protocol`] (tested equal).
pub const PROTOCOL: &str = "protocol";

/// The setting the runs of one *protocol* share: [`setting`], and for a tuned-protocol run
/// without [`PER_METHOD`] (each method has its own), so a report sets a tuned protocol's
/// methods side by side as it sets the methods of one shared setting.
pub fn protocol_setting(spec: &Value) -> Value {
    let mut shared = setting(spec, &[]);
    if protocol(spec).is_some() {
        without_per_method(&mut shared);
    }
    shared
}

/// The protocol a spec names (`None`: the paper's, one setting for all), read as its type
/// from where [`crate::RunIdentity`] writes it (tested equal to [`PROTOCOL`]).
fn protocol(spec: &Value) -> Option<crate::Protocol> {
    spec.get(PROTOCOL)
        .and_then(|v| crate::Protocol::deserialize(v).ok())
}

fn without_per_method(setting: &mut Value) {
    if let Value::Object(map) = setting {
        for (section, key) in PER_METHOD {
            if let Some(Value::Object(inner)) = map.get_mut(section) {
                inner.remove(key);
            }
        }
    }
}

/// What tells apart report sections that share dataset and regime ([`section_labels`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionLabel {
    /// The protocol's name ([`crate::Protocol::name_of`]) when the sections differ in protocol.
    pub protocol: Option<&'static str>,
    /// The other leaves that differ, as [`differences`] writes them; empty when none.
    pub differences: String,
}

impl std::fmt::Display for SectionLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.protocol, self.differences.is_empty()) {
            (Some(protocol), true) => write!(f, "{protocol} protocol"),
            (Some(protocol), false) => write!(f, "{protocol} protocol, {}", self.differences),
            (None, _) => f.write_str(&self.differences),
        }
    }
}

/// For report sections that share dataset and regime, given one spec of each: the labels that
/// tell them apart ([`differences`] of their [`protocol_setting`]s). Sections of different
/// protocols are named by their protocol ("paper protocol", "tuned protocol"), followed by
/// whatever else differs; the per-method settings, which a tuned protocol sets per method, are
/// then not listed, since "tuned" already says they differ.
pub fn section_labels(specs: &[&Value]) -> Vec<SectionLabel> {
    let protocols: Vec<Option<crate::Protocol>> = specs.iter().map(|s| protocol(s)).collect();
    let mixed = protocols.iter().collect::<BTreeSet<_>>().len() > 1;
    let settings: Vec<Value> = specs
        .iter()
        .map(|spec| {
            let mut shared = protocol_setting(spec);
            if mixed {
                without_per_method(&mut shared);
                if let Value::Object(map) = &mut shared {
                    map.remove(PROTOCOL);
                }
            }
            shared
        })
        .collect();
    protocols
        .into_iter()
        .zip(differences(&settings.iter().collect::<Vec<_>>()))
        .map(|(protocol, differences)| SectionLabel {
            protocol: mixed.then(|| crate::Protocol::name_of(protocol)),
            differences,
        })
        .collect()
}

/// A cell and the setting its seeds share: the key of every statistic over seeds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub cell: Cell,
    /// [`canonical`] form of the run's [`setting`].
    pub setting: String,
}

impl CellKey {
    /// The key of `record`: its cell and its whole setting.
    pub fn of(record: &RunRecord) -> Self {
        Self::ignoring(record, &[])
    }

    /// The key of `record` with the top-level spec keys in `ignore` left out of the setting.
    pub fn ignoring(record: &RunRecord, ignore: &[&str]) -> Self {
        Self {
            cell: record.cell.clone(),
            setting: canonical(&setting(&record.spec, ignore)),
        }
    }
}

/// For each of `settings`, the leaves in which it differs from the others, as
/// `path=value, …` (dotted paths, `absent` for a leaf it lacks): the label that tells two
/// cells with the same coordinates apart. All labels are empty when the settings agree.
pub fn differences(settings: &[&Value]) -> Vec<String> {
    let flat: Vec<BTreeMap<String, String>> = settings
        .iter()
        .map(|s| {
            let mut leaves = BTreeMap::new();
            flatten(s, "", &mut leaves);
            leaves
        })
        .collect();
    let paths: BTreeSet<&String> = flat.iter().flat_map(|f| f.keys()).collect();
    let differing: Vec<&String> = paths
        .into_iter()
        .filter(|p| {
            let values: BTreeSet<Option<&String>> = flat.iter().map(|f| f.get(*p)).collect();
            values.len() > 1
        })
        .collect();
    flat.iter()
        .map(|f| {
            differing
                .iter()
                .map(|p| format!("{p}={}", f.get(*p).map_or("absent", String::as_str)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect()
}

/// Leaves of `value` by dotted path; arrays, scalars and empty objects are leaves.
fn flatten(value: &Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &path, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        leaf => {
            out.insert(prefix.to_string(), canonical(leaf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coordinates_are_the_run_keys_fields() {
        let key = crate::RunKey {
            cell: Cell {
                dataset: "lastfm".into(),
                method: "dmpo".parse().unwrap(),
                k: 15,
            },
            seed: 3,
        };
        let json = serde_json::to_value(&key).unwrap();
        let mut fields: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut coordinates = COORDINATES.to_vec();
        fields.sort_unstable();
        coordinates.sort_unstable();
        assert_eq!(fields, coordinates);
        assert_eq!(key.to_string(), "lastfm dmpo K=15 seed=3");
        assert_eq!(serde_json::from_value::<crate::RunKey>(json).unwrap(), key);
    }
    use serde_json::json;

    /// The keys [`setting`] leaves out hold the identity's coordinates and version, so a
    /// renamed field of the identity fails here rather than turning into a setting.
    #[test]
    fn the_coordinates_and_the_version_are_where_the_identity_writes_them() {
        let key = crate::RunKey::new("lastfm", "dmpo".parse().unwrap(), 15, 3);
        let identity = crate::RunIdentity {
            reference: crate::SftIdentity {
                dataset_hash: "abc".into(),
                seed: key.seed,
                model: Default::default(),
                sft: Default::default(),
                prefbench: "9.9.9".into(),
            },
            dataset: key.cell.dataset.clone(),
            method: key.cell.method,
            k: key.cell.k,
            po: Default::default(),
            objective: Default::default(),
            protocol: None,
        };
        let (spec, _) = identity.canonical_and_id();
        for (section, key) in PER_METHOD {
            assert!(spec[section][key].is_number(), "{section}.{key}");
        }
        let tuned = crate::RunIdentity {
            protocol: Some(crate::Protocol::Tuned),
            ..identity.clone()
        };
        let shared = protocol_setting(&tuned.canonical_and_id().0);
        assert!(shared["po"].get("lr").is_none() && shared["objective"].get("beta").is_none());
        assert_eq!(shared[PROTOCOL], crate::Protocol::Tuned.name());
        assert_eq!(
            protocol_setting(&spec),
            setting(&spec, &[]),
            "the paper's protocol"
        );
        let coordinates = serde_json::to_value(&key).unwrap();
        for name in COORDINATES {
            assert_eq!(spec[name], coordinates[name], "{name}");
        }
        assert_eq!(spec[VERSION], "9.9.9");
        let left = setting(&spec, &[VERSION]);
        let settings = ["dataset_hash", "model", "objective", "po", "sft"];
        let kept: Vec<&str> = left
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(kept, settings, "every other field is a setting");
    }

    #[test]
    fn canonical_form_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"s","y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&a), r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
    }

    #[test]
    fn setting_drops_coordinates_and_ignored_keys() {
        let spec = json!({"dataset": "d", "method": "m", "k": 1, "seed": 3, "po": {"lr": 0.1},
                          "prefbench": "0.1.0"});
        assert_eq!(
            setting(&spec, &[]),
            json!({"po": {"lr": 0.1}, "prefbench": "0.1.0"})
        );
        assert_eq!(setting(&spec, &["prefbench"]), json!({"po": {"lr": 0.1}}));
    }

    #[test]
    fn differences_name_only_the_leaves_that_differ() {
        let a = json!({"po": {"lr": 0.001, "epochs": 3}, "model": {"width": 16}});
        let b = json!({"po": {"lr": 0.01, "epochs": 3}});
        assert_eq!(
            differences(&[&a, &b]),
            [
                "model.width=16, po.lr=0.001",
                "model.width=absent, po.lr=0.01"
            ]
        );
        assert_eq!(differences(&[&a, &a]), ["", ""]);
        assert_eq!(differences(&[&a]), [""]);
    }

    #[test]
    fn sections_of_two_protocols_are_named_by_protocol() {
        let paper = json!({"po": {"lr": 0.001, "epochs": 3}, "objective": {"beta": 1.0}});
        let tuned = json!({"po": {"lr": 0.0001, "epochs": 3}, "objective": {"beta": 3.0},
                           "protocol": "tuned"});
        let longer = json!({"po": {"lr": 0.0001, "epochs": 5}, "objective": {"beta": 3.0},
                            "protocol": "tuned"});
        let labels = |specs: &[&Value]| -> Vec<String> {
            section_labels(specs)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            labels(&[&paper, &tuned]),
            ["paper protocol", "tuned protocol"]
        );
        assert_eq!(
            labels(&[&paper, &longer]),
            ["paper protocol, po.epochs=3", "tuned protocol, po.epochs=5"]
        );
        assert_eq!(
            section_labels(&[&paper, &longer])[1].differences,
            "po.epochs=5"
        );
        // One protocol: the plain differences.
        assert_eq!(labels(&[&tuned, &longer]), ["po.epochs=3", "po.epochs=5"]);
    }
}
