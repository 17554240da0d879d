//! `bulletins`: raise, replay and check CleverTap Bulletins from the command line.
//!
//! Every command is a module under `commands/`; `cli` declares the arguments, `exit` the exit
//! codes. Run `bulletins --help` for the commands, their examples and the exit codes.

fn main() -> std::process::ExitCode {
    bulletins_cli::bulletins()
}
