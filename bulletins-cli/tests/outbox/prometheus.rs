//! A real Prometheus scraping the relay: Debian's `prometheus` (BULLETINS_TEST_PROMETHEUS, set
//! by `.ci/services.sh`) started on loopback with a scrape config naming the relay this test
//! runs against the emulator; the relay's row gauges and trigger counters are read back through
//! Prometheus's HTTP query API. Skipped, with the reason printed, without it; a failure under
//! CI=true.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use super::endpoint::{check_metrics, eventually, free_address, get, promtool};
use super::process::{Processes as _, RelayProcess};
use crate::common::{emulator, Db};
use bulletins_emulator::Fault;

const PROMETHEUS_VAR: &str = "BULLETINS_TEST_PROMETHEUS";

/// A Prometheus process, killed when dropped.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `binary` on `listen`, scraping `relay` every second, its data in `dir`.
fn start_prometheus(
    binary: &str,
    dir: &tempfile::TempDir,
    listen: SocketAddr,
    relay: SocketAddr,
) -> Prometheus {
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: bulletins-outbox\n    static_configs:\n      - targets: ['{relay}']\n"
        ),
    )
    .expect("config");
    let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={listen}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    Prometheus(child)
}

/// `query`'s instant vector: each series' labels (as JSON) and value.
fn query(prometheus: SocketAddr, query: &str) -> Option<Vec<(serde_json::Value, f64)>> {
    let (status, body) = get(
        prometheus,
        &format!("/api/v1/query?query={}", encode(query)),
    )?;
    if status != 200 {
        return None;
    }
    let answer: serde_json::Value = serde_json::from_str(&body).ok()?;
    let result = answer["data"]["result"].as_array()?;
    result
        .iter()
        .map(|series| {
            let value = series["value"][1].as_str()?.parse().ok()?;
            Some((series["metric"].clone(), value))
        })
        .collect()
}

/// Percent-encodes a query string's value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_relays_rows_and_triggers() {
    let test = "prometheus_scrapes_the_relays_rows_and_triggers";
    let Ok(binary) = std::env::var(PROMETHEUS_VAR) else {
        let reason = format!(
            "skipping {test}: {PROMETHEUS_VAR} is unset (run `source .ci/services.sh`, which installs Debian's prometheus, to set it)"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
        eprintln!("{reason}");
        return;
    };
    let db = Db::sqlite().await;
    let emulator = emulator().await;
    // 3 delivered, 1 refused (a 400), 1 uncertain (a 503).
    emulator.inject(Fault::status(400), 1);
    emulator.inject(Fault::status(503), 1);
    db.enqueue(1, 5).await;
    let relay_address = free_address();
    let metrics = relay_address.to_string();
    let mut command = db.command(
        &emulator.base_url(),
        "relay",
        &[
            "--metrics",
            &metrics,
            "--gauge-interval-ms",
            "0",
            "--sweep-interval-ms",
            "100",
        ],
    );
    command.stdout(Stdio::null());
    let relay = RelayProcess::spawn(command);
    let dir = tempfile::tempdir().expect("dir");
    let listen = free_address();
    let _prometheus = start_prometheus(&binary, &dir, listen, relay_address);

    let rows = eventually("Prometheus to hold three delivered rows", || {
        let found = query(listen, r#"bulletins_outbox_rows{state="delivered"}"#)?;
        found.iter().any(|(_, v)| *v == 3.0).then_some(found)
    })
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0["job"], "bulletins-outbox");
    let outcomes = eventually("Prometheus to hold every outcome", || {
        let found = query(listen, "sum by (outcome) (bulletins_triggers_total)")?;
        (found.len() == 3).then_some(found)
    })
    .await;
    let mut by_outcome: Vec<(String, f64)> = outcomes
        .iter()
        .map(|(labels, v)| (labels["outcome"].as_str().unwrap_or("").to_owned(), *v))
        .collect();
    by_outcome.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        by_outcome,
        [
            ("delivered".to_owned(), 3.0),
            ("refused".to_owned(), 1.0),
            ("uncertain".to_owned(), 1.0)
        ]
    );
    let uncertain = query(listen, "bulletins_outbox_uncertain_rows").expect("query");
    assert_eq!(uncertain.first().map(|(_, v)| *v), Some(1.0));

    // And the exposition passes Prometheus's own lint, as `curl …/metrics | promtool check
    // metrics` would.
    if let Some(promtool) = promtool(test) {
        let (_, text) = get(relay_address, "/metrics").expect("metrics");
        check_metrics(&promtool, &text);
    }
    relay.signal("TERM");
    assert_eq!(relay.wait().await.code(), Some(0));
}
