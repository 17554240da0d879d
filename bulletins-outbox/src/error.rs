//! What can go wrong in the outbox.

use bulletins_http::BuildError;

use crate::table::InvalidTableName;

/// An outbox operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bulletin breaks one of CleverTap's rules; nothing was stored.
    #[error("the bulletin was not enqueued because it is invalid: {0}")]
    Invalid(#[source] BuildError),

    /// The database refused or failed an operation.
    #[error("outbox database error: {0}")]
    Database(#[from] sqlx::Error),

    /// The database URL names a database this build does not support.
    #[error("unsupported database URL {url:?}: {hint}")]
    UnsupportedUrl {
        /// The URL given, without its password.
        url: String,
        /// What to do instead.
        hint: &'static str,
    },

    /// The SQLite database file does not exist. Only [`Store::connect_or_create`] creates one
    /// (the operators' `migrate` command uses it): any other command on a mistyped path would
    /// leave an empty file behind, or enqueue into a database no relay reads.
    ///
    /// [`Store::connect_or_create`]: crate::Store::connect_or_create
    #[error("no SQLite database at {}; nothing was created (the operators' `migrate` command, or `Store::connect_or_create`, creates one)", path.display())]
    NoDatabase {
        /// The path, as given.
        path: std::path::PathBuf,
    },

    /// The table name is not a plain identifier.
    #[error(transparent)]
    TableName(#[from] InvalidTableName),

    /// `resolve` was asked about a row that is not uncertain (nor, to resend it, refused).
    #[error("outbox row {id} is {}, not uncertain; only uncertain rows can be resolved, and refused rows resent (list the uncertain ones with `uncertain`)",
        state.as_deref().map_or("not in the table".to_owned(), |s| format!("`{s}`")))]
    NotUncertain {
        /// The row's id.
        id: i64,
        /// Its state, `None` when there is no such row.
        state: Option<String>,
    },
}
