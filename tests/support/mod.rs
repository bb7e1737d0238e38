//! Driving the `prefbench` binary from the end-to-end tests: caches go to the test's own
//! directory, never the user's, and output is captured for assertions.
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

/// Writes `base` with `from` replaced by `to` as `dir/bad.yaml`, runs
/// `prefbench run bad.yaml <extra>` and checks that it is refused with an error naming `field`
/// and the config's `line`; returns the exit status and the output for further checks.
pub fn refused_config(
    dir: &Path,
    base: &str,
    (from, to, field, line): (&str, &str, &str, usize),
    extra: &[&str],
) -> (Option<i32>, String) {
    assert!(base.contains(from), "the base config has no {from:?}");
    std::fs::write(dir.join("bad.yaml"), base.replace(from, to)).unwrap();
    let args: Vec<&str> = ["run", "bad.yaml"].iter().chain(extra).copied().collect();
    let o = prefbench(&args, dir);
    let err = text(&o);
    assert!(!o.status.success(), "{field}: accepted\n{err}");
    assert!(
        err.contains(field) && err.contains(&format!("line {line}")),
        "{field} line {line}: {err}"
    );
    (o.status.code(), err)
}
