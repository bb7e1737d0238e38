//! Whether a stream gets ANSI colours, by the conventions users set in their environment: the
//! log lines (`tracing`, stderr) and clap's help and usage errors decide the same way, each
//! for the stream it writes to. clap's own detection cannot be used: its `anstyle-query` takes
//! `CLICOLOR_FORCE=0` to force colours on, and the log subscriber colours unless told not to.
use std::ffi::OsString;
use std::io::IsTerminal;

/// Whether `stream` gets colours, by its being a terminal and the process's environment.
pub fn enabled(stream: &impl IsTerminal) -> bool {
    decide(stream.is_terminal(), |name| std::env::var_os(name))
}

/// In order: `NO_COLOR` set and non-empty turns colours off (no-color.org);
/// `CLICOLOR_FORCE` set to anything but empty or `0` turns them on (bixense.com/clicolors);
/// `CLICOLOR=0` or `TERM=dumb` turns them off; otherwise a terminal gets them and a pipe or
/// file does not.
fn decide(is_terminal: bool, var: impl Fn(&str) -> Option<OsString>) -> bool {
    let is = |name: &str, value: &str| var(name).is_some_and(|v| v == value);
    let non_empty = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    if non_empty("NO_COLOR") {
        false
    } else if non_empty("CLICOLOR_FORCE") && !is("CLICOLOR_FORCE", "0") {
        true
    } else {
        is_terminal && !is("CLICOLOR", "0") && !is("TERM", "dumb")
    }
}

#[cfg(test)]
mod tests {
    use super::decide;

    fn with(vars: &[(&str, &str)], is_terminal: bool) -> bool {
        decide(is_terminal, |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).into())
        })
    }

    #[test]
    fn a_terminal_gets_colours_and_a_pipe_does_not() {
        assert!(with(&[], true));
        assert!(!with(&[], false));
        assert!(!with(&[("CLICOLOR", "0")], true));
        assert!(with(&[("CLICOLOR", "1")], true));
        assert!(!with(&[("CLICOLOR", "1")], false));
        assert!(!with(&[("TERM", "dumb")], true));
    }

    #[test]
    fn clicolor_force_forces_only_with_a_value_other_than_zero() {
        assert!(with(&[("CLICOLOR_FORCE", "1")], false));
        assert!(with(&[("CLICOLOR_FORCE", "yes"), ("CLICOLOR", "0")], false));
        assert!(!with(&[("CLICOLOR_FORCE", "0")], false));
        assert!(!with(&[("CLICOLOR_FORCE", "")], false));
        assert!(with(&[("CLICOLOR_FORCE", "0")], true));
    }

    #[test]
    fn no_color_wins_when_set_and_not_empty() {
        assert!(!with(&[("NO_COLOR", "1")], true));
        assert!(!with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], true));
        assert!(with(&[("NO_COLOR", "")], true));
    }
}
