//! The log every long-running command writes to stderr: the emulator's request lines, the
//! relay's warnings.

use std::io::IsTerminal as _;

/// Installs the stderr log at `default_level` unless `RUST_LOG` says otherwise, coloured only
/// on a terminal and without `NO_COLOR`. Does nothing if the process already has a global
/// subscriber.
pub(crate) fn init(default_level: &str) {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // An error means a subscriber is already installed, which then keeps the log.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .try_init();
}
