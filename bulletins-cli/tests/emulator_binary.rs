//! The `bulletins-emulator` binary (built from this package, with `bulletins emulator`'s
//! serving code): config file, request, clean shutdown; bad configs refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bulletins-emulator");

/// The documented example payload, as CleverTap's curl example sends it.
const EXAMPLE: &str = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12",
"properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},
"c-by":"[email protected]","when":"now"}"#;

/// An answer: status, header lines (names lowercased) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over a fresh connection (`Connection: close`), read to the end.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("no answer: {e}"));
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_owned()
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// A chunked body's data.
fn unchunk(mut body: &str) -> String {
    let mut data = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        data.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    data
}

/// POSTs a trigger with the demo account's credentials.
fn trigger_at(base_url: &str, body: &str) -> Answer {
    let headers = [
        ("X-CleverTap-Account-Id", "ABCD-RSTU-1234"),
        ("X-CleverTap-Passcode", "XXXXXX"),
        ("Content-Type", "application/json"),
    ];
    http(
        "POST",
        &format!("{base_url}/1/targets/trigger.json"),
        &headers,
        body,
    )
}

/// A file in the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "bulletins-emulator-{}-{name}.json",
            std::process::id()
        ));
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{e}"));
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A running binary, killed if a test panics before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts the binary and reads stdout up to the line with the URL (its last banner line);
/// returns the child, the URL and the banner lines.
fn spawn(args: &[&str]) -> (Running, String, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout);
    let mut url = None;
    while url.is_none() {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            panic!("binary exited before listening: {lines:?}");
        }
        url = line
            .trim()
            .strip_prefix("bulletins-emulator listening on ")
            .map(str::to_owned);
        lines.push(line.trim().to_owned());
    }
    (Running(child), url.unwrap_or_default(), lines)
}

fn terminate(Running(child): &mut Running) -> ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(Running(child): &mut Running) -> String {
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    stderr
}

