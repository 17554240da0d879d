//! Opening a store, and setting its schema up: what runs once, at start, before the relay's
//! statements.

use super::Store;
use crate::error::Error;

impl Store {
    /// Connects to `url`: `sqlite:path/to/file.db` (which must exist: see
    /// [`Store::connect_or_create`]; opened in WAL mode with a busy timeout) or
    /// `postgres://...`.
    ///
    /// # Errors
    /// [`Error::NoDatabase`] when the SQLite file does not exist (nothing is created);
    /// [`Error::UnsupportedUrl`] for another scheme or one whose feature is off;
    /// [`Error::Database`] when the connection fails.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::open(url, false).await
    }

    /// Like [`Store::connect`], but creates a missing SQLite file (and nothing else: the table
    /// is [`Store::migrate`]'s). For setting an outbox up; everything else uses
    /// [`Store::connect`], so that a mistyped path is an error instead of a new, empty
    /// database.
    ///
    /// # Errors
    /// As [`Store::connect`], without [`Error::NoDatabase`].
    pub async fn connect_or_create(url: &str) -> Result<Self, Error> {
        Self::open(url, true).await
    }

    /// The one place a backend is picked: by the URL's scheme.
    async fn open(url: &str, create: bool) -> Result<Self, Error> {
        let scheme = url.split(':').next().unwrap_or_default();
        #[cfg(not(feature = "sqlite"))]
        let _ = create;
        match scheme {
            #[cfg(feature = "sqlite")]
            "sqlite" => super::sqlite::open(url, create).await,
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => super::postgres::open(url).await,
            #[cfg(not(feature = "sqlite"))]
            "sqlite" => Err(Error::UnsupportedUrl {
                url: redact(url),
                hint: "this build lacks the SQLite store; enable the bulletins-outbox feature `sqlite`",
            }),
            #[cfg(not(feature = "postgres"))]
            "postgres" | "postgresql" => Err(Error::UnsupportedUrl {
                url: redact(url),
                hint: "this build lacks the PostgreSQL store; enable the bulletins-outbox feature `postgres`",
            }),
            _ => Err(Error::UnsupportedUrl {
                url: redact(url),
                hint: "use sqlite:path/to/file.db or postgres://user@host/database",
            }),
        }
    }

    /// Creates the table and its indexes if they do not exist: the shipped SQL file for this
    /// database (`sql/sqlite.sql` or `sql/postgres.sql`) with the configured table name. It
    /// neither reads nor writes `_sqlx_migrations`, so it does not interfere with the
    /// application's own migrations; you may instead copy the file into them.
    ///
    /// It looks the table and its indexes up in the catalog first, and when they are all there
    /// (and none the file drops) it changes nothing and takes no lock, so a service starting
    /// never waits for the application's open transactions (a `CREATE INDEX IF NOT EXISTS`
    /// takes its lock on the table before it checks), nor makes the application wait for it.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn migrate(&self) -> Result<(), Error> {
        if self.schema_is_current().await? {
            return Ok(());
        }
        self.db.migrate(&self.sql, &self.table).await
    }

    /// Whether the table and every index the schema file creates exist, and no index it drops
    /// does: read from the catalog, without locking the table.
    async fn schema_is_current(&self) -> Result<bool, Error> {
        let rows = self
            .db
            .fetch_catalog(&self.sql.catalog, self.table.as_str());
        let rows = rows.await?;
        let table = rows.iter().any(|(is_table, _)| *is_table);
        let has = |index: &String| {
            rows.iter()
                .any(|(is_table, name)| !is_table && name == index)
        };
        let (created, dropped) = &self.sql.schema_indexes;
        Ok(table && created.iter().all(has) && !dropped.iter().any(has))
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let userinfo = &url[start + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..start + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(redact("mysql://u:secret@h/db"), "mysql://u:***@h/db");
        assert_eq!(redact("mysql://u@h/db"), "mysql://u@h/db");
        assert_eq!(redact("sqlite:x.db"), "sqlite:x.db");
    }
}
