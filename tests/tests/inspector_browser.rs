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
use bulletins_emulator::{Emulator, Fault, DEMO_ACCOUNT_ID, DEMO_PASSCODE};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

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
    port: u16,
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
            port,
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

    /// The accessible name Chromium computes for an element, as a screen reader announces
    /// it (WebDriver's "Get Computed Label", which fantoccini does not wrap).
    async fn computed_label(&self, browser: &Client, element: &Element) -> String {
        let session = browser
            .session_id()
            .await
            .expect("a session")
            .expect("a session id");
        let path = format!(
            "/session/{session}/element/{}/computedlabel",
            element.element_id()
        );
        let body = http_get(&format!("127.0.0.1:{}", self.port), &path).await;
        let value: serde_json::Value = serde_json::from_str(&body).expect("WebDriver's JSON");
        value["value"].as_str().expect("a label").to_owned()
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

/// One HTTP/1.1 GET over a fresh connection: the body of the answer, read up to its
/// `Content-Length` (chromedriver keeps the connection open).
async fn http_get(host: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(host).await.expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    let read = async {
        loop {
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, value)| value.trim().parse::<usize>().ok());
                if length.is_some_and(|length| body.len() >= length) {
                    return body.to_owned();
                }
            }
            let mut chunk = [0; 4096];
            let n = stream.read(&mut chunk).await.expect("an answer");
            if n == 0 {
                return text
                    .split_once("\r\n\r\n")
                    .map_or(text.clone(), |(_, b)| b.to_owned());
            }
            answer.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("chromedriver answers")
}

/// Sends the documented trigger request with the demo account and returns the open
/// connection without reading the answer: the request stays in flight while a delay fault
/// holds it, until the connection is dropped.
async fn send_trigger(emulator: &Emulator) -> TcpStream {
    let body = r#"{"business_event":"Program Released","name":"Held","properties":{"program_id":"1","language":"Hindi","prev_program_id":"0"},"c-by":"[email protected]","when":"now"}"#;
    let request = format!(
        "POST /1/targets/trigger.json HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
         X-CleverTap-Account-Id: {DEMO_ACCOUNT_ID}\r\n\
         X-CleverTap-Passcode: {DEMO_PASSCODE}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        emulator.addr(),
        body.len()
    );
    let mut stream = TcpStream::connect(emulator.addr()).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sent");
    stream
}

/// Waits until the element's text is `expected`.
async fn wait_for_text(browser: &Client, css: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = wait_for(browser, css).await.text().await.expect("text");
        if text == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} says {text:?}, never {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The ids of the timeline's rows, newest first.
async fn row_ids(browser: &Client) -> serde_json::Value {
    script(
        browser,
        "return Array.from(document.querySelectorAll('#rows tr.entry')).map(r => r.dataset.id);",
    )
    .await
}

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
    assert_eq!(
        rule,
        "Rule 5 (required properties): Program Released requires program_id, which the request \
         did not send."
    );
    // The delete button shows a word, and a screen reader hears which entry it deletes.
    let delete = wait_for(&browser, "#delete").await;
    assert_eq!(delete.text().await.expect("text"), "Delete");
    assert_eq!(
        driver.computed_label(&browser, &delete).await,
        "Delete entry #3"
    );

    rows_and_search(&browser, &base).await;

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
    assert_eq!(row_ids(&browser).await, json!(["6", "3"]));

    // The Client panel: three requests held in flight by a delay fault fill the cap, and the
    // fourth is refused at once.
    browser.goto(&format!("{base}/")).await.expect("timeline");
    wait_for(&browser, "#live[data-state='up']").await;
    wait_for_text(&browser, "#in-flight", "0").await;
    emulator.inject(Fault::Delay(Duration::from_secs(600)), 3);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(send_trigger(&emulator).await);
    }
    wait_for_text(&browser, "#in-flight", "3").await;
    wait_for_text(&browser, "#cap", "(cap 3 per account)").await;
    let mut refused = String::new();
    let mut fourth = send_trigger(&emulator).await;
    tokio::time::timeout(Duration::from_secs(15), fourth.read_to_string(&mut refused))
        .await
        .expect("answered at once")
        .expect("an answer");
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    wait_for_text(&browser, "#over-limit", "1").await;
    // The charts: the seconds at the cap stand out, under the cap's line; the refusal is red.
    let drawn = script(
        &browser,
        "return [document.querySelectorAll('#in-flight-chart rect.at-cap').length > 0,
                 document.querySelectorAll('#in-flight-chart line.cap').length,
                 Array.from(document.querySelectorAll('#answers-chart rect.over-limit'))
                   .map(r => Number(r.dataset.value)).reduce((a, b) => a + b, 0)];",
    )
    .await;
    assert_eq!(drawn, json!([true, 1, 1]));

    // A screenshot of the timeline with the cap at work, for the README.
    let png = browser.screenshot().await.expect("screenshot");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    // (`tests/` sits at the repository root, so its parent holds the workspace's target.)
    std::fs::create_dir_all(&target).expect("target dir");
    std::fs::write(target.join("inspector.png"), png).expect("screenshot saved");

    // Clients that give up free their slots.
    drop(held);
    wait_for_text(&browser, "#in-flight", "0").await;

    browser.close().await.expect("browser closes");
    emulator.shutdown().await;
}

