//! Makes binaries and tests that link libtorch run without `LD_LIBRARY_PATH`. torch-sys exports
//! the libtorch library directory as `DEP_TCH_LIBTORCH_LIB` (its `links` key is `tch`); we bake
//! it in as an rpath. When that libtorch has CUDA, `libtorch_cuda` is linked with
//! `--no-as-needed`: no symbol of it is referenced directly, so the linker would drop it and
//! CUDA kernels would never be registered (CUDA would silently look absent).
//! It also records the libtorch version and the git commit for `prefbench env` and records, and
//! the site-packages directory of the torch wheel, where the text encoder's weights are found.
//! Shared by `baselines` and `harness` (`build = "../baselines/build.rs"`).
use std::path::Path;
use std::process::Command;

#[path = "src/libtorch_version.rs"]
mod libtorch_version;
use libtorch_version::libtorch_version;

fn main() {
    rerun_if_changed();
    if let Some(commit) = git_commit() {
        println!("cargo:rustc-env=PREFBENCH_GIT_COMMIT={commit}");
    }
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    if let Some(version) = libtorch_version(Path::new(&lib)) {
        println!("cargo:rustc-env=PREFBENCH_LIBTORCH_VERSION={version}");
    }
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    // A torch wheel's lib is <site-packages>/torch/lib; the MiniLM weights wheel sits beside it.
    let torch = Path::new(&lib)
        .parent()
        .filter(|dir| dir.ends_with("torch"));
    if let Some(site_packages) = torch.and_then(Path::parent) {
        println!(
            "cargo:rustc-env=PREFBENCH_SITE_PACKAGES={}",
            site_packages.display()
        );
    }
    if Path::new(&lib).join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-ltorch_cuda");
        println!("cargo:rustc-link-arg=-Wl,--as-needed");
    }
}

/// Names the inputs of this script by absolute path. Relative paths are read from the package
/// that runs the script, and `harness` runs it from `../baselines`: there `build.rs` does not
/// exist, and cargo takes a missing input as changed, rebuilding `prefbench` on every call.
/// Only existing paths are named, for the same reason (a checkout without `.git/refs/heads`).
fn rerun_if_changed() {
    let Some(repo) = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .and_then(|package| package.parent().map(Path::to_path_buf))
    else {
        return;
    };
    let inputs = [
        "baselines/build.rs",
        "baselines/src/libtorch_version.rs",
        ".git/HEAD",
        ".git/refs/heads",
    ];
    for input in inputs.map(|i| repo.join(i)).iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", input.display());
    }
}

fn git_commit() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
