//! `bulletins emulator tail`: follows a running emulator's live stream (`GET /_emulator/events`,
//! server-sent events, the stream the inspector's page reads) and prints one line per request,
//! or the stream's own JSON with `--json`. The filters are the inspector's, applied by the
//! emulator.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use crate::cli::emulator::{TailArgs, DEFAULT_URL};
use crate::exit::{Exit, Failure, Result};

/// The emulator sends a comment every 15 seconds; three missed mean the stream is gone.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

/// The most characters of a property's value a line shows (as the inspector's rows).
const VALUE_CHARS: usize = 40;

pub(crate) fn run(args: &TailArgs) -> Result<Exit> {
    let url = stream_url(args)?;
    let colour =
        !args.json && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    crate::commands::runtime()?.block_on(follow(args, url, colour))
}

/// `{--url}/_emulator/events?…`, with the filters and `details=true`.
fn stream_url(args: &TailArgs) -> Result<Url> {
    let bad = |why: String| {
        Failure::usage(format!("--url {}: {why}", args.url))
            .hint(format!("give the emulator's base URL, like {DEFAULT_URL}"))
    };
    let base = Url::parse(&args.url).map_err(|e| bad(e.to_string()))?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err(bad("not an http:// or https:// URL".to_owned()));
    }
    let mut url = base.clone();
    url.set_path(&format!(
        "{}/_emulator/events",
        base.path().trim_end_matches('/')
    ));
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut query = url.query_pairs_mut();
        if let Some(event) = &args.event {
            query.append_pair("event", event);
        }
        if let Some(status) = args.status {
            query.append_pair("status", status.word());
        }
        if let Some(search) = &args.search {
            query.append_pair("q", search);
        }
        query.append_pair("details", "true");
    }
    Ok(url)
}

/// Connects, then prints until a signal, the emulator's stop, or a lost stream.
async fn follow(args: &TailArgs, url: Url, colour: bool) -> Result<Exit> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(SILENCE_LIMIT);
    if is_loopback(&url) {
        // A proxy cannot reach this machine's loopback: never send the emulator through one.
        builder = builder.no_proxy();
    }
    let client = builder
        .build()
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot build an HTTP client: {e}")))?;
    let mut response = client
        .get(url)
        .header(ACCEPT, "text/event-stream")
        .send()
        .await
        .map_err(|e| unreachable(&args.url, &e))?;
    check_answer(&args.url, &response)?;

    let mut parser = Parser::default();
    let mut printer = Printer {
        json: args.json,
        colour,
        url: &args.url,
    };
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let chunk = tokio::select! {
            () = &mut stop => return Ok(Exit::Success),
            chunk = response.chunk() => chunk,
        };
        match chunk {
            Ok(Some(bytes)) => {
                for event in parser.push(&bytes) {
                    if printer.event(&event).is_err() {
                        // stdout is gone (`| head -n 3`): nothing left to follow for.
                        return Ok(Exit::Success);
                    }
                }
            }
            Ok(None) => {
                eprintln!("the emulator at {} stopped", args.url);
                return Ok(Exit::Success);
            }
            Err(error) => {
                return Err(Failure::new(
                    Exit::Failed,
                    format!("lost the stream of {}: {}", args.url, cause(&error)),
                ))
            }
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Nothing answered at `url`.
fn unreachable(url: &str, error: &reqwest::Error) -> Failure {
    Failure::new(
        Exit::Failed,
        format!("no emulator answers at {url}: {}", cause(error)),
    )
    .hint(format!(
        "start one with `bulletins emulator` (it listens on {DEFAULT_URL}), or give its address \
         with --url"
    ))
}

/// Something answered, but not an emulator's stream.
fn check_answer(url: &str, response: &reqwest::Response) -> Result<()> {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type");
    if status.is_success() && content_type.starts_with("text/event-stream") {
        return Ok(());
    }
    let answered = if status.is_success() {
        content_type.to_owned()
    } else {
        status.to_string()
    };
    Err(Failure::new(
        Exit::Failed,
        format!("{url} is not a bulletins emulator: GET /_emulator/events answered {answered}"),
    )
    .hint("give --url the address `bulletins emulator` printed (its base URL)"))
}

/// The innermost cause, which says what happened ("Connection refused") where the outer
/// error only says a request failed.
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// One server-sent event.
#[derive(Debug, Default, PartialEq, Eq)]
struct Event {
    name: String,
    data: String,
}

/// Splits the stream's bytes into events; a chunk may end anywhere, even inside a character.
#[derive(Debug, Default)]
struct Parser {
    pending: Vec<u8>,
}

impl Parser {
    fn push(&mut self, bytes: &[u8]) -> Vec<Event> {
        // CRLF and LF line ends alike.
        self.pending
            .extend(bytes.iter().copied().filter(|&b| b != b'\r'));
        let mut events = Vec::new();
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.pending.drain(..end + 2).collect();
            if let Some(event) = parse_block(&String::from_utf8_lossy(&block)) {
                events.push(event);
            }
        }
        events
    }
}

