//! The trigger request, complete, for any HTTP stack to send.

use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request};

use crate::bulletin::Bulletin;
use crate::credentials::Credentials;
use crate::error::BuildError;
use crate::event::BusinessEvent;
use crate::region::BaseUrl;

/// The header carrying the CleverTap account id (header names are case-insensitive).
pub const ACCOUNT_ID_HEADER: &str = "x-clevertap-account-id";

/// The header carrying the account's passcode.
pub const PASSCODE_HEADER: &str = "x-clevertap-passcode";

const USER_AGENT_VALUE: &str = concat!("bulletins-rs/", env!("CARGO_PKG_VERSION"));

/// Builds the complete trigger request for an already serialized payload: `POST` to
/// [`BaseUrl::trigger_uri`] with the account id, passcode (marked sensitive) and
/// `Content-Type: application/json` headers.
///
/// Most callers want [`Bulletin::to_request`], which validates and serializes first.
pub fn trigger_request(
    base_url: &BaseUrl,
    credentials: &Credentials,
    body: Vec<u8>,
) -> Request<Vec<u8>> {
    let mut request = Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() = base_url.trigger_uri().clone();
    let headers = request.headers_mut();
    headers.insert(ACCOUNT_ID_HEADER, credentials.account_id_header());
    headers.insert(PASSCODE_HEADER, credentials.passcode_header());
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    request
}

impl<E: BusinessEvent> Bulletin<'_, E> {
    /// Validates and serializes the bulletin, then builds its trigger request.
    ///
    /// ```
    /// use bulletins_core::{BaseUrl, Bulletin, Credentials, DynamicEvent, Region};
    ///
    /// let event = DynamicEvent::new("order_placed")?.property("order_id", "12345")?;
    /// let credentials = Credentials::new("ABCD-RSTU-1234", "XXXXXX")?;
    /// let request = Bulletin::new(event, "Order 12345", "[email protected]")
    ///     .to_request(&BaseUrl::from(Region::India), &credentials)?;
    /// assert_eq!(request.method(), "POST");
    /// assert_eq!(request.uri(), "https://in1.api.clevertap.com/1/targets/trigger.json");
    /// assert_eq!(request.headers()["x-clevertap-account-id"], "ABCD-RSTU-1234");
    /// assert_eq!(request.headers()["content-type"], "application/json");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The first rule the bulletin breaks; see [`BuildError`].
    pub fn to_request(
        &self,
        base_url: &BaseUrl,
        credentials: &Credentials,
    ) -> Result<Request<Vec<u8>>, BuildError> {
        Ok(trigger_request(base_url, credentials, self.to_json_vec()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DynamicEvent, Region};

    #[test]
    fn the_documented_request() {
        let event = DynamicEvent::new("Program Released")
            .and_then(|e| e.property("program_id", "234567"))
            .and_then(|e| e.property("language", "Hindi"))
            .and_then(|e| e.property("prev_program_id", "123457"))
            .expect("valid");
        let credentials = Credentials::new("ACCOUNT_ID", "PASSCODE").expect("valid");
        let request = Bulletin::new(event, "Sa Re Ga Ma episode 12", "[email protected]")
            .to_request(&Region::India.into(), &credentials)
            .expect("valid");
        assert_eq!(request.method(), Method::POST);
        assert_eq!(
            request.uri().to_string(),
            "https://in1.api.clevertap.com/1/targets/trigger.json"
        );
        let h = request.headers();
        assert_eq!(h["X-CleverTap-Account-Id"], "ACCOUNT_ID");
        assert_eq!(h["X-CleverTap-Passcode"], "PASSCODE");
        assert!(h["X-CleverTap-Passcode"].is_sensitive());
        assert_eq!(h["Content-Type"], "application/json");
        assert_eq!(
            request.body().as_slice(),
            br#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#
        );
    }
}
