//! Whether an HTTP response may be written to the `.part` file and from which byte: pure
//! checks of its status and headers against the request, made before a byte is written.

/// The headers of a response that [`check_response`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    pub status: u16,
    pub content_range: Option<&'a str>,
    pub content_length: Option<u64>,
}

/// What the request knew before the response came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestState {
    /// Bytes already in the `.part` file, asked for with `Range: bytes=<offset>-` when > 0.
    pub offset: u64,
    /// The registry's exact size.
    pub size: Option<u64>,
    /// The full size announced by an earlier response for this download.
    pub seen_total: Option<u64>,
    pub cap: u64,
}

/// What to do with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Write the body after the first `start` bytes of the `.part` file (0: truncate it);
    /// `total`: the full file's size when known.
    Write { start: u64, total: Option<u64> },
    /// The `.part` file cannot be continued from this response: discard it and start over
    /// (never splice).
    Restart(String),
    /// A transient failure: retry after the backoff, resuming.
    Retry(String),
    /// Give up on this URL.
    Fail(Failure),
}

/// Why [`check_response`] gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Status(u16),
    /// The announced size differs from the registry's.
    SizeMismatch {
        announced: u64,
    },
    /// The announced size exceeds the cap.
    TooLarge {
        announced: u64,
    },
    /// The server broke HTTP's rules.
    Protocol(String),
}

/// `bytes <first>-<last>/<total>` (`total` may be `*`), per RFC 9110 §14.4.
pub fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.trim().split_once('-')?;
    let (first, last) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (first <= last && total.is_none_or(|t| last < t)).then_some((first, last, total))
}

/// Checks a response against the request: a 200 must announce the registry's size (when
/// known) and no more than the cap; a 206 must answer exactly the resume offset, run to the end
/// of the file and agree on the file's total size, else the `.part` file is restarted.
pub fn check_response(req: &RequestState, head: &ResponseHead) -> Plan {
    match head.status {
        200 => {
            let announced = head.content_length;
            if let (Some(a), Some(s)) = (announced, req.size) {
                if a != s {
                    return Plan::Fail(Failure::SizeMismatch { announced: a });
                }
            }
            if let Some(a) = announced.filter(|&a| a > req.cap) {
                return Plan::Fail(Failure::TooLarge { announced: a });
            }
            Plan::Write {
                start: 0,
                total: announced.or(req.size),
            }
        }
        206 if req.offset == 0 => Plan::Fail(Failure::Protocol(
            "206 Partial Content to a request without Range".into(),
        )),
        206 => check_partial(req, head),
        416 => Plan::Restart(format!(
            "the server refused to resume from byte {} (416)",
            req.offset
        )),
        s if (500..600).contains(&s) => Plan::Retry(format!("HTTP status {s}")),
        s => Plan::Fail(Failure::Status(s)),
    }
}

/// [`check_response`] for a 206: exactly the asked-for range, to the end of the file.
fn check_partial(req: &RequestState, head: &ResponseHead) -> Plan {
    let raw = head.content_range.unwrap_or("");
    let restart = |why: String| {
        Plan::Restart(format!(
            "the server answered the resume from byte {} with Content-Range `{raw}`: {why}",
            req.offset
        ))
    };
    let Some((first, last, total)) = parse_content_range(raw) else {
        return restart("not a valid byte range".into());
    };
    if first != req.offset {
        return restart(format!("it starts at byte {first}"));
    }
    let known = req.size.or(req.seen_total);
    let total = match (total, known) {
        (Some(t), Some(k)) if t != k => {
            return restart(format!("the file's total is {k} bytes, not {t}"))
        }
        (t, k) => t.or(k),
    };
    if let Some(t) = total {
        if last + 1 != t {
            return restart(format!("it ends before the file's end ({t} bytes)"));
        }
        if t > req.cap {
            return Plan::Fail(Failure::TooLarge { announced: t });
        }
    }
    if let Some(len) = head.content_length.filter(|&l| l != last + 1 - first) {
        return restart(format!(
            "the body has {len} bytes, not {}",
            last + 1 - first
        ));
    }
    Plan::Write {
        start: first,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: u64 = 1000;

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 10-99/100"),
            Some((10, 99, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 10-99/*"), Some((10, 99, None)));
        for bad in [
            "",
            "bytes */100",
            "items 1-2/3",
            "bytes 9-3/10",
            "bytes 0-10/10",
            "bytes a-b/c",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn responses_are_checked_before_a_byte_is_written() {
        let req = |offset, size, seen_total| RequestState {
            offset,
            size,
            seen_total,
            cap: CAP,
        };
        let head = |status, content_range, content_length| ResponseHead {
            status,
            content_range,
            content_length,
        };
        let write = |start, total| Plan::Write { start, total };
        let restarts = |p: &Plan| matches!(p, Plan::Restart(_));
        // 200: from scratch; the registry's size and the cap are enforced up front.
        assert_eq!(
            check_response(&req(0, None, None), &head(200, None, None)),
            write(0, None)
        );
        assert_eq!(
            check_response(&req(50, Some(100), None), &head(200, None, Some(100))),
            write(0, Some(100))
        );
        assert_eq!(
            check_response(&req(0, Some(100), None), &head(200, None, Some(101))),
            Plan::Fail(Failure::SizeMismatch { announced: 101 })
        );
        assert_eq!(
            check_response(&req(0, None, None), &head(200, None, Some(CAP + 1))),
            Plan::Fail(Failure::TooLarge { announced: CAP + 1 })
        );
        // 206: exactly the resume offset to the end of the file of the known size.
        let ok = head(206, Some("bytes 40-99/100"), Some(60));
        assert_eq!(
            check_response(&req(40, Some(100), None), &ok),
            write(40, Some(100))
        );
        assert_eq!(
            check_response(&req(40, None, None), &ok),
            write(40, Some(100))
        );
        assert_eq!(
            check_response(
                &req(40, None, None),
                &head(206, Some("bytes 40-99/*"), None)
            ),
            write(40, None)
        );
        for (r, h) in [
            (
                req(40, None, None),
                head(206, Some("bytes 0-99/100"), Some(100)),
            ),
            (
                req(40, None, None),
                head(206, Some("bytes 41-99/100"), Some(59)),
            ),
            (req(40, Some(200), None), ok),
            (req(40, None, Some(200)), ok),
            (
                req(40, None, None),
                head(206, Some("bytes 40-79/100"), Some(40)),
            ),
            (
                req(40, None, None),
                head(206, Some("bytes 40-99/100"), Some(61)),
            ),
            (req(40, None, None), head(206, None, Some(60))),
            (req(40, None, None), head(206, Some("garbage"), Some(60))),
            (
                req(40, Some(100), None),
                head(206, Some("bytes 40-79/*"), Some(40)),
            ),
            (req(40, None, None), head(416, Some("bytes */40"), None)),
        ] {
            assert!(restarts(&check_response(&r, &h)), "{r:?} {h:?}");
        }
        assert_eq!(
            check_response(
                &req(40, None, None),
                &head(206, Some("bytes 40-4999/5000"), None)
            ),
            Plan::Fail(Failure::TooLarge { announced: 5000 })
        );
        assert!(matches!(
            check_response(&req(0, None, None), &ok),
            Plan::Fail(Failure::Protocol(_))
        ));
        assert!(matches!(
            check_response(&req(0, None, None), &head(503, None, None)),
            Plan::Retry(_)
        ));
        assert_eq!(
            check_response(&req(0, None, None), &head(404, None, None)),
            Plan::Fail(Failure::Status(404))
        );
    }
}
