//! CleverTap's rules for an event name or a property key.

/// The most characters (Unicode scalar values, not bytes) CleverTap accepts in an event
/// name or a property key.
pub const MAX_KEY_CHARS: usize = 120;

/// What is wrong with an event name or a property key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The key is the empty string.
    Empty,
    /// The key is longer than [`MAX_KEY_CHARS`] characters.
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The key starts or ends with whitespace, which the dashboard would not match.
    SurroundingWhitespace,
    /// The key contains a control character (a newline, a tab, NUL, ...).
    ControlCharacter,
}

impl std::fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyProblem::Empty => f.write_str("is empty; CleverTap keys have 1 to 120 characters"),
            KeyProblem::TooLong { chars } => write!(
                f,
                "is {chars} characters; CleverTap allows at most {MAX_KEY_CHARS}"
            ),
            KeyProblem::SurroundingWhitespace => f.write_str(
                "starts or ends with whitespace, which the CleverTap dashboard would not match; trim it",
            ),
            KeyProblem::ControlCharacter => f.write_str(
                "contains a control character; CleverTap keys are printable text: remove it",
            ),
        }
    }
}

/// Checks an event name or property key against CleverTap's key rules: 1 to 120 characters,
/// no surrounding whitespace, no control characters.
///
/// ```
/// use bulletins_dashboard::{check_key, KeyProblem};
/// assert_eq!(check_key("order_placed"), Ok(()));
/// assert_eq!(check_key(""), Err(KeyProblem::Empty));
/// assert_eq!(check_key(&"é".repeat(121)), Err(KeyProblem::TooLong { chars: 121 }));
/// ```
pub fn check_key(key: &str) -> Result<(), KeyProblem> {
    if key.is_empty() {
        return Err(KeyProblem::Empty);
    }
    // A key of at most 120 bytes has at most 120 characters: skip the count in the usual case.
    if key.len() > MAX_KEY_CHARS {
        let chars = key.chars().count();
        if chars > MAX_KEY_CHARS {
            return Err(KeyProblem::TooLong { chars });
        }
    }
    if key.starts_with(char::is_whitespace) || key.ends_with(char::is_whitespace) {
        return Err(KeyProblem::SurroundingWhitespace);
    }
    if key.chars().any(char::is_control) {
        return Err(KeyProblem::ControlCharacter);
    }
    Ok(())
}

/// A key as an error message quotes it: in quotes, escaped, and cut after 40 characters so a
/// 500-character mistake does not flood the message.
pub(crate) fn quoted(key: &str) -> String {
    const SHOWN: usize = 40;
    match key.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}…", &key[..cut]),
        None => format!("{key:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_length_is_counted_in_characters_at_the_boundary() {
        assert_eq!(check_key(&"a".repeat(120)), Ok(()));
        assert_eq!(
            check_key(&"a".repeat(121)),
            Err(KeyProblem::TooLong { chars: 121 })
        );
        assert_eq!(check_key(&"語".repeat(120)), Ok(()));
        assert_eq!(
            check_key(&"語".repeat(121)),
            Err(KeyProblem::TooLong { chars: 121 })
        );
    }

    #[test]
    fn whitespace_and_control_characters_are_refused() {
        assert_eq!(check_key(" a"), Err(KeyProblem::SurroundingWhitespace));
        assert_eq!(
            check_key("a\u{3000}"),
            Err(KeyProblem::SurroundingWhitespace)
        );
        assert_eq!(check_key("a\nb"), Err(KeyProblem::ControlCharacter));
        assert_eq!(check_key("a\u{0}b"), Err(KeyProblem::ControlCharacter));
        assert_eq!(check_key("Program Released"), Ok(()));
    }

    #[test]
    fn long_keys_are_cut_when_quoted() {
        assert_eq!(quoted("ab"), "\"ab\"");
        assert_eq!(quoted(&"x".repeat(40)), format!("\"{}\"", "x".repeat(40)));
        assert_eq!(quoted(&"x".repeat(41)), format!("\"{}\"…", "x".repeat(40)));
    }
}
