//! The log every long-running command writes to stderr (the emulator's request lines, the
//! relay's warnings, `send`'s notes), as text for people or, with `--log-format json`, one JSON
//! object per line for log pipelines.
//!
//! In JSON, what such a command tells its user on stderr (a line not delivered, the summary,
//! the error it exits with) is a log event too, so that every line of stderr is JSON; those
//! events (target [`CLI`]) pass whatever `RUST_LOG` says, as the text they replace does.

use std::fmt::Display;
use std::io::IsTerminal as _;
use std::sync::OnceLock;

use tracing::Level;
use tracing_subscriber::filter::EnvFilter;

/// The target of what a command tells its user, as log events in JSON.
pub(crate) const CLI: &str = "bulletins::cli";
/// Lets every event of [`CLI`] through, whatever `RUST_LOG` says.
const CLI_DIRECTIVE: &str = "bulletins::cli=trace";

/// How the log is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Lines for people, coloured on a terminal.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message` and the event's
    /// fields (those of its span under `span`).
    Json,
}

/// The format installed by [`init`], once it has been.
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Installs the stderr log at `default_level` unless `RUST_LOG` says otherwise: text coloured
/// only on a terminal and without `NO_COLOR`, or JSON. Does nothing if the process already has
/// a global subscriber.
pub(crate) fn init(default_level: &str, format: LogFormat) {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // An error means a subscriber is already installed, which then keeps the log.
    let installed = match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_ansi(colour)
                .with_env_filter(filter())
                .try_init()
                .is_ok()
        }
        LogFormat::Json => {
            // A directive of its own: the most specific target wins, so it touches nothing else.
            let filter = match CLI_DIRECTIVE.parse() {
                Ok(directive) => filter().add_directive(directive),
                Err(_) => filter(),
            };
            tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(std::io::stderr)
                .with_env_filter(filter)
                .try_init()
                .is_ok()
        }
    };
    if installed {
        let _ = FORMAT.set(format);
    }
}

/// Whether what a command tells its user goes to the log as JSON.
pub(crate) fn is_json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// Tells the user `message` on stderr: as a line of text, or as a JSON log event at `level`.
pub(crate) fn say(level: Level, message: impl Display) {
    if !is_json() {
        eprintln!("{message}");
        return;
    }
    match level {
        Level::ERROR => tracing::error!(target: CLI, "{message}"),
        Level::WARN => tracing::warn!(target: CLI, "{message}"),
        _ => tracing::info!(target: CLI, "{message}"),
    }
}

/// Tells the user the failure the command exits with: `error: ...` and its hint, or one JSON
/// log event with the hint as a field.
pub(crate) fn failure(failure: &crate::exit::Failure) {
    if !is_json() {
        eprintln!("{failure}");
        return;
    }
    match &failure.hint {
        Some(hint) => tracing::error!(target: CLI, hint = %hint, "{}", failure.message),
        None => tracing::error!(target: CLI, "{}", failure.message),
    }
}
