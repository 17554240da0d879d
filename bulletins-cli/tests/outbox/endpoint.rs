//! `relay --metrics ADDR` as an orchestrator and Prometheus see it: the relay binary against the
//! emulator, its endpoints read over HTTP, its metrics linted by `promtool check metrics`, its
//! `--log-format json` stderr parsed line by line.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::{Processes as _, RelayProcess};
use crate::common::{emulator, Db, PASSCODE};
use bulletins_emulator::Fault;

on_both_stores!(
    metrics_health_and_readiness_after_a_known_sequence,
    not_ready_while_clevertap_refuses_the_credentials,
    not_ready_once_the_database_stops_answering,
);

/// A loopback address nothing listens on yet: bound, then let go.
pub(crate) fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    address
}

/// `GET path` over HTTP/1.1: the status and the body, or `None` while nothing listens.
pub(crate) fn get(address: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Polls `check` every 50 ms for at most 60 s (a hang guard, not a speed check).
pub(crate) async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The samples of a Prometheus text exposition: `name{labels}` as written, to its value.
pub(crate) fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// Where the test finds `promtool`: BULLETINS_TEST_PROMTOOL, which `.ci/services.sh` sets; the
/// skip is printed without it, and is a failure under CI=true.
pub(crate) fn promtool(test: &str) -> Option<String> {
    let found = std::env::var("BULLETINS_TEST_PROMTOOL").ok();
    if found.is_none() {
        let reason = format!(
            "skipping {test}: BULLETINS_TEST_PROMTOOL is unset (run `source .ci/services.sh`, which installs Debian's prometheus, to set it)"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
        eprintln!("{reason}");
    }
    found
}

/// `promtool check metrics` on `text`, as `curl …/metrics | promtool check metrics` does.
pub(crate) fn check_metrics(promtool: &str, text: &str) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("promtool");
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A relay serving its metrics on `address`, logging JSON to a file of `dir`.
fn relay_with_metrics(
    db: &Db,
    base_url: &str,
    address: SocketAddr,
    dir: &tempfile::TempDir,
    passcode: &str,
) -> RelayProcess {
    let log = std::fs::File::create(dir.path().join("stderr")).expect("log file");
    let metrics = address.to_string();
    let mut command = db.command(
        base_url,
        "relay",
        &[
            "--metrics",
            &metrics,
            "--gauge-interval-ms",
            "0",
            "--sweep-interval-ms",
            "100",
            "--log-format",
            "json",
        ],
    );
    command
        .env("CLEVERTAP_PASSCODE", passcode)
        .stdout(Stdio::null())
        .stderr(log);
    RelayProcess::spawn(command)
}

/// Every line of the relay's stderr, each a JSON object with a timestamp, a level, a target
/// and a message.
fn json_lines(dir: &tempfile::TempDir) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.path().join("stderr")).expect("stderr");
    assert!(!text.contains(PASSCODE), "the passcode is logged: {text}");
    text.lines()
        .map(|line| {
            let object: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            for key in ["timestamp", "level", "target", "message"] {
                assert!(object.get(key).is_some(), "no {key}: {line}");
            }
            object
        })
        .collect()
}

