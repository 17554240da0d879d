//! The CleverTap Bulletins emulator (placeholder).
