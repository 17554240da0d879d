//! Why a dashboard file was refused.

use std::fmt;

use crate::key::{quoted, KeyProblem};

/// A dashboard file that was refused: where (the file as the caller named it, the line and
/// the column) and why.
///
/// Its `Display` is `file:line:column: problem`, the form editors and terminals link to.
/// No message ever contains a value from the file's `accounts` (a passcode written as a
/// number is not echoed back): account problems name the account by its position.
#[derive(Debug)]
pub struct Error {
    origin: String,
    position: Option<(usize, usize)>,
    kind: ErrorKind,
}

/// What is wrong with a dashboard file.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    Read(std::io::Error),
    /// The text is not JSON, or has a field that is unknown, missing, duplicated or of the
    /// wrong type: serde_json's message, without its position (the error has it).
    Json(String),
    /// An event's name breaks CleverTap's key rules.
    EventName {
        /// The name.
        name: String,
        /// The rule it breaks.
        problem: KeyProblem,
    },
    /// Two events have one name.
    DuplicateEvent {
        /// The name.
        name: String,
        /// The line of the first event with that name.
        first_line: Option<usize>,
    },
    /// A property key breaks CleverTap's key rules.
    PropertyKey {
        /// The event.
        event: String,
        /// The key.
        key: String,
        /// The rule it breaks.
        problem: KeyProblem,
    },
    /// An event lists a property twice.
    DuplicateProperty {
        /// The event.
        event: String,
        /// The key.
        key: String,
    },
    /// A `required` entry is not among the event's `properties`.
    RequiredNotAProperty {
        /// The event.
        event: String,
        /// The key.
        key: String,
    },
    /// An event lists a required key twice.
    DuplicateRequired {
        /// The event.
        event: String,
        /// The key.
        key: String,
    },
    /// An account is malformed. Only the account's position is kept, never its values.
    Account {
        /// The account's index in `accounts` (0-based).
        index: usize,
        /// What is wrong with it.
        problem: AccountProblem,
    },
    /// `accounts` is present but empty.
    NoAccounts,
}

/// What is wrong with an account. Deliberately without values: they may be secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountProblem {
    /// The account is not a JSON object.
    NotAnObject,
    /// The account has a field other than `account_id` and `passcode`.
    UnknownField,
    /// `account_id` or `passcode` is missing.
    Missing(&'static str),
    /// `account_id` or `passcode` is not a string.
    NotAString(&'static str),
    /// `account_id` or `passcode` is empty.
    Empty(&'static str),
    /// An earlier account has the same `account_id`.
    DuplicateId {
        /// The index of the earlier account.
        first: usize,
    },
}

impl Error {
    pub(crate) fn new(origin: &str, position: Option<(usize, usize)>, kind: ErrorKind) -> Self {
        Self {
            origin: origin.to_owned(),
            position,
            kind,
        }
    }

    /// The file, as the caller named it (`<string>` for text parsed without a name).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The 1-based line of the problem, when it has one (not for read errors, nor for a
    /// dashboard built in code).
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }

    /// The 1-based column of the problem (in characters), when it has one.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, column)| column)
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The problem alone, without the file and position: for callers that show those
    /// themselves, such as a compile error underlining the file's name.
    pub fn problem(&self) -> String {
        self.kind.to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.origin, self.kind),
            None => write!(f, "{}: {}", self.origin, self.kind),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Read(source) => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Read(source) => write!(f, "cannot read the dashboard file: {source}"),
            ErrorKind::Json(message) => f.write_str(message),
            ErrorKind::EventName { name, problem } => {
                write!(f, "business event name {} {problem}", quoted(name))
            }
            ErrorKind::DuplicateEvent { name, first_line } => {
                write!(f, "business event {} is defined twice", quoted(name))?;
                if let Some(line) = first_line {
                    write!(f, " (first on line {line})")?;
                }
                f.write_str("; keep one definition")
            }
            ErrorKind::PropertyKey {
                event,
                key,
                problem,
            } => write!(
                f,
                "business event {}: property key {} {problem}",
                quoted(event),
                quoted(key)
            ),
            ErrorKind::DuplicateProperty { event, key } => write!(
                f,
                "business event {}: property {} is listed twice in `properties`",
                quoted(event),
                quoted(key)
            ),
            ErrorKind::RequiredNotAProperty { event, key } => write!(
                f,
                "business event {}: required key {} is not among its `properties`; add it there or remove it from `required`",
                quoted(event),
                quoted(key)
            ),
            ErrorKind::DuplicateRequired { event, key } => write!(
                f,
                "business event {}: key {} is listed twice in `required`",
                quoted(event),
                quoted(key)
            ),
            ErrorKind::Account { index, problem } => {
                write!(f, "accounts[{index}]: {problem}")
            }
            ErrorKind::NoAccounts => f.write_str(
                "`accounts` is empty; list at least one account, or leave `accounts` out",
            ),
        }
    }
}

impl fmt::Display for AccountProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountProblem::NotAnObject => f.write_str(
                "an account is an object: {\"account_id\": \"...\", \"passcode\": \"...\"}",
            ),
            AccountProblem::UnknownField => {
                f.write_str("unknown field; an account has exactly `account_id` and `passcode`")
            }
            AccountProblem::Missing(field) => write!(f, "missing field `{field}`"),
            AccountProblem::NotAString(field) => {
                write!(f, "`{field}` must be a string (write it in quotes)")
            }
            AccountProblem::Empty(field) => write!(f, "`{field}` is empty"),
            AccountProblem::DuplicateId { first } => {
                write!(f, "the same `account_id` as accounts[{first}]")
            }
        }
    }
}
