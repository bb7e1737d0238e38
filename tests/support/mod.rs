//! Driving the `prefbench` binary from the end-to-end tests: caches go to the test's own
//! directory, never the user's, and output is captured for assertions.
// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]
use std::path::Path;
use std::process::{Command, Output};

/// The binary in `cwd`, with its caches in `cwd/<cache>` and no inherited log filter.
pub fn command_cached(args: &[&str], cwd: &Path, cache: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_prefbench"));
    c.args(args)
        .current_dir(cwd)
        .env("PREFBENCH_CACHE", cwd.join(cache))
        .env_remove("RUST_LOG");
    c
}

/// [`command_cached`] with the cache in `cwd/cache`.
pub fn command(args: &[&str], cwd: &Path) -> Command {
    command_cached(args, cwd, "cache")
}

/// Runs the binary to completion.
pub fn prefbench(args: &[&str], cwd: &Path) -> Output {
    command(args, cwd).output().expect("prefbench runs")
}

/// Stdout then stderr, for assertions and failure messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
