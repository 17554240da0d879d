//! `bulletins completions SHELL`: a completion script on stdout.

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::{Exit, Result};

pub(crate) fn run(args: &CompletionsArgs) -> Result<Exit> {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "bulletins",
        &mut std::io::stdout(),
    );
    Ok(Exit::Success)
}
