//! A recorded seed bulletin (the documentation's example) costs at most 1 KiB of memory,
//! counted by a heap profiler over the whole process while the emulator records them over
//! loopback.

mod common;

use common::*;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Bulletins recorded before measuring: connections, buffers and the log's first growth.
const WARM_UP: usize = 96;

/// Bulletins measured: with the warm-up, exactly fills the log's storage (a power of two), so
/// the figure includes the storage's growth and no slack.
const MEASURED: usize = 4096 - WARM_UP;

#[tokio::test]
async fn a_recorded_seed_bulletin_costs_at_most_1_kib() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let emulator = start().await;
    let client = client();
    let send = |client: &reqwest::Client| {
        let mut request = client.post(emulator.trigger_url()).body(EXAMPLE);
        for (name, value) in HEADERS {
            request = request.header(*name, *value);
        }
        request.send()
    };
    for _ in 0..WARM_UP {
        let answer = send(&client).await.map(|r| r.status().as_u16());
        assert_eq!(answer.ok(), Some(200));
    }
    let before = dhat::HeapStats::get().curr_bytes;
    for _ in 0..MEASURED {
        let answer = send(&client).await.map(|r| r.status().as_u16());
        assert_eq!(answer.ok(), Some(200));
    }
    let after = dhat::HeapStats::get().curr_bytes;
    assert_eq!(emulator.bulletins().len(), WARM_UP + MEASURED);

    let per_bulletin = after.saturating_sub(before) / MEASURED;
    eprintln!("a recorded seed bulletin costs {per_bulletin} bytes");
    assert!(
        per_bulletin <= 1024,
        "a recorded seed bulletin costs {per_bulletin} bytes; the budget is 1024"
    );
    emulator.shutdown().await;
}
