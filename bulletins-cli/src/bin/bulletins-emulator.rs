//! `bulletins-emulator`: serve a local CleverTap Bulletins endpoint (`bulletins emulator`, under
//! the name and with the exit codes scripts know).
//!
//! ```text
//! bulletins-emulator --listen 127.0.0.1:8787 --config dashboard.json
//! ```
//!
//! Without `--config` it serves the documentation's demo dashboard; a config without
//! `accounts` (a `bulletins.json` checked into a repository) is served to the demo account. It
//! prints the URL it listens on to stdout, logs one line per request to stderr (`RUST_LOG`
//! filters), and stops cleanly on Ctrl-C or SIGTERM. Exit codes: 0 after a clean stop, 2 for
//! bad arguments or a refused config, 1 for anything else.

fn main() -> std::process::ExitCode {
    bulletins_cli::emulator()
}
