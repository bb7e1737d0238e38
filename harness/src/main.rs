//! `prefbench`: reproduce and stress-test preference optimisation for LLM-based recommendation.
mod commands;
mod config;
mod environment;
mod failures;
mod jobs;
mod lock;
mod matrix;
mod output;
mod plan;
mod progress;
mod report;
mod runner;
mod shard;
mod signals;
mod stages;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = commands::Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
