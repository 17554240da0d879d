//! A minimal static responder: the wire's limit for the load benchmarks in `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p bulletins-benches --bin static_responder -- [127.0.0.1:0]
//! ```
//!
//! It answers every request, whatever its method, path, headers or body, with
//! `200 {"status":"success","targets":1}` after reading the body: no routing, no validation, no
//! recording. The same hyper HTTP/1.1 stack the emulator is built on, so comparing the two
//! measures what the emulator's checks and recording cost. It prints its base URL on stdout
//! and runs until killed.

// Printing the URL it listens on is this program's interface.
#![allow(clippy::print_stdout)]

use std::convert::Infallible;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;

use hyper::body::{Body as _, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const ANSWER: &str = r#"{"status":"success","targets":1}"#;

async fn answer(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    // Read the body as any real endpoint must, so the connection stays reusable.
    let mut body = request.into_body();
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if frame.is_err() {
            break;
        }
    }
    let mut response = Response::new(ANSWER.to_owned());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("127.0.0.1:0")
        .parse()?;
    let listener = TcpListener::bind(addr).await?;
    println!(
        "static responder listening on http://{}",
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            // A client closing its connection mid-request is not this server's concern.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
