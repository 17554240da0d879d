//! The outbox's commands as real processes: the `bulletins-outbox` binary (the same commands
//! as `bulletins outbox`) on a test's outbox, killable mid-flight.

use std::process::{Child, Command, Output, Stdio};

use crate::common::{Db, ACCOUNT, PASSCODE};

/// A test outbox's commands, run as processes.
pub(crate) trait Processes {
    /// The `bulletins-outbox` binary relaying this outbox, delivering to `base_url`.
    fn relay_process(&self, base_url: &str, args: &[&str]) -> RelayProcess;
    /// The `bulletins-outbox` binary running `subcommand` on this outbox.
    fn command(&self, base_url: &str, subcommand: &str, args: &[&str]) -> Command;
}

impl Processes for Db {
    fn relay_process(&self, base_url: &str, args: &[&str]) -> RelayProcess {
        RelayProcess(Some(
            self.command(base_url, "relay", args)
                .stdout(Stdio::null())
                .spawn()
                .expect("spawn bulletins-outbox relay"),
        ))
    }

    fn command(&self, base_url: &str, subcommand: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bulletins-outbox"));
        command
            .arg(subcommand)
            .args(["--database", &self.url, "--table", self.table.as_str()])
            .args(args)
            .env("CLEVERTAP_ACCOUNT_ID", ACCOUNT)
            .env("CLEVERTAP_PASSCODE", PASSCODE)
            .env("CLEVERTAP_BASE_URL", base_url)
            .env_remove("CLEVERTAP_REGION")
            .env_remove("DATABASE_URL");
        command
    }
}

/// Runs a command to its end, off the async workers.
pub(crate) async fn finish(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run bulletins-outbox")
}

/// The command's stdout, as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A relay process, killed when dropped so that a failing test leaves none behind.
pub(crate) struct RelayProcess(Option<Child>);

impl RelayProcess {
    /// Starts `command` (a relay), to be killed when dropped.
    pub(crate) fn spawn(mut command: Command) -> Self {
        RelayProcess(Some(command.spawn().expect("spawn bulletins-outbox relay")))
    }

    /// SIGKILL (std's `kill` on Unix), then reap it.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.0.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
        }
    }

    /// Sends it `signal` (`TERM`, `INT`) with kill(1).
    pub(crate) fn signal(&self, signal: &str) {
        let child = self.0.as_ref().expect("running");
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for it to exit by itself.
    pub(crate) async fn wait(mut self) -> std::process::ExitStatus {
        let mut child = self.0.take().expect("running");
        tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("join")
            .expect("wait")
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
