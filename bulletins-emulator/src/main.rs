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

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use bulletins_emulator::{
    ConfigError, Dashboard, Emulator, DEMO_ACCOUNT_ID, DEMO_EVENT, DEMO_PASSCODE,
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

    let (dashboard, demo_account) = match &args.config {
        Some(path) => match load(path) {
            Ok(loaded) => loaded,
            Err(error) => {
                eprintln!("bulletins-emulator: invalid config: {error}");
                return ExitCode::from(2);
            }
        },
        None => (Dashboard::demo(), true),
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
    runtime.block_on(run(args, dashboard, demo_account))
}

/// The file's dashboard, and whether it lists no accounts (the demo account is then served).
fn load(path: &std::path::Path) -> Result<(Dashboard, bool), ConfigError> {
    let file = bulletins_dashboard::Dashboard::from_file(path)?;
    let demo_account = file.accounts().is_none();
    let dashboard = Dashboard::from_definition(file, &path.display().to_string())?;
    Ok((dashboard, demo_account))
}

async fn run(args: Args, dashboard: Dashboard, demo_account: bool) -> ExitCode {
    let demo = args.config.is_none();
    let emulator = match Emulator::builder()
        .dashboard(dashboard)
        .bind(args.listen)
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
    } else if demo_account {
        let _ = writeln!(
            out,
            "the config lists no accounts: serving the demo account {DEMO_ACCOUNT_ID} / {DEMO_PASSCODE}"
        );
    }
    let _ = writeln!(
        out,
        "trigger: POST {}; recorded: GET {}/_emulator/bulletins",
        emulator.trigger_url(),
        emulator.base_url()
    );
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
