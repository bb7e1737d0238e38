//! `prefbench`: reproduce and stress-test preference optimisation for LLM-based recommendation.
//!
//! Exit status: 0 on success; 1 on an error, reported as one `error:` line on stderr (and for
//! `compare`, on a regression; for `loss eval --check`, on a mismatch or when nothing was
//! checked); 2 on a usage error or, for `compare`, unusable input; 130 when interrupted
//! (SIGINT, SIGTERM). When the reader of stdout or stderr goes away (`prefbench data list |
//! head -1`), the process ends quietly by SIGPIPE's default action, which shells report as 141;
//! see `signals` for why no stored record is lost then.
mod commands;
mod config;
mod environment;
mod execute;
mod failures;
mod lock;
mod observe;
mod output_dir;
mod plan;
mod report;
mod signals;
mod stop;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    signals::default_sigpipe();
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
