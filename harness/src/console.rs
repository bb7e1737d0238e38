//! What the commands print. Standard output carries a command's result, so a failure to write
//! it (a full disk behind `> file`, `/dev/full`) is the command's error, named as such, where
//! `println!` would panic. A closed pipe never gets that far: SIGPIPE ends the process quietly
//! at the write (see `signals`). Standard error carries diagnostics; when it cannot be written
//! there is nowhere left to report that, so its writes are best effort.
use std::fmt;
use std::io::Write;

use anyhow::{Context, Result};

/// Writes `args` to stdout and flushes it, so that a failure is seen here and not lost at exit.
pub fn write_stdout(args: fmt::Arguments) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_fmt(args)
        .and_then(|()| stdout.flush())
        .context("cannot write the command's output to stdout (is the file or device it goes to full or read-only?)")
}

/// Writes `args` to stderr, ignoring a failure (see the module's note).
pub fn write_stderr(args: fmt::Arguments) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// An error and its causes joined by `: `, as anyhow's `{:#}` prints them, but a cause only
/// where the text before does not already say it: many error types (`IoError`, libtorch's,
/// serde's wrappers) print their cause in their own message and also return it as their source,
/// which `{:#}` would print twice ("… (os error 2): No such file or directory (os error 2)").
pub fn chain(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain().map(ToString::to_string) {
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

/// `print!` for results: `out!(...)?` fails with [`write_stdout`]'s error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::console::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` for results: `outln!(...)?` fails with [`write_stdout`]'s error instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::console::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that never panics (see [`write_stderr`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::console::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_io::IoError;

    #[test]
    fn a_chain_names_each_cause_once() {
        let os = std::io::Error::from_raw_os_error(libc::ENOENT);
        let error = anyhow::Error::new(IoError::at("/x/results.jsonl", "reading")(os))
            .context("cannot build the report of /x");
        let text = chain(&error);
        assert_eq!(
            text,
            "cannot build the report of /x: /x/results.jsonl: reading failed: No such file or \
             directory (os error 2)"
        );
        let outer = anyhow::anyhow!("the store").context("merging");
        assert_eq!(chain(&outer), "merging: the store");
    }
}
