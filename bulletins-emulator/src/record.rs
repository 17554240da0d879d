//! What the emulator remembers: the bulletins it received and the requests it refused.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::lock;

/// How many of the newest bulletins [`Log::acknowledge`] scans before searching the rest.
const RECENT: usize = 64;

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
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Accepted => "accepted",
            DeliveryStatus::ReceivedNotAcknowledged => "received_not_acknowledged",
        }
    }
}

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
    pub(crate) fn new(status: DeliveryStatus, account: String, payload: Value) -> Self {
        let text = |key: &str| payload.get(key).and_then(Value::as_str).map(str::to_owned);
        Self {
            id: 0,
            status,
            account,
            received_at: SystemTime::now(),
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

fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[derive(Debug, Default)]
struct Entries {
    next_id: u64,
    bulletins: Vec<Recorded>,
    rejections: Vec<Rejection>,
}

/// The emulator's memory, shared by the connections and the `Emulator`.
#[derive(Debug, Default)]
pub(crate) struct Log {
    entries: Mutex<Entries>,
}

impl Log {
    /// Records a bulletin and returns its id.
    pub(crate) fn bulletin(&self, mut recorded: Recorded) -> u64 {
        let mut entries = lock(&self.entries);
        entries.next_id += 1;
        let id = entries.next_id;
        recorded.id = id;
        entries.bulletins.push(recorded);
        id
    }

    /// Marks a recorded bulletin as accepted (if it was not cleared meanwhile).
    pub(crate) fn acknowledge(&self, id: u64) {
        let mut entries = lock(&self.entries);
        let bulletins = &mut entries.bulletins;
        // The bulletin answered was pushed moments ago: at most the requests in flight since
        // came after it, so look among the newest first, in cache-warm memory. Ids are handed
        // out in increasing order as bulletins are pushed, so the log is sorted by id and a
        // binary search bounds the rest (a linear scan made throughput fall tenfold once 100k
        // bulletins were held; the binary search's cold reads were the top cost in a profile).
        let newest = bulletins.len().saturating_sub(RECENT);
        let index = bulletins[newest..]
            .iter()
            .rposition(|r| r.id == id)
            .map(|at| newest + at)
            .or_else(|| bulletins.binary_search_by_key(&id, |r| r.id).ok());
        if let Some(index) = index {
            bulletins[index].status = DeliveryStatus::Accepted;
        }
    }

    pub(crate) fn rejection(&self, mut rejection: Rejection) {
        let mut entries = lock(&self.entries);
        entries.next_id += 1;
        rejection.id = entries.next_id;
        entries.rejections.push(rejection);
    }

    pub(crate) fn bulletins(&self) -> Vec<Recorded> {
        lock(&self.entries).bulletins.clone()
    }

    pub(crate) fn rejections(&self) -> Vec<Rejection> {
        lock(&self.entries).rejections.clone()
    }

    pub(crate) fn clear_bulletins(&self) {
        lock(&self.entries).bulletins.clear();
    }

    pub(crate) fn clear_rejections(&self) {
        lock(&self.entries).rejections.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledge_finds_the_newest_and_the_oldest() {
        let log = Log::default();
        let ids: Vec<u64> = (0..RECENT * 3)
            .map(|_| {
                log.bulletin(Recorded::new(
                    DeliveryStatus::ReceivedNotAcknowledged,
                    "a".to_owned(),
                    Value::Null,
                ))
            })
            .collect();
        let (first, last) = (ids[0], ids[ids.len() - 1]);
        log.acknowledge(last);
        log.acknowledge(first);
        log.acknowledge(u64::MAX); // unknown (cleared meanwhile): ignored
        let accepted: Vec<u64> = log
            .bulletins()
            .iter()
            .filter(|r| r.status == DeliveryStatus::Accepted)
            .map(|r| r.id)
            .collect();
        assert_eq!(accepted, [first, last]);
    }
}
