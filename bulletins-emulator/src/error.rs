//! Why an emulator could not start.

use std::net::SocketAddr;

/// Why [`EmulatorBuilder::start`](crate::EmulatorBuilder::start) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The dashboard could not exist on CleverTap (no account, a duplicate event, a required
    /// property that is not declared, ...).
    #[error("invalid dashboard: {0}")]
    InvalidDashboard(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}
