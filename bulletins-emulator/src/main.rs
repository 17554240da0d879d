//! `bulletins-emulator`: serve a local CleverTap Bulletins endpoint.
//!
//! ```text
//! bulletins-emulator --listen 127.0.0.1:8787 --config dashboard.json
//! ```
//!
//! Without `--config` it serves the documentation's demo dashboard. It prints the URL it listens
//! on to stdout, logs one line per request to stderr (`RUST_LOG` filters), and stops cleanly on
//! Ctrl-C or SIGTERM.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use bulletins_emulator::{
    Dashboard, Emulator, DEFAULT_MAX_RECORDED, DEMO_ACCOUNT_ID, DEMO_EVENT, DEMO_PASSCODE,
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
    /// The dashboard file (accounts, concurrency limit, business events). Without it, the
    /// documentation's demo dashboard is served.
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

    let dashboard = match &args.config {
        Some(path) => match Dashboard::from_file(path) {
            Ok(dashboard) => dashboard,
            Err(error) => {
                eprintln!("bulletins-emulator: invalid config: {error}");
                return ExitCode::from(2);
            }
        },
        None => Dashboard::demo(),
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
    runtime.block_on(run(args, dashboard))
}

async fn run(args: Args, dashboard: Dashboard) -> ExitCode {
    let demo = args.config.is_none();
    let emulator = match Emulator::builder()
        .dashboard(dashboard)
        .bind(args.listen)
        .max_recorded(args.max_recorded)
        .start()
        .await
    {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("bulletins-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };

    let mut out = std::io::stdout().lock();
    // Nothing useful to do if stdout is closed: the server still runs.
    if demo {
        let _ = writeln!(
            out,
            "no --config given: serving the demo dashboard (account {DEMO_ACCOUNT_ID} / \
             {DEMO_PASSCODE}, business event {DEMO_EVENT:?} requiring program_id, language, \
             prev_program_id)"
        );
    }
    let _ = writeln!(
        out,
        "trigger: POST {}; recorded: GET {}/_emulator/bulletins (the newest {} kept)",
        emulator.trigger_url(),
        emulator.base_url(),
        args.max_recorded
    );
    let _ = writeln!(out, "inspector: open {}/ in a browser", emulator.base_url());
    // Last, so a script can read up to this line and know everything before it.
    let _ = writeln!(
        out,
        "bulletins-emulator listening on {}",
        emulator.base_url()
    );
    let _ = out.flush();
    drop(out);

    let signal = shutdown_signal().await;
    tracing::info!(signal, "shutting down");
    emulator.shutdown().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// Waits for Ctrl-C or (on Unix) SIGTERM and names it.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "interrupt",
                _ = terminate.recv() => "terminate",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "interrupt"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupt"
    }
}