/// An event's lines; `None` for a comment alone (the keep-alive).
fn parse_block(block: &str) -> Option<Event> {
    let mut event = Event::default();
    let mut data = Vec::new();
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event.name = value.to_owned(),
            "data" => data.push(value),
            _ => {}
        }
    }
    if event.name.is_empty() && data.is_empty() {
        return None;
    }
    if event.name.is_empty() {
        event.name = "message".to_owned();
    }
    event.data = data.join("\n");
    Some(event)
}

/// What an `entry` or `updated` event says, with `details=true`.
#[derive(Debug, Deserialize)]
struct Notice {
    id: u64,
    status: String,
    business_event: Option<String>,
    received_at_ms: u64,
    http_status: Option<u16>,
    name: Option<String>,
    error: Option<String>,
    #[serde(default)]
    properties: InOrder,
}

/// A JSON object's members in the order the emulator wrote them: the order the bulletin's
/// code sent its properties in.
#[derive(Debug, Default)]
struct InOrder(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for InOrder {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = InOrder;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<InOrder, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(InOrder(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

struct Printer<'a> {
    json: bool,
    colour: bool,
    url: &'a str,
}

impl Printer<'_> {
    /// Prints what the event says; an error only when stdout cannot be written.
    fn event(&mut self, event: &Event) -> std::io::Result<()> {
        match event.name.as_str() {
            "ready" => eprintln!("following {} (Ctrl-C to stop)", self.url),
            "lagged" => {
                let missed = serde_json::from_str::<Value>(&event.data)
                    .ok()
                    .and_then(|v| v["missed"].as_u64())
                    .unwrap_or(0);
                eprintln!(
                    "warning: {missed} changes were skipped: this reader fell more than 1,024 \
                     behind the emulator"
                );
            }
            "entry" | "updated" => {
                let mut out = std::io::stdout().lock();
                if self.json {
                    writeln!(out, "{}", event.data)?;
                } else if let Ok(notice) = serde_json::from_str::<Notice>(&event.data) {
                    let updated = event.name == "updated";
                    writeln!(out, "{}", line(&notice, updated, self.colour))?;
                }
                out.flush()?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// One request on one line: time (UTC), status, HTTP status, id, event, name, then the error
/// or the properties.
fn line(notice: &Notice, updated: bool, colour: bool) -> String {
    let (label, code) = match notice.status.as_str() {
        "accepted" => ("accepted", "32"),
        "received_not_acknowledged" => ("not acknowledged", "33"),
        "rejected" => ("rejected", "31"),
        "fault" => ("fault", "35"),
        other => (other, "0"),
    };
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let http = notice
        .http_status
        .map_or_else(|| "---".to_owned(), |s| s.to_string());
    let mut text = format!(
        "{}  {}{:pad$}  {}  #{}  {}",
        paint("2", &time_of_day(notice.received_at_ms)),
        paint(code, label),
        "",
        paint(code, &http),
        notice.id,
        clean(notice.business_event.as_deref().unwrap_or("(no event)")),
        pad = 16usize.saturating_sub(label.chars().count()),
    );
    if let Some(name) = &notice.name {
        text.push_str(&format!("  \"{}\"", clean(name)));
    }
    if let Some(error) = &notice.error {
        text.push_str(&format!(
            "  {}",
            paint(code, &format!("error: {}", clean(error)))
        ));
    }
    if !notice.properties.0.is_empty() {
        text.push(' ');
        for (key, value) in &notice.properties.0 {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            text.push_str(&format!(" {}={}", clean(key), clean(&cut(&value))));
        }
    }
    if updated {
        text.push_str("  (acknowledged)");
    }
    text
}

/// `HH:MM:SS.mmm` of a UNIX time in milliseconds, in UTC.
fn time_of_day(ms: u64) -> String {
    let of_day = ms % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000
    )
}

/// Control characters escaped, so a recorded value cannot drive the terminal.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A value cut to [`VALUE_CHARS`] characters, ending in "…" when cut.
fn cut(text: &str) -> String {
    match text.char_indices().nth(VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_wherever_the_chunks_end() {
        let stream = "event: ready\ndata: {}\n\n:\n\nevent: entry\r\nid: 1\r\ndata: {\"id\":1,\"name\":\"é\"}\r\n\r\n";
        let bytes = stream.as_bytes();
        // Every split point, including inside the two bytes of "é".
        for at in 0..bytes.len() {
            let mut parser = Parser::default();
            let mut events = parser.push(&bytes[..at]);
            events.extend(parser.push(&bytes[at..]));
            let names: Vec<_> = events.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names, ["ready", "entry"], "split at {at}");
            assert_eq!(events[1].data, r#"{"id":1,"name":"é"}"#);
        }
    }

    fn notice(json: &str) -> Notice {
        serde_json::from_str(json).expect("a notice")
    }

    #[test]
    fn a_line_says_the_request_and_colours_only_when_asked() {
        let accepted = notice(
            r#"{"type":"entry","id":7,"status":"accepted","business_event":"Program Released",
            "received_at_ms":1764216721123,"http_status":200,"account":"A","name":"Ep 12",
            "error":null,"properties":{"program_id":"234567","language":"Hindi"}}"#,
        );
        assert_eq!(
            line(&accepted, false, false),
            "04:12:01.123  accepted          200  #7  Program Released  \"Ep 12\"  \
             program_id=234567 language=Hindi"
        );
        assert_eq!(
            line(&accepted, false, true),
            "\x1b[2m04:12:01.123\x1b[0m  \x1b[32maccepted\x1b[0m          \x1b[32m200\x1b[0m  \
             #7  Program Released  \"Ep 12\"  program_id=234567 language=Hindi"
        );
        let rejected = notice(
            r#"{"id":8,"status":"rejected","business_event":null,"received_at_ms":0,
            "http_status":null,"name":"a\u001b[2Jb","error":"Invalid passcode","properties":{}}"#,
        );
        // A name cannot drive the terminal.
        assert_eq!(
            line(&rejected, false, false),
            "00:00:00.000  rejected          ---  #8  (no event)  \"a\\u{1b}[2Jb\"  \
             error: Invalid passcode"
        );
        assert!(line(&accepted, true, false).ends_with("language=Hindi  (acknowledged)"));
    }

    #[test]
    fn values_are_cut_at_the_limit() {
        let exact = "x".repeat(VALUE_CHARS);
        assert_eq!(cut(&exact), exact);
        assert_eq!(cut(&format!("{exact}y")), format!("{exact}…"));
    }
}
