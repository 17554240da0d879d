//! CleverTap's documented limits, and the key rule shared by every event.

// The key rules live with the dashboard file's parser, so the derive, the core, the
// emulator and the file agree on them by construction.
pub use bulletins_dashboard::{check_key, KeyProblem, MAX_KEY_CHARS};

/// The most bytes (UTF-8) CleverTap accepts in one property value.
pub const MAX_VALUE_BYTES: usize = 512;

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
        // 120 three-byte characters are 360 bytes but still within the limit.
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
}
