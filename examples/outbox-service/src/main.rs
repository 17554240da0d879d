//! An order service that never loses an `order_placed` bulletin and never announces an order
//! that was rolled back: the order and its bulletin are written in one transaction, and an
//! outbox relay in the same process delivers the bulletin after the commit.
//!
//! ```text
//! cargo run -p outbox-service                       # SQLite file outbox-service.db, embedded emulator
//! DATABASE_URL=postgres://localhost/shop cargo run -p outbox-service
//! CLEVERTAP_ACCOUNT_ID=... CLEVERTAP_PASSCODE=... CLEVERTAP_REGION=in1 cargo run -p outbox-service
//!
//! curl -X POST localhost:3000/orders -H 'content-type: application/json' \
//!      -d '{"id":"12345","total_cents":1299}'
//! curl localhost:3000/outbox
//! ```

// A command-line service reports on the terminal.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bulletins_http::dashboard::definition_of;
use bulletins_http::{Bulletin, BusinessEvent, Client, StaticEvent as _};
use bulletins_outbox::{Outbox, Relay, Store};
use serde::Deserialize;
use serde_json::{json, Value};

const ORDERS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, total_cents BIGINT NOT NULL)";

/// The bulletin an order raises: its name and properties checked when the service compiles
/// (with `dashboard = "bulletins.json"`, against the dashboard file too).
#[derive(Debug, BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced<'a> {
    order_id: &'a str,
}

/// The application's database: its own pool, which the outbox shares.
#[derive(Clone)]
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

#[derive(Clone)]
struct App {
    db: Db,
    store: Store,
    outbox: Outbox,
}

#[derive(Deserialize)]
struct NewOrder {
    id: String,
    total_cents: i64,
}

type Answer = (StatusCode, Json<Value>);

fn failure(status: StatusCode, error: impl std::fmt::Display) -> Answer {
    (status, Json(json!({ "error": error.to_string() })))
}

/// `POST /orders`: stores the order and enqueues its bulletin, atomically.
async fn place_order(State(app): State<App>, Json(order): Json<NewOrder>) -> Answer {
    let event = OrderPlaced {
        order_id: &order.id,
    };
    let bulletin = Bulletin::new(event, format!("Order {}", order.id), "outbox-service");
    let insert = "INSERT INTO orders (id, total_cents) VALUES ($1, $2)";
    let placed: Result<i64, String> = match &app.db {
        Db::Sqlite(pool) => {
            async {
                // IMMEDIATE: take SQLite's write lock up front, so no statement meets SQLITE_BUSY.
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(insert)
                    .bind(&order.id)
                    .bind(order.total_cents)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
                let id = app
                    .outbox
                    .enqueue(&mut *tx, &bulletin)
                    .await
                    .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
                Ok(id)
            }
            .await
        }
        Db::Postgres(pool) => {
            async {
                let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
                sqlx::query(insert)
                    .bind(&order.id)
                    .bind(order.total_cents)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| e.to_string())?;
                let id = app
                    .outbox
                    .enqueue(&mut *tx, &bulletin)
                    .await
                    .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
                Ok(id)
            }
            .await
        }
    };
    match placed {
        Ok(outbox_id) => (
            StatusCode::CREATED,
            Json(json!({ "order": order.id, "outbox_id": outbox_id })),
        ),
        Err(e) if e.contains("UNIQUE") || e.contains("duplicate key") => failure(
            StatusCode::CONFLICT,
            format!("order {} already exists", order.id),
        ),
        Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// `GET /outbox`: counts by state.
async fn outbox_status(State(app): State<App>) -> Answer {
    match app.store.status().await {
        Ok(status) => (StatusCode::OK, Json(json!(status))),
        Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite:outbox-service.db".into());
    let (db, store) = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect_with(Store::sqlite_options(&url)?).await?;
        (Db::Sqlite(pool.clone()), Store::sqlite(pool))
    } else {
        let pool = sqlx::PgPool::connect(&url).await?;
        (Db::Postgres(pool.clone()), Store::postgres(pool))
    };
    match &db {
        Db::Sqlite(pool) => {
            sqlx::query(ORDERS_TABLE).execute(pool).await?;
        }
        Db::Postgres(pool) => {
            sqlx::query(ORDERS_TABLE).execute(pool).await?;
        }
    }
    store.migrate().await?;

    // CleverTap from the environment, or an embedded emulator when no credentials are set.
    let (client, _emulator) = if std::env::var_os(bulletins_http::ACCOUNT_ID_VAR).is_some() {
        (Client::from_env()?, None)
    } else {
        let emulator = bulletins_emulator::Emulator::builder()
            .account("ABCD-RSTU-1234", "XXXXXX")
            .event(definition_of(&OrderPlaced::SCHEMA))
            .start()
            .await?;
        println!(
            "no CLEVERTAP_ACCOUNT_ID: delivering to an emulator at {}",
            emulator.base_url()
        );
        let client = Client::builder()
            .base_url(emulator.base_url())
            .account_id("ABCD-RSTU-1234")
            .passcode("XXXXXX")
            .build()?;
        (client, Some(emulator))
    };
    let outbox = Outbox::new(client.account_id());
    tokio::spawn(Relay::new(store.clone(), client).run());

    let app = Router::new()
        .route("/orders", post(place_order))
        .route("/outbox", get(outbox_status))
        .with_state(App { db, store, outbox });
    let addr: SocketAddr = std::env::var("LISTEN")
        .unwrap_or_else(|_| "127.0.0.1:3000".into())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!(
        "listening on http://{addr} ({})",
        url.split('@').next_back().unwrap_or(&url)
    );
    axum::serve(listener, app).await?;
    Ok(())
}
