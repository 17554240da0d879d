//! Shared test setup: a store per test (a temporary SQLite file, or a table of its own in the
//! PostgreSQL named by BULLETINS_TEST_DATABASE_URL) and the emulator as CleverTap. The CLI's
//! outbox tests include this module too (`bulletins-cli/tests/outbox.rs`), and run the relay as
//! a real process.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this module

use std::time::Duration;

use bulletins_emulator::{Emulator, EventDefinition};
use bulletins_http::{Bulletin, Client, DynamicEvent};
use bulletins_outbox::{Outbox, State, Store, TableName};
use sqlx::Row as _;

pub const ACCOUNT: &str = "ABCD-RSTU-1234";
pub const PASSCODE: &str = "XXXXXX";
pub const EVENT: &str = "order_placed";
/// Each test runs once per store: `sqlite::name` always, `postgres::name` when
/// BULLETINS_TEST_DATABASE_URL is set.
#[allow(unused_macros)] // concurrency.rs has its own per-store tests
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Db::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = concat!("postgres::", stringify!($name));
                    if let Some(db) = super::Db::postgres(test).await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}

/// Runs `$body` with `$pool` bound to the test database's pool, whichever it is.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        if $db.url.starts_with("sqlite:") {
            let $pool = sqlx::SqlitePool::connect_with(
                bulletins_outbox::Store::sqlite_options(&$db.url).expect("options"),
            )
            .await
            .expect("connect");
            $body
        } else {
            let $pool = sqlx::PgPool::connect(&$db.url).await.expect("connect");
            $body
        }
    };
}

/// Runs `$body` with `$tx` an open transaction on the test database.
macro_rules! with_tx {
    ($db:expr, $tx:ident => $body:expr) => {
        on_db!($db, pool => {
            let mut $tx = pool.begin().await.expect("begin");
            $body
        })
    };
}

pub const DATABASE_VAR: &str = "BULLETINS_TEST_DATABASE_URL";

/// One test's outbox: its database URL and table, and the store on it.
pub struct Db {
    pub url: String,
    pub table: TableName,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    pub async fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite:{}", dir.path().join("outbox.db").display());
        let table = TableName::new("outbox_test").expect("valid");
        let store = Store::connect_or_create(&url)
            .await
            .expect("sqlite")
            .with_table(table.clone());
        store.migrate().await.expect("migrate");
        Db {
            url,
            table,
            store,
            _dir: Some(dir),
        }
    }

    /// A table of its own in the test PostgreSQL, or `None` (with the skip printed) when
    /// BULLETINS_TEST_DATABASE_URL is unset; under CI=true that is a failure instead.
    pub async fn postgres(test: &str) -> Option<Db> {
        let Ok(url) = std::env::var(DATABASE_VAR) else {
            let reason = format!(
                "skipping {test}: {DATABASE_VAR} is unset (run `source .ci/services.sh` to start a PostgreSQL and set it)"
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{reason}");
            }
            eprintln!("{reason}");
            return None;
        };
        let unique = format!("t{}_{:x}", std::process::id(), rand::random::<u32>());
        let table = TableName::new(format!("outbox_{unique}")).expect("valid");
        let store = Store::connect(&url)
            .await
            .expect("postgres")
            .with_table(table.clone());
        store.migrate().await.expect("migrate");
        Some(Db {
            url,
            table,
            store,
            _dir: None,
        })
    }

    pub fn outbox(&self) -> Outbox {
        Outbox::new(ACCOUNT).with_table(self.table.clone())
    }

    /// Enqueues `n` bulletins named `Order {first}`.. in one committed transaction.
    pub async fn enqueue(&self, first: usize, n: usize) {
        let outbox = self.outbox();
        with_tx!(self, tx => {
            for i in first..first + n {
                outbox.enqueue(&mut *tx, &bulletin(i)).await.expect("enqueue");
            }
            tx.commit().await.expect("commit");
        });
    }

    pub async fn states(&self) -> Vec<(i64, State)> {
        let sql = format!("SELECT id, state FROM {} ORDER BY id", self.table);
        let rows: Vec<(i64, String)> = on_db!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&pool).await.expect("select")
                .iter().map(|r| (r.get(0), r.get(1))).collect()
        });
        rows.into_iter()
            .map(|(id, s)| (id, State::from_column(&s).expect("known state")))
            .collect()
    }

    pub async fn count(&self, state: State) -> usize {
        self.states()
            .await
            .iter()
            .filter(|(_, s)| *s == state)
            .count()
    }

    /// Waits until `check` holds, for at most 60 s (a hang guard, not a speed check).
    pub async fn wait_for(&self, what: &str, mut check: impl AsyncFnMut(&Db) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !check(self).await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn bulletin(i: usize) -> Bulletin<'static, DynamicEvent> {
    let event = DynamicEvent::new(EVENT)
        .and_then(|e| e.property("order_id", i.to_string()))
        .expect("valid event");
    Bulletin::new(event, format!("Order {i}"), "shop")
}

pub async fn emulator() -> bulletins_emulator::Emulator {
    Emulator::builder()
        .account(ACCOUNT, PASSCODE)
        .event(
            EventDefinition::new(EVENT)
                .properties(["order_id"])
                .required(["order_id"]),
        )
        .concurrency_limit(0)
        .start()
        .await
        .expect("emulator")
}

pub fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .build()
        .expect("client")
}

/// How many times the emulator received each bulletin name (acknowledged or not).
pub fn received(
    emulator: &bulletins_emulator::Emulator,
) -> std::collections::HashMap<String, usize> {
    let mut seen = std::collections::HashMap::new();
    for b in emulator.bulletins() {
        *seen.entry(b.name.unwrap_or_default()).or_insert(0) += 1;
    }
    seen
}
