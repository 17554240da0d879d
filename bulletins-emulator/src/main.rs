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

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use bulletins_emulator::{
    serve_until_signal, served_dashboard, Dashboard, Emulator, DEFAULT_MAX_RECORDED,
};
use clap::Parser;

/// A local CleverTap Bulletins endpoint: CleverTap's validation and errors, every bulletin
/// recorded (GET /_emulator/bulletins), faults on demand (POST /_emulator/faults).
#[derive(Debug, Parser)]
#[command(name = "bulletins-emulator", version)]
struct Args {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// The dashboard file, `bulletins.json` (business events; optionally accounts and the
    /// concurrency limit). Without it, the documentation's demo dashboard is served; without
    /// `accounts` in it, the demo account.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// How many requests (bulletins and rejections) to keep; past it the oldest are forgotten
    /// and counted. Bodies and headers kept stay under 512 MiB whatever the count.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RECORDED,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_recorded: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let (dashboard, notice) = match served_dashboard(args.config.as_deref()) {
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
    let builder = Emulator::builder()
        .dashboard(dashboard)
        .bind(args.listen)
        .max_recorded(args.max_recorded);
    match serve_until_signal(builder, notice.as_deref()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bulletins-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}
