//! Test assertions on what the emulator received: the expected event or bulletin against every
//! received bulletin, and a diff of the closest one when none matches (pretty_assertions'
//! `- expected` / `+ received` lines, per field and per property). The methods that call these
//! are [`Emulator::assert_received`](crate::Emulator::assert_received),
//! [`Emulator::assert_received_bulletin`](crate::Emulator::assert_received_bulletin) and
//! [`Emulator::wait_for_bulletins`](crate::Emulator::wait_for_bulletins).
//!
//! The diff is written here rather than with `similar` or `pretty_assertions`: a bulletin is a
//! few fields and a flat map of at most a few dozen string properties, compared key by key, so a
//! line-diff algorithm (and its dependency) would add nothing a loop over the keys does not say.

use std::fmt::{self, Write as _};
use std::time::Duration;

use bulletins_core::{Bulletin, BusinessEvent, When};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::record::{Recorded, Rejection};

/// How many received bulletins, and how many rejections, a message lists (the newest).
pub(crate) const LISTED: usize = 10;

/// What a test expects: the fields compared, then the properties, in the payload's order.
#[derive(Debug)]
pub(crate) struct Expected {
    /// The business event's name.
    event: String,
    /// `business_event`, then `name`, `c-by` and `when` when they are compared.
    fields: Vec<(&'static str, Value)>,
    /// Every property, in the order the event writes them.
    properties: Vec<(String, Value)>,
}

impl Expected {
    /// An event: its name and its properties.
    pub(crate) fn event<E: BusinessEvent + ?Sized>(event: &E) -> Result<Self, String> {
        // The name and creator are placeholders; only the event's part of the payload is kept.
        let json = Bulletin::new(event, "-", "-")
            .to_json_vec()
            .map_err(|error| format!("the expected event cannot be sent: {error}"))?;
        let sent = Sent::parse(&json)?;
        Ok(Self {
            fields: vec![("business_event", Value::String(sent.business_event.clone()))],
            event: sent.business_event,
            properties: sent.properties.0,
        })
    }

    /// A whole bulletin: the event, `name`, `c-by`, and `when` unless it is the default
    /// [`When::Now`].
    pub(crate) fn bulletin<E: BusinessEvent>(bulletin: &Bulletin<'_, E>) -> Result<Self, String> {
        let json = bulletin
            .to_json_vec()
            .map_err(|error| format!("the expected bulletin cannot be sent: {error}"))?;
        let sent = Sent::parse(&json)?;
        let mut fields = vec![
            ("business_event", Value::String(sent.business_event.clone())),
            ("name", Value::String(sent.name)),
            ("c-by", Value::String(sent.c_by)),
        ];
        if bulletin.when_value() != When::Now {
            fields.push(("when", sent.when));
        }
        Ok(Self {
            event: sent.business_event,
            fields,
            properties: sent.properties.0,
        })
    }
}

/// The payload `bulletins-core` writes, with the properties kept in their order.
#[derive(Deserialize)]
struct Sent {
    business_event: String,
    name: String,
    #[serde(rename = "c-by")]
    c_by: String,
    when: Value,
    properties: Ordered,
}

impl Sent {
    fn parse(json: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(json).map_err(|error| {
            format!("bulletins-core wrote a payload the emulator cannot read: {error}")
        })
    }
}

/// A JSON object's entries in the order written (`serde_json::Map` sorts them unless a crate
/// in the build turns on `preserve_order`).
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor;
        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor)
    }
}

/// One line of a diff.
#[derive(Debug, PartialEq)]
enum Line {
    Same(Value),
    Differs { expected: Value, received: Value },
    Missing(Value),
    Extra(Value),
}

/// A compared field or property.
#[derive(Debug)]
struct Row {
    key: String,
    property: bool,
    line: Line,
}

