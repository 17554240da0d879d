//! `bulletins-outbox`: operate a bulletins outbox (status, relay, uncertain rows, backfills);
//! the same commands, flags and exit codes as `bulletins outbox`.

fn main() -> std::process::ExitCode {
    bulletins_cli::outbox()
}
