//! The file format: reading, checking and writing `bulletins.json`.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::error::{AccountProblem, Error, ErrorKind};
use crate::key::check_key;
use crate::locate::{locate, Step};
use crate::model::{Account, Dashboard, EventDefinition};

/// The origin named in errors about text parsed without a file.
const STRING_ORIGIN: &str = "<string>";

/// The file as read: events typed, accounts as plain JSON (converted by [`accounts`]).
pub(crate) struct FileIn {
    pub(crate) accounts: Option<Value>,
    pub(crate) concurrency_limit: Option<usize>,
    pub(crate) business_events: Vec<EventIn>,
}

pub(crate) struct EventIn {
    pub(crate) name: String,
    pub(crate) properties: Vec<String>,
    pub(crate) required: Vec<String>,
    pub(crate) targets: Option<u64>,
}

impl Dashboard {
    /// Reads and checks a dashboard file. Errors name the file as `path` is written.
    ///
    /// # Errors
    /// [`Error`] if the file cannot be read or is refused (see [`Dashboard::from_slice`]).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let bytes =
            std::fs::read(path).map_err(|e| Error::new(&origin, None, ErrorKind::Read(e)))?;
        Self::from_slice(&bytes, &origin)
    }

    /// Parses and checks the bytes of a dashboard file; `origin` names it in errors.
    ///
    /// ```
    /// use bulletins_dashboard::Dashboard;
    ///
    /// let text = br#"{ "business_events": [
    ///     { "name": "order_placed", "properties": ["order_id"], "required": ["order_id", "sku"] }
    /// ] }"#;
    /// let err = Dashboard::from_slice(text, "bulletins.json").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "bulletins.json:2:84: business event \"order_placed\": required key \"sku\" is not among its `properties`; add it there or remove it from `required`",
    /// );
    /// ```
    ///
    /// # Errors
    /// [`Error`] with the line and column of the first problem: invalid JSON, an unknown
    /// field, two events with one name, a property listed twice, a `required` key that is
    /// not a property, a name or key breaking CleverTap's key rules, a malformed account.
    pub fn from_slice(bytes: &[u8], origin: &str) -> Result<Self, Error> {
        let file: FileIn = serde_json::from_slice(bytes).map_err(|e| json_error(&e, origin))?;
        let dashboard = Self {
            accounts: match file.accounts {
                Some(value) => Some(accounts(value, bytes, origin)?),
                None => None,
            },
            concurrency_limit: file.concurrency_limit,
            events: file
                .business_events
                .into_iter()
                .map(|e| EventDefinition {
                    name: e.name,
                    properties: e.properties,
                    required: e.required,
                    targets: e.targets,
                })
                .collect(),
        };
        dashboard.check_events(Some(bytes), origin)?;
        Ok(dashboard)
    }

    /// Checks a dashboard built in code with the rules a file is checked with.
    ///
    /// # Errors
    /// [`Error`] naming the first problem (without a line: there is no file).
    pub fn validate(&self) -> Result<(), Error> {
        self.check_events(None, "<dashboard>")?;
        for (index, account) in self.accounts.iter().flatten().enumerate() {
            let problem = if account.account_id.is_empty() {
                Some(AccountProblem::Empty("account_id"))
            } else if account.passcode.is_empty() {
                Some(AccountProblem::Empty("passcode"))
            } else {
                self.accounts
                    .iter()
                    .flatten()
                    .position(|a| a.account_id == account.account_id)
                    .filter(|first| *first < index)
                    .map(|first| AccountProblem::DuplicateId { first })
            };
            if let Some(problem) = problem {
                let kind = ErrorKind::Account { index, problem };
                return Err(Error::new("<dashboard>", None, kind));
            }
        }
        if self.accounts.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::new("<dashboard>", None, ErrorKind::NoAccounts));
        }
        Ok(())
    }

    /// The dashboard as the file's JSON, pretty-printed, ending with a newline.
    ///
    /// ```
    /// use bulletins_dashboard::{Dashboard, EventDefinition};
    ///
    /// let dashboard = Dashboard::new().with_event(
    ///     EventDefinition::new("order_placed").properties(["order_id"]).required(["order_id"]),
    /// );
    /// let text = dashboard.to_json_pretty();
    /// assert_eq!(text.parse::<Dashboard>().ok(), Some(dashboard));
    /// ```
    pub fn to_json_pretty(&self) -> String {
        // Keys are inserted in alphabetical order, so the text is the same whether serde_json
        // keeps maps sorted or in insertion order (its `preserve_order` feature).
        let strings =
            |keys: &[String]| Value::Array(keys.iter().cloned().map(Value::String).collect());
        let mut file = Map::new();
        if let Some(accounts) = &self.accounts {
            let accounts = accounts
                .iter()
                .map(|a| {
                    let mut account = Map::new();
                    account.insert("account_id".into(), Value::String(a.account_id.clone()));
                    account.insert("passcode".into(), Value::String(a.passcode.clone()));
                    Value::Object(account)
                })
                .collect();
            file.insert("accounts".into(), Value::Array(accounts));
        }
        let events = self
            .events
            .iter()
            .map(|e| {
                let mut event = Map::new();
                event.insert("name".into(), Value::String(e.name.clone()));
                event.insert("properties".into(), strings(&e.properties));
                event.insert("required".into(), strings(&e.required));
                if let Some(targets) = e.targets {
                    event.insert("targets".into(), Value::from(targets));
                }
                Value::Object(event)
            })
            .collect();
        file.insert("business_events".into(), Value::Array(events));
        if let Some(limit) = self.concurrency_limit {
            file.insert("concurrency_limit".into(), Value::from(limit));
        }
        // A `Value` always serializes; there is no error to report.
        let mut text = serde_json::to_string_pretty(&Value::Object(file)).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The event rules, in file order, so the first error is the first in the file.
    fn check_events(&self, text: Option<&[u8]>, origin: &str) -> Result<(), Error> {
        let at = |path: &[Step<'_>]| {
            text.map(|text| {
                let position = locate(text, path);
                (position.line, position.column)
            })
        };
        let mut first_by_name: HashMap<&str, usize> = HashMap::new();
        for (i, event) in self.events.iter().enumerate() {
            let event_path = [Step::Key("business_events"), Step::Index(i)];
            let name_path = [event_path[0], event_path[1], Step::Key("name")];
            if let Err(problem) = check_key(&event.name) {
                let kind = ErrorKind::EventName {
                    name: event.name.clone(),
                    problem,
                };
                return Err(Error::new(origin, at(&name_path), kind));
            }
            if let Some(first) = first_by_name.insert(&event.name, i) {
                let first_path = [event_path[0], Step::Index(first), Step::Key("name")];
                let kind = ErrorKind::DuplicateEvent {
                    name: event.name.clone(),
                    first_line: at(&first_path).map(|(line, _)| line),
                };
                return Err(Error::new(origin, at(&name_path), kind));
            }
            for (j, key) in event.properties.iter().enumerate() {
                let key_path = [
                    event_path[0],
                    event_path[1],
                    Step::Key("properties"),
                    Step::Index(j),
                ];
                let kind = if let Err(problem) = check_key(key) {
                    ErrorKind::PropertyKey {
                        event: event.name.clone(),
                        key: key.clone(),
                        problem,
                    }
                } else if event.properties[..j].contains(key) {
                    ErrorKind::DuplicateProperty {
                        event: event.name.clone(),
                        key: key.clone(),
                    }
                } else {
                    continue;
                };
                return Err(Error::new(origin, at(&key_path), kind));
            }
            for (j, key) in event.required.iter().enumerate() {
                let key_path = [
                    event_path[0],
                    event_path[1],
                    Step::Key("required"),
                    Step::Index(j),
                ];
                let kind = if !event.properties.contains(key) {
                    ErrorKind::RequiredNotAProperty {
                        event: event.name.clone(),
                        key: key.clone(),
                    }
                } else if event.required[..j].contains(key) {
                    ErrorKind::DuplicateRequired {
                        event: event.name.clone(),
                        key: key.clone(),
                    }
                } else {
                    continue;
                };
                return Err(Error::new(origin, at(&key_path), kind));
            }
        }
        Ok(())
    }
}

