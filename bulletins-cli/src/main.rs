//! `bulletins`: raise, replay and check CleverTap Bulletins from the command line.
//!
//! Every command is a module under `commands/`; `cli` declares the arguments, `exit` the exit
//! codes. Run `bulletins --help` for the commands, their examples and the exit codes.

mod cli;
mod commands;
mod credentials;
mod dashboard;
mod exit;
mod input;
mod journal;
mod payload;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    match run() {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("{failure}");
            failure.exit.into()
        }
    }
}

fn run() -> exit::Result<exit::Exit> {
    let cli = cli::Cli::parse();
    commands::run(cli)
}
