//! `prefbench`: reproduce and stress-test preference optimisation for LLM-based recommendation.
//!
//! Exit status: 0 on success; 1 on an error, reported as one `error:` line on stderr (and for
//! `compare`, on a regression; for `loss eval --check`, on a mismatch or when nothing was
//! checked); 2 on a usage error or, for `compare`, unusable input; 130 when interrupted
//! (SIGINT, SIGTERM). When the reader of stdout or stderr goes away (`prefbench data list |
//! head -1`), the process ends quietly by SIGPIPE's default action, which shells report as 141;
//! see `signals` for why no stored record is lost then.
mod carry;
mod colour;
mod commands;
mod config;
mod console;
mod environment;
mod execute;
mod failures;
mod lock;
mod manifest;
mod observe;
mod output_dir;
mod plan;
mod report;
mod signals;
mod stop;
mod tuning;

use std::process::ExitCode;

use clap::Parser;

use console::errln;

fn main() -> ExitCode {
    signals::default_sigpipe();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour::enabled(&std::io::stderr()))
        .init();
    let cli = match commands::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            errln!("error: {}", console::chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// clap's help, version or usage error, coloured by the stream it goes to (help and version to
/// stdout, errors to stderr; see `colour`), with clap's exit status (0, or 2 for a usage error).
fn usage(error: &clap::Error) -> ExitCode {
    let text = error.render();
    let styled = |on: bool| match on {
        true => text.ansi().to_string(),
        false => text.to_string(),
    };
    if error.use_stderr() {
        console::write_stderr(format_args!(
            "{}",
            styled(colour::enabled(&std::io::stderr()))
        ));
    } else if let Err(err) = console::write_stdout(format_args!(
        "{}",
        styled(colour::enabled(&std::io::stdout()))
    )) {
        errln!("error: {}", console::chain(&err));
        return ExitCode::FAILURE;
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}
