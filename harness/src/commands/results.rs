//! `prefbench results merge`: joins the stores of shards or machines into one.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use prefbench_results::store::{merge, write_records};

use crate::carry::carry;
use crate::console::{errln, outln};
use crate::lock::{OutputLock, Owner};
use crate::output_dir::{results_file, OutputDir};

#[derive(Subcommand)]
pub enum ResultsCommand {
    /// Join results stores (output directories or results.jsonl files) into OUT, one record per
    /// run id; two different records with one id are refused. Into an output directory, the
    /// inputs' dataset cards, config.yaml, env.json (where they agree) and failed runs come
    /// along, so `prefbench report OUT` reads what it reads after `prefbench run`.
    Merge {
        /// Stores to join, in order (the first copy of a record is kept).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// An output directory (gets results.jsonl), or a .jsonl file. An existing store there
        /// is joined too. The directory (a .jsonl file's own) is locked like `prefbench run`'s
        /// output directory: merging into one that a run is using is refused.
        #[arg(short, long)]
        out: PathBuf,
    },
}

/// The directory that `out` writes into and the store file there.
fn target_of(out: &Path) -> (OutputDir, PathBuf) {
    if out.extension().is_some_and(|e| e == "jsonl") && !out.is_dir() {
        let dir = match out.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (OutputDir::at(dir), out.to_path_buf())
    } else {
        let dir = OutputDir::at(out);
        let target = dir.results();
        (dir, target)
    }
}

pub fn run(command: ResultsCommand) -> Result<ExitCode> {
    let ResultsCommand::Merge { inputs, out } = command;
    let (dir, target) = target_of(&out);
    dir.create()?;
    // Held until the merged store is in place, so no run can append to it meanwhile.
    let _lock = OutputLock::acquire_for(&dir, Owner::Merge)?;
    let mut files = Vec::new();
    for input in &inputs {
        let file = results_file(input);
        if !file.is_file() {
            bail!(
                "{}: no results store there (expected an output directory with results.jsonl, \
                 or a .jsonl file)",
                input.display()
            );
        }
        files.push(file);
    }
    if target.is_file() && !files.contains(&target) {
        files.insert(0, target.clone());
    }
    let records = merge(&files).context("cannot merge the results stores")?;
    // Cards and the rest first: a refusal leaves the target's store as it was.
    let carried = match target == dir.results() {
        true => {
            let stored = records.iter().map(|r| r.id.as_str()).collect();
            Some(carry(&inputs, &dir, &stored)?)
        }
        false => None,
    };
    write_records(&target, &records)?;
    outln!(
        "{} records from {} stores in {}",
        records.len(),
        files.len(),
        target.display()
    )?;
    if let Some(carried) = carried {
        if !carried.files.is_empty() {
            outln!("carried beside them: {}", carried.files.join(", "))?;
        }
        for note in carried.notes {
            errln!("note: {note}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge_into(out: &Path, inputs: Vec<PathBuf>) -> Result<ExitCode> {
        run(ResultsCommand::Merge {
            inputs,
            out: out.to_path_buf(),
        })
    }

    #[test]
    fn a_held_output_directory_is_not_merged_into() {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in.jsonl");
        std::fs::write(&input, "").unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("results.jsonl"), "").unwrap();
        let lock = OutputLock::acquire(&OutputDir::at(&out)).unwrap();
        let err = format!("{:#}", merge_into(&out, vec![input.clone()]).unwrap_err());
        assert!(
            err.contains(&out.display().to_string())
                && err.contains("`prefbench run`")
                && err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        // A .jsonl target locks its directory.
        let err = format!(
            "{:#}",
            merge_into(&out.join("merged.jsonl"), vec![input.clone()]).unwrap_err()
        );
        assert!(err.contains("cannot merge into"), "{err}");
        assert!(!out.join("merged.jsonl").exists());
        drop(lock);
        merge_into(&out, vec![input.clone()]).unwrap();
        merge_into(&out.join("merged.jsonl"), vec![input]).unwrap();
        assert!(out.join("merged.jsonl").is_file());
    }

    #[test]
    fn the_target_and_its_directory() {
        let (dir, file) = target_of(Path::new("a/b.jsonl"));
        assert_eq!((dir.root(), file), (Path::new("a"), "a/b.jsonl".into()));
        let (dir, file) = target_of(Path::new("b.jsonl"));
        assert_eq!((dir.root(), file), (Path::new("."), "b.jsonl".into()));
        let (dir, file) = target_of(Path::new("merged"));
        assert_eq!(
            (dir.root(), file),
            (Path::new("merged"), "merged/results.jsonl".into())
        );
    }
}
