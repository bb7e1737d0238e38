//! Which URLs may be fetched and followed, and the one parser of `--mirror`: pure policy,
//! unit-tested without a network.
use std::path::PathBuf;
use std::str::FromStr;

use reqwest::Url;

use crate::error::DatasetError;

/// Where to get files instead of the registry's URLs: same file names, still verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirror {
    /// A base URL without a trailing `/`: https, or plain http on the loopback interface.
    Url(String),
    Dir(PathBuf),
}

impl Mirror {
    /// The one parser of `--mirror`: `https://…` (or `http://127.0.0.1…` / `http://localhost…`,
    /// for tests) is a base URL; anything with another scheme (`ftp://…`, `file://…`, plain
    /// `http://` elsewhere) is refused; anything without a scheme is a local directory.
    pub fn parse(s: &str) -> Result<Mirror, DatasetError> {
        let refuse = |reason: String| DatasetError::BadMirror {
            mirror: s.to_string(),
            reason,
        };
        if s.trim().is_empty() {
            return Err(refuse("empty".into()));
        }
        let Some((scheme, _)) = s.split_once("://").filter(|(p, _)| is_scheme(p)) else {
            return Ok(Mirror::Dir(PathBuf::from(s)));
        };
        if scheme.eq_ignore_ascii_case("file") {
            return Err(refuse(
                "file:// URLs are not accepted: give the directory's path itself".into(),
            ));
        }
        let url = Url::parse(s).map_err(|e| refuse(format!("not a valid URL ({e})")))?;
        check_url(&url).map_err(refuse)?;
        Ok(Mirror::Url(s.trim_end_matches('/').to_string()))
    }
}

impl FromStr for Mirror {
    type Err = DatasetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mirror::parse(s)
    }
}

/// Whether `p` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether a URL may be fetched: https, or plain http to the loopback interface (tests);
/// `Err` says why not.
pub fn check_url(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "https" => Err("the URL has no host".into()),
        "http" if is_loopback(url) => Ok(()),
        "http" => {
            Err("plain http is accepted only for 127.0.0.1 and localhost (tests); use https".into())
        }
        other => Err(format!(
            "the `{other}` scheme is not supported; only https is"
        )),
    }
}

/// `Url` normalises hosts (`127.1` → `127.0.0.1`, `LOCALHOST` → `localhost`, `[0::1]` →
/// `[::1]`), so comparing strings is exact.
fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// The redirect policy: at most 10 hops, each to an allowed URL ([`check_url`]), and never
/// from https down to plain http (even on loopback). `Err` is the reason shown to the user.
pub fn redirect_allowed(previous: &[Url], next: &Url) -> Result<(), String> {
    if previous.len() >= 10 {
        return Err(format!("more than 10 redirects (the last to {next})"));
    }
    check_url(next).map_err(|why| format!("redirected to {next}: {why}"))?;
    if next.scheme() == "http" && previous.iter().any(|u| u.scheme() == "https") {
        return Err(format!("redirected from https down to plain http ({next})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_redirects() {
        let u = |s: &str| Url::parse(s).unwrap();
        for ok in [
            "https://example.org/x",
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert_eq!(check_url(&u(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.org/x",
            "http://127.0.0.2/x",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "gopher://example.org/",
        ] {
            assert!(check_url(&u(bad)).is_err(), "{bad}");
        }
        let https = [u("https://example.org/a")];
        let local = [u("http://127.0.0.1:1/a")];
        assert_eq!(
            redirect_allowed(&https, &u("https://cdn.example.org/a")),
            Ok(())
        );
        assert_eq!(redirect_allowed(&local, &u("http://localhost:1/b")), Ok(()));
        let err = redirect_allowed(&https, &u("http://example.org/a")).unwrap_err();
        assert!(err.contains("plain http"), "{err}");
        let err = redirect_allowed(&https, &u("http://127.0.0.1/a")).unwrap_err();
        assert!(err.contains("from https down to plain http"), "{err}");
        let err = redirect_allowed(&local, &u("ftp://127.0.0.1/a")).unwrap_err();
        assert!(err.contains("`ftp` scheme"), "{err}");
        let many = vec![u("https://example.org/a"); 10];
        assert!(redirect_allowed(&many, &u("https://example.org/b"))
            .unwrap_err()
            .contains("more than 10 redirects"));
    }

    #[test]
    fn every_registry_url_may_be_fetched() {
        let registry = crate::registry::Registry::builtin().unwrap();
        for f in registry.datasets.values().flat_map(|d| &d.files) {
            for url in std::iter::once(&f.url).chain(&f.mirrors) {
                assert_eq!(check_url(&Url::parse(url).unwrap()), Ok(()), "{url}");
            }
        }
    }

    #[test]
    fn mirrors_are_parsed_in_one_place() {
        assert_eq!(
            Mirror::parse("https://m.example.org/data/").unwrap(),
            Mirror::Url("https://m.example.org/data".into())
        );
        assert_eq!(
            Mirror::parse("http://127.0.0.1:8000").unwrap(),
            Mirror::Url("http://127.0.0.1:8000".into())
        );
        assert_eq!(
            Mirror::parse("/srv/copies").unwrap(),
            Mirror::Dir(PathBuf::from("/srv/copies"))
        );
        assert_eq!(
            "relative/dir".parse::<Mirror>().unwrap(),
            Mirror::Dir(PathBuf::from("relative/dir"))
        );
        for (bad, says) in [
            ("ftp://example.org/pub", "`ftp` scheme"),
            ("http://example.org/", "plain http"),
            ("file:///srv/copies", "directory's path"),
            ("HTTPS://", "not a valid URL"),
            ("", "empty"),
        ] {
            let err = Mirror::parse(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("--mirror {bad}: ")) && err.contains(says),
                "{err}"
            );
        }
    }
}
