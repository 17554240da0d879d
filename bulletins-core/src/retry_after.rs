//! The `Retry-After` header, in both forms RFC 9110 (§10.2.3) allows: a number of seconds, or
//! an HTTP date. A date needs the current time to become a delay; this crate never reads the
//! clock, so the caller passes "now" (see [`RetryPolicy::decide`](crate::RetryPolicy::decide)).

use std::time::{Duration, SystemTime};

use http::header::RETRY_AFTER;
use http::HeaderMap;

/// When a server asked to be tried again, as its `Retry-After` header said.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use bulletins_core::RetryAfter;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
/// assert_eq!(RetryAfter::parse(b"120"), Some(RetryAfter::Delay(Duration::from_secs(120))));
/// let date = RetryAfter::parse(b"Wed, 21 Oct 2015 07:28:00 GMT").expect("an HTTP date");
/// assert_eq!(date.delay_from(now), Duration::from_secs(10));
/// // A date already past means "now".
/// assert_eq!(date.delay_from(now + Duration::from_secs(60)), Duration::ZERO);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryAfter {
    /// `Retry-After: 120`: this long after the answer.
    Delay(Duration),
    /// `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`: not before this time.
    At(SystemTime),
}

impl RetryAfter {
    /// Reads a `Retry-After` value: ASCII digits (seconds, any size) or an HTTP date
    /// (IMF-fixdate, or the obsolete RFC 850 and asctime forms recipients must accept).
    /// Surrounding whitespace is allowed; anything else is `None`, and the caller's own backoff
    /// applies.
    pub fn parse(value: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(value).ok()?.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            // Digits too many for a u64 are still "a very long time", not garbage.
            let seconds = text.parse::<u64>().unwrap_or(u64::MAX);
            return Some(Self::Delay(Duration::from_secs(seconds)));
        }
        httpdate::parse_http_date(text).ok().map(Self::At)
    }

    /// The header's value in `headers`, if present and readable.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        Self::parse(headers.get(RETRY_AFTER)?.as_bytes())
    }

    /// How long to wait from `now`: the delay itself, or the time until the date — zero for a
    /// date already past.
    pub fn delay_from(self, now: SystemTime) -> Duration {
        match self {
            Self::Delay(delay) => delay,
            Self::At(date) => date.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix_seconds: u64) -> RetryAfter {
        RetryAfter::At(SystemTime::UNIX_EPOCH + Duration::from_secs(unix_seconds))
    }

    #[test]
    fn all_three_date_forms_of_rfc_9110_are_read() {
        // RFC 9110 §5.6.7's own example, in each form.
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                RetryAfter::parse(form.as_bytes()),
                Some(at(784_111_777)),
                "{form}"
            );
        }
    }

    #[test]
    fn seconds_are_read_with_whitespace_and_beyond_u64() {
        let secs = |s| Some(RetryAfter::Delay(Duration::from_secs(s)));
        assert_eq!(RetryAfter::parse(b" 7 "), secs(7));
        assert_eq!(RetryAfter::parse(b"0"), secs(0));
        assert_eq!(
            RetryAfter::parse(b"99999999999999999999999"),
            secs(u64::MAX)
        );
    }

    #[test]
    fn anything_else_is_ignored() {
        for bad in [
            &b""[..],
            b"   ",
            b"-1",
            b"1.5",
            b"+3",
            b"soon",
            b"Sun, 06 Nov 1994 08:49:37 PST",
            b"Sun, 32 Nov 1994 08:49:37 GMT",
            b"\xff\xfe",
        ] {
            assert_eq!(
                RetryAfter::parse(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