/// 5 rows: 3 delivered, 1 refused (a 400), 1 uncertain (a 503).
async fn metrics_health_and_readiness_after_a_known_sequence(db: Db) {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().expect("dir");
    emulator.inject(Fault::status(400), 1);
    emulator.inject(Fault::status(503), 1);
    db.enqueue(1, 5).await;
    let address = free_address();
    let relay = relay_with_metrics(&db, &emulator.base_url(), address, &dir, PASSCODE);

    let delivered = r#"bulletins_outbox_rows{state="delivered"}"#;
    let text = eventually("three rows counted delivered", || {
        let (_, text) = get(address, "/metrics")?;
        (samples(&text).get(delivered) == Some(&3.0)).then_some(text)
    })
    .await;
    let found = samples(&text);
    let value = |series: &str| found.get(series).copied();
    let trigger = |outcome: &str| {
        value(&format!(
            r#"bulletins_triggers_total{{event="order_placed",outcome="{outcome}"}}"#
        ))
    };
    assert_eq!(trigger("delivered"), Some(3.0), "{text}");
    assert_eq!(trigger("refused"), Some(1.0), "{text}");
    assert_eq!(trigger("uncertain"), Some(1.0), "{text}");
    assert_eq!(
        value(r#"bulletins_outbox_rows{state="refused"}"#),
        Some(1.0)
    );
    assert_eq!(value("bulletins_outbox_uncertain_rows"), Some(1.0));
    assert_eq!(
        value("bulletins_outbox_oldest_pending_age_seconds"),
        Some(0.0)
    );
    assert_eq!(value("bulletins_in_flight"), Some(0.0));
    assert!(text.contains("# TYPE http_client_request_duration_seconds histogram"));
    assert!(text.contains("# HELP bulletins_outbox_rows "));

    assert_eq!(get(address, "/healthz"), Some((200, "ok\n".to_owned())));
    let ready = eventually("ready", || {
        get(address, "/readyz").filter(|(s, _)| *s == 200)
    })
    .await;
    assert_eq!(ready.1, "ready\n");
    let text = eventually("the ready gauge", || {
        let (_, text) = get(address, "/metrics")?;
        (samples(&text).get("bulletins_outbox_ready") == Some(&1.0)).then_some(text)
    })
    .await;
    if let Some(promtool) = promtool("metrics_health_and_readiness_after_a_known_sequence") {
        check_metrics(&promtool, &text);
    }

    relay.signal("TERM");
    assert_eq!(relay.wait().await.code(), Some(0));
    let lines = json_lines(&dir);
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("stopping"))),
        "{lines:?}"
    );
}

async fn not_ready_while_clevertap_refuses_the_credentials(db: Db) {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().expect("dir");
    db.enqueue(1, 1).await;
    let address = free_address();
    let wrong = "WRONG-passcode-S3CR3T";
    let relay = relay_with_metrics(&db, &emulator.base_url(), address, &dir, wrong);
    let (status, body) = eventually("not ready", || {
        get(address, "/readyz").filter(|(_, body)| body.contains("credentials"))
    })
    .await;
    assert_eq!(status, 503);
    assert!(
        body.starts_with("not ready: CleverTap refuses the credentials"),
        "{body}"
    );
    assert!(!body.contains(wrong), "{body}");
    eventually("the ready gauge at 0", || {
        let (_, text) = get(address, "/metrics")?;
        (samples(&text).get("bulletins_outbox_ready") == Some(&0.0)).then_some(())
    })
    .await;
    relay.signal("TERM");
    assert_eq!(relay.wait().await.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("stderr")).expect("stderr");
    assert!(!text.contains(wrong), "the passcode is logged: {text}");
    let lines = json_lines(&dir);
    assert!(
        lines.iter().any(|l| l["level"] == "ERROR"
            && l["message"]
                .as_str()
                .is_some_and(|m| m.contains("credentials"))),
        "{lines:?}"
    );
}

async fn not_ready_once_the_database_stops_answering(db: Db) {
    let emulator = emulator().await;
    let dir = tempfile::tempdir().expect("dir");
    let address = free_address();
    let relay = relay_with_metrics(&db, &emulator.base_url(), address, &dir, PASSCODE);
    eventually("ready", || {
        get(address, "/readyz").filter(|(s, _)| *s == 200)
    })
    .await;
    // Every question the relay asks now fails.
    let drop = format!("DROP TABLE {}", db.table);
    on_db!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await.expect("drop");
    });
    let (status, body) = eventually("not ready", || {
        get(address, "/readyz").filter(|(status, _)| *status == 503)
    })
    .await;
    assert_eq!(status, 503);
    assert!(
        body.starts_with("not ready: the database has not answered for"),
        "{body}"
    );
    assert!(body.contains("last error"), "{body}");
    relay.signal("TERM");
    relay.wait().await;
    json_lines(&dir);
}