impl FromStr for Dashboard {
    type Err = Error;

    /// Parses the text of a dashboard file; errors name it `<string>`.
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::from_slice(text.as_bytes(), STRING_ORIGIN)
    }
}

/// serde_json's error with its position moved out of the message and into the error.
fn json_error(e: &serde_json::Error, origin: &str) -> Error {
    let message = e.to_string();
    // serde_json ends its messages with " at line L column C"; the error states them itself.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let position = (e.line() > 0).then(|| (e.line(), e.column()));
    Error::new(origin, position, ErrorKind::Json(message))
}

/// The accounts, converted by hand: every message names the account by index and field,
/// never by a value.
fn accounts(value: Value, text: &[u8], origin: &str) -> Result<Vec<Account>, Error> {
    let accounts_path = Step::Key("accounts");
    let Value::Array(items) = value else {
        let position = locate(text, &[accounts_path]);
        let kind = ErrorKind::Json("`accounts` must be a list of accounts".to_owned());
        return Err(Error::new(
            origin,
            Some((position.line, position.column)),
            kind,
        ));
    };
    if items.is_empty() {
        let position = locate(text, &[accounts_path]);
        return Err(Error::new(
            origin,
            Some((position.line, position.column)),
            ErrorKind::NoAccounts,
        ));
    }
    let mut accounts: Vec<Account> = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let fail = |field: Option<&str>, problem: AccountProblem| {
            let mut path = vec![accounts_path, Step::Index(index)];
            path.extend(field.map(Step::Key));
            let position = locate(text, &path);
            Error::new(
                origin,
                Some((position.line, position.column)),
                ErrorKind::Account { index, problem },
            )
        };
        let Value::Object(mut fields) = item else {
            return Err(fail(None, AccountProblem::NotAnObject));
        };
        let mut take = |field: &'static str| match fields.remove(field) {
            None => Err(fail(None, AccountProblem::Missing(field))),
            Some(Value::String(s)) if s.is_empty() => {
                Err(fail(Some(field), AccountProblem::Empty(field)))
            }
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(fail(Some(field), AccountProblem::NotAString(field))),
        };
        let account_id = take("account_id")?;
        let passcode = take("passcode")?;
        if !fields.is_empty() {
            return Err(fail(None, AccountProblem::UnknownField));
        }
        if let Some(first) = accounts.iter().position(|a| a.account_id == account_id) {
            let problem = AccountProblem::DuplicateId { first };
            return Err(fail(Some("account_id"), problem));
        }
        accounts.push(Account::new(account_id, passcode));
    }
    Ok(accounts)
}
