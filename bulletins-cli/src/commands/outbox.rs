//! `bulletins outbox ...`: the operator commands of a transactional outbox, mounted from
//! `bulletins_outbox::ops` as they are (the `bulletins-outbox` binary runs the same ones).

use bulletins_outbox::ops::{self, Finished, OpsError, OutboxCommand};

use crate::exit::{Exit, Failure, Result};

pub(crate) fn run(command: OutboxCommand) -> Result<Exit> {
    // The relay's warnings (a row left uncertain, a lease lost), as the outbox's own binary
    // writes them (RUST_LOG filters).
    ops::init_log();
    let mut stdout = std::io::stdout();
    let finished = super::runtime()?
        .block_on(ops::run(command, &mut stdout))
        .map_err(failure)?;
    Ok(match finished {
        Finished::RowsNeedAttention => Exit::Partial,
        _ => Exit::Success,
    })
}

/// The exit code, as the outbox's commands number it, says whose fault it was: the input (3),
/// the command line or the environment (2), or the database or the output (1).
fn failure(error: OpsError) -> Failure {
    let exit = match error.exit_code() {
        3 => Exit::Invalid,
        2 => Exit::Usage,
        _ => Exit::Failed,
    };
    let failure = Failure::new(exit, error.to_string());
    match error.hint() {
        Some(hint) => failure.hint(hint),
        None => failure,
    }
}
