//! `bulletins emulator`: the local CleverTap endpoint, as the `bulletins-emulator` binary runs it;
//! `bulletins emulator tail` follows a running one from another terminal.

mod tail;

use crate::cli::emulator::{EmulatorArgs, EmulatorCommand};
use crate::exit::{Exit, Failure, Result};
use crate::serve::{self, ServeArgs, ServeError};

pub(crate) fn run(args: &EmulatorArgs) -> Result<Exit> {
    match &args.command {
        Some(EmulatorCommand::Tail(tail)) => tail::run(tail),
        None => serve_command(&args.serve),
    }
}

fn serve_command(args: &ServeArgs) -> Result<Exit> {
    serve::run(args).map_err(|error| match error {
        ServeError::Config(e) => {
            Failure::new(Exit::Invalid, format!("invalid emulator config: {e}"))
        }
        ServeError::Runtime(e) => {
            Failure::new(Exit::Failed, format!("cannot start the runtime: {e}"))
        }
        ServeError::Start(e) => Failure::new(Exit::Failed, e.to_string()),
    })?;
    Ok(Exit::Success)
}
