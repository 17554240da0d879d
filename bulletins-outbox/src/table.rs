//! The outbox table's name: configurable, so it is checked before it is ever put into SQL.

use std::fmt;

/// The default table name, also the name the shipped SQL files use.
pub const DEFAULT_TABLE: &str = "bulletins_outbox";

/// The longest table name accepted: PostgreSQL truncates identifiers at 63 bytes, and the index
/// names add a suffix of up to 10 (`_uncertain`).
pub const MAX_TABLE_NAME_LEN: usize = 48;

/// A table name that is safe to put into SQL unquoted: an ASCII letter or `_`, then letters,
/// digits or `_`, at most [`MAX_TABLE_NAME_LEN`] characters, not starting with `sqlite_` or
/// `pg_` (names those databases reserve).
///
/// ```
/// use bulletins_outbox::TableName;
///
/// assert_eq!(TableName::new("shop_outbox")?.as_str(), "shop_outbox");
/// assert!(TableName::new("outbox; DROP TABLE orders").is_err());
/// # Ok::<(), bulletins_outbox::InvalidTableName>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName(String);

/// Why a table name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid outbox table name {name:?}: {problem}; use letters, digits and `_` (not first a digit), at most {MAX_TABLE_NAME_LEN} characters")]
pub struct InvalidTableName {
    /// The name given.
    pub name: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl TableName {
    /// Checks `name`.
    ///
    /// # Errors
    /// [`InvalidTableName`] saying what is wrong.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidTableName> {
        let name = name.into();
        let refuse = |problem| {
            Err(InvalidTableName {
                name: name.clone(),
                problem,
            })
        };
        let Some(first) = name.chars().next() else {
            return refuse("it is empty");
        };
        if name.len() > MAX_TABLE_NAME_LEN {
            return refuse("it is too long");
        }
        if !(first.is_ascii_alphabetic() || first == '_') {
            return refuse("it must start with a letter or `_`");
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return refuse("it contains a character other than a letter, digit or `_`");
        }
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("sqlite_") || lower.starts_with("pg_") {
            return refuse("names starting with `sqlite_` or `pg_` are reserved by the database");
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TableName {
    fn default() -> Self {
        Self(DEFAULT_TABLE.to_owned())
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TableName {
    type Err = InvalidTableName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_accepted_up_to_the_limit() {
        for ok in ["t", "_t", "Outbox_2", &"a".repeat(MAX_TABLE_NAME_LEN)] {
            assert!(TableName::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn anything_that_could_change_the_sql_is_refused() {
        for bad in [
            "",
            &"a".repeat(MAX_TABLE_NAME_LEN + 1),
            "1outbox",
            "out box",
            "outbox;",
            "\"outbox\"",
            "public.outbox",
            "outbox--",
            "sqlite_master",
            "PG_class",
            "outbøx",
        ] {
            let err = TableName::new(bad).expect_err(bad);
            assert!(
                err.to_string().contains("invalid outbox table name"),
                "{err}"
            );
        }
    }
}
