//! `bulletins-outbox`: the operator commands for a bulletins outbox.

use std::process::ExitCode;

use bulletins_outbox::ops::{self, OutboxCommand};
use clap::Parser;

/// Operate a bulletins outbox: status, relay, uncertain rows, backfills.
///
/// The same commands as `bulletins outbox` (the `bulletins` command line), which the examples
/// in each command's help use: `bulletins-outbox status ...` is `bulletins outbox status ...`.
#[derive(Debug, Parser)]
#[command(name = "bulletins-outbox", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: OutboxCommand,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops::init_log();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    match runtime.block_on(ops::run(cli.command, &mut stdout)) {
        Ok(finished) => ExitCode::from(finished.exit_code()),
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}
