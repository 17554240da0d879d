//! Helpers shared by the integration tests: a test dashboard, a plain HTTP client, raw sockets.
#![allow(dead_code, unreachable_pub)] // Each test binary uses a different subset.

use std::time::Duration;

use bulletins_emulator::{Emulator, EmulatorBuilder, EventDefinition};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const ACCOUNT: &str = "ABCD-RSTU-1234";
pub const PASSCODE: &str = "XXXXXX";

/// The documented example payload, as CleverTap's curl example sends it.
pub const EXAMPLE: &str = r#"{
"business_event": "Program Released",
"name": "Sa Re Ga Ma episode 12",
"properties": {
"program_id": "234567",
"language": "Hindi",
"prev_program_id": "123457"
},
"c-by": "[email protected]",
"when": "now"
}"#;

/// The demo dashboard plus the documentation's `order_placed` (for its error samples), a
/// `ping` event without properties and a `broadcast` event with 5 targets.
pub fn dashboard() -> EmulatorBuilder {
    Emulator::demo()
        .event(
            EventDefinition::new("order_placed")
                .properties(["order_id", "product_category", "coupon_code"])
                .required(["order_id", "product_category"]),
        )
        .event(EventDefinition::new("ping"))
        .event(
            EventDefinition::new("broadcast")
                .properties(["topic"])
                .targets(5),
        )
}

pub async fn start() -> Emulator {
    match dashboard().start().await {
        Ok(emulator) => emulator,
        Err(e) => panic!("emulator did not start: {e}"),
    }
}

/// An answer as a plain client sees it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {}", self.body))
    }

    /// The `error` of a failure body, after checking the whole failure shape.
    pub fn error(&self) -> String {
        let json = self.json();
        assert_eq!(json["status"], "fail", "{}", self.body);
        assert_eq!(json["code"], self.status, "{}", self.body);
        assert_eq!(json.as_object().map(|o| o.len()), Some(3), "{}", self.body);
        json["error"].as_str().unwrap_or_default().to_owned()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

/// POSTs `body` to the trigger endpoint with these headers.
pub async fn post_with(
    emulator: &Emulator,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> Result<Answer, reqwest::Error> {
    post_to(emulator.trigger_url(), headers, body).await
}

/// POSTs `body` to `url` with these headers.
pub async fn post_to(
    url: impl reqwest::IntoUrl,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> Result<Answer, reqwest::Error> {
    let mut request = client().post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// The three documented headers.
pub const HEADERS: &[(&str, &str)] = &[
    ("X-CleverTap-Account-Id", ACCOUNT),
    ("X-CleverTap-Passcode", PASSCODE),
    ("Content-Type", "application/json"),
];

/// POSTs `body` with the documented headers; panics if no answer comes.
pub async fn trigger(emulator: &Emulator, body: impl Into<reqwest::Body>) -> Answer {
    post_with(emulator, HEADERS, body)
        .await
        .unwrap_or_else(|e| panic!("no answer: {e:?}"))
}

/// POSTs `body` with the documented headers to the trigger endpoint of the emulator serving
/// at `base_url` (another process); panics if no answer comes.
pub async fn trigger_at(base_url: &str, body: impl Into<reqwest::Body>) -> Answer {
    post_to(format!("{base_url}/1/targets/trigger.json"), HEADERS, body)
        .await
        .unwrap_or_else(|e| panic!("no answer: {e:?}"))
}

/// A valid payload for the demo event with the given `when` JSON and extra properties JSON.
pub fn program_released(extra_properties: &str, when: &str) -> String {
    format!(
        r#"{{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12",
            "properties":{{"program_id":"234567","language":"Hindi","prev_program_id":"123457"{extra_properties}}},
            "c-by":"[email protected]","when":{when}}}"#
    )
}

/// Any HTTP request on any route.
pub async fn http(method: reqwest::Method, url: String, body: Option<String>) -> Answer {
    let mut request = client().request(method, url);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer: {e:?}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

/// Writes raw bytes, half-closes, and reads until the server closes: everything it answered,
/// or `Err` when the connection was reset.
pub async fn raw(emulator: &Emulator, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(emulator.addr()).await?;
    stream.write_all(request).await?;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .map_err(|_| std::io::Error::other("server did not close the connection"))?;
    read.map(|_| answer)
}

/// A raw trigger request with the documented headers and a `Connection: close`.
pub fn raw_trigger(body: &str) -> Vec<u8> {
    format!(
        "POST /1/targets/trigger.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         X-CleverTap-Account-Id: {ACCOUNT}\r\nX-CleverTap-Passcode: {PASSCODE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
