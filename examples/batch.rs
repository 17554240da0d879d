//! Raise many bulletins at once: progress as they finish, then a summary of outcomes.
//!
//! ```text
//! cargo run --example batch            # 500 orders against the embedded emulator
//! cargo run --example batch -- 10000   # more
//! ```
//!
//! The client keeps at most `max_concurrency` requests in flight (CleverTap allows 3 per
//! account) and pulls bulletins from the iterator lazily, so memory does not grow with the
//! batch. `Client::trigger_all` does the same and returns the results in input order;
//! `trigger_stream`, used here, yields them as they finish, for progress.
//!
//! Against the emulator, a few failures are injected so the summary has something to show.

// An example's job is to show what happens, on the terminal.
#![allow(clippy::print_stdout)]

use std::borrow::Cow;
use std::collections::BTreeMap;

use bulletins_emulator::{Emulator, Fault};
use bulletins_example_schema::commerce::OrderPlaced;
use bulletins_http::{Bulletin, Client, Error, StaticEvent};
use futures_util::StreamExt as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|_| format!("not a count: {n}"))?,
        None => 500,
    };

    let emulator = Emulator::builder()
        .account("ABCD-RSTU-1234", "XXXXXX")
        .business_event::<OrderPlaced<'static>>()
        .start()
        .await?;
    // One request will be refused with 429 (retried: it certainly was not processed), one
    // answered 503 (not retried by default: it may have been processed).
    emulator.inject(Fault::too_many_requests(), 1);
    emulator.inject(Fault::status(503), 1);
    let client = Client::builder()
        .base_url(emulator.base_url())
        .account_id("ABCD-RSTU-1234")
        .passcode("XXXXXX")
        .build()?;
    println!(
        "raising {count} \"{}\" bulletins against the emulator at {}",
        OrderPlaced::SCHEMA.name(),
        emulator.base_url()
    );

    let order_ids: Vec<String> = (0..count).map(|i| format!("order-{i}")).collect();
    // Built lazily: each bulletin is made when a slot frees up.
    let bulletins = order_ids.iter().enumerate().map(|(i, order_id)| {
        let category = if i == 7 {
            // One invalid bulletin: caught before sending, reported in its place.
            Cow::Owned("x".repeat(600))
        } else {
            Cow::Borrowed("books")
        };
        let event = OrderPlaced {
            order_id,
            product_category: category,
            coupon: None,
            quantity: 1,
        };
        Bulletin::new(event, format!("Order {order_id}"), "[email protected]")
    });

    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut results = std::pin::pin!(client.trigger_stream(bulletins));
    let mut done = 0;
    while let Some((index, result)) = results.next().await {
        done += 1;
        match result {
            Ok(_) => *outcomes.entry("sent").or_default() += 1,
            Err(error) => {
                *outcomes.entry(outcome(&error)).or_default() += 1;
                failures.push((index, error));
            }
        }
        if done % 100 == 0 || done == count {
            println!("{done}/{count} done");
        }
    }

    println!("\nsummary:");
    for (outcome, n) in &outcomes {
        println!("  {outcome:<32} {n}");
    }
    failures.sort_by_key(|(index, _)| *index);
    for (index, error) in &failures {
        println!("  bulletin {index}: {error}");
    }
    println!(
        "the emulator recorded {} accepted bulletin(s)",
        emulator.accepted().len()
    );
    Ok(())
}

fn outcome(error: &Error) -> &'static str {
    if matches!(error, Error::Invalid { .. }) {
        "invalid, not sent"
    } else if error.may_have_been_delivered() {
        "failed, may have been delivered"
    } else {
        "failed, not delivered"
    }
}
