//! Clean interruption. The first SIGINT (Ctrl-C) or SIGTERM (Slurm's time limit, `kill`) only
//! sets the process-wide [`StopToken`]: the runner reads it between runs and the trainer before
//! every step, so the run in flight is dropped unstored, every stored record is whole, and the
//! command exits with [`INTERRUPTED_EXIT`] from `main` (see `stop`). A second signal exits at
//! once; the store's partial-tail check covers even that. The handler only touches atomics
//! (async-signal-safe) or calls `_exit`.
//!
//! A closed pipe: [`default_sigpipe`] gives SIGPIPE its default action back, so a process whose
//! reader went away (`prefbench data list | head -1`, a `tee` that was killed) ends quietly,
//! killed by SIGPIPE, which shells report as status 141 (128 + 13), as for `cat` or `grep`.
//! Nothing stored is lost: a run appends and syncs its record before the progress line that
//! announces it, so the process dies at that line with the record whole, and the output lock
//! goes with the process; the run in flight is dropped as on SIGKILL, and rerunning resumes.
//! A `--jobs` child writes to its parent inside [`sigpipe_as_error`]: a parent that went away
//! is a stop (see `execute::jobs::child`).
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::stop::StopToken;

/// Exit status of an interrupted `prefbench run` (128 + SIGINT, as shells report Ctrl-C).
pub const INTERRUPTED_EXIT: u8 = 130;

/// Signals received, so that the second one can end the process at once.
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) > 0 {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(INTERRUPTED_EXIT.into()) };
    }
    StopToken::process().stop();
}

/// Installs the handler for SIGINT and SIGTERM; call once, before any work.
pub fn install() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only performs async-signal-safe operations.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Asks process `pid` (a job of ours) to stop the same way.
pub fn forward(pid: u32) {
    // SAFETY: kill has no memory effects; a stale pid only yields ESRCH.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
}

/// Restores SIGPIPE's default action (end the process), which the Rust runtime replaces by
/// "ignore" so that a write to a closed pipe fails with EPIPE, on which `println!` panics.
/// Call first thing in `main`.
pub fn default_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_DFL has no memory effects.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

/// Runs `f` with SIGPIPE blocked on this thread, so that a write to a pipe whose reader has
/// exited fails with EPIPE (an error the caller handles) instead of killing the process; a
/// SIGPIPE that `f` raised is consumed before the mask is restored. For pipes to our own
/// children, which may die before they read (a job that failed at start).
pub fn sigpipe_as_error<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(libc::sigset_t);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: plain signal-mask calls on valid, initialised sets.
            unsafe {
                let mut pending: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut pending);
                let was_blocked = libc::sigismember(&self.0, libc::SIGPIPE) == 1;
                if !was_blocked
                    && libc::sigpending(&mut pending) == 0
                    && libc::sigismember(&pending, libc::SIGPIPE) == 1
                {
                    let mut only: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&mut only);
                    libc::sigaddset(&mut only, libc::SIGPIPE);
                    let mut caught = 0;
                    // Returns at once: the signal is pending.
                    libc::sigwait(&only, &mut caught);
                }
                libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut());
            }
        }
    }
    // SAFETY: plain signal-mask calls on valid, initialised sets.
    let _restore = unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGPIPE);
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut old);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        Restore(old)
    };
    f()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_closed_pipe_is_an_error_inside_sigpipe_as_error() {
        default_sigpipe();
        let (reader, mut writer) = std::io::pipe().unwrap();
        drop(reader);
        let result = sigpipe_as_error(|| writer.write_all(b"x"));
        let error = result.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
        // Still alive, and the SIGPIPE was consumed rather than left pending.
        // SAFETY: plain signal-set calls.
        let pending = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigpending(&mut set);
            libc::sigismember(&set, libc::SIGPIPE)
        };
        assert_eq!(pending, 0);
    }
}
