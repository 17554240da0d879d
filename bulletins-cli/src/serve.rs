//! The served emulator: what `bulletins emulator` and the `bulletins-emulator` binary run. One
//! module, compiled into both binaries, so their options and behaviour are one implementation.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bulletins_emulator::{
    ConfigError, Dashboard, Emulator, DEFAULT_MAX_RECORDED, DEMO_ACCOUNT_ID, DEMO_EVENT,
    DEMO_PASSCODE,
};

/// The options a served emulator takes on the command line.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub(crate) listen: SocketAddr,
    /// The dashboard file, `bulletins.json` (business events; optionally accounts and the
    /// concurrency limit). Without it, the documentation's demo dashboard is served; without
    /// `accounts` in it, the demo account.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// How many requests (bulletins and rejections) to keep; past it the oldest are forgotten
    /// and counted. Bodies and headers kept stay under 512 MiB whatever the count.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RECORDED,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub(crate) max_recorded: usize,
    /// The log on stderr: `text`, or `json` (one object per line, for log pipelines).
    #[arg(
        long,
        value_enum,
        default_value_t,
        value_name = "FORMAT",
        env = "BULLETINS_LOG_FORMAT"
    )]
    pub(crate) log_format: crate::log::LogFormat,
}

/// Why serving failed.
#[derive(Debug)]
pub(crate) enum ServeError {
    /// The dashboard file cannot be read or is refused.
    Config(ConfigError),
    /// The async runtime could not start.
    Runtime(std::io::Error),
    /// The emulator could not start (the address cannot be bound, ...).
    Start(bulletins_emulator::Error),
}

/// Installs the request log, reads the dashboard, starts the emulator, prints where it listens
/// to stdout, serves until Ctrl-C or (on Unix) SIGTERM, then stops cleanly.
///
/// The last line printed before serving is `bulletins-emulator listening on <base url>`, so a
/// script can read up to it and know everything before it.
pub(crate) fn run(args: &ServeArgs) -> Result<(), ServeError> {
    // One line per request.
    crate::log::init("info", args.log_format);
    let (dashboard, notice) =
        served_dashboard(args.config.as_deref()).map_err(ServeError::Config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime
        .block_on(serve_until_signal(args, dashboard, notice.as_deref()))
        .map_err(ServeError::Start)
}

/// The dashboard `--config` asks for — the file's, served to the demo account when it lists no
/// `accounts`; the documentation's demo dashboard without a file — and a line telling the user
/// which demo parts are served, if any.
fn served_dashboard(config: Option<&Path>) -> Result<(Dashboard, Option<String>), ConfigError> {
    let Some(path) = config else {
        let notice = format!(
            "no --config given: serving the demo dashboard (account {DEMO_ACCOUNT_ID} / \
             {DEMO_PASSCODE}, business event {DEMO_EVENT:?} requiring program_id, language, \
             prev_program_id)"
        );
        return Ok((Dashboard::demo(), Some(notice)));
    };
    let file = bulletins_dashboard::Dashboard::from_file(path)?;
    let notice = file.accounts().is_none().then(|| {
        format!("the config lists no accounts: serving the demo account {DEMO_ACCOUNT_ID} / {DEMO_PASSCODE}")
    });
    let dashboard = Dashboard::from_definition(file, &path.display().to_string())?;
    Ok((dashboard, notice))
}

async fn serve_until_signal(
    args: &ServeArgs,
    dashboard: Dashboard,
    notice: Option<&str>,
) -> Result<(), bulletins_emulator::Error> {
    let emulator = Emulator::builder()
        .dashboard(dashboard)
        .bind(args.listen)
        .max_recorded(args.max_recorded)
        .start()
        .await?;

    let mut out = std::io::stdout().lock();
    // Nothing useful to do if stdout is closed: the server still runs.
    if let Some(notice) = notice {
        let _ = writeln!(out, "{notice}");
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
    Ok(())
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

/// A local CleverTap Bulletins endpoint: CleverTap's validation and errors, every bulletin
/// recorded (GET /_emulator/bulletins), faults on demand (POST /_emulator/faults).
#[derive(Debug, clap::Parser)]
#[command(name = "bulletins-emulator", version)]
struct EmulatorCli {
    #[command(flatten)]
    serve: ServeArgs,
}

/// The `bulletins-emulator` binary: exit 0 after a clean stop, 2 for bad arguments or a
/// refused config, 1 for anything else.
pub(crate) fn main() -> std::process::ExitCode {
    use clap::Parser as _;
    let args = EmulatorCli::parse();
    let failed = |what: std::fmt::Arguments<'_>, code: u8| {
        crate::log::say(
            tracing::Level::ERROR,
            format_args!("bulletins-emulator: {what}"),
        );
        std::process::ExitCode::from(code)
    };
    match run(&args.serve) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(ServeError::Config(error)) => failed(format_args!("invalid config: {error}"), 2),
        Err(ServeError::Runtime(error)) => {
            failed(format_args!("cannot start the runtime: {error}"), 1)
        }
        Err(ServeError::Start(error)) => failed(format_args!("{error}"), 1),
    }
}
