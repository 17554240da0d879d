//! Where requests go: CleverTap's regions, or any base URL.

use std::fmt;
use std::str::FromStr;

use http::Uri;

/// The path of the Bulletins trigger endpoint, below a region's base URL.
pub const TRIGGER_PATH: &str = "/1/targets/trigger.json";

/// A CleverTap region: the data centre your account lives in (shown in the dashboard's
/// settings and in its URL).
///
/// ```
/// use bulletins_core::{BaseUrl, Region};
///
/// let region: Region = "in1".parse()?;
/// assert_eq!(region, Region::India);
/// assert_eq!(BaseUrl::from(region).as_str(), "https://in1.api.clevertap.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// India, `in1`.
    India,
    /// Singapore, `sg1`.
    Singapore,
    /// United States, `us1`.
    UnitedStates,
    /// Indonesia, `aps3`.
    Indonesia,
    /// Middle East (UAE), `mec1`.
    MiddleEast,
    /// Europe, `eu1`: the default account region.
    Europe,
}

impl Region {
    /// Every region, in CleverTap's documented order.
    pub const ALL: [Region; 6] = [
        Region::India,
        Region::Singapore,
        Region::UnitedStates,
        Region::Indonesia,
        Region::MiddleEast,
        Region::Europe,
    ];

    /// The region's code, as CleverTap writes it (`in1`, `eu1`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            Region::India => "in1",
            Region::Singapore => "sg1",
            Region::UnitedStates => "us1",
            Region::Indonesia => "aps3",
            Region::MiddleEast => "mec1",
            Region::Europe => "eu1",
        }
    }

    /// The region's API host.
    ///
    /// Europe uses `api.clevertap.com`, as CleverTap's API documentation gives it; if your
    /// account needs `eu1.api.clevertap.com`, pass that as a [`BaseUrl`].
    pub const fn host(self) -> &'static str {
        match self {
            Region::India => "in1.api.clevertap.com",
            Region::Singapore => "sg1.api.clevertap.com",
            Region::UnitedStates => "us1.api.clevertap.com",
            Region::Indonesia => "aps3.api.clevertap.com",
            Region::MiddleEast => "mec1.api.clevertap.com",
            Region::Europe => "api.clevertap.com",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A region code that is not one of CleverTap's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown CleverTap region {given:?}; expected one of in1, sg1, us1, aps3, mec1, eu1, or use a custom base URL")]
pub struct UnknownRegion {
    /// What was given.
    pub given: String,
}

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Parses a region code (`in1`, `sg1`, `us1`, `aps3`, `mec1`, `eu1`), ignoring case and
    /// surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim();
        Region::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code))
            .ok_or_else(|| UnknownRegion {
                given: s.to_owned(),
            })
    }
}

/// The base URL requests are sent to: a region's, or a custom one (a new region, a proxy, the
/// local emulator). The trigger path `/1/targets/trigger.json` is appended to it.
///
/// ```
/// use bulletins_core::BaseUrl;
///
/// let local = BaseUrl::parse("http://127.0.0.1:8787/")?;
/// assert_eq!(local.trigger_uri().to_string(), "http://127.0.0.1:8787/1/targets/trigger.json");
/// assert!(local.is_loopback());
/// # Ok::<(), bulletins_core::InvalidBaseUrl>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    base: String,
    trigger: Uri,
    https: bool,
    loopback: bool,
}