/// What a row shows, and what the search box finds; at this point the timeline holds #1 (a
/// hostile name), #2 ("Sa Re Ga Ma episode 12") and #3 (refused: "no properties").
async fn rows_and_search(browser: &Client, base: &str) {
    browser
        .goto(&format!("{base}/_emulator/ui"))
        .await
        .expect("timeline");
    wait_for(browser, "#rows tr.entry[data-id='3']").await;
    let cells = script(
        browser,
        "return Array.from(document.querySelectorAll('#rows tr.entry'))
                 .map(r => [r.querySelector('td.name').innerText, r.querySelector('td.properties').innerText]);",
    )
    .await;
    let properties = "program_id=234567 language=Hindi prev_program_id=123457";
    assert_eq!(
        cells,
        json!([
            // A refused bulletin keeps its name, its error beside it.
            ["no properties\nProperty program_id missing", ""],
            ["Sa Re Ga Ma episode 12", properties],
            [HOSTILE, format!("{properties} +1 more")],
        ])
    );
    // Counts read as numbers, and the search box's hint is not cut off.
    let meta = script(
        browser,
        "return document.getElementById('kept').textContent;",
    )
    .await;
    assert!(
        meta.as_str()
            .is_some_and(|m| m.contains("kept of at most 100,000.")),
        "{meta}"
    );
    let fits = script(
        browser,
        "const input = document.getElementById('search');
         const style = getComputedStyle(input);
         const context = document.createElement('canvas').getContext('2d');
         context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
         const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
         return [input.placeholder, context.measureText(input.placeholder).width <= room];",
    )
    .await;
    assert_eq!(fits, json!(["name, event, error, property", true]));

    // The search finds a name as the list shows it, a refused bulletin's name, and an error.
    for (typed, expected) in [
        ("sa re ga ma", json!(["2"])),
        ("No Properties", json!(["3"])),
        ("program_id missing", json!(["3"])),
    ] {
        browser
            .goto(&format!("{base}/_emulator/ui"))
            .await
            .expect("timeline");
        let search = wait_for(browser, "#search").await;
        search
            .send_keys(&format!("{typed}\u{E007}"))
            .await
            .expect("typed");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !browser
            .current_url()
            .await
            .is_ok_and(|url| url.query().is_some_and(|q| q.contains("q=")))
        {
            assert!(Instant::now() < deadline, "the search was not submitted");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        wait_for(browser, "#live[data-state='up']").await;
        assert_eq!(row_ids(browser).await, expected, "{typed}");
    }
}
