//! `RedisLimiter` at its limits: a Redis that never answers, a Redis lost while this process
//! holds slots, a release cancelled halfway, replicas configured with different caps, settings
//! that cannot work, an attempt timeout with no bound, and a forward step of Redis's clock.
//! Most need `BULLETINS_TEST_REDIS_URL`; the silent-Redis and settings tests need none.

mod common;

use std::time::{Duration, Instant};

use bulletins_http::{InvalidRedisLimiter, Limiter, Permit, RedisLimiter, Slot};
use futures_util::FutureExt as _;
use redis::AsyncCommands as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use common::{bulletin, emulator_for, fresh_account, limited_client, redis_connection, redis_url};

/// Takes a slot of `account`'s cap of `max` as the client would, for an attempt of `timeout`.
async fn take(limiter: &RedisLimiter, account: &str, max: usize, timeout: Duration) -> Permit {
    limiter
        .acquire(Slot::new(account, max, timeout))
        .await
        .expect("a slot")
}

/// A "Redis" that accepts every connection and never writes a byte: connecting succeeds, every
/// answer is awaited in vain. Its connections stay open while the task runs.
async fn silent_redis() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("redis://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_redis_ends_each_acquire_within_its_own_redis_timeout() {
    let account = fresh_account();
    let emulator = emulator_for(&account, 6).await;
    let (url, server) = silent_redis().await;
    let redis_timeout = Duration::from_millis(400);
    for fall_back in [false, true] {
        let limiter = RedisLimiter::builder(&url)
            .redis_timeout(redis_timeout)
            .fall_back_to_in_process(fall_back)
            .build()
            .expect("url");
        let client = limited_client(&emulator, &account, limiter)
            .max_concurrency(6)
            .build()
            .expect("client");
        let triggers = (0..6).map(|n| {
            let client = client.clone();
            async move {
                let started = Instant::now();
                let result = client.trigger(&bulletin(n)).await;
                (started.elapsed(), result)
            }
        });
        let ended = futures_util::future::join_all(triggers).await;
        let took: Vec<Duration> = ended.iter().map(|(took, _)| *took).collect();
        for (_, result) in &ended {
            assert_eq!(
                result.is_ok(),
                fall_back,
                "fall back {fall_back}: {result:?}"
            );
        }
        assert!(
            took.iter().all(|took| *took < 2 * redis_timeout),
            "fall back {fall_back}: with a Redis timeout of {redis_timeout:?}, the 6 triggers \
             ended after {took:?}"
        );
    }
    server.abort();
}

/// Forwards connections to the Redis at `to` until cut; once cut, it closes them all and
/// closes every new connection at once, as a Redis gone away would.
struct Proxy {
    url: String,
    cut: watch::Sender<bool>,
}

