//! The `bulletins` command line, as the library its three binaries share: `bulletins`, and
//! `bulletins-emulator` and `bulletins-outbox` under the names and flags scripts already use.
//!
//! Not an API to build on: each function runs a whole command line and returns its exit code.
//! Services use `bulletins-http`, `bulletins-emulator` and `bulletins-outbox` instead.

mod cli;
mod commands;
mod credentials;
mod dashboard;
mod exit;
mod input;
mod journal;
mod log;
mod payload;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;

/// Runs `bulletins` on the process's arguments; `bulletins --help` lists the commands, their
/// examples and the exit codes.
pub fn bulletins() -> ExitCode {
    // `help exit-codes` is a topic, not a command, so clap's own `help` does not know it.
    let args: Vec<_> = std::env::args_os().skip(1).take(3).collect();
    if args.len() == 2 && args[0] == "help" && args[1] == "exit-codes" {
        use std::io::Write as _;
        // stdout closed (`| head`): nothing more to say.
        let _ = writeln!(std::io::stdout(), "{}", cli::exit_codes_help());
        return ExitCode::SUCCESS;
    }
    finish(commands::run(cli::Cli::parse()))
}

/// Runs `bulletins-emulator` on the process's arguments: `bulletins emulator`, with the exit
/// codes scripts know (2 for a refused config).
pub fn emulator() -> ExitCode {
    serve::main()
}

/// Runs `bulletins-outbox` on the process's arguments: `bulletins outbox`, as its own binary.
#[cfg(feature = "outbox")]
pub fn outbox() -> ExitCode {
    finish(commands::outbox::main())
}

/// Prints a failure once to stderr and turns the outcome into the process's exit code.
fn finish(outcome: exit::Result<exit::Exit>) -> ExitCode {
    match outcome {
        Ok(exit) => exit.into(),
        Err(failure) => {
            log::failure(&failure);
            failure.exit.into()
        }
    }
}
