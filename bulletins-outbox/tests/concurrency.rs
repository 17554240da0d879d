//! Store-specific behaviour: SQLite writers waiting for each other instead of failing, and
//! PostgreSQL relays woken by `NOTIFY` instead of polling.

#[macro_use]
mod common;

use std::time::Duration;

use bulletins_outbox::{Relay, State, Store};
use common::{bulletin, client, emulator, received, Db};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_enqueuers_and_a_relay_never_see_busy() {
    const WRITERS: usize = 8;
    const ORDERS: usize = 50;
    let db = Db::sqlite().await;
    let emulator = emulator().await;
    // The application's own pool, apart from the relay's: two pools contending for one file.
    let pool = sqlx::SqlitePool::connect_with(Store::sqlite_options(&db.url).expect("options"))
        .await
        .expect("pool");
    sqlx::query("CREATE TABLE orders (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .expect("orders");
    let relay = Relay::new(db.store.clone(), client(&emulator.base_url()))
        .poll_interval(Duration::from_millis(1))
        .sweep_interval(Duration::from_millis(10));
    let relaying = tokio::spawn(relay.clone().run());

    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (pool, outbox) = (pool.clone(), db.outbox());
        writers.push(tokio::spawn(async move {
            for order in 0..ORDERS {
                // A plain deferred BEGIN whose first statement writes: the common shape.
                let mut tx = pool.begin().await?;
                sqlx::query("INSERT INTO orders (writer) VALUES (?)")
                    .bind(i64::try_from(writer).unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
                outbox
                    .enqueue(&mut *tx, &bulletin(writer * ORDERS + order))
                    .await
                    .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                tx.commit().await?;
            }
            Ok::<_, sqlx::Error>(())
        }));
    }
    for writer in writers {
        writer
            .await
            .expect("join")
            .expect("no writer may see SQLITE_BUSY");
    }
    // Stopping a relay mid-request is a crash (its row would end uncertain): let it finish.
    db.wait_for("every row delivered", async |db: &Db| {
        db.count(State::Delivered).await == WRITERS * ORDERS
    })
    .await;
    relaying.abort();
    let seen = received(&emulator);
    assert_eq!(seen.len(), WRITERS * ORDERS);
    assert!(seen.values().all(|n| *n == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_relays_wake_on_notify_not_polling() {
    let Some(db) = Db::postgres("postgres_relays_wake_on_notify_not_polling").await else {
        return;
    };
    let emulator = emulator().await;
    let hour = Duration::from_secs(3600);
    let relay = Relay::new(db.store.clone(), client(&emulator.base_url()))
        .poll_interval(hour)
        .sweep_interval(hour);
    let relaying = tokio::spawn(relay.run());
    // Let it find nothing and start waiting; then only a NOTIFY can wake it within the hour.
    tokio::time::sleep(Duration::from_millis(500)).await;
    db.enqueue(1, 1).await;
    db.wait_for("delivery after NOTIFY", async |db: &Db| {
        db.count(State::Delivered).await == 1
    })
    .await;
    relaying.abort();
    assert_eq!(received(&emulator).get("Order 1"), Some(&1));
}