/// Why a base URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base URL {given:?}: {reason}")]
pub struct InvalidBaseUrl {
    /// What was given, with any user info, query and fragment replaced by `[redacted]`: they
    /// may hold a secret (`https://id:passcode@host`), and errors end up in logs.
    pub given: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// `url` with what may carry a secret — user info, the query, the fragment — redacted.
fn redacted(url: &str) -> String {
    let (head, secret_tail) = match url.find(['?', '#']) {
        Some(at) => (&url[..at], true),
        None => (url, false),
    };
    let authority_start = head.find("://").map_or(0, |at| at + 3);
    let authority_end = head[authority_start..]
        .find('/')
        .map_or(head.len(), |at| authority_start + at);
    let mut shown = match head[authority_start..authority_end].rfind('@') {
        Some(at) => format!(
            "{}[redacted]{}",
            &head[..authority_start],
            &head[authority_start + at..]
        ),
        None => head.to_owned(),
    };
    if secret_tail {
        shown.push_str(&url[head.len()..=head.len()]);
        shown.push_str("[redacted]");
    }
    shown
}

impl BaseUrl {
    /// Parses an absolute `http` or `https` URL with a host, and optionally a path prefix (for
    /// proxies). A trailing `/` is ignored.
    ///
    /// # Errors
    /// [`InvalidBaseUrl`] for anything else: a relative URL, another scheme, user info, a query
    /// or a fragment.
    pub fn parse(url: &str) -> Result<Self, InvalidBaseUrl> {
        let invalid = |reason| InvalidBaseUrl {
            given: redacted(url),
            reason,
        };
        let uri: Uri = url
            .parse()
            .map_err(|_| invalid("not a URL; expected e.g. https://in1.api.clevertap.com"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(_) => return Err(invalid("the scheme must be http or https")),
            None => return Err(invalid("expected an absolute URL starting with https://")),
        };
        let authority = uri.authority().ok_or(invalid("the URL has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "user info in the URL is not supported; credentials go in their own headers",
            ));
        }
        if authority.host().is_empty() {
            return Err(invalid("the URL has no host"));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(invalid("a base URL cannot have a query or a fragment"));
        }
        let host = authority.host();
        let loopback = is_loopback_host(host);
        let prefix = uri.path().trim_end_matches('/');
        let scheme = if https { "https" } else { "http" };
        let base = format!("{scheme}://{authority}{prefix}");
        let trigger = format!("{base}{TRIGGER_PATH}")
            .parse()
            .map_err(|_| invalid("the URL cannot carry the trigger path"))?;
        Ok(Self {
            base,
            trigger,
            https,
            loopback,
        })
    }

    /// The base URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The full URL of the trigger endpoint.
    pub fn trigger_uri(&self) -> &Uri {
        &self.trigger
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Whether the host is this machine (`localhost`, `127.0.0.0/8`, `[::1]`): the only place
    /// plain `http://` is safe to send a passcode to.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

impl From<Region> for BaseUrl {
    fn from(region: Region) -> Self {
        let base = format!("https://{}", region.host());
        let trigger = Uri::builder()
            .scheme("https")
            .authority(region.host())
            .path_and_query(TRIGGER_PATH)
            .build()
            // Every region's host is a constant valid authority.
            .unwrap_or_default();
        Self {
            base,
            trigger,
            https: true,
            loopback: false,
        }
    }
}

impl FromStr for BaseUrl {
    type Err = InvalidBaseUrl;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_urls_never_echo_user_info_query_or_fragment() {
        // A passcode in a base URL must not reach the error (and from there the logs).
        for (url, shown) in [
            (
                "https://id:S3NT1NEL@proxy.example.com/ct",
                "https://[redacted]@proxy.example.com/ct",
            ),
            ("http://a@b@host", "http://[redacted]@host"),
            (
                "https://proxy.example.com/ct?passcode=S3NT1NEL",
                "https://proxy.example.com/ct?[redacted]",
            ),
            ("https://h/#S3NT1NEL", "https://h/#[redacted]"),
            ("ftp://h/p", "ftp://h/p"),
        ] {
            let e = BaseUrl::parse(url).expect_err(url);
            assert_eq!(e.given, shown);
            assert!(!format!("{e} {e:?}").contains("S3NT1NEL"), "{e}");
        }
    }

    #[test]
    fn every_region_parses_from_its_code_and_builds_its_trigger_url() {
        for region in Region::ALL {
            assert_eq!(region.code().parse::<Region>(), Ok(region));
            assert_eq!(
                BaseUrl::from(region).trigger_uri().to_string(),
                format!("https://{}/1/targets/trigger.json", region.host())
            );
        }
        assert_eq!(" IN1 ".parse::<Region>(), Ok(Region::India));
        assert!("in2".parse::<Region>().is_err());
        assert_eq!(
            BaseUrl::from(Region::India).trigger_uri().to_string(),
            "https://in1.api.clevertap.com/1/targets/trigger.json"
        );
    }

    #[test]
    fn custom_base_urls() {
        let proxy = BaseUrl::parse("https://proxy.example.com/clevertap/").expect("valid");
        assert_eq!(
            proxy.trigger_uri().to_string(),
            "https://proxy.example.com/clevertap/1/targets/trigger.json"
        );
        assert!(proxy.is_https() && !proxy.is_loopback());
        for loopback in [
            "http://localhost:1",
            "http://127.0.0.1",
            "http://127.9.9.9:80",
            "http://[::1]:8787",
        ] {
            assert!(BaseUrl::parse(loopback).expect(loopback).is_loopback());
        }
        for bad in [
            "",
            "in1.api.clevertap.com",
            "ftp://x",
            "https://",
            "https://u:p@host",
            "https://h/?q=1",
            "https://h/#f",
            "not a url",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
