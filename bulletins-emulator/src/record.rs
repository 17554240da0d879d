//! What the emulator remembers: the bulletins it received and the requests it refused.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::entry::{unix_millis, DeliveryStatus, Entry, Kind};

/// One bulletin the emulator received.
///
/// Over HTTP (`GET /_emulator/bulletins`) it is
/// `{"id":1,"status":"accepted","account":"...","received_at_ms":...,"business_event":"...",
/// "name":"...","c_by":"...","when":"now","properties":{...},"payload":{...}}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Recorded {
    /// Position among everything the emulator recorded (bulletins and rejections), from 1.
    pub id: u64,
    /// Accepted, or received but not acknowledged.
    pub status: DeliveryStatus,
    /// The `X-CleverTap-Account-Id` it came with.
    pub account: String,
    /// When the emulator received it.
    pub received_at: SystemTime,
    /// The request body as parsed; a JSON string of the raw text when it was not JSON (only
    /// possible for faults that read the body).
    pub payload: Value,
    /// `business_event` (or `event`) from the payload.
    pub business_event: Option<String>,
    /// `name` from the payload.
    pub name: Option<String>,
    /// `c-by` from the payload.
    pub c_by: Option<String>,
    /// `when` from the payload, as sent.
    pub when: Option<Value>,
    /// `properties` from the payload (declared or not), empty when absent.
    pub properties: Map<String, Value>,
}

impl Recorded {
    /// The bulletin a recorded entry holds, parsed from its raw body.
    pub(crate) fn from_entry(entry: &Entry) -> Self {
        let status = match entry.kind {
            Kind::Bulletin(status) => status,
            Kind::Rejection { .. } => DeliveryStatus::ReceivedNotAcknowledged,
        };
        let payload = payload_of(entry);
        let text = |key: &str| payload.get(key).and_then(Value::as_str).map(str::to_owned);
        Self {
            id: entry.id,
            status,
            account: entry.account.as_deref().unwrap_or_default().to_owned(),
            received_at: UNIX_EPOCH + Duration::from_millis(entry.received_at_ms),
            business_event: text("business_event").or_else(|| text("event")),
            name: text("name"),
            c_by: text("c-by"),
            when: payload.get("when").cloned(),
            properties: payload
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            payload,
        }
    }

    /// A property's value, when it is a string.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_str)
    }

    /// Whether the bulletin was accepted.
    pub fn is_accepted(&self) -> bool {
        self.status == DeliveryStatus::Accepted
    }
}

impl Serialize for Recorded {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Recorded", 10)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("status", self.status.as_str())?;
        st.serialize_field("account", &self.account)?;
        st.serialize_field("received_at_ms", &unix_millis(self.received_at))?;
        st.serialize_field("business_event", &self.business_event)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("c_by", &self.c_by)?;
        st.serialize_field("when", &self.when)?;
        st.serialize_field("properties", &self.properties)?;
        st.serialize_field("payload", &self.payload)?;
        st.end()
    }
}

/// One trigger request the emulator refused, or answered with a fault without reading it.
///
/// Over HTTP (`GET /_emulator/rejections`) it is
/// `{"id":2,"account":"...","business_event":"...","status":400,"code":400,"error":"...",
/// "fault":false,"received_at_ms":...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// Position among everything the emulator recorded (bulletins and rejections), from 1.
    pub id: u64,
    /// The `X-CleverTap-Account-Id` header, if any.
    pub account: Option<String>,
    /// The business event named in the body, if the body was read and named one.
    pub business_event: Option<String>,
    /// The HTTP status answered; `None` when the connection was closed without an answer.
    pub status: Option<u16>,
    /// The `code` of the failure body, when it had one.
    pub code: Option<i64>,
    /// The `error` message answered (or what the fault did).
    pub error: String,
    /// Whether an injected [`Fault`](crate::Fault) produced it.
    pub fault: bool,
    /// When the emulator received the request.
    pub received_at: SystemTime,
}

impl Serialize for Rejection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Rejection", 8)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("account", &self.account)?;
        st.serialize_field("business_event", &self.business_event)?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("error", &self.error)?;
        st.serialize_field("fault", &self.fault)?;
        st.serialize_field("received_at_ms", &unix_millis(self.received_at))?;
        st.end()
    }
}

impl Rejection {
    /// The rejection a recorded entry holds.
    pub(crate) fn from_entry(entry: &Entry) -> Self {
        Self {
            id: entry.id,
            account: entry.account.as_deref().map(str::to_owned),
            business_event: entry.event.as_deref().map(str::to_owned),
            status: entry.status,
            code: entry.code,
            error: entry.error.as_deref().unwrap_or_default().to_owned(),
            fault: matches!(entry.kind, Kind::Rejection { fault: true }),
            received_at: UNIX_EPOCH + Duration::from_millis(entry.received_at_ms),
        }
    }
}

/// The body as JSON; a JSON string of the raw text when it is not JSON.
pub(crate) fn payload_of(entry: &Entry) -> Value {
    let body = entry.body.as_deref().unwrap_or_default();
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}
