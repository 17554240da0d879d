//! CleverTap's documented limits, and the key rule shared by every event.

// The key rules live with the dashboard file's parser, so the derive, the core, the
// emulator and the file agree on them by construction.
pub use bulletins_dashboard::{check_key, KeyProblem, MAX_KEY_CHARS};

/// The most bytes (UTF-8) CleverTap accepts in one property value.
pub const MAX_VALUE_BYTES: usize = 512;
