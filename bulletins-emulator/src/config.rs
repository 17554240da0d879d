//! The dashboard file read by the `bulletins-emulator` binary: `bulletins.json`, parsed and
//! checked by `bulletins-dashboard` (the parser the derive, the core and the CLI use).
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
//! Everything but each event's `name` may be left out: without `accounts` (a file checked into
//! a repository holds no passcode) the emulator serves the demo account `ABCD-RSTU-1234` /
//! `XXXXXX`; `concurrency_limit` defaults to 3 (0 for unlimited), `targets` to 1.

use std::path::Path;

use crate::dashboard::{Account, Dashboard, DEMO_ACCOUNT_ID, DEMO_PASSCODE};

/// Why a dashboard file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read, is not valid JSON, or breaks a rule of the file format:
    /// `file:line:column: problem`. It never repeats a value from `accounts`.
    #[error(transparent)]
    File(#[from] bulletins_dashboard::Error),
    /// The file is well-formed but describes a dashboard the emulator cannot serve.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file, or `<string>`.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

impl Dashboard {
    /// Reads a dashboard file, `bulletins.json`:
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
    /// Everything but each event's `name` may be left out: without `accounts` the demo account
    /// `ABCD-RSTU-1234` / `XXXXXX` is served; `concurrency_limit` defaults to 3 (0 for
    /// unlimited), `targets` to 1. Unknown fields are refused.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, with the line and column of the problem.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let file = bulletins_dashboard::Dashboard::from_file(path)?;
        Self::from_definition(file, &path.display().to_string())
    }

    /// Parses a dashboard from the JSON text of a file (see [`Dashboard::from_file`]).
    ///
    /// ```
    /// let dashboard = bulletins_emulator::Dashboard::from_json(
    ///     r#"{"business_events":[{"name":"order_placed","properties":["order_id"],"required":["order_id"]}]}"#,
    /// )?;
    /// assert_eq!(dashboard.concurrency_limit(), 3);
    /// // No `accounts`: the demo account is served.
    /// assert_eq!(dashboard.accounts()[0].account_id(), "ABCD-RSTU-1234");
    /// # Ok::<(), bulletins_emulator::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] naming the problem, with its line and column.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let file: bulletins_dashboard::Dashboard = text.parse()?;
        Self::from_definition(file, "<string>")
    }

    /// The dashboard a parsed file describes; the demo account when it lists no `accounts`.
    /// `origin` names the file in errors.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] if the result fails [`Dashboard::check`].
    pub fn from_definition(
        file: bulletins_dashboard::Dashboard,
        origin: &str,
    ) -> Result<Self, ConfigError> {
        let mut model = file;
        if model.accounts().is_none() {
            model.add_account(Account::new(DEMO_ACCOUNT_ID, DEMO_PASSCODE));
        }
        let dashboard = Self::from_model(model);
        dashboard.check().map_err(|message| ConfigError::Invalid {
            origin: origin.to_owned(),
            message,
        })?;
        Ok(dashboard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_CONCURRENCY_LIMIT;

    fn refused(text: &str) -> String {
        match Dashboard::from_json(text) {
            Ok(d) => panic!("accepted: {d:?}"),
            Err(e) => e.to_string(),
        }
    }

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
    fn without_accounts_the_demo_account_is_served() {
        let d = Dashboard::from_json(r#"{"business_events":[{"name":"e","targets":4}]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = d.accounts().iter().map(Account::account_id).collect();
        assert_eq!(ids, [DEMO_ACCOUNT_ID]);
        assert_eq!(d.events()[0].target_count(), Some(4));
        assert_eq!(d.concurrency_limit(), DEFAULT_CONCURRENCY_LIMIT);
    }

    #[test]
    fn unknown_fields_are_refused_with_their_position() {
        let err = refused("{\n  \"accounts\": [],\n  \"concurency_limit\": 3\n}");
        assert!(err.starts_with("<string>:3:"), "{err}");
        assert!(err.contains("unknown field `concurency_limit`"), "{err}");
    }

    #[test]
    fn semantic_problems_are_named() {
        let err =
            refused(r#"{"business_events":[{"name":"e","properties":["a"],"required":["b"]}]}"#);
        assert!(err.contains("required key \"b\""), "{err}");
    }

    #[test]
    fn a_passcode_written_as_a_number_is_not_echoed() {
        let err = refused(r#"{"accounts":[{"account_id":"A","passcode":987654321}]}"#);
        assert!(!err.contains("987654321"), "{err}");
        assert!(
            err.contains("accounts[0]: `passcode` must be a string"),
            "{err}"
        );
    }
}
