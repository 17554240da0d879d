//! CleverTap's documented limits, and the key rule shared by every event.

// The key rules live with the dashboard file's parser: the derive, the core and the file all
// call this one function. The emulator checks requests with its own rules, written from
// CleverTap's documentation on purpose; `bulletins-http/tests/agreement.rs` compares the two.
pub use bulletins_dashboard::{check_key, KeyProblem, MAX_KEY_CHARS};

/// The most bytes (UTF-8) CleverTap accepts in one property value.
pub const MAX_VALUE_BYTES: usize = 512;