#[test]
fn serves_a_config_file_and_stops_cleanly_on_sigterm() {
    let config = TempFile::new(
        "ok",
        r#"{
          "accounts": [{ "account_id": "ABCD-RSTU-1234", "passcode": "XXXXXX" }],
          "concurrency_limit": 3,
          "business_events": [
            { "name": "order_placed",
              "properties": ["order_id", "product_category", "coupon_code"],
              "required": ["order_id", "product_category"],
              "targets": 2 }
          ]
        }"#,
    );
    let path = config.0.to_string_lossy().into_owned();
    let (mut child, url, lines) = spawn(&["--listen", "127.0.0.1:0", "--config", &path]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!lines.iter().any(|l| l.contains("demo")), "{lines:?}");

    let body = r#"{"business_event":"order_placed","name":"Order 12345","c-by":"[email protected]",
        "when":1724123456,"properties":{"order_id":"12345","product_category":"books"}}"#;
    let answer = trigger_at(&url, body);
    assert_eq!(answer.body, r#"{"status":"success","targets":2}"#);
    // The demo event is not on this dashboard.
    assert_eq!(trigger_at(&url, EXAMPLE).status, 400);
    let recorded = http("GET", &format!("{url}/_emulator/bulletins"), &[], "");
    assert_eq!(recorded.status, 200);

    let status = terminate(&mut child);
    assert!(status.success(), "{status:?}");
    let stderr = stderr_of(&mut child);
    // One log line per request: account, event, outcome, latency.
    let line = stderr
        .lines()
        .find(|l| l.contains("trigger") && l.contains("order_placed"))
        .unwrap_or_else(|| panic!("no request log line in {stderr}"));
    for part in [
        "account=ABCD-RSTU-1234",
        "event=order_placed",
        "outcome=200",
        "latency_ms=",
    ] {
        assert!(line.contains(part), "{part} missing in {line}");
    }
    assert!(stderr.contains("Business Event Not Found"), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
}

#[test]
fn without_config_it_serves_the_demo_dashboard_and_says_so() {
    let (mut child, url, lines) = spawn(&["--listen", "127.0.0.1:0"]);
    assert!(
        lines.iter().any(|l| l.contains("demo dashboard")),
        "{lines:?}"
    );
    let answer = trigger_at(&url, EXAMPLE);
    assert_eq!(answer.body, r#"{"status":"success","targets":1}"#);
    assert!(terminate(&mut child).success());
}

/// Runs the binary to completion (at most 10 seconds) and returns its exit status and stderr.
fn run(args: &[&str]) -> (ExitStatus, String) {
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = running.0.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        assert!(Instant::now() < deadline, "still running with {args:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    (status, stderr_of(&mut running))
}

#[test]
fn an_invalid_config_is_refused_at_start_naming_the_problem() {
    let cases = [
        (
            "unknown-field",
            "{\n  \"accounts\": [{\"account_id\": \"A\", \"passcode\": \"P\"}],\n  \"concurrency\": 3\n}",
            vec![":3:15: ", "unknown field `concurrency`"],
        ),
        (
            "syntax",
            "{\n  \"accounts\": [\n}",
            vec![":3:1: "],
        ),
        (
            "required-undeclared",
            r#"{"accounts":[{"account_id":"A","passcode":"P"}],
               "business_events":[{"name":"order_placed","properties":["order_id"],"required":["product_category"]}]}"#,
            vec!["business event \"order_placed\"", "required key \"product_category\" is not among its `properties`"],
        ),
        (
            "no-accounts",
            r#"{"accounts":[]}"#,
            vec!["`accounts` is empty"],
        ),
    ];
    for (name, contents, expected) in cases {
        let file = TempFile::new(name, contents);
        let path = file.0.to_string_lossy().into_owned();
        let (status, stderr) = run(&["--listen", "127.0.0.1:0", "--config", &path]);
        assert!(!status.success(), "{name}: {status:?}");
        assert!(stderr.contains(&path), "{name}: {stderr}");
        for part in expected {
            assert!(
                stderr.contains(part),
                "{name}: {part:?} missing in {stderr}"
            );
        }
    }
    let (status, stderr) = run(&["--config", "/nonexistent/dashboard.json"]);
    assert!(!status.success());
    assert!(
        stderr.contains("/nonexistent/dashboard.json: cannot read the dashboard file"),
        "{stderr}"
    );
}

#[test]
fn a_config_error_never_repeats_a_value_from_accounts() {
    const SENTINEL: &str = "5318008";
    for (name, contents) in [
        (
            "number",
            format!(r#"{{"accounts":[{{"account_id":"A","passcode":{SENTINEL}}}]}}"#),
        ),
        (
            "syntax",
            format!(r#"{{"accounts":[{{"account_id":"A","passcode":"{SENTINEL}" "#),
        ),
        (
            "twice",
            format!(
                r#"{{"accounts":[{{"account_id":"{SENTINEL}","passcode":"p"}},{{"account_id":"{SENTINEL}","passcode":"p"}}]}}"#
            ),
        ),
    ] {
        let file = TempFile::new(&format!("sentinel-{name}"), &contents);
        let path = file.0.to_string_lossy().into_owned();
        let (status, stderr) = run(&["--listen", "127.0.0.1:0", "--config", &path]);
        assert!(!status.success(), "{name}: {status:?}");
        assert!(
            stderr.contains("accounts") || stderr.contains(&path),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains(SENTINEL), "{name}: {stderr}");
    }
}

/// The example schema crate's `bulletins.json`: no accounts, so the demo account is served.
const EXAMPLE_DASHBOARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/schema/bulletins.json"
);

#[test]
fn the_example_dashboard_file_is_served_to_the_demo_account() {
    let (mut child, url, lines) =
        spawn(&["--listen", "127.0.0.1:0", "--config", EXAMPLE_DASHBOARD]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("serving the demo account ABCD-RSTU-1234")),
        "{lines:?}"
    );
    let trigger = |body: String| {
        let answer = trigger_at(&url, &body);
        (answer.status, answer.body)
    };
    let payload = |event: &str, properties: &str| {
        format!(
            r#"{{"business_event":"{event}","name":"n","c-by":"[email protected]","when":"now","properties":{properties}}}"#
        )
    };

    // Each event as the file defines it, with its required properties only.
    let accepted = [
        payload(
            "order_placed",
            r#"{"order_id":"1","product_category":"books"}"#,
        ),
        payload("Price Drop", r#"{"productId":"sku-42","newPrice":"1499"}"#),
        payload(
            "Program Released",
            r#"{"program_id":"234567","language":"Hindi","prev_program_id":"123457"}"#,
        ),
    ];
    for body in accepted {
        assert_eq!(
            trigger(body.clone()),
            (200, r#"{"status":"success","targets":1}"#.to_owned()),
            "{body}"
        );
    }

    let (status, text) = trigger(payload("Program Releasd", r#"{"program_id":"1"}"#));
    assert_eq!(status, 400);
    assert!(text.contains("Business Event Not Found"), "{text}");
    let (status, text) = trigger(payload(
        "Program Released",
        r#"{"program_id":"234567","prev_program_id":"123457"}"#,
    ));
    assert_eq!(status, 400);
    assert!(text.contains("Property language missing"), "{text}");

    assert!(terminate(&mut child).success());
}

#[test]
fn max_recorded_bounds_what_is_kept_and_the_inspector_url_is_printed() {
    let (mut child, url, lines) = spawn(&["--listen", "127.0.0.1:0", "--max-recorded", "2"]);
    assert!(
        lines
            .iter()
            .any(|l| l == &format!("inspector: open {url}/ in a browser")),
        "{lines:?}"
    );
    for _ in 0..3 {
        assert_eq!(trigger_at(&url, EXAMPLE).status, 200);
    }
    let listing = http("GET", &format!("{url}/_emulator/bulletins"), &[], "");
    let evicted = listing.header("x-emulator-evicted");
    let kept: Vec<serde_json::Value> = serde_json::from_str(&listing.body).unwrap_or_default();
    assert_eq!((kept.len(), evicted), (2, Some("1")));
    assert!(terminate(&mut child).success());

    // Zero would keep nothing: refused at start, naming the flag.
    let (status, stderr) = run(&["--listen", "127.0.0.1:0", "--max-recorded", "0"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--max-recorded"), "{stderr}");
}

#[test]
fn the_json_log_is_one_object_per_line_without_passcodes() {
    let (mut child, url, _) = spawn(&["--listen", "127.0.0.1:0", "--log-format", "json"]);
    assert_eq!(trigger_at(&url, EXAMPLE).status, 200);
    let wrong = "WRONG-S3CR3T-passcode";
    let headers = [
        ("X-CleverTap-Account-Id", "ABCD-RSTU-1234"),
        ("X-CleverTap-Passcode", wrong),
        ("Content-Type", "application/json"),
    ];
    let refused = http(
        "POST",
        &format!("{url}/1/targets/trigger.json"),
        &headers,
        EXAMPLE,
    );
    assert_eq!(refused.status, 401);
    assert!(terminate(&mut child).success());
    let stderr = stderr_of(&mut child);
    for passcode in ["XXXXXX", wrong] {
        assert!(!stderr.contains(passcode), "a passcode is logged: {stderr}");
    }
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect();
    for line in &lines {
        for key in ["timestamp", "level", "target", "message"] {
            assert!(line.get(key).is_some(), "no {key}: {line}");
        }
    }
    let triggers: Vec<_> = lines.iter().filter(|l| l["message"] == "trigger").collect();
    assert_eq!(triggers.len(), 2, "{lines:#?}");
    assert_eq!(triggers[0]["account"], "ABCD-RSTU-1234");
    assert_eq!(triggers[0]["event"], "Program Released");
    assert!(
        triggers[0]["outcome"]
            .as_str()
            .is_some_and(|o| o.starts_with("200")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l["message"] == "stopped"),
        "{lines:#?}"
    );
}
