//! The CleverTap Bulletins client (placeholder).
