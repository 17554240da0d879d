//! The emulator's inspector in a real browser, fed by the `bulletins-http` client: Debian's
//! headless Chromium driven over WebDriver.
//!
//! Runs when `BULLETINS_BROWSER_TESTS=1` (then a missing browser is a failure); skipped with a
//! note otherwise, except under `CI=true`, where skipping is a failure too. Needs
//! `/usr/bin/chromium` and `/usr/bin/chromedriver` (`apt-get install chromium chromium-driver`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bulletins_core::{Bulletin, DynamicEvent};
use bulletins_emulator::{Emulator, DEMO_ACCOUNT_ID, DEMO_PASSCODE};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const VARIABLE: &str = "BULLETINS_BROWSER_TESTS";

/// Whether to run; panics where skipping is not allowed.
fn browser_wanted(test: &str) -> bool {
    if std::env::var(VARIABLE).as_deref() != Ok("1") {
        let reason = format!(
            "{test}: {VARIABLE} is unset (set it to 1 with chromium and chromium-driver installed, \
             or `source .ci/services.sh`)"
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{reason}; CI never skips the browser tests");
        }
        eprintln!("skipping {reason}");
        return false;
    }
    for binary in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(binary).exists(),
            "{VARIABLE}=1 but {binary} is missing: apt-get install chromium chromium-driver"
        );
    }
    true
}

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile =
            std::env::temp_dir().join(format!("bulletins-inspector-{}-{port}", std::process::id()));
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    async fn browser(&self) -> Client {
        let options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,800",
                format!("--user-data-dir={}", self.profile.display()),
            ],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn sdk_client(emulator: &Emulator) -> bulletins_http::Client {
    bulletins_http::Client::builder()
        .base_url(emulator.base_url())
        .account_id(DEMO_ACCOUNT_ID)
        .passcode(DEMO_PASSCODE)
        .build()
        .expect("client")
}

fn program_released(extra: &[(&str, &str)]) -> Bulletin<'static, DynamicEvent> {
    named_program_released("Sa Re Ga Ma episode 12", extra)
}

fn named_program_released(name: &str, extra: &[(&str, &str)]) -> Bulletin<'static, DynamicEvent> {
    let mut event = DynamicEvent::new("Program Released").expect("event");
    for (key, value) in [
        ("program_id", "234567"),
        ("language", "Hindi"),
        ("prev_program_id", "123457"),
    ]
    .iter()
    .chain(extra)
    {
        event.insert(*key, *value).expect("property");
    }
    Bulletin::new(event, name.to_owned(), "[email protected]")
}

async fn script(browser: &Client, code: &str) -> serde_json::Value {
    browser.execute(code, vec![]).await.expect("script runs")
}

async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

