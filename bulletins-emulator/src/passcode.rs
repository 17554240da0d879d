//! Comparing a passcode without revealing it, or its length, through timing.
//!
//! A constant-time comparison of two byte strings of unequal length returns early, so the time
//! to reject a passcode would tell its length. Both sides are first hashed to SHA-256 digests of
//! 32 bytes, and only those are compared, in constant time: the work after hashing is the same
//! whatever either passcode's length.

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 digest of a passcode: what an account keeps and what a request's passcode is
/// compared as.
#[derive(Clone, Copy)]
pub(crate) struct PasscodeDigest([u8; 32]);

impl PasscodeDigest {
    /// The digest of these passcode bytes.
    pub(crate) fn of(passcode: &[u8]) -> Self {
        Self(Sha256::digest(passcode).into())
    }
}

/// Whether `given` is the passcode whose digest is `expected`, compared in constant time.
pub(crate) fn matches(given: &[u8], expected: &PasscodeDigest) -> bool {
    matches_with(given, expected, |a, b| a.ct_eq(b).into())
}

/// [`matches`] with the comparison passed in, so a test can watch what it is given: always one
/// call with two 32-byte digests, never the passcodes themselves.
fn matches_with(
    given: &[u8],
    expected: &PasscodeDigest,
    equal: impl FnOnce(&[u8], &[u8]) -> bool,
) -> bool {
    let given = PasscodeDigest::of(given);
    equal(&given.0, &expected.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the check with a recording comparison: the lengths it was shown, per call.
    fn comparison_inputs(given: &[u8], expected: &PasscodeDigest) -> (bool, Vec<(usize, usize)>) {
        let mut seen = Vec::new();
        let result = matches_with(given, expected, |a, b| {
            seen.push((a.len(), b.len()));
            a.ct_eq(b).into()
        });
        (result, seen)
    }

    #[test]
    fn wrong_passcodes_of_any_length_take_the_same_path() {
        let expected = PasscodeDigest::of(b"XXXXXX");
        let same_length = comparison_inputs(b"XXXXXY", &expected);
        let shorter = comparison_inputs(b"X", &expected);
        let longer = comparison_inputs(&[b'X'; 4096], &expected);
        let empty = comparison_inputs(b"", &expected);
        for (name, run) in [
            ("same length", &same_length),
            ("shorter", &shorter),
            ("longer", &longer),
            ("empty", &empty),
        ] {
            assert_eq!(run, &(false, vec![(32, 32)]), "{name}");
        }
    }

    #[test]
    fn the_right_passcode_matches_and_near_misses_do_not() {
        let expected = PasscodeDigest::of(b"XXXXXX");
        assert!(matches(b"XXXXXX", &expected));
        for wrong in [&b"XXXXX"[..], b"XXXXXXX", b"xXXXXX", b"XXXXXX\0", b""] {
            assert!(!matches(wrong, &expected), "{wrong:?}");
        }
    }
}
