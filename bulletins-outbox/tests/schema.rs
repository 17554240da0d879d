//! The schema's life cycle: `migrate` creates what is missing, and on a current schema changes
//! nothing and waits for no one; only an explicit create makes a SQLite file.

#[macro_use]
mod common;

use std::time::Duration;

use bulletins_outbox::{Error, Store};
use common::{bulletin, Db};
use sqlx::Row as _;

on_both_stores!(
    migrate_on_a_current_schema_does_not_wait_for_an_open_transaction,
    migrate_restores_what_is_missing_and_drops_what_was_replaced,
);

/// Long enough for a lookup on a loaded machine, far shorter than SQLite's 30 s busy timeout
/// or PostgreSQL's wait for a lock (none).
const PROMPTLY: Duration = Duration::from_secs(3);

async fn migrate_on_a_current_schema_does_not_wait_for_an_open_transaction(db: Db) {
    let outbox = db.outbox();
    with_tx!(db, tx => {
        // The application's transaction, open: a bulletin enqueued, not yet committed.
        outbox.enqueue(&mut *tx, &bulletin(1)).await.expect("enqueue");
        let migrated = tokio::time::timeout(PROMPTLY, db.store.migrate()).await;
        assert!(
            matches!(migrated, Ok(Ok(()))),
            "migrate on a current schema waited for the application's open transaction: {migrated:?}"
        );
        tx.rollback().await.expect("rollback");
    });
}

/// The table's index names, lower case.
async fn indexes(db: &Db) -> Vec<String> {
    let table = db.table.as_str().to_owned();
    let mut names: Vec<String> = on_db!(db, pool => {
        let sql = if db.url.starts_with("sqlite:") {
            "SELECT lower(name) FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL"
        } else {
            "SELECT indexname::TEXT FROM pg_indexes WHERE tablename = $1 AND indexname NOT LIKE '%_pkey'"
        };
        sqlx::query(sql).bind(table).fetch_all(&pool).await.expect("indexes")
            .iter().map(|r| r.get(0)).collect()
    });
    names.sort();
    names
}

async fn migrate_restores_what_is_missing_and_drops_what_was_replaced(db: Db) {
    let t = db.table.as_str();
    let current = indexes(&db).await;
    assert!(current.contains(&format!("{t}_claimed")), "{current:?}");
    // An outbox migrated by an earlier version: one index on both leased states, none per state.
    let downgrade = format!(
        "DROP INDEX {t}_claimed; DROP INDEX {t}_sending; \
         CREATE INDEX {t}_lease ON {t} (lease_until) WHERE state IN ('claimed', 'sending')"
    );
    on_db!(db, pool => {
        sqlx::raw_sql(sqlx::AssertSqlSafe(downgrade)).execute(&pool).await.expect("downgrade");
    });
    assert_ne!(indexes(&db).await, current);
    db.store.migrate().await.expect("migrate");
    assert_eq!(indexes(&db).await, current);
}

#[tokio::test]
async fn connect_never_creates_a_sqlite_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("shop.db");
    let url = format!("sqlite:{}", path.display());
    let error = Store::connect(&url).await.expect_err("no such file");
    assert!(
        matches!(&error, Error::NoDatabase { path: named } if named == &path),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(left.is_empty(), "connect created {left:?}");

    let store = Store::connect_or_create(&url).await.expect("create");
    store.migrate().await.expect("migrate");
    assert!(path.exists());
    Store::connect(&url)
        .await
        .expect("an existing file")
        .status()
        .await
        .expect("status");
    // An in-memory database has no file to be missing.
    Store::connect("sqlite::memory:").await.expect("in memory");
}
