//! The built `bulletins` binary, driven as a process against the emulator over loopback.

mod support;

mod commands;
mod destination;
mod exit_codes;
mod input_swap;
mod journal;
mod log_format;
mod messages;
mod no_journal;
#[cfg(feature = "sqlite")]
mod outbox;
mod secrets;
mod tail;
