//! Clean interruption. The first SIGINT (Ctrl-C) or SIGTERM (Slurm's time limit, `kill`) only
//! sets a flag: the runner checks it between runs, and the progress callback between training
//! steps, where it exits without appending, so the run in flight is dropped and every stored
//! record is whole. A second signal exits at once; the store's partial-tail check covers even
//! that. The handler only touches an atomic (async-signal-safe) or calls `_exit`.
use std::sync::atomic::{AtomicUsize, Ordering};

/// Exit status of an interrupted `prefbench run` (128 + SIGINT, as shells report Ctrl-C).
pub const INTERRUPTED_EXIT: i32 = 130;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) > 0 {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(INTERRUPTED_EXIT) };
    }
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

/// Whether a stop was asked for.
pub fn interrupted() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

/// Asks process `pid` (a job of ours) to stop the same way.
pub fn forward(pid: u32) {
    // SAFETY: kill has no memory effects; a stale pid only yields ESRCH.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
}

/// Leaves at once, dropping the run in flight; used between training steps.
pub fn exit_interrupted() -> ! {
    eprintln!(
        "interrupted: the run in progress is dropped, finished runs are in results.jsonl; \
         rerun the same command to resume"
    );
    std::process::exit(INTERRUPTED_EXIT)
}
