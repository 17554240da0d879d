//! One attempt: send the prepared request, read at most [`MAX_BODY_BYTES`] of the answer, and
//! classify what happened as the core's [`Failure`].

use bulletins_core::{oversized_body, parse_parts, Failure, Triggered};
use bytes::Bytes;
use http::{Method, StatusCode};

use crate::error::AttemptFailure;
use crate::shared::Shared;

/// The most bytes of an answer read. CleverTap's answers are a few dozen bytes; anything larger
/// is not its JSON, and reading it all would let a misbehaving proxy exhaust memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What one attempt ended in.
#[derive(Debug)]
pub(crate) struct Attempt {
    /// The answer's status, if one came.
    pub(crate) status: Option<StatusCode>,
    pub(crate) outcome: Result<Triggered, AttemptFailure>,
}

/// Sends the request once, bounded by the per-attempt timeout. The caller holds a concurrency
/// permit for the whole call, body read included.
pub(crate) async fn once(shared: &Shared, body: &Bytes) -> Attempt {
    let mut status = None;
    // Bounds the whole attempt, the answer's body included. A timeout past the clock's range
    // (`Duration::MAX`) never strikes.
    let exchange = exchange(shared, body, &mut status);
    let outcome = tokio::time::timeout(shared.timeout, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(AttemptFailure {
                failure: Failure::TimedOut,
                source: Some(format!("no answer within {:?}", shared.timeout).into()),
            })
        });
    Attempt { status, outcome }
}

/// The request and its answer, the status recorded as soon as it comes.
async fn exchange(
    shared: &Shared,
    body: &Bytes,
    status: &mut Option<StatusCode>,
) -> Result<Triggered, AttemptFailure> {
    let mut request = reqwest::Request::new(Method::POST, shared.url.clone());
    *request.headers_mut() = shared.headers.clone();
    *request.body_mut() = Some(body.clone().into());
    let mut response = shared.http.execute(request).await.map_err(transport)?;
    let answered = response.status();
    *status = Some(answered);
    let headers = std::mem::take(response.headers_mut());
    match read_capped(&mut response).await {
        Ok(Body::Complete(body)) => {
            parse_parts(answered, &headers, &body).map_err(AttemptFailure::response)
        }
        Ok(Body::TooLarge(start)) => Err(AttemptFailure::response(oversized_body(
            answered,
            &headers,
            &start,
            "the body is larger than 64 KiB",
        ))),
        Err(error) => Err(transport(error)),
    }
}

/// Classifies an error of the HTTP stack.
///
/// - `is_connect`: no connection was made (refused, DNS, TLS handshake, and the connect timeout,
///   which reqwest reports as both connect and timeout): nothing was sent.
/// - `is_timeout` otherwise: the per-attempt timeout struck after connecting, so the request
///   may have been sent and processed.
/// - anything else (the connection closed or reset while sending or before the answer was
///   complete, a malformed answer): it may have been processed.
fn transport(error: reqwest::Error) -> AttemptFailure {
    let failure = if error.is_connect() {
        Failure::NotConnected
    } else if error.is_timeout() {
        Failure::TimedOut
    } else {
        Failure::ConnectionLost
    };
    AttemptFailure {
        failure,
        source: Some(Box::new(error)),
    }
}

enum Body {
    Complete(Vec<u8>),
    /// Over the cap: the first bytes only.
    TooLarge(Vec<u8>),
}

/// Reads the body chunk by chunk, stopping as soon as it is over [`MAX_BODY_BYTES`].
async fn read_capped(response: &mut reqwest::Response) -> Result<Body, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Ok(Body::TooLarge(Vec::new()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok(Body::TooLarge(body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Complete(body))
}
