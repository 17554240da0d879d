//! One recorded request, as the log keeps it: the raw body bytes once, the headers as one
//! string (passcode redacted), and what was answered as a few numbers. The log
//! ([`crate::log`]) stores entries; the public views ([`crate::record`]) are derived from them.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use bulletins_core::PASSCODE_HEADER;

/// Whether a received bulletin was acknowledged to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Valid and answered `{"status":"success",...}`: CleverTap would have raised it.
    Accepted,
    /// The body reached the server but a fault kept the client from a clean success answer
    /// (connection closed after the body, a malformed or oversized answer). The bulletin may
    /// have been raised; a client retrying it risks a duplicate.
    ReceivedNotAcknowledged,
}

impl DeliveryStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Accepted => "accepted",
            DeliveryStatus::ReceivedNotAcknowledged => "received_not_acknowledged",
        }
    }
}

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Received (its body was read) and accepted or not acknowledged.
    Bulletin(DeliveryStatus),
    /// Refused by a rule, or answered by a fault without its body being read.
    Rejection {
        /// Whether an injected fault produced it.
        fault: bool,
    },
}

impl Kind {
    /// The status word used over HTTP, in filters and on the page's badges.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Kind::Bulletin(DeliveryStatus::Accepted) => "accepted",
            Kind::Bulletin(_) => "received_not_acknowledged",
            Kind::Rejection { fault: false } => "rejected",
            Kind::Rejection { fault: true } => "fault",
        }
    }
}

/// The body of the answer sent, kept as little as possible: most are derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AnswerBody {
    /// The connection was closed without an answer.
    None,
    /// `{"status":"success","targets":<n>}`.
    Success {
        /// The targets answered.
        targets: u64,
    },
    /// CleverTap's failure shape built from the entry's `error` and `code`.
    Fail,
    /// An injected status's default body.
    StatusDefault,
    /// An injected body, as sent.
    Custom(Box<str>),
    /// The malformed-body fault's text.
    Malformed,
    /// The oversized-body fault's 4 MiB.
    Oversized,
}

/// One recorded request.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) received_at_ms: u64,
    pub(crate) kind: Kind,
    pub(crate) account: Option<Box<str>>,
    /// The business event the body named, when it was read and named one.
    pub(crate) event: Option<Box<str>>,
    /// `name: value` lines, passcode redacted. Shared, like the body, so that a page of entries
    /// is copied out from under the lock without copying bytes.
    pub(crate) headers: Arc<str>,
    /// The raw body, when it was read.
    pub(crate) body: Option<Arc<[u8]>>,
    /// The HTTP status answered; `None` when the connection was closed.
    pub(crate) status: Option<u16>,
    /// The failure `code`, when the answer had one.
    pub(crate) code: Option<i64>,
    /// For a rejection: the error answered, or what the fault did.
    pub(crate) error: Option<Box<str>>,
    pub(crate) answer: AnswerBody,
}

impl Entry {
    /// An entry for a request with these headers, received now; the rest is filled in by the
    /// caller.
    pub(crate) fn new(kind: Kind, headers: &HeaderMap) -> Self {
        Self {
            id: 0,
            received_at_ms: unix_millis(SystemTime::now()),
            kind,
            account: crate::validate::account_header(headers).map(Box::from),
            event: None,
            headers: redacted_headers(headers),
            body: None,
            status: None,
            code: None,
            error: None,
            answer: AnswerBody::None,
        }
    }

    /// The raw body read, with the event it names.
    pub(crate) fn with_body(mut self, body: Vec<u8>) -> Self {
        self.event = event_in(&body).map(Box::from);
        self.body = Some(Arc::from(body));
        self
    }

    /// The raw body read, already parsed as `payload`.
    pub(crate) fn with_parsed_body(mut self, body: Vec<u8>, payload: &serde_json::Value) -> Self {
        self.event = payload
            .get("business_event")
            .or_else(|| payload.get("event"))
            .and_then(serde_json::Value::as_str)
            .map(Box::from);
        self.body = Some(Arc::from(body));
        self
    }

    /// The answer: its status, failure code and body.
    pub(crate) fn answered(
        mut self,
        status: Option<u16>,
        code: Option<i64>,
        answer: AnswerBody,
    ) -> Self {
        self.status = status;
        self.code = code;
        self.answer = answer;
        self
    }

    /// A rejection's error.
    pub(crate) fn error(mut self, error: impl Into<Box<str>>) -> Self {
        self.error = Some(error.into());
        self
    }

    /// The bytes it holds beyond its fixed size: what the byte budget counts.
    pub(crate) fn weight(&self) -> usize {
        self.headers.len() + self.body.as_deref().map_or(0, <[u8]>::len)
    }

    /// Whether it is a bulletin (its body was read and recorded).
    pub(crate) fn is_bulletin(&self) -> bool {
        matches!(self.kind, Kind::Bulletin(_))
    }

    /// The body as text (lossy for bytes that are not UTF-8).
    pub(crate) fn body_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.body.as_deref().map(String::from_utf8_lossy)
    }
}

/// The header lines of a request, with the passcode's value replaced.
fn redacted_headers(headers: &HeaderMap) -> Arc<str> {
    let mut text = String::new();
    for (name, value) in headers {
        text.push_str(name.as_str());
        text.push_str(": ");
        if name.as_str().eq_ignore_ascii_case(PASSCODE_HEADER) {
            text.push_str("[redacted]");
        } else {
            text.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
        text.push('\n');
    }
    Arc::from(text)
}

/// The `business_event` (or `event`) a JSON body names, without keeping the parsed body.
pub(crate) fn event_in(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Names {
        business_event: Option<serde_json::Value>,
        event: Option<serde_json::Value>,
    }
    let names: Names = serde_json::from_slice(body).ok()?;
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    text(names.business_event).or_else(|| text(names.event))
}

pub(crate) fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_passcode_is_never_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            PASSCODE_HEADER,
            axum::http::HeaderValue::from_static("XXXXXX"),
        );
        let entry = Entry::new(Kind::Rejection { fault: false }, &headers);
        assert!(!entry.headers.contains("XXXXXX"), "{}", entry.headers);
        assert!(entry.headers.contains("[redacted]"));
    }
}
