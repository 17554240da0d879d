//! Runnable examples of the bulletins crates: see the `[[example]]` targets.
