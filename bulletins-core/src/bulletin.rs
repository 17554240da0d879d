//! A bulletin: one business event raised with its bulletin name, creator and time.

use std::borrow::Cow;
use std::fmt;

use crate::error::BuildError;
use crate::event::BusinessEvent;
use crate::limits::check_key;
use crate::payload::Payload;
use crate::writer::{write_json_string, PropertyWriter};

/// When the business event happened: CleverTap's `when` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum When {
    /// Now, as CleverTap's servers see it: sent as `"now"`.
    #[default]
    Now,
    /// A UNIX timestamp in seconds: sent as a JSON integer. Must be positive.
    Unix(i64),
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Now => f.write_str("now"),
            When::Unix(seconds) => write!(f, "{seconds}"),
        }
    }
}

/// One business event to raise: the event, the bulletin's name, its creator (`c-by`) and
/// [`When`] it happened.
///
/// The name and creator are borrowed when given as `&str` and owned when given as `String`
/// (`'a` is how long a borrowed one lives), so raising a bulletin from borrowed data — an event
/// whose fields are `&str` too — allocates nothing. [`Bulletin::into_owned`] detaches one from
/// the data it borrows.
///
/// ```
/// use bulletins_core::{Bulletin, DynamicEvent, When};
///
/// let event = DynamicEvent::new("order_placed")?.property("order_id", "12345")?;
/// let bulletin = Bulletin::new(event, "Order 12345", "[email protected]").when(When::Unix(1724123456));
/// assert_eq!(
///     bulletin.to_json_vec()?,
///     br#"{"business_event":"order_placed","name":"Order 12345","properties":{"order_id":"12345"},"c-by":"[email protected]","when":1724123456}"#
/// );
/// # Ok::<(), bulletins_core::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulletin<'a, E> {
    event: E,
    name: Cow<'a, str>,
    created_by: Cow<'a, str>,
    when: When,
}

impl<'a, E: BusinessEvent> Bulletin<'a, E> {
    /// A bulletin for `event`, named `name` (CleverTap's `name`), created by `created_by`
    /// (CleverTap's `c-by`), happening [`When::Now`]. Each of the two strings may be borrowed
    /// (`&str`) or owned (`String`); a borrowed one is not copied.
    pub fn new(
        event: E,
        name: impl Into<Cow<'a, str>>,
        created_by: impl Into<Cow<'a, str>>,
    ) -> Self {
        Self {
            event,
            name: name.into(),
            created_by: created_by.into(),
            when: When::Now,
        }
    }

