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

use std::process::ExitCode;

use clap::Parser;

// The serving code of `bulletins emulator`, compiled into this binary too.
#[path = "../serve.rs"]
mod serve;

use serve::{ServeArgs, ServeError};

/// A local CleverTap Bulletins endpoint: CleverTap's validation and errors, every bulletin
/// recorded (GET /_emulator/bulletins), faults on demand (POST /_emulator/faults).
#[derive(Debug, Parser)]
#[command(name = "bulletins-emulator", version)]
struct Args {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match serve::run(&args.serve) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::Config(error)) => {
            eprintln!("bulletins-emulator: invalid config: {error}");
            ExitCode::from(2)
        }
        Err(ServeError::Runtime(error)) => {
            eprintln!("bulletins-emulator: cannot start the runtime: {error}");
            ExitCode::FAILURE
        }
        Err(ServeError::Start(error)) => {
            eprintln!("bulletins-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}
