//! The account id and passcode, checked once so every request can carry them.

use std::fmt;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

/// A CleverTap account id and its passcode.
///
/// Both are checked at construction: they must be sendable as HTTP header values, so only
/// visible ASCII (no spaces, CR, LF or other control characters). The passcode is held in a
/// `secrecy::SecretString` and never printed: `Debug` shows `[redacted]`.
///
/// ```
/// use bulletins_core::Credentials;
///
/// let credentials = Credentials::new("ABCD-RSTU-1234", "XXXXXX")?;
/// assert_eq!(format!("{credentials:?}"), r#"Credentials { account_id: "ABCD-RSTU-1234", passcode: "[redacted]" }"#);
/// assert!(Credentials::new("ABCD-RSTU-1234", "XXX\r\nX-Injected: 1").is_err());
/// # Ok::<(), bulletins_core::InvalidCredentials>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    account_id: HeaderValue,
    passcode: SecretString,
}

/// Why an account id or passcode was refused. Never contains the passcode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidCredentials {
    /// The account id is empty.
    #[error("the CleverTap account id is empty; copy it from Settings → Project in the dashboard")]
    EmptyAccountId,
    /// The passcode is empty.
    #[error("the CleverTap passcode is empty; copy it from Settings → Passcode in the dashboard")]
    EmptyPasscode,
    /// The account id has a character that cannot be sent in a header.
    #[error("the CleverTap account id has a space, control or non-ASCII character at byte {position}; it must be visible ASCII only")]
    AccountIdCharacter {
        /// Byte offset of the first offending character.
        position: usize,
    },
    /// The passcode has a character that cannot be sent in a header.
    #[error("the CleverTap passcode has a space, control or non-ASCII character at byte {position}; it must be visible ASCII only (check for a trailing newline)")]
    PasscodeCharacter {
        /// Byte offset of the first offending character.
        position: usize,
    },
}

fn first_invisible(s: &str) -> Option<usize> {
    s.bytes().position(|b| !b.is_ascii_graphic())
}

impl Credentials {
    /// Checks and keeps an account id and passcode.
    ///
    /// # Errors
    /// [`InvalidCredentials`] if either is empty or holds anything but visible ASCII.
    pub fn new(
        account_id: impl AsRef<str>,
        passcode: impl Into<SecretString>,
    ) -> Result<Self, InvalidCredentials> {
        let account_id = account_id.as_ref();
        let passcode: SecretString = passcode.into();
        if account_id.is_empty() {
            return Err(InvalidCredentials::EmptyAccountId);
        }
        if let Some(position) = first_invisible(account_id) {
            return Err(InvalidCredentials::AccountIdCharacter { position });
        }
        let secret = passcode.expose_secret();
        if secret.is_empty() {
            return Err(InvalidCredentials::EmptyPasscode);
        }
        if let Some(position) = first_invisible(secret) {
            return Err(InvalidCredentials::PasscodeCharacter { position });
        }
        let account_id = HeaderValue::from_str(account_id)
            .map_err(|_| InvalidCredentials::AccountIdCharacter { position: 0 })?;
        Ok(Self {
            account_id,
            passcode,
        })
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        // Checked to be visible ASCII at construction.
        self.account_id.to_str().unwrap_or_default()
    }

    pub(crate) fn account_id_header(&self) -> HeaderValue {
        self.account_id.clone()
    }

    /// The passcode as a header value marked sensitive, so HTTP stacks leave it out of their
    /// logs and HPACK tables.
    pub(crate) fn passcode_header(&self) -> HeaderValue {
        // Checked to be visible ASCII at construction, so this cannot fail; an empty value
        // (answered 401 by the server) is the harmless fallback rather than a panic.
        let mut value = HeaderValue::from_str(self.passcode.expose_secret())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        value.set_sensitive(true);
        value
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id())
            .field("passcode", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_breaking_characters_are_refused_without_echoing_the_passcode() {
        for bad in [
            "s3cr3t word",
            "s3cr3t\n",
            "\rs3cr3t",
            "s3cr3tä",
            "s3cr3t\u{0}",
            "s3cr3t\t",
        ] {
            let err = Credentials::new("ABCD-RSTU-1234", bad).expect_err(bad);
            assert!(matches!(err, InvalidCredentials::PasscodeCharacter { .. }));
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
            assert!(!format!("{err:?}").contains("s3cr3t"), "{err:?}");
        }
        assert_eq!(
            Credentials::new("AB CD", "x").unwrap_err(),
            InvalidCredentials::AccountIdCharacter { position: 2 }
        );
        assert_eq!(
            Credentials::new("", "x").unwrap_err(),
            InvalidCredentials::EmptyAccountId
        );
        assert_eq!(
            Credentials::new("a", "").unwrap_err(),
            InvalidCredentials::EmptyPasscode
        );
    }

    #[test]
    fn the_passcode_header_is_sensitive() {
        let c = Credentials::new("ABCD-RSTU-1234", "S3NT1NEL-pass").expect("valid");
        let header = c.passcode_header();
        assert!(header.is_sensitive());
        assert_eq!(header.as_bytes(), b"S3NT1NEL-pass");
        assert!(!format!("{c:?}").contains("S3NT1NEL"));
    }
}
