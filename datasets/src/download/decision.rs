//! What to do with one file given what is on disk, what the registry and `datasets.lock`
//! expect and the options (pooch's `download_action`): a pure function, unit-tested without
//! any I/O; [`super::fetch`] carries the decision out.

/// The hash a file must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The registry's sha256.
    Pinned(String),
    /// First seen and recorded in `datasets.lock`.
    Locked(String),
    /// Neither: the first download is trusted once its recipe has parsed it.
    Unknown,
}

impl Expected {
    /// The hash to compare with, when there is one.
    pub fn hash(&self) -> Option<&str> {
        match self {
            Expected::Pinned(h) | Expected::Locked(h) => Some(h),
            Expected::Unknown => None,
        }
    }
}

/// What is on disk for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheState {
    /// sha256 of the file at its final name, when there is one.
    pub cached: Option<String>,
    /// Length of the `.part` file of an interrupted download (0: none).
    pub partial: u64,
}

/// What [`fetch_file`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The cached copy matches its expected hash, or there is none to check it against
    /// (`unverified`).
    UseCached {
        unverified: bool,
    },
    /// Download, resuming after the first `resume_from` bytes of the `.part` file (0: from
    /// scratch, discarding it). `set_aside`: the cached copy is corrupt; move it to
    /// `<name>.corrupt` first.
    Download {
        resume_from: u64,
        set_aside: bool,
    },
    Refuse(Refusal),
}

/// Why [`fetch_file`] does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `--locked`, and the file is neither pinned nor locked.
    Unlocked,
    /// `--offline`, and the file is not cached.
    Offline,
    /// `--offline`, and the cached copy has the wrong hash (it is moved aside).
    CorruptOffline { actual: String },
}

/// What to do with one file, given what the registry and lock expect, what the cache holds,
/// `--offline`, `--locked` and the file's size cap.
pub fn decide(
    expected: &Expected,
    state: &CacheState,
    offline: bool,
    locked: bool,
    cap: u64,
) -> Action {
    if locked && *expected == Expected::Unknown {
        return Action::Refuse(Refusal::Unlocked);
    }
    // A `.part` as long as the cap is complete or oversized, never worth resuming.
    let resume_from = if state.partial < cap {
        state.partial
    } else {
        0
    };
    match (&state.cached, expected.hash()) {
        (Some(_), None) => Action::UseCached { unverified: true },
        (Some(actual), Some(e)) if actual == e => Action::UseCached { unverified: false },
        (Some(actual), Some(_)) if offline => Action::Refuse(Refusal::CorruptOffline {
            actual: actual.clone(),
        }),
        (Some(_), Some(_)) => Action::Download {
            resume_from,
            set_aside: true,
        },
        (None, _) if offline => Action::Refuse(Refusal::Offline),
        (None, _) => Action::Download {
            resume_from,
            set_aside: false,
        },
    }
}

/// What `data verify` says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// The cached copy's hash differs from the expected one.
    Corrupt,
    Missing,
    /// Cached, but with nothing to check it against (not pinned, not yet locked).
    Unverifiable,
}

/// The verdict on a cached file whose sha256 is `cached` (`None`: not cached).
pub fn verdict(expected: &Expected, cached: Option<&str>) -> Verdict {
    match (cached, expected.hash()) {
        (None, _) => Verdict::Missing,
        (Some(_), None) => Verdict::Unverifiable,
        (Some(a), Some(e)) if a == e => Verdict::Ok,
        (Some(_), Some(_)) => Verdict::Corrupt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: u64 = 1000;

    fn pinned() -> Expected {
        Expected::Pinned("a".repeat(64))
    }

    fn state(cached: Option<&str>, partial: u64) -> CacheState {
        CacheState {
            cached: cached.map(str::to_string),
            partial,
        }
    }

    /// (expected, cached sha256, `.part` length, `--offline`, `--locked`) → action.
    type Row<'a> = (&'a Expected, Option<&'a str>, u64, bool, bool, Action);

    #[test]
    fn decisions_on_cache_state_and_registry_entry() {
        let (good, bad) = ("a".repeat(64), "b".repeat(64));
        let (pin, lock, none) = (pinned(), Expected::Locked(good.clone()), Expected::Unknown);
        let (g, b) = (Some(good.as_str()), Some(bad.as_str()));
        let dl = |resume_from, set_aside| Action::Download {
            resume_from,
            set_aside,
        };
        let ok = Action::UseCached { unverified: false };
        let unverified = Action::UseCached { unverified: true };
        let refuse = Action::Refuse;
        let corrupt = refuse(Refusal::CorruptOffline {
            actual: bad.clone(),
        });
        let cases: Vec<Row> = vec![
            (&pin, g, 0, false, false, ok.clone()),
            (&lock, g, 0, true, true, ok.clone()),
            (&none, b, 0, false, false, unverified),
            (&none, b, 0, false, true, refuse(Refusal::Unlocked)),
            (&none, None, 0, true, true, refuse(Refusal::Unlocked)),
            (&pin, b, 0, false, false, dl(0, true)),
            (&lock, b, 40, false, true, dl(40, true)),
            (&pin, b, 0, true, false, corrupt),
            (&pin, None, 0, true, false, refuse(Refusal::Offline)),
            (&pin, None, 0, false, false, dl(0, false)),
            (&pin, None, 999, false, false, dl(999, false)),
            // A `.part` as long as the cap (complete or oversized) is not resumed.
            (&pin, None, CAP, false, false, dl(0, false)),
            (&none, None, 5000, false, false, dl(0, false)),
        ];
        for (i, (expected, cached, partial, offline, locked, want)) in cases.into_iter().enumerate()
        {
            let got = decide(expected, &state(cached, partial), offline, locked, CAP);
            assert_eq!(got, want, "case {i}: {expected:?} {cached:?} {partial}");
        }
    }

    #[test]
    fn verdicts() {
        let h = "a".repeat(64);
        assert_eq!(verdict(&pinned(), Some(&h)), Verdict::Ok);
        assert_eq!(verdict(&pinned(), Some("x")), Verdict::Corrupt);
        assert_eq!(verdict(&pinned(), None), Verdict::Missing);
        assert_eq!(
            verdict(&Expected::Unknown, Some("x")),
            Verdict::Unverifiable
        );
        assert_eq!(verdict(&Expected::Unknown, None), Verdict::Missing);
    }
}
