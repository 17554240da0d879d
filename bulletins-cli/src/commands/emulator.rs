//! `bulletins emulator`: the local CleverTap endpoint, as the `bulletins-emulator` binary runs it.

use bulletins_emulator::{serve_until_signal, served_dashboard, ServeArgs};

use crate::exit::{Exit, Failure, Result};

pub(crate) fn run(args: ServeArgs) -> Result<Exit> {
    // Its request log, as the emulator's own binary writes it (RUST_LOG filters).
    bulletins_emulator::init_request_log();
    let (dashboard, notice) = served_dashboard(args.config.as_deref())
        .map_err(|e| Failure::new(Exit::Invalid, format!("invalid emulator config: {e}")))?;
    let builder = args.builder(dashboard);
    super::runtime()?
        .block_on(serve_until_signal(builder, notice.as_deref()))
        .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
    Ok(Exit::Success)
}