impl Proxy {
    async fn start(to: &str) -> Self {
        let upstream = to
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("redis://{}/", listener.local_addr().expect("addr"));
        let (cut, watching) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut cut = watching.clone();
                if *cut.borrow() {
                    continue;
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let mut server = TcpStream::connect(&upstream).await.expect("redis");
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { url, cut }
    }

    fn cut(&self) {
        self.cut.send_replace(true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn falling_back_never_exceeds_the_cap_in_one_process() {
    let Some(url) = redis_url("falling_back_never_exceeds_the_cap_in_one_process") else {
        return;
    };
    let account = fresh_account();
    let proxy = Proxy::start(&url).await;
    // No hand-offs: the second task asks Redis (and falls back), rather than waiting for the
    // held slot within the process.
    let limiter = RedisLimiter::builder(&proxy.url)
        .redis_timeout(Duration::from_millis(200))
        .max_local_handoffs(0)
        .fall_back_to_in_process(true)
        .build()
        .expect("url");
    let timeout = Duration::from_secs(5);
    // A slot from Redis; then Redis is lost while it is held.
    let held = take(&limiter, &account, 1, timeout).await;
    proxy.cut();
    let second = tokio::spawn({
        let (limiter, account) = (limiter.clone(), account.clone());
        async move { take(&limiter, &account, 1, timeout).await }
    });
    // A correct limiter never grants it while the Redis slot is held, however long we wait.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !second.is_finished(),
        "the in-process fallback granted a second slot on a cap of 1 while this process held \
         one from Redis"
    );
    drop(held);
    let second = tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .expect("the fallback granted the slot freed by the Redis holder")
        .expect("task");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_cancelled_mid_await_still_frees_the_slot() {
    let Some(url) = redis_url("a_release_cancelled_mid_await_still_frees_the_slot") else {
        return;
    };
    let account = fresh_account();
    let (a, b) = (
        RedisLimiter::new(&url).expect("url"),
        RedisLimiter::new(&url).expect("url"),
    );
    // A 35 s lease: a leaked slot would stay held far longer than this test waits.
    let timeout = Duration::from_secs(30);
    let permit = take(&a, &account, 1, timeout).await;
    // Dropped after its first poll, as a trigger cancelled while releasing would be.
    assert!(
        permit.release().now_or_never().is_none(),
        "the release did not wait for Redis"
    );
    let next = tokio::time::timeout(Duration::from_secs(5), take(&b, &account, 1, timeout))
        .await
        .expect("the slot whose release was cancelled was never freed");
    drop(next);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_with_different_caps_keep_the_smaller_one() {
    let Some(url) = redis_url("replicas_with_different_caps_keep_the_smaller_one") else {
        return;
    };
    let account = fresh_account();
    // No hand-offs: each slot of the large replica's is asked of Redis.
    let (small, large) = (
        RedisLimiter::new(&url).expect("url"),
        RedisLimiter::builder(&url)
            .max_local_handoffs(0)
            .build()
            .expect("url"),
    );
    let timeout = Duration::from_secs(5);
    // A replica configured with a cap of 1 holds a slot; one configured with 3 asks.
    let held = take(&small, &account, 1, timeout).await;
    let other = tokio::spawn({
        let (large, account) = (large.clone(), account.clone());
        async move { take(&large, &account, 3, timeout).await }
    });
    // A correct limiter never grants it while the slot is held, however long we wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !other.is_finished(),
        "a replica with a cap of 3 was granted a slot while one with a cap of 1 held one"
    );
    drop(held);
    let other = tokio::time::timeout(Duration::from_secs(5), other)
        .await
        .expect("the freed slot was granted")
        .expect("task");
    // With the small replica gone, the larger cap applies again.
    let more = tokio::time::timeout(Duration::from_secs(5), take(&large, &account, 3, timeout))
        .await
        .expect("a second slot of 3, with no replica of cap 1 left");
    drop((other, more));
}

#[test]
fn a_margin_shorter_than_a_round_trip_or_a_poll_longer_than_the_margin_is_refused() {
    let url = "redis://127.0.0.1:6379";
    let e = RedisLimiter::builder(url)
        .lease_margin(Duration::from_millis(100))
        .build()
        .expect_err("a margin of 100 ms with a Redis timeout of 2 s");
    assert!(
        matches!(e, InvalidRedisLimiter::MarginBelowRedisTimeout { .. }),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("lease margin") && text.contains("Redis timeout"),
        "{text}"
    );
    let e = RedisLimiter::builder(url)
        .poll_interval(Duration::from_secs(10))
        .build()
        .expect_err("a poll of 10 s with a lease margin of 5 s");
    assert!(
        matches!(e, InvalidRedisLimiter::PollNotWithinLease { .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("poll interval"), "{e}");
    // Both at their bound are fine.
    RedisLimiter::builder(url)
        .lease_margin(Duration::from_millis(100))
        .redis_timeout(Duration::from_millis(100))
        .poll_interval(Duration::from_millis(99))
        .build()
        .expect("consistent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_timeout_with_no_bound_takes_a_slot_without_panicking() {
    let Some(url) = redis_url("an_attempt_timeout_with_no_bound_takes_a_slot_without_panicking")
    else {
        return;
    };
    let account = fresh_account();
    let limiter = RedisLimiter::new(&url).expect("url");
    let task = tokio::spawn({
        let (limiter, account) = (limiter.clone(), account.clone());
        async move {
            take(&limiter, &account, 1, Duration::MAX)
                .await
                .release()
                .await
        }
    });
    task.await.expect("a lease of Duration::MAX");
}

/// Moves the clock Redis's scripts read forward by `step` for `account`'s leases: every lease
/// ends `step` earlier, which is all a forward step of `TIME` changes for them.
async fn step_redis_clock(url: &str, limiter: &RedisLimiter, account: &str, step: Duration) {
    let mut redis = redis_connection(url).await;
    let key = limiter.leases_key(account);
    let leases: Vec<(String, f64)> = redis.zrange_withscores(&key, 0, -1).await.expect("leases");
    for (member, ends) in leases {
        let _: () = redis
            .zadd(&key, &member, ends - step.as_millis() as f64)
            .await
            .expect("zadd");
    }
}

/// What a forward step of Redis's clock does to a held slot. Renewed every third of a lease,
/// a lease always has two thirds of one left in Redis: a smaller step ends none, and the cap
/// holds. A larger one ends the leases it jumps over while their attempts run, so another
/// process is granted their slots (the cap is exceeded for at most one attempt), and the
/// holders find their leases gone at the next renewal and start no further attempt on them.
/// README and RELIABILITY state the assumption.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_step_of_redis_clock_ends_only_leases_it_jumps_over() {
    let test = "a_forward_step_of_redis_clock_ends_only_leases_it_jumps_over";
    let Some(url) = redis_url(test) else {
        return;
    };
    let account = fresh_account();
    let limiter = || {
        RedisLimiter::builder(&url)
            .lease_margin(Duration::from_millis(200))
            .redis_timeout(Duration::from_millis(200))
            .build()
            .expect("url")
    };
    let (a, b) = (limiter(), limiter());
    // A 3.2 s lease, renewed every 1.07 s: at least 2.1 s of it left in Redis at any time.
    let timeout = Duration::from_secs(3);
    let held = take(&a, &account, 1, timeout).await;
    step_redis_clock(&url, &a, &account, Duration::from_secs(1)).await;
    let other = tokio::spawn({
        let account = account.clone();
        async move { take(&b, &account, 1, timeout).await }
    });
    // Past the next renewal and the waiter's next check, the slot is still the holder's.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !other.is_finished(),
        "a step of 1 s ended a lease with over 2 s left"
    );
    assert!(!held.is_lost() && held.covers(Duration::ZERO));
    // A step past the whole lease ends it while its attempt may still run.
    step_redis_clock(&url, &a, &account, Duration::from_secs(10)).await;
    let other = tokio::time::timeout(Duration::from_secs(5), other)
        .await
        .expect("the step ended the lease: its slot went to another process")
        .expect("task");
    let started = Instant::now();
    while !held.is_lost() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the holder never noticed its lease was gone"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!held.covers(Duration::ZERO), "a lost lease covers nothing");
    drop(other);
}
