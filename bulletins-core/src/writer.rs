//! Compact JSON written straight into the caller's buffer: no map, no `serde_json::Value`.

use std::fmt::{self, Write as _};

use crate::error::BuildError;
use crate::limits::{check_key, MAX_VALUE_BYTES};

/// Writes an event's properties into the payload's `properties` object.
///
/// [`BusinessEvent::write_properties`](crate::BusinessEvent::write_properties) receives one.
/// Each call appends one `"key":"value"` pair, checked against CleverTap's limits first.
#[derive(Debug)]
pub struct PropertyWriter<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> PropertyWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, empty: true }
    }

    /// Appends a string property.
    ///
    /// # Errors
    /// [`BuildError::InvalidPropertyKey`] if `key` breaks the key rules;
    /// [`BuildError::ValueTooLong`] if `value` is over 512 bytes.
    pub fn string(&mut self, key: &str, value: &str) -> Result<(), BuildError> {
        checked_key(key)?;
        self.string_with_trusted_key(key, value)
    }

    /// Appends a property sent as the `Display` text of `value` (numbers, dates, enums).
    ///
    /// The text is formatted straight into the payload; nothing is allocated for it.
    ///
    /// # Errors
    /// As [`Self::string`], and [`BuildError::DisplayFailed`] if the `Display` implementation
    /// fails.
    pub fn display<T: fmt::Display + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), BuildError> {
        checked_key(key)?;
        self.display_with_trusted_key(key, value)
    }

    /// As [`Self::string`], for keys already checked (by the derive, at compile time).
    pub(crate) fn string_with_trusted_key(
        &mut self,
        key: &str,
        value: &str,
    ) -> Result<(), BuildError> {
        if value.len() > MAX_VALUE_BYTES {
            return Err(BuildError::value_too_long(key, value.len()));
        }
        self.key(key);
        write_json_string(self.out, value);
        Ok(())
    }

    pub(crate) fn display_with_trusted_key<T: fmt::Display + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), BuildError> {
        let rollback = self.out.len();
        let was_empty = self.empty;
        self.key(key);
        self.out.push(b'"');
        let mut sink = EscapingSink {
            out: self.out,
            raw_len: 0,
        };
        let formatted = write!(sink, "{value}");
        let raw_len = sink.raw_len;
        if formatted.is_err() || raw_len > MAX_VALUE_BYTES {
            self.out.truncate(rollback);
            self.empty = was_empty;
            return Err(if formatted.is_err() {
                BuildError::DisplayFailed {
                    property: key.to_owned(),
                }
            } else {
                BuildError::value_too_long(key, raw_len)
            });
        }
        self.out.push(b'"');
        Ok(())
    }

    fn key(&mut self, key: &str) {
        if !std::mem::replace(&mut self.empty, false) {
            self.out.push(b',');
        }
        write_json_string(self.out, key);
        self.out.push(b':');
    }
}

fn checked_key(key: &str) -> Result<(), BuildError> {
    check_key(key).map_err(|problem| BuildError::InvalidPropertyKey {
        key: key.to_owned(),
        problem,
    })
}

/// Escapes `Display` output into the buffer while counting its unescaped bytes. Past the limit
/// it keeps counting, so the error can say how long the value was, but stops writing.
struct EscapingSink<'a> {
    out: &'a mut Vec<u8>,
    raw_len: usize,
}

impl fmt::Write for EscapingSink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.raw_len = self.raw_len.saturating_add(s.len());
        if self.raw_len <= MAX_VALUE_BYTES {
            write_escaped(self.out, s);
        }
        Ok(())
    }
}

/// Writes `s` as a JSON string, quotes included.
pub(crate) fn write_json_string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_escaped(out, s);
    out.push(b'"');
}

// What each byte becomes inside a JSON string: 0 = itself, `u` = \u00XX, else a two-byte escape.
const UU: u8 = b'u';
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = UU;
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes the inside of a JSON string. Multi-byte UTF-8 never matches the table (all its bytes
/// are >= 0x80), so it is copied through unchanged, as RFC 8259 allows.
fn write_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[byte as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == UU {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> String {
        let mut out = Vec::new();
        write_json_string(&mut out, s);
        String::from_utf8(out).expect("escaped output is UTF-8")
    }

    #[test]
    fn escapes_what_json_requires_and_nothing_else() {
        assert_eq!(json("plain"), r#""plain""#);
        assert_eq!(json("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(json("\u{0}\u{1f}"), r#""\u0000\u001f""#);
        assert_eq!(json("héllo 😀 \u{2028}"), "\"héllo 😀 \u{2028}\"");
    }

    #[test]
    fn escaped_strings_parse_back_with_serde_json() {
        let nasty = "q\"b\\s/\u{0}\u{7f}\u{1b}[0m😀\r\n";
        let back: String = serde_json::from_str(&json(nasty)).expect("valid JSON");
        assert_eq!(back, nasty);
    }

    #[test]
    fn value_limit_is_512_bytes_not_characters() {
        let mut out = Vec::new();
        let mut w = PropertyWriter::new(&mut out);
        assert!(w.string("k", &"a".repeat(512)).is_ok());
        assert_eq!(
            w.string("k", &"a".repeat(513)),
            Err(BuildError::ValueTooLong {
                property: "k".into(),
                len: 513,
                max: 512
            })
        );
        // 170 two-byte characters and one more byte: 341 characters but 341 bytes is fine...
        assert!(w.string("k", &"é".repeat(256)).is_ok()); // 512 bytes
                                                          // ...while 256 'é' and one 'a' is 513 bytes.
        let over = format!("{}a", "é".repeat(256));
        assert!(matches!(
            w.string("k", &over),
            Err(BuildError::ValueTooLong { len: 513, .. })
        ));
    }

    #[test]
    fn display_values_are_checked_and_rolled_back() {
        let mut out = Vec::new();
        let mut w = PropertyWriter::new(&mut out);
        w.display("n", &3u32).expect("small value");
        let long = "x".repeat(513);
        assert!(matches!(
            w.display("big", &long),
            Err(BuildError::ValueTooLong { len: 513, .. })
        ));
        w.display("q", &"a\"b").expect("escaped");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#""n":"3","q":"a\"b""#
        );
    }

    #[test]
    fn failing_display_is_an_error_not_a_panic() {
        struct Broken;
        impl fmt::Display for Broken {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Err(fmt::Error)
            }
        }
        let mut out = Vec::new();
        let mut w = PropertyWriter::new(&mut out);
        assert_eq!(
            w.display("b", &Broken),
            Err(BuildError::DisplayFailed {
                property: "b".into()
            })
        );
        assert!(out.is_empty());
    }

    #[test]
    fn keys_are_checked() {
        let mut out = Vec::new();
        let mut w = PropertyWriter::new(&mut out);
        assert!(matches!(
            w.string("", "v"),
            Err(BuildError::InvalidPropertyKey { .. })
        ));
        assert!(matches!(
            w.display(&"k".repeat(121), &1),
            Err(BuildError::InvalidPropertyKey { .. })
        ));
    }
}
