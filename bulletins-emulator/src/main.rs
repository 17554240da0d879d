//! `bulletins-emulator`: serve a local CleverTap Bulletins endpoint.
//!
//! ```text
//! bulletins-emulator --listen 127.0.0.1:8787 --config dashboard.json
//! ```
//!
//! Without `--config` it serves the documentation's demo dashboard; a config without
//! `accounts` (a `bulletins.json` checked into a repository) is served to the demo account. It prints the URL it listens
//! on to stdout, logs one line per request to stderr (`RUST_LOG` filters), and stops cleanly on
//! Ctrl-C or SIGTERM.

use std::process::ExitCode;

use bulletins_emulator::{serve_until_signal, served_dashboard, Dashboard, ServeArgs};
use clap::Parser;

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
    bulletins_emulator::init_request_log();

    let (dashboard, notice) = match served_dashboard(args.serve.config.as_deref()) {
        Ok(served) => served,
        Err(error) => {
            eprintln!("bulletins-emulator: invalid config: {error}");
            return ExitCode::from(2);
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bulletins-emulator: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args, dashboard, notice))
}

async fn run(args: Args, dashboard: Dashboard, notice: Option<String>) -> ExitCode {
    let builder = args.serve.builder(dashboard);
    match serve_until_signal(builder, notice.as_deref()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bulletins-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}
