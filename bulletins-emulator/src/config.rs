//! The dashboard file read by the `bulletins-emulator` binary.
//!
//! ```json
//! {
//!   "accounts": [{ "account_id": "ABCD-RSTU-1234", "passcode": "XXXXXX" }],
//!   "concurrency_limit": 3,
//!   "business_events": [
//!     { "name": "order_placed",
//!       "properties": ["order_id", "product_category", "coupon_code"],
//!       "required": ["order_id", "product_category"],
//!       "targets": 1 }
//!   ]
//! }
//! ```
//!
//! Unknown fields are refused. `concurrency_limit` (default 3, 0 for unlimited), `properties`,
//! `required` and `targets` (default 1) may be left out.

use std::path::Path;

use serde::Deserialize;

use crate::dashboard::{Account, Dashboard, EventDefinition, DEFAULT_CONCURRENCY_LIMIT};

/// Why a dashboard file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON, or does not have the expected fields.
    #[error("{origin}: line {line}, column {column}: {message}")]
    Json {
        /// The file, or `<string>`.
        origin: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file is well-formed but describes a dashboard that cannot exist.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file, or `<string>`.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDashboard {
    accounts: Vec<FileAccount>,
    #[serde(default = "default_limit")]
    concurrency_limit: usize,
    #[serde(default)]
    business_events: Vec<FileEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAccount {
    account_id: String,
    passcode: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEvent {
    name: String,
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    required: Vec<String>,
    #[serde(default = "default_targets")]
    targets: u64,
}

fn default_limit() -> usize {
    DEFAULT_CONCURRENCY_LIMIT
}

fn default_targets() -> u64 {
    1
}

impl Dashboard {
    /// Reads a dashboard file, the format the `bulletins-emulator` binary takes:
    ///
    /// ```json
    /// {
    ///   "accounts": [{ "account_id": "ABCD-RSTU-1234", "passcode": "XXXXXX" }],
    ///   "concurrency_limit": 3,
    ///   "business_events": [
    ///     { "name": "order_placed",
    ///       "properties": ["order_id", "product_category", "coupon_code"],
    ///       "required": ["order_id", "product_category"],
    ///       "targets": 1 }
    ///   ]
    /// }
    /// ```
    ///
    /// Unknown fields are refused. `concurrency_limit` (default 3, 0 for unlimited),
    /// `business_events`, `properties`, `required` and `targets` (default 1) may be left out.
    /// The dashboard must pass [`Dashboard::check`].
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and the problem, with line and column for JSON errors.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: origin.clone(),
            source,
        })?;
        parse(&text, origin)
    }

    /// Parses a dashboard from the JSON text of a file (see [`Dashboard::from_file`]).
    ///
    /// ```
    /// let dashboard = bulletins_emulator::Dashboard::from_json(
    ///     r#"{"accounts":[{"account_id":"A","passcode":"P"}],
    ///         "business_events":[{"name":"order_placed","properties":["order_id"],"required":["order_id"]}]}"#,
    /// )?;
    /// assert_eq!(dashboard.concurrency_limit(), 3);
    /// # Ok::<(), bulletins_emulator::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] naming the problem, with line and column for JSON errors.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        parse(text, "<string>".to_owned())
    }
}

fn parse(text: &str, origin: String) -> Result<Dashboard, ConfigError> {
    let file: FileDashboard = serde_json::from_str(text).map_err(|e| ConfigError::Json {
        origin: origin.clone(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    let mut dashboard = Dashboard::empty();
    dashboard.set_concurrency_limit(file.concurrency_limit);
    for account in file.accounts {
        dashboard.add_account(Account::new(account.account_id, account.passcode));
    }
    for event in file.business_events {
        dashboard.add_event(
            EventDefinition::new(event.name)
                .properties(event.properties)
                .required(event.required)
                .targets(event.targets),
        );
    }
    dashboard
        .check()
        .map_err(|message| ConfigError::Invalid { origin, message })?;
    Ok(dashboard)
}

/// serde_json ends its messages with " at line L column C"; the error states them itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_parses() {
        let text = r#"{
          "accounts": [{ "account_id": "ABCD-RSTU-1234", "passcode": "XXXXXX" }],
          "concurrency_limit": 3,
          "business_events": [
            { "name": "order_placed",
              "properties": ["order_id", "product_category", "coupon_code"],
              "required": ["order_id", "product_category"],
              "targets": 1 }
          ]
        }"#;
        let d = Dashboard::from_json(text).map_err(|e| e.to_string());
        let d = d.as_ref().map(|d| d.events().len());
        assert_eq!(d, Ok(1));
    }

    #[test]
    fn unknown_fields_are_refused_with_their_position() {
        let text = "{\n  \"accounts\": [],\n  \"concurency_limit\": 3\n}";
        let err = Dashboard::from_json(text)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let err = err.err().unwrap_or_default();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("unknown field `concurency_limit`"), "{err}");
    }

    #[test]
    fn semantic_problems_are_named() {
        let text = r#"{"accounts":[{"account_id":"A","passcode":"P"}],
            "business_events":[{"name":"e","properties":["a"],"required":["b"]}]}"#;
        let err = Dashboard::from_json(text)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let err = err.err().unwrap_or_default();
        assert!(err.contains("required property \"b\""), "{err}");
    }
}
