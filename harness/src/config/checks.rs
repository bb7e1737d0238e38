//! The checks of a parsed config, each naming the field it fails on ([`InvalidField`]): the
//! settings types check their own fields ([`FieldError`]) and a failure is prefixed with its
//! section (`po.lr`). Nothing here asks the machine, so a file is valid or not wherever it is
//! read.
use std::collections::HashSet;
use std::fmt::Display;
use std::path::Path;

use prefbench_datasets::Registry;
use prefbench_vocabulary::{FieldError, MAX_K};
use serde::Serialize;

use super::{ExperimentConfig, InvalidField};

impl ExperimentConfig {
    /// The first field outside its domain, in the order of the struct's fields; the check
    /// that methods run at some K comes after `methods` and `k` are each valid.
    pub fn validate(&self) -> Result<(), InvalidField> {
        field("name", check_name(&self.name))?;
        field("datasets", self.check_datasets())?;
        field("methods", axis(&self.methods))?;
        field("k", self.check_ks())?;
        field("methods", self.check_methods_at_k())?;
        field("seeds", axis(&self.seeds))?;
        field("synthetic", self.synthetic.validate())?;
        section("model", self.model.validate())?;
        if let Some(item_texts) = &self.item_text {
            field("item_text", axis(item_texts))?;
        }
        if let Some(architectures) = &self.architecture {
            field("architecture", axis(architectures))?;
        }
        section("sft", self.sft.validate())?;
        section("po", self.po.validate())?;
        field("objective", self.objective.validate())?;
        field("method_k", self.check_method_k())?;
        field("grid", self.check_grid())?;
        field("method_settings", self.check_method_settings())
    }

    fn check_datasets(&self) -> Result<(), String> {
        require_values(self.datasets.len())?;
        let registry = Registry::builtin().map_err(|e| e.to_string())?;
        self.datasets
            .iter()
            .try_for_each(|name| registry.get(name).map(drop).map_err(|e| e.to_string()))?;
        distinct(&self.datasets)
    }

    fn check_ks(&self) -> Result<(), String> {
        require_values(self.k.len())?;
        match self.k.iter().find(|k| !(1..=MAX_K).contains(*k)) {
            Some(k) => Err(format!(
                "{k} is out of range; K counts negatives among the 20 candidates, so 1..={MAX_K}"
            )),
            None => distinct(&self.k),
        }
    }

    /// A method that would run at no listed K is a config mistake, not a skip.
    fn check_methods_at_k(&self) -> Result<(), String> {
        let idle = self.methods.iter().find(|&&m| {
            !self.method_k.contains_key(&m) && !self.k.iter().any(|&k| Self::runs_at(m, k))
        });
        match idle {
            None => Ok(()),
            Some(method) => Err(format!(
                "`{method}` is defined for none of the listed K values ({:?}); `dpo` needs \
                 K = 1, so add 1 to `k` or remove `{method}`",
                self.k
            )),
        }
    }
}

/// The result of a check of the top-level `name`, as the field it fails on.
fn field<E: Display>(name: &'static str, checked: Result<(), E>) -> Result<(), InvalidField> {
    checked.map_err(|e| InvalidField {
        path: vec![name],
        reason: e.to_string(),
    })
}

/// The result of a settings type's own check, as `name.field`.
fn section(name: &'static str, checked: Result<(), FieldError>) -> Result<(), InvalidField> {
    checked.map_err(|e| InvalidField {
        path: vec![name, e.field],
        reason: e.reason,
    })
}

/// An axis: at least one value, each value once.
fn axis<T: Serialize>(values: &[T]) -> Result<(), String> {
    require_values(values.len())?;
    distinct(values)
}

fn require_values(len: usize) -> Result<(), String> {
    match len {
        0 => Err("must list at least one value".to_string()),
        _ => Ok(()),
    }
}

/// Fails on the first value listed twice: a repeated axis value would run (and count) the
/// same runs twice.
pub(super) fn distinct<T: Serialize>(values: &[T]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for value in values {
        let name = serde_json::to_string(value).unwrap_or_default();
        if !seen.insert(name.clone()) {
            return Err(format!(
                "{} is listed twice; the values of an axis must be distinct",
                name.trim_matches('"')
            ));
        }
    }
    Ok(())
}

/// The longest file name (bytes) of Linux' file systems and of most others (NAME_MAX): the same
/// limit on every machine, so a config's validity does not depend on where it is read.
const MAX_NAME_BYTES: usize = 255;

/// A name is one plain path component: not empty, no `/` or `\`, no `..`, not `.`, not absolute,
/// no control characters, at most [`MAX_NAME_BYTES`], since the default output directory is
/// `prefbench-out/<name>` and must stay inside `prefbench-out/`.
pub(super) fn check_name(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        "is empty"
    } else if name.contains(['/', '\\']) || Path::new(name).is_absolute() {
        "contains a path separator (`/` or `\\`)"
    } else if name.contains("..") {
        "contains `..`"
    } else if name == "." {
        "is `.`"
    } else if name.chars().any(char::is_control) {
        "contains a control character"
    } else if name.len() > MAX_NAME_BYTES {
        "is longer than 255 bytes, the longest file name most file systems allow"
    } else {
        return Ok(());
    };
    Err(format!(
        "{name:?} {problem}; the name must be a plain directory name (not empty, no `/`, `\\` \
         or `..`, at most {MAX_NAME_BYTES} bytes), since the default output directory is \
         prefbench-out/<name>"
    ))
}
