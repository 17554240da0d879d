//! `bulletins emulator`: the local CleverTap endpoint, as the `bulletins-emulator` binary runs it.

use std::io::IsTerminal as _;

use bulletins_emulator::{serve_until_signal, served_dashboard, ServeArgs};

use crate::exit::{Exit, Failure, Result};

pub(crate) fn run(args: ServeArgs) -> Result<Exit> {
    // Its request log, as the emulator's own binary writes it (RUST_LOG filters).
    let _ = tracing_subscriber_init();
    let (dashboard, notice) = served_dashboard(args.config.as_deref())
        .map_err(|e| Failure::new(Exit::Invalid, format!("invalid emulator config: {e}")))?;
    let builder = args.builder(dashboard);
    super::runtime()?
        .block_on(serve_until_signal(builder, notice.as_deref()))
        .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
    Ok(Exit::Success)
}

fn tracing_subscriber_init() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init()
}