const HOSTILE: &str = "<img src=x onerror=\"window.__pwned=1\">";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_in_a_real_browser() {
    if !browser_wanted("the_inspector_in_a_real_browser") {
        return;
    }
    let emulator = Emulator::demo().start().await.expect("emulator");
    let client = sdk_client(&emulator);
    let driver = Driver::start();
    let browser = driver.browser().await;
    let base = emulator.base_url();

    // Bulletins raised by the client appear without a reload.
    browser.goto(&format!("{base}/")).await.expect("timeline");
    wait_for(&browser, "#live[data-state='up']").await;
    script(&browser, "window.__stay = 42;").await;
    // Its name (shown in the row that arrives live) and a property are hostile markup.
    client
        .trigger(&named_program_released(HOSTILE, &[("note", HOSTILE)]))
        .await
        .expect("accepted");
    let row = wait_for(&browser, "#rows tr.entry[data-id='1']").await;
    let text = row.text().await.expect("text");
    assert!(
        text.contains("Program Released") && text.contains(HOSTILE),
        "{text}"
    );
    assert_eq!(
        script(&browser, "return window.__stay;").await,
        json!(42),
        "the page reloaded"
    );
    client
        .trigger(&program_released(&[]))
        .await
        .expect("accepted");
    wait_for(&browser, "#rows tr.entry[data-id='2']").await;
    assert_eq!(
        script(&browser, "return window.__stay;").await,
        json!(42),
        "the page reloaded"
    );

    // A hostile property value renders as text and injects nothing.
    let escaped = "return [document.querySelectorAll('img').length, window.__pwned === undefined];";
    assert_eq!(script(&browser, escaped).await, json!([0, true]));

    // Keys: j selects the newest, k the next... Enter opens it; clicking does too.
    let body = browser.find(Locator::Css("body")).await.expect("body");
    body.send_keys("jj").await.expect("keys");
    let selected = browser
        .find(Locator::Css("#rows tr.selected"))
        .await
        .expect("a selection");
    assert_eq!(
        selected.attr("data-id").await.expect("id").as_deref(),
        Some("1")
    );
    body.send_keys("\u{E007}").await.expect("enter");
    let properties = wait_for(&browser, "#properties").await;
    let text = properties.text().await.expect("text");
    assert!(
        text.contains("language") && text.contains("Hindi"),
        "{text}"
    );
    assert!(
        text.contains(HOSTILE),
        "the hostile value is not shown as text: {text}"
    );
    assert_eq!(script(&browser, escaped).await, json!([0, true]));

    // A rejected bulletin shows its error and the rule it broke.
    let missing = Bulletin::new(
        DynamicEvent::new("Program Released").expect("event"),
        "no properties",
        "[email protected]",
    );
    let refused = client.trigger(&missing).await.expect_err("refused");
    assert!(!refused.may_have_been_delivered());
    browser
        .goto(&format!("{base}/_emulator/ui"))
        .await
        .expect("timeline");
    wait_for(&browser, "#rows tr.entry[data-id='3']")
        .await
        .click()
        .await
        .expect("click");
    let error = wait_for(&browser, "#error")
        .await
        .text()
        .await
        .expect("error");
    assert_eq!(error, "Property program_id missing");
    let rule = wait_for(&browser, "#rule")
        .await
        .text()
        .await
        .expect("rule");
    assert!(rule.contains("required property"), "{rule}");

    // A fault injected from the panel makes the next trigger fail with may_have_been_delivered.
    browser
        .goto(&format!("{base}/_emulator/ui/faults"))
        .await
        .expect("faults");
    wait_for(&browser, "#pending-empty").await;
    wait_for(&browser, "#fault-kind")
        .await
        .select_by_value("close_after_body")
        .await
        .expect("kind");
    browser
        .find(Locator::Css("#inject"))
        .await
        .expect("button")
        .click()
        .await
        .expect("inject");
    wait_for(&browser, "#pending").await;
    let failed = client
        .trigger(&program_released(&[]))
        .await
        .expect_err("the fault");
    assert!(failed.may_have_been_delivered(), "{failed:?}");

    // A filtered URL opened fresh shows the same filtered view.
    browser
        .goto(&format!("{base}/_emulator/ui?status=rejected"))
        .await
        .expect("filtered");
    wait_for(&browser, "#live[data-state='up']").await;
    let statuses = script(
        &browser,
        "return [document.querySelector('select[name=status]').value,
                 Array.from(document.querySelectorAll('#rows tr.entry')).map(r => r.dataset.id)];",
    )
    .await;
    assert_eq!(statuses, json!(["rejected", ["3"]]));
    // ...and stays filtered when new entries arrive live.
    client
        .trigger(&program_released(&[]))
        .await
        .expect("accepted");
    client.trigger(&missing).await.expect_err("refused");
    wait_for(&browser, "#rows tr.entry[data-id='6']").await;
    let ids = script(
        &browser,
        "return Array.from(document.querySelectorAll('#rows tr.entry')).map(r => r.dataset.id);",
    )
    .await;
    assert_eq!(ids, json!(["6", "3"]));

    // A screenshot of the timeline, for the README.
    browser.goto(&format!("{base}/")).await.expect("timeline");
    wait_for(&browser, "#live[data-state='up']").await;
    let png = browser.screenshot().await.expect("screenshot");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    // (`tests/` sits at the repository root, so its parent holds the workspace's target.)
    std::fs::create_dir_all(&target).expect("target dir");
    std::fs::write(target.join("inspector.png"), png).expect("screenshot saved");

    browser.close().await.expect("browser closes");
    emulator.shutdown().await;
}
