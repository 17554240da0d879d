//! Opening a store, and setting its schema up: what runs once, at start, before the relay's
//! statements.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Pool, Store};
use crate::error::Error;

#[cfg(feature = "sqlite")]
use super::SQLITE_BUSY_TIMEOUT;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgPoolOptions;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

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

    async fn open(url: &str, create: bool) -> Result<Self, Error> {
        let scheme = url.split(':').next().unwrap_or_default();
        #[cfg(not(feature = "sqlite"))]
        let _ = create;
        match scheme {
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                let options = Self::sqlite_options(url)?.create_if_missing(create);
                match SqlitePoolOptions::new().connect_with(options.clone()).await {
                    Ok(pool) => Ok(Self::sqlite(pool)),
                    // Opened without SQLITE_OPEN_CREATE, a missing file fails to open: say so
                    // by its path instead of SQLite's "unable to open database file".
                    Err(_) if !create && !options.get_filename().exists() => {
                        Err(Error::NoDatabase {
                            path: options.get_filename().to_path_buf(),
                        })
                    }
                    Err(error) => Err(error.into()),
                }
            }
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => {
                let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
                Ok(Self::postgres(pool))
            }
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

    /// The connection settings the outbox expects of a SQLite database, for the application's
    /// own pool: the file created if missing (the application owns its database; the outbox's
    /// own [`Store::connect`] turns that off), WAL (readers never block the writer), and a
    /// [`SQLITE_BUSY_TIMEOUT`] so a writer waits for another instead of failing.
    ///
    /// # Errors
    /// [`Error::Database`] if `url` is not a SQLite URL.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, Error> {
        use std::str::FromStr as _;
        Ok(SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT))
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
        let schema = AssertSqlSafe(self.sql.schema.clone());
        match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::raw_sql(schema).execute(&mut *tx).await?;
                tx.commit().await?;
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                // Two services starting at once must not race on CREATE ... IF NOT EXISTS.
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(format!("bulletins-outbox:{}", self.table))
                    .execute(&mut *tx)
                    .await?;
                sqlx::raw_sql(schema).execute(&mut *tx).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Whether the table and every index the schema file creates exist, and no index it drops
    /// does: read from the catalog, without locking the table.
    async fn schema_is_current(&self) -> Result<bool, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.catalog.clone()).bind(self.table.as_str().to_owned())
            };
        }
        let rows: Vec<(bool, String)> = on_pool!(&self.pool, pool => {
            query!().fetch_all(pool).await?.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
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