/// Compares `expected` with one received bulletin: its fields, its properties in the expected
/// order, then the received properties not expected, by key.
fn compare(expected: &Expected, received: &Recorded) -> Vec<Row> {
    let mut rows = Vec::new();
    for (key, value) in &expected.fields {
        let got = match *key {
            "business_event" => received.business_event.clone().map(Value::String),
            _ => received.payload.get(*key).cloned(),
        };
        rows.push(Row {
            key: (*key).to_owned(),
            property: false,
            line: line(value, got),
        });
    }
    for (key, value) in &expected.properties {
        rows.push(Row {
            key: key.clone(),
            property: true,
            line: line(value, received.properties.get(key).cloned()),
        });
    }
    let mut extra: Vec<(&String, &Value)> = received
        .properties
        .iter()
        .filter(|(key, _)| !expected.properties.iter().any(|(k, _)| k == *key))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in extra {
        rows.push(Row {
            key: key.clone(),
            property: true,
            line: Line::Extra(value.clone()),
        });
    }
    rows
}

fn line(expected: &Value, received: Option<Value>) -> Line {
    match received {
        Some(received) if &received == expected => Line::Same(received),
        Some(received) => Line::Differs {
            expected: expected.clone(),
            received,
        },
        None => Line::Missing(expected.clone()),
    }
}

fn differences(rows: &[Row]) -> usize {
    rows.iter()
        .filter(|row| !matches!(row.line, Line::Same(_)))
        .count()
}

/// The oldest received bulletin that matches `expected`, or the message saying why none does
/// (which lists the `rejections` too).
pub(crate) fn find(
    expected: &Expected,
    bulletins: &[Recorded],
    rejections: impl FnOnce() -> Vec<Rejection>,
) -> Result<usize, String> {
    let same_event: Vec<(usize, Vec<Row>)> = bulletins
        .iter()
        .enumerate()
        .filter(|(_, received)| received.business_event.as_deref() == Some(&expected.event))
        .map(|(index, received)| (index, compare(expected, received)))
        .collect();
    if let Some((index, _)) = same_event.iter().find(|(_, rows)| differences(rows) == 0) {
        return Ok(*index);
    }
    let mut message = format!(
        "assertion failed: no bulletin received matches the expected `{}`\n",
        expected.event
    );
    // The closest: the fewest differences; the newest of those.
    match same_event
        .iter()
        .rev()
        .min_by_key(|(_, rows)| differences(rows))
    {
        Some((index, rows)) => {
            let received = &bulletins[*index];
            let _ = writeln!(
                message,
                "closest: #{} ({}): {}",
                received.id,
                received.status.as_str(),
                summary(rows)
            );
            message.push_str("- expected\n+ received\n");
            write_rows(&mut message, rows);
        }
        None => {
            let why = match bulletins.len() {
                0 => "no bulletin was received".to_owned(),
                _ => format!("no `{}` was received, only other events", expected.event),
            };
            let _ = writeln!(message, "{why}; expected:");
            write_rows(&mut message, &expected_rows(expected));
        }
    }
    write_received(&mut message, bulletins, &rejections());
    Err(message.trim_end().to_owned())
}

