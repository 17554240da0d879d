//! Starting the emulator, running the binary, writing inputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bulletins_emulator::{DeliveryStatus, Emulator, Fault};

pub(crate) const ACCOUNT: &str = "ABCD-RSTU-1234";
pub(crate) const PASSCODE: &str = "XXXXXX";

/// An emulator (the documentation's dashboard) on its own runtime, for the test's lifetime.
pub(crate) struct Emu {
    handle: Option<Emulator>,
    runtime: tokio::runtime::Runtime,
}

impl Emu {
    pub(crate) fn start() -> Self {
        Self::with(|builder| builder)
    }

    pub(crate) fn with(
        configure: impl FnOnce(
            bulletins_emulator::EmulatorBuilder,
        ) -> bulletins_emulator::EmulatorBuilder,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let handle = runtime
            .block_on(configure(Emulator::demo()).start())
            .expect("the emulator starts");
        Self {
            handle: Some(handle),
            runtime,
        }
    }

    fn handle(&self) -> &Emulator {
        self.handle.as_ref().expect("running")
    }

    pub(crate) fn base_url(&self) -> String {
        self.handle().base_url()
    }

    pub(crate) fn inject(&self, fault: Fault, times: usize) {
        self.handle().inject(fault, times);
    }

    /// How many bulletins it received, accepted or not.
    pub(crate) fn received(&self) -> usize {
        self.handle().bulletins().len()
    }

    /// How many times each `program_id` was received, and how many of those were accepted.
    pub(crate) fn by_program_id(&self) -> HashMap<u64, (usize, usize)> {
        let mut seen: HashMap<u64, (usize, usize)> = HashMap::new();
        for bulletin in self.handle().bulletins() {
            let id = bulletin
                .property("program_id")
                .and_then(|p| p.parse().ok())
                .expect("a numeric program_id");
            let entry = seen.entry(id).or_default();
            entry.0 += 1;
            if bulletin.status == DeliveryStatus::Accepted {
                entry.1 += 1;
            }
        }
        seen
    }

    /// Waits (up to a minute) until it received at least `count` bulletins.
    pub(crate) fn wait_for(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.received() < count {
            assert!(
                Instant::now() < deadline,
                "only {} bulletins arrived",
                self.received()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}

/// The binary, with none of the caller's CleverTap settings.
pub(crate) fn bulletins() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulletins"));
    for var in [
        "CLEVERTAP_ACCOUNT_ID",
        "CLEVERTAP_PASSCODE",
        "CLEVERTAP_REGION",
        "CLEVERTAP_BASE_URL",
        "BULLETINS_DASHBOARD",
        "DATABASE_URL",
    ] {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1").stdin(Stdio::null());
    command
}

/// The binary, pointed at the emulator with the demo account.
pub(crate) fn against(emu: &Emu) -> Command {
    let mut command = bulletins();
    command
        .env("CLEVERTAP_ACCOUNT_ID", ACCOUNT)
        .env("CLEVERTAP_PASSCODE", PASSCODE)
        .env("CLEVERTAP_BASE_URL", emu.base_url());
    command
}

/// What a finished run printed, and its exit code.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn run(command: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub(crate) fn expect_code(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "exit code; stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// The documented payload, with `program_id` set to `id`.
pub(crate) fn payload(id: u64) -> String {
    format!(
        r#"{{"business_event":"Program Released","name":"Sa Re Ga Ma episode {id}","properties":{{"program_id":"{id}","language":"Hindi","prev_program_id":"123457"}},"c-by":"[email protected]","when":"now"}}"#
    )
}

/// A JSONL file of `count` payloads, `program_id` = line number.
pub(crate) fn jsonl(dir: &Path, name: &str, count: u64) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::new();
    for id in 1..=count {
        text.push_str(&payload(id));
        text.push('\n');
    }
    std::fs::write(&path, text).expect("write the input");
    path
}

/// The line numbers `--json` reported with this outcome.
pub(crate) fn lines_with(stdout: &str, outcome: &str) -> Vec<u64> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|v| v["outcome"] == outcome)
        .filter_map(|v| v["line"].as_u64())
        .collect()
}

/// A spawned process, killed if the test fails before it is done with it.
pub(crate) struct KillOnDrop(pub(crate) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