    /// The same bulletin owning its name and creator, so it can outlive the data they were
    /// borrowed from (to be sent from a spawned task, say). The event is kept as it is.
    pub fn into_owned(self) -> Bulletin<'static, E> {
        Bulletin {
            event: self.event,
            name: Cow::Owned(self.name.into_owned()),
            created_by: Cow::Owned(self.created_by.into_owned()),
            when: self.when,
        }
    }

    /// Sets when the event happened.
    #[must_use]
    pub fn when(mut self, when: When) -> Self {
        self.when = when;
        self
    }

    /// The business event.
    pub fn event(&self) -> &E {
        &self.event
    }

    /// The bulletin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bulletin's creator, sent as `c-by`.
    pub fn created_by(&self) -> &str {
        &self.created_by
    }

    /// When the event happened.
    pub fn when_value(&self) -> When {
        self.when
    }

    /// Validates the bulletin, then returns its JSON payload.
    ///
    /// # Errors
    /// The first rule the bulletin breaks; see [`BuildError`].
    pub fn to_json_vec(&self) -> Result<Vec<u8>, BuildError> {
        let mut out = Vec::with_capacity(256);
        self.write_json(&mut out)?;
        Ok(out)
    }

    /// Validates and serializes the bulletin into a [`Payload`]: the bytes
    /// [`to_json_vec`](Self::to_json_vec) returns, with the event's name.
    ///
    /// # Errors
    /// The first rule the bulletin breaks; see [`BuildError`].
    pub fn to_payload(&self) -> Result<Payload, BuildError> {
        let bytes = self.to_json_vec()?;
        Ok(Payload::checked(bytes, self.event.event_name().to_owned()))
    }

    /// Validates the bulletin, then appends its JSON payload to `out` — a buffer you can reuse
    /// across bulletins (`out.clear()` between them) so that serializing allocates nothing once
    /// the buffer has grown.
    ///
    /// The payload is compact JSON with the keys `business_event`, `name`, `properties`, `c-by`,
    /// `when` in that order and the properties in declaration order.
    ///
    /// # Errors
    /// The first rule the bulletin breaks; see [`BuildError`]. On error `out` is left exactly as
    /// it was.
    pub fn write_json(&self, out: &mut Vec<u8>) -> Result<(), BuildError> {
        self.check_fields()?;
        let rollback = out.len();
        let written = self.write_unchecked(out);
        if written.is_err() {
            out.truncate(rollback);
        }
        written
    }

    fn check_fields(&self) -> Result<(), BuildError> {
        let event_name = self.event.event_name();
        check_key(event_name).map_err(|problem| BuildError::InvalidEventName {
            name: event_name.to_owned(),
            problem,
        })?;
        // Blank (empty or only whitespace) counts as missing: CleverTap requires both, and the
        // README's rule, which the emulator applies too, is "not blank".
        if self.name.trim().is_empty() {
            return Err(BuildError::EmptyName);
        }
        if self.created_by.trim().is_empty() {
            return Err(BuildError::EmptyCreatedBy);
        }
        if let When::Unix(timestamp) = self.when {
            if timestamp <= 0 {
                return Err(BuildError::InvalidWhen { timestamp });
            }
        }
        Ok(())
    }

    fn write_unchecked(&self, out: &mut Vec<u8>) -> Result<(), BuildError> {
        out.extend_from_slice(b"{\"business_event\":");
        write_json_string(out, self.event.event_name());
        out.extend_from_slice(b",\"name\":");
        write_json_string(out, &self.name);
        out.extend_from_slice(b",\"properties\":{");
        self.event.write_properties(&mut PropertyWriter::new(out))?;
        out.extend_from_slice(b"},\"c-by\":");
        write_json_string(out, &self.created_by);
        out.extend_from_slice(b",\"when\":");
        match self.when {
            When::Now => out.extend_from_slice(b"\"now\""),
            When::Unix(seconds) => write_integer(out, seconds),
        }
        out.push(b'}');
        Ok(())
    }
}