/// `property `quantity` differs, property `gift_wrap` is missing, ...`.
fn summary(rows: &[Row]) -> String {
    rows.iter()
        .filter_map(|row| {
            let what = match row.line {
                Line::Same(_) => return None,
                Line::Differs { .. } => "differs",
                Line::Missing(_) => "is missing",
                Line::Extra(_) => "is extra",
            };
            let kind = if row.property { "property " } else { "" };
            Some(format!("{kind}`{}` {what}", row.key.escape_debug()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The expected fields and properties alone, as rows without differences.
fn expected_rows(expected: &Expected) -> Vec<Row> {
    let fields = expected
        .fields
        .iter()
        .map(|(key, value)| ((*key).to_owned(), false, value));
    let properties = expected
        .properties
        .iter()
        .map(|(key, value)| (key.clone(), true, value));
    fields
        .chain(properties)
        .map(|(key, property, value)| Row {
            key,
            property,
            line: Line::Same(value.clone()),
        })
        .collect()
}

/// The diff's lines: `  ` same, `- ` expected, `+ ` received; properties under `properties:`.
fn write_rows(out: &mut String, rows: &[Row]) {
    let mut in_properties = false;
    for row in rows {
        if row.property && !in_properties {
            out.push_str("  properties:\n");
            in_properties = true;
        }
        let indent = if row.property { "  " } else { "" };
        let key = row.key.escape_debug();
        let mut put = |marker: &str, value: &Value| {
            let _ = writeln!(out, "{marker} {indent}{key}: {value}");
        };
        match &row.line {
            Line::Same(value) => put(" ", value),
            Line::Differs { expected, received } => {
                put("-", expected);
                put("+", received);
            }
            Line::Missing(value) => put("-", value),
            Line::Extra(value) => put("+", value),
        }
    }
    if !in_properties {
        out.push_str("  properties: {}\n");
    }
}

/// The newest received bulletins and rejections, one line each.
pub(crate) fn write_received(out: &mut String, bulletins: &[Recorded], rejections: &[Rejection]) {
    write_list(out, bulletins, "bulletin", "received", describe_bulletin);
    write_list(out, rejections, "request", "refused", describe_rejection);
}

fn write_list<T>(
    out: &mut String,
    items: &[T],
    noun: &str,
    verb: &str,
    describe: impl Fn(&T) -> String,
) {
    if items.is_empty() {
        return;
    }
    let shown = &items[items.len().saturating_sub(LISTED)..];
    let _ = if shown.len() == items.len() {
        writeln!(out, "{} {verb}, oldest first:", count(items.len(), noun))
    } else {
        writeln!(
            out,
            "{} {verb}; the newest {}, oldest first:",
            count(items.len(), noun),
            shown.len()
        )
    };
    for item in shown {
        let _ = writeln!(out, "  {}", describe(item));
    }
}

/// `#2 accepted `order_placed` "New order" {coupon_code: "SAVE10", order_id: "12345"}`.
fn describe_bulletin(bulletin: &Recorded) -> String {
    let mut line = format!("#{} {}", bulletin.id, bulletin.status.as_str());
    if !bulletin.payload.is_object() {
        line.push_str(" (the body is not a JSON object)");
        return line;
    }
    match &bulletin.business_event {
        Some(event) => {
            let _ = write!(line, " `{}`", event.escape_debug());
        }
        None => line.push_str(" (no business_event)"),
    }
    if let Some(name) = bulletin.payload.get("name") {
        let _ = write!(line, " {name}");
    }
    let mut properties: Vec<(&String, &Value)> = bulletin.properties.iter().collect();
    properties.sort_by(|a, b| a.0.cmp(b.0));
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{}: {value}", key.escape_debug()))
        .collect();
    let _ = write!(line, " {{{}}}", properties.join(", "));
    line
}

/// `#3 400 `order_placed`: Property order_id missing`.
fn describe_rejection(rejection: &Rejection) -> String {
    let status = rejection
        .status
        .map_or_else(|| "closed".to_owned(), |status| status.to_string());
    let fault = if rejection.fault { " (fault)" } else { "" };
    let event = rejection
        .business_event
        .as_deref()
        .map(|event| format!(" `{}`", event.escape_debug()))
        .unwrap_or_default();
    format!(
        "#{} {status}{fault}{event}: {}",
        rejection.id, rejection.error
    )
}

/// `1 bulletin`, `2 bulletins`.
fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// [`Emulator::wait_for_bulletins`](crate::Emulator::wait_for_bulletins) gave up: fewer
/// bulletins than awaited were received in time.
///
/// Its message lists what was received and refused, so a test that ends with `?` or
/// `.unwrap()` says why: its `Debug` is its message.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct TimedOut {
    /// How many bulletins were awaited.
    pub awaited: usize,
    /// How long the wait lasted.
    pub timeout: Duration,
    /// The bulletins received when the wait ended, oldest first.
    pub received: Vec<Recorded>,
    /// The requests refused when the wait ended, oldest first.
    pub refused: Vec<Rejection>,
}

impl TimedOut {
    pub(crate) fn new(
        awaited: usize,
        timeout: Duration,
        received: Vec<Recorded>,
        refused: Vec<Rejection>,
    ) -> Self {
        Self {
            awaited,
            timeout,
            received,
            refused,
        }
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut message = format!(
            "timed out after {:?} waiting for {}; {} received",
            self.timeout,
            count(self.awaited, "bulletin"),
            self.received.len()
        );
        if !self.received.is_empty() || !self.refused.is_empty() {
            message.push('\n');
            write_received(&mut message, &self.received, &self.refused);
        }
        f.write_str(message.trim_end())
    }
}

impl fmt::Debug for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for TimedOut {}
