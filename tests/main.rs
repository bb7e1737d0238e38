//! The harness's integration tests, one module per file, in one test binary (`cargo test -p
//! prefbench --test integration`): every file drives the `prefbench` binary or links libtorch,
//! and one binary links once where six linked six times.
/// The datasets' scripted HTTP server on 127.0.0.1, for downloads the binary makes.
#[path = "../datasets/tests/support/mod.rs"]
mod server;
mod support;

mod compare;
mod contract;
mod end_to_end;
mod faults;
mod published;
mod runner;
mod slurm;
