//! `bulletins dashboard …`: the dashboard file (`bulletins.json`) as a contract the code is
//! generated from and checked against.

mod codegen;

use clap::Subcommand;

use crate::exit::{Exit, Result};

/// The `bulletins dashboard` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DashboardCommand {
    /// Generate the Rust module of the file's events: one #[derive(BusinessEvent)] struct each.
    #[command(after_help = codegen::AFTER_HELP)]
    Codegen(codegen::CodegenArgs),
}

/// Runs the subcommand.
pub(crate) fn run(command: DashboardCommand) -> Result<Exit> {
    match command {
        DashboardCommand::Codegen(args) => codegen::run(&args),
    }
}
