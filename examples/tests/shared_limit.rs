//! One account's cap shared through Redis by real processes: four `blast` processes keep the
//! emulator's limit of 3, a process killed while holding slots frees them when its leases end,
//! and a Redis restarted mid-run neither deadlocks the senders nor stops them for good, nor lets
//! more than max_concurrency attempts beyond the cap into flight.
//! Needs `BULLETINS_TEST_REDIS_URL` (the restart test starts its own `redis-server` too).

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bulletins_emulator::{Fault, DEFAULT_CONCURRENCY_LIMIT};
use bulletins_http::{Error, RedisLimiter};
use redis::AsyncCommands as _;

use common::{
    blast_binary, blast_tally, bulletin, emulator_for, fresh_account, limited_client,
    redis_connection, redis_url, PASSCODE,
};

/// Starts `blast` in client mode against `url`, sharing the cap of 3 through `redis`.
fn blast(url: &str, redis: &str, account: &str, count: usize, extra: &[&str]) -> Child {
    Command::new(blast_binary())
        .args(["--url", url, "--redis", redis, "--account-id", account])
        .args(["--passcode", PASSCODE, "--concurrency", "3"])
        .args(["--count", &count.to_string()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start blast")
}

/// Waits for `child` without blocking the runtime; kills it after `limit` (a deadlock).
async fn finish(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "blast did not finish within {limit:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = child.wait_with_output().expect("output");
    assert!(
        output.status.success(),
        "blast failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn too_many_requests(rejections: &[bulletins_emulator::Rejection]) -> usize {
    rejections.iter().filter(|r| r.status == Some(429)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_blast_processes_keep_one_accounts_limit() {
    let Some(redis) = redis_url("four_blast_processes_keep_one_accounts_limit") else {
        return;
    };
    let account = fresh_account();
    let emulator = emulator_for(&account, 3).await;
    // Every answer takes 20 ms, so twelve senders with a broken cap would overlap for sure.
    emulator.inject(Fault::Delay(Duration::from_millis(20)), 10_000);
    let url = emulator.base_url();
    let children: Vec<Child> = (0..4)
        .map(|_| blast(&url, &redis, &account, 30, &[]))
        .collect();
    for child in children {
        let output = finish(child, Duration::from_secs(120)).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(blast_tally(&stdout), (30, 0), "{stdout}");
    }
    assert_eq!(
        too_many_requests(&emulator.rejections()),
        0,
        "the shared cap was exceeded"
    );
    assert_eq!(
        emulator.accepted().len(),
        4 * 30,
        "every bulletin accepted once"
    );
    // Each process released its slots before exiting: none is left to expire.
    let mut connection = redis_connection(&redis).await;
    let leases = RedisLimiter::new(&redis).expect("url").leases_key(&account);
    let held: usize = connection.zcard(&leases).await.expect("zcard");
    assert_eq!(held, 0, "slots left held by processes that exited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_holders_slots_free_when_their_leases_end() {
    let Some(redis) = redis_url("a_killed_holders_slots_free_when_their_leases_end") else {
        return;
    };
    let account = fresh_account();
    let emulator = emulator_for(&account, DEFAULT_CONCURRENCY_LIMIT).await;
    // The first three answers take 1.5 s: the first process holds all three slots meanwhile.
    emulator.inject(Fault::Delay(Duration::from_millis(1500)), 3);
    let url = emulator.base_url();
    // Leases of 3 s + 1 s.
    let lease_args = ["--timeout-ms", "3000", "--lease-margin-ms", "1000"];
    // Its three tasks each take a slot from Redis: none waits for a sibling's slot to be handed
    // on, which (when the first grant comes before the others ask) would leave one unleased.
    let holder_args = [&lease_args[..], &["--max-local-handoffs", "0"]].concat();
    let mut holder = blast(&url, &redis, &account, 3, &holder_args);
    let leases = RedisLimiter::new(&redis).expect("url").leases_key(&account);
    let mut connection = redis_connection(&redis).await;
    let started = Instant::now();
    loop {
        let held: usize = connection.zcard(&leases).await.expect("zcard");
        if held == 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "blast never took the slots"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    holder.kill().expect("SIGKILL");
    let _ = holder.wait();
    let held: usize = connection.zcard(&leases).await.expect("zcard");
    assert_eq!(held, 3, "the killed process's slots are still leased");

    let other = blast(&url, &redis, &account, 6, &lease_args);
    let output = finish(other, Duration::from_secs(60)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(blast_tally(&stdout), (6, 0), "{stdout}");
    assert_eq!(too_many_requests(&emulator.rejections()), 0);
}

/// A `redis-server` of this test's own, stopped (SIGKILL) when dropped.
struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    async fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        let server = Self { port, child };
        let client = redis::Client::open(server.url()).expect("url");
        for _ in 0..500 {
            if client.get_multiplexed_async_connection().await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("redis-server did not start on port {port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_run_neither_deadlocks_nor_stops_sending() {
    if redis_url("a_redis_restart_mid_run_neither_deadlocks_nor_stops_sending").is_none() {
        return;
    }
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let server = OwnRedis::start(port).await;
    let account = fresh_account();
    // The promise: a restart forgets the slots held, so up to max_concurrency (3) attempts
    // more than the cap may be in flight for one lease. The emulator answers 429 beyond 3 + 3.
    let emulator = emulator_for(&account, 6).await;
    emulator.inject(Fault::Delay(Duration::from_millis(5)), 100_000);
    let limiter = RedisLimiter::builder(server.url())
        .lease_margin(Duration::from_millis(500))
        .redis_timeout(Duration::from_millis(500))
        .build()
        .expect("url");
    let client = limited_client(&emulator, &account, limiter)
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");

    let (ok, refused, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let mut senders = Vec::new();
    // Four times as many senders as slots, so that a cap not kept shows.
    for task in 0..12 {
        let (client, ok, refused, stop) =
            (client.clone(), ok.clone(), refused.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let mut n = task * 1_000_000;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                match client.trigger(&bulletin(n)).await {
                    Ok(_) => ok.fetch_add(1, Ordering::SeqCst),
                    Err(Error::Limiter { .. }) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        refused.fetch_add(1, Ordering::SeqCst)
                    }
                    Err(other) => panic!("unexpected failure: {other}"),
                };
            }
        }));
    }
    let wait_for = |counter: &Arc<AtomicUsize>, at_least: usize, what: &str| {
        let (counter, what) = (counter.clone(), what.to_owned());
        async move {
            let started = Instant::now();
            while counter.load(Ordering::SeqCst) < at_least {
                assert!(started.elapsed() < Duration::from_secs(60), "stuck: {what}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(&ok, 30, "sending before the restart").await;
    drop(server);
    wait_for(&refused, 1, "failing closed while Redis is down").await;
    let before = ok.load(Ordering::SeqCst);
    let server = OwnRedis::start(port).await;
    wait_for(&ok, before + 30, "sending after the restart").await;
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        tokio::time::timeout(Duration::from_secs(60), sender)
            .await
            .expect("no sender deadlocked")
            .expect("sender");
    }
    // Nothing was sent for a refused slot: the emulator saw exactly the successes.
    assert_eq!(emulator.accepted().len(), ok.load(Ordering::SeqCst));
    eprintln!(
        "restart: {} sent, {} refused while Redis was down, {} answered 429",
        ok.load(Ordering::SeqCst),
        refused.load(Ordering::SeqCst),
        too_many_requests(&emulator.rejections())
    );
    assert_eq!(
        too_many_requests(&emulator.rejections()),
        0,
        "more than max_concurrency attempts beyond the cap were in flight"
    );
    drop(server);
}