fn write_integer(out: &mut Vec<u8>, value: i64) {
    // i64::MIN has 20 characters; format into a stack buffer to avoid allocating.
    let mut digits = [0u8; 20];
    let mut n = value.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PropertyWriter;

    struct Hand(&'static str, &'static [(&'static str, &'static str)]);

    impl BusinessEvent for Hand {
        fn event_name(&self) -> &str {
            self.0
        }
        fn write_properties(&self, w: &mut PropertyWriter<'_>) -> Result<(), BuildError> {
            self.1.iter().try_for_each(|(k, v)| w.string(k, v))
        }
    }

    const DOCUMENTED: &str = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#;

    fn documented() -> Bulletin<'static, Hand> {
        Bulletin::new(
            Hand(
                "Program Released",
                &[
                    ("program_id", "234567"),
                    ("language", "Hindi"),
                    ("prev_program_id", "123457"),
                ],
            ),
            "Sa Re Ga Ma episode 12",
            "[email protected]",
        )
    }

    #[test]
    fn documented_example_byte_for_byte() {
        let bytes = documented().to_json_vec().expect("valid");
        assert_eq!(std::str::from_utf8(&bytes).expect("utf8"), DOCUMENTED);
    }

    #[test]
    fn documented_example_matches_the_page_as_json() {
        // The page's example payload, parsed: the same document as ours.
        let page: serde_json::Value = serde_json::from_str(
            r#"{
            "business_event": "Program Released",
            "name": "Sa Re Ga Ma episode 12",
            "properties": { "program_id": "234567", "language": "Hindi", "prev_program_id": "123457" },
            "c-by": "[email protected]",
            "when": "now"
        }"#,
        )
        .expect("page JSON");
        let ours: serde_json::Value =
            serde_json::from_slice(&documented().to_json_vec().expect("valid")).expect("our JSON");
        assert_eq!(ours, page);
    }

    #[test]
    fn when_unix_is_an_integer_and_must_be_positive() {
        let b = documented().when(When::Unix(1724123456));
        assert!(std::str::from_utf8(&b.to_json_vec().expect("valid"))
            .expect("utf8")
            .ends_with(r#""when":1724123456}"#));
        assert_eq!(
            documented().when(When::Unix(0)).to_json_vec(),
            Err(BuildError::InvalidWhen { timestamp: 0 })
        );
        assert_eq!(
            documented().when(When::Unix(-5)).to_json_vec(),
            Err(BuildError::InvalidWhen { timestamp: -5 })
        );
        assert!(documented().when(When::Unix(1)).to_json_vec().is_ok());
        assert!(documented()
            .when(When::Unix(i64::MAX))
            .to_json_vec()
            .is_ok());
    }

    #[test]
    fn integers_are_written_exactly() {
        for n in [1i64, 9, 10, 1724123456, i64::MAX, -1, i64::MIN] {
            let mut out = Vec::new();
            write_integer(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn empty_name_and_creator_are_refused() {
        let e = || Hand("e", &[]);
        assert_eq!(
            Bulletin::new(e(), "", "c").to_json_vec(),
            Err(BuildError::EmptyName)
        );
        assert_eq!(
            Bulletin::new(e(), "n", "").to_json_vec(),
            Err(BuildError::EmptyCreatedBy)
        );
    }

    #[test]
    fn blank_name_and_creator_are_refused_padded_ones_are_not() {
        let e = || Hand("e", &[]);
        for blank in [" ", "\t\n", "\u{3000}", "\u{a0}"] {
            assert_eq!(
                Bulletin::new(e(), blank, "c").to_json_vec(),
                Err(BuildError::EmptyName),
                "{blank:?}"
            );
            assert_eq!(
                Bulletin::new(e(), "n", blank).to_json_vec(),
                Err(BuildError::EmptyCreatedBy),
                "{blank:?}"
            );
        }
        for kept in [" n ", "\u{200b}"] {
            assert!(
                Bulletin::new(e(), kept, kept).to_json_vec().is_ok(),
                "{kept:?}"
            );
        }
    }

    #[test]
    fn hand_written_events_are_checked_at_run_time() {
        let long = "n".repeat(121);
        let leaked: &'static str = Box::leak(long.into_boxed_str());
        assert!(matches!(
            Bulletin::new(Hand(leaked, &[]), "n", "c").to_json_vec(),
            Err(BuildError::InvalidEventName { .. })
        ));
        assert!(matches!(
            Bulletin::new(Hand("e", &[("bad\nkey", "v")]), "n", "c").to_json_vec(),
            Err(BuildError::InvalidPropertyKey { .. })
        ));
    }

    #[test]
    fn a_failed_write_leaves_the_buffer_untouched() {
        let big: &'static str = Box::leak("x".repeat(513).into_boxed_str());
        let pairs: &'static [(&str, &str)] = Box::leak(Box::new([("ok", "1"), ("big", big)]));
        let mut out = b"previous".to_vec();
        let err = Bulletin::new(Hand("e", pairs), "n", "c")
            .write_json(&mut out)
            .expect_err("too long");
        assert_eq!(
            err,
            BuildError::ValueTooLong {
                property: "big".into(),
                len: 513,
                max: 512
            }
        );
        assert_eq!(out, b"previous");
    }

    #[test]
    fn the_buffer_is_appended_to() {
        let mut out = Vec::new();
        documented().write_json(&mut out).expect("valid");
        let first = out.len();
        documented().write_json(&mut out).expect("valid");
        assert_eq!(out.len(), 2 * first);
    }

    #[test]
    fn borrowed_strings_are_not_copied_until_into_owned() {
        let data = (
            String::from("Order 12345"),
            String::from("[email protected]"),
        );
        let bulletin = Bulletin::new(Hand("e", &[]), data.0.as_str(), data.1.as_str());
        assert!(std::ptr::eq(bulletin.name().as_ptr(), data.0.as_ptr()));
        assert!(std::ptr::eq(
            bulletin.created_by().as_ptr(),
            data.1.as_ptr()
        ));
        let owned: Bulletin<'static, Hand> = bulletin.into_owned();
        drop(data);
        assert_eq!(
            (owned.name(), owned.created_by()),
            ("Order 12345", "[email protected]")
        );
        assert_eq!(owned.to_json_vec().ok(), Some(br#"{"business_event":"e","name":"Order 12345","properties":{},"c-by":"[email protected]","when":"now"}"#.to_vec()));
    }
}
