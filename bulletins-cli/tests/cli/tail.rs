//! `bulletins emulator tail`: a running emulator followed from another process, one line per
//! request; `--json`, the inspector's filters, colour only on a terminal, clean exits.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use bulletins_emulator::Fault;

use crate::support::*;

/// How long a line may take to come: a hang is a failure, not a wait.
const PATIENCE: Duration = Duration::from_secs(20);

/// A running `bulletins emulator tail`, its output read line by line.
struct Tail {
    child: KillOnDrop,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

/// The lines of `pipe`, as they come.
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

impl Tail {
    /// Starts following `emu` and waits until it is subscribed, so nothing sent after this is
    /// missed.
    fn start(emu: &Emu, args: &[&str]) -> Self {
        let mut child = bulletins()
            .args(["emulator", "tail", "--url", &emu.base_url()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tail starts");
        let stdout = lines_of(child.stdout.take().expect("stdout"));
        let stderr = lines_of(child.stderr.take().expect("stderr"));
        let tail = Self {
            child: KillOnDrop(child),
            stdout,
            stderr,
        };
        let first = tail.stderr.recv_timeout(PATIENCE).expect("a first line");
        assert_eq!(
            first,
            format!("following {} (Ctrl-C to stop)", emu.base_url())
        );
        tail
    }

    fn line(&self) -> String {
        self.stdout
            .recv_timeout(PATIENCE)
            .expect("a line for the request")
    }

    /// Waits for the exit; its code and the lines printed since.
    fn finish(mut self) -> (i32, Vec<String>, Vec<String>) {
        let code = wait(&mut self.child.0);
        // The pipes close with the process: the readers stop once drained.
        let stdout = self.stdout.iter().collect();
        let stderr = self.stderr.iter().collect();
        (code, stdout, stderr)
    }
}

fn wait(child: &mut Child) -> i32 {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code().unwrap_or(-1);
        }
        assert!(std::time::Instant::now() < deadline, "tail did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupt(tail: &Tail) {
    let status = Command::new("kill")
        .args(["-INT", &tail.child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// `bulletins trigger` of the demo event; without `program_id` the emulator refuses it.
fn send(emu: &Emu, name: &str, with_program_id: bool) {
    let mut command = against(emu);
    command.args([
        "trigger",
        "Program Released",
        "--name",
        name,
        "--created-by",
        "qa",
    ]);
    if with_program_id {
        command.args(["-p", "program_id=234567"]);
    }
    command.args(["-p", "language=Hindi", "-p", "prev_program_id=123457"]);
    expect_code(&run(&mut command), if with_program_id { 0 } else { 4 });
}

#[test]
fn one_line_per_request_until_the_emulator_stops() {
    let emu = Emu::start();
    let tail = Tail::start(&emu, &[]);
    send(&emu, "Sa Re Ga Ma episode 12", true);
    send(&emu, "no properties", false);
    let accepted = tail.line();
    assert!(
        accepted.contains(
            "  accepted          200  #1  Program Released  \"Sa Re Ga Ma episode 12\"  \
             program_id=234567 language=Hindi prev_program_id=123457"
        ),
        "{accepted}"
    );
    let rejected = tail.line();
    assert!(
        rejected.contains(
            "  rejected          400  #2  Program Released  \"no properties\"  \
             error: Property program_id missing  language=Hindi prev_program_id=123457"
        ),
        "{rejected}"
    );
    // Not a terminal: no colour.
    assert!(!accepted.contains('\u{1b}') && !rejected.contains('\u{1b}'));
    // A delayed bulletin: received first, then acknowledged when its answer goes out.
    emu.inject(Fault::Delay(Duration::from_millis(100)), 1);
    send(&emu, "Sa Re Ga Ma episode 13", true);
    let received = tail.line();
    assert!(
        received.contains("  not acknowledged  200  #3  "),
        "{received}"
    );
    let acknowledged = tail.line();
    assert!(
        acknowledged.contains("  accepted          200  #3  ")
            && acknowledged.ends_with("  (acknowledged)"),
        "{acknowledged}"
    );

    drop(emu);
    let (code, stdout, stderr) = tail.finish();
    assert_eq!(code, 0, "{stderr:?}");
    assert!(stdout.is_empty(), "{stdout:?}");
    assert!(stderr.iter().any(|l| l.ends_with(" stopped")), "{stderr:?}");
}

#[test]
fn json_and_the_inspectors_filters() {
    let emu = Emu::start();
    let rejected_only = Tail::start(&emu, &["--json", "--status", "rejected"]);
    let searched = Tail::start(
        &emu,
        &["--search", "EPISODE 12", "--event", "Program Released"],
    );
    let other_event = Tail::start(&emu, &["--event", "order_placed"]);
    send(&emu, "Sa Re Ga Ma episode 12", true); // #1
    send(&emu, "no properties", false); // #2
    send(&emu, "Sa Re Ga Ma episode 13", true); // #3

    let line = rejected_only.line();
    let json: serde_json::Value = serde_json::from_str(&line).expect("one JSON object");
    assert_eq!(json["type"], "entry");
    assert_eq!(json["id"], 2);
    assert_eq!(json["status"], "rejected");
    assert_eq!(json["http_status"], 400);
    assert_eq!(json["business_event"], "Program Released");
    assert_eq!(json["name"], "no properties");
    assert_eq!(json["error"], "Property program_id missing");
    assert_eq!(json["account"], ACCOUNT);
    assert_eq!(json["properties"]["language"], "Hindi");
    assert!(searched.line().contains("  #1  "));

    // Ctrl-C ends a tail cleanly.
    interrupt(&rejected_only);
    let (code, stdout, _) = rejected_only.finish();
    assert_eq!((code, stdout), (0, Vec::<String>::new()));
    drop(emu);
    // What the filters left out never came.
    let (code, stdout, _) = searched.finish();
    assert_eq!((code, stdout), (0, Vec::<String>::new()));
    let (code, stdout, _) = other_event.finish();
    assert_eq!((code, stdout), (0, Vec::<String>::new()));
}

#[test]
fn nothing_at_the_url_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}");
    let out = run(bulletins().args(["emulator", "tail", "--url", &url]));
    expect_code(&out, 1);
    assert!(
        out.stderr
            .starts_with(&format!("error: no emulator answers at {url}: ")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: start one with `bulletins emulator`"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());

    // Something answers, but not an emulator's stream.
    let emu = Emu::start();
    let elsewhere = format!("{}/not-here", emu.base_url());
    let out = run(bulletins().args(["emulator", "tail", "--url", &elsewhere]));
    expect_code(&out, 1);
    assert!(
        out.stderr.contains(&format!(
            "error: {elsewhere} is not a bulletins emulator: GET /_emulator/events answered 404"
        )),
        "{}",
        out.stderr
    );

    // Usage errors: a URL that is not one, serving flags before `tail`, an unknown status.
    expect_code(
        &run(bulletins().args(["emulator", "tail", "--url", "127.0.0.1:8787"])),
        2,
    );
    expect_code(
        &run(bulletins().args(["emulator", "--listen", "127.0.0.1:0", "tail"])),
        2,
    );
    expect_code(
        &run(bulletins().args(["emulator", "tail", "--status", "delivered"])),
        2,
    );
}

/// Runs `tail` on a terminal (util-linux's `script` gives it one) and returns the line that
/// reports request #1, escapes and all.
fn on_a_terminal(no_color: bool) -> String {
    let emu = Emu::start();
    let command = format!(
        "'{}' emulator tail --url {}",
        env!("CARGO_BIN_EXE_bulletins"),
        emu.base_url()
    );
    let mut script = Command::new("script");
    script
        .args(["-q", "-f", "-e", "-c", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if no_color {
        script.env("NO_COLOR", "1");
    }
    let mut child = KillOnDrop(script.spawn().expect("script runs"));
    let output = lines_of(child.0.stdout.take().expect("stdout"));
    let next = || output.recv_timeout(PATIENCE).expect("a line");
    while !next().contains("following ") {}
    send(&emu, "Sa Re Ga Ma episode 12", true);
    let line = loop {
        let line = next();
        if line.contains("#1") {
            break line;
        }
    };
    drop(emu);
    assert_eq!(wait(&mut child.0), 0);
    line
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    if Command::new("script").arg("--version").output().is_err() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "util-linux's `script` is needed to give tail a terminal"
        );
        eprintln!("skipping: util-linux's `script` is not installed");
        return;
    }
    let coloured = on_a_terminal(false);
    assert!(
        coloured.contains("\u{1b}[32maccepted\u{1b}[0m"),
        "{coloured:?}"
    );
    let plain = on_a_terminal(true);
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    assert!(plain.contains("  accepted  "), "{plain:?}");
}

#[test]
fn the_help_shows_tail_and_its_examples() {
    let out = run(bulletins().args(["emulator", "--help"]));
    expect_code(&out, 0);
    assert!(out.stdout.contains("\n  tail "), "{}", out.stdout);
    // Serving's flags are still there.
    assert!(out.stdout.contains("--listen <LISTEN>"), "{}", out.stdout);
    let out = run(bulletins().args(["emulator", "tail", "--help"]));
    expect_code(&out, 0);
    for text in [
        "--url <URL>",
        "[default: http://127.0.0.1:8787]",
        "--status <STATUS>",
        "  bulletins emulator tail --status rejected",
    ] {
        assert!(out.stdout.contains(text), "{text}: {}", out.stdout);
    }
}
