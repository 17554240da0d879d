//! `RedisLimiter` against a real Redis (`BULLETINS_TEST_REDIS_URL`), in one process: the cap
//! holds across limiters, waiters are served in arrival order, a lost or outlived lease starts
//! no attempt, an unreachable Redis fails closed, the round trips per attempt, and slots handed
//! on within a process only while their lease covers the attempt and never for good.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulletins_emulator::{Emulator, Fault, DEFAULT_CONCURRENCY_LIMIT};
use bulletins_http::{BoxError, Error, Limiter, Permit, RedisLimiter, Slot};
use futures_util::future::BoxFuture;
use redis::AsyncCommands as _;

use common::{
    bulletin, emulator_for, fresh_account, limited_client, redis_connection, redis_url, PASSCODE,
};

/// Takes a slot of `account`'s cap of `max` as the client would, for an attempt of `timeout`.
async fn take(limiter: &RedisLimiter, account: &str, max: usize, timeout: Duration) -> Permit {
    limiter
        .acquire(Slot::new(account, max, timeout))
        .await
        .expect("a slot")
}

#[tokio::test]
async fn the_cap_holds_across_limiters_and_frees_on_release() {
    let Some(url) = redis_url("the_cap_holds_across_limiters_and_frees_on_release") else {
        return;
    };
    let account = fresh_account();
    // Two limiters, as two processes would have.
    let (a, b) = (
        RedisLimiter::new(&url).expect("url"),
        RedisLimiter::new(&url).expect("url"),
    );
    let timeout = Duration::from_secs(5);
    let first = take(&a, &account, 2, timeout).await;
    let second = take(&b, &account, 2, timeout).await;
    let third = tokio::spawn({
        let (a, account) = (a.clone(), account.clone());
        async move { take(&a, &account, 2, timeout).await }
    });
    // A correct limiter never grants it while two are held, however long we wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !third.is_finished(),
        "a third slot was granted with a cap of 2"
    );
    drop(first);
    let third = tokio::time::timeout(Duration::from_secs(10), third)
        .await
        .expect("the freed slot was granted")
        .expect("task");
    assert!(third.covers(timeout));
    drop((second, third));
}

#[tokio::test]
async fn waiters_are_served_in_arrival_order() {
    let Some(url) = redis_url("waiters_are_served_in_arrival_order") else {
        return;
    };
    // Every waiter in Redis's queue: none handed a slot within the process, no turns.
    let limiter = RedisLimiter::builder(&url)
        .max_local_handoffs(0)
        .build()
        .expect("url");
    served_in_arrival_order(&url, limiter, 0).await;
}

#[tokio::test]
async fn a_process_s_waiters_keep_their_order_during_its_turn() {
    let Some(url) = redis_url("a_process_s_waiters_keep_their_order_during_its_turn") else {
        return;
    };
    // In its turn: the first waiter becomes the held slot's local successor, the others join
    // Redis's queue at its front, in the order they came.
    let limiter = RedisLimiter::new(&url).expect("url");
    served_in_arrival_order(&url, limiter, 1).await;
}

/// Five tasks of `limiter`'s process wait, one after the other, for a slot held on a cap of 1;
/// the first `local` of them as a local successor (not in Redis). Each must be served in turn.
async fn served_in_arrival_order(url: &str, limiter: RedisLimiter, local: usize) {
    let account = fresh_account();
    let mut redis = redis_connection(url).await;
    let leases = limiter.leases_key(&account);
    let timeout = Duration::from_secs(5);
    let holder = take(&limiter, &account, 1, timeout).await;
    let order = Arc::new(AtomicUsize::new(0));
    let mut waiters = Vec::new();
    for _ in 0..5 {
        let (limiter, account, order) = (limiter.clone(), account.clone(), Arc::clone(&order));
        waiters.push(tokio::spawn(async move {
            let permit = take(&limiter, &account, 1, timeout).await;
            let served = order.fetch_add(1, Ordering::SeqCst);
            // Held briefly so the next one is served after.
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(permit);
            served
        }));
        // Wait until this waiter is waiting before the next one arrives: in Redis's queue
        // (beside the holder), or for a moment when it waits within the process.
        let queued = 1 + waiters.len().saturating_sub(local);
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..500 {
            let n: usize = redis.zcard(&leases).await.expect("zcard");
            if n >= queued {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    drop(holder);
    let mut served = Vec::new();
    for waiter in waiters {
        served.push(waiter.await.expect("waiter"));
    }
    assert_eq!(
        served,
        [0, 1, 2, 3, 4],
        "waiters were not served in arrival order"
    );
}

/// Blocks the thread for `pause` after taking each permit, as if the process were stopped
/// (SIGSTOP) between taking a slot and sending: on a current-thread runtime nothing else runs,
/// renewals included.
#[derive(Debug)]
struct Pausing {
    to: RedisLimiter,
    pause: Duration,
    taken: Arc<AtomicUsize>,
}

impl Limiter for Pausing {
    fn acquire<'a>(&'a self, slot: Slot<'a>) -> BoxFuture<'a, Result<Permit, BoxError>> {
        Box::pin(async move {
            let permit = self.to.acquire(slot).await?;
            if self.taken.fetch_add(1, Ordering::SeqCst) == 0 {
                std::thread::sleep(self.pause);
            }
            Ok(permit)
        })
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_holder_paused_past_its_lease_starts_no_attempt_on_it() {
    let Some(url) = redis_url("a_holder_paused_past_its_lease_starts_no_attempt_on_it") else {
        return;
    };
    let emulator = Emulator::demo().account(fresh_account(), PASSCODE);
    let account = fresh_account();
    let emulator = emulator
        .account(account.clone(), PASSCODE)
        .start()
        .await
        .expect("emulator");
    let timeout = Duration::from_millis(400);
    let margin = Duration::from_millis(100);
    let redis_limiter = RedisLimiter::builder(&url)
        .lease_margin(margin)
        .redis_timeout(margin)
        .build()
        .expect("url");
    let taken = Arc::new(AtomicUsize::new(0));
    let pausing = Pausing {
        to: redis_limiter.clone(),
        pause: timeout + margin + Duration::from_millis(100),
        taken: Arc::clone(&taken),
    };
    let client = limited_client(&emulator, &account, pausing)
        .timeout(timeout)
        .build()
        .expect("client");
    client.trigger(&bulletin(1)).await.expect("triggered");
    assert_eq!(
        taken.load(Ordering::SeqCst),
        2,
        "the attempt started on the lease that ended during the pause"
    );
    assert_eq!(emulator.accepted().len(), 1);
}

#[tokio::test]
async fn a_lease_found_gone_covers_no_attempt() {
    let Some(url) = redis_url("a_lease_found_gone_covers_no_attempt") else {
        return;
    };
    let account = fresh_account();
    // A 3 s lease (200 ms timeout + 2.8 s margin), renewed every second: lost long before
    // it would end.
    let limiter = RedisLimiter::builder(&url)
        .lease_margin(Duration::from_millis(2800))
        .build()
        .expect("url");
    let timeout = Duration::from_millis(200);
    let permit = take(&limiter, &account, 3, timeout).await;
    assert!(permit.covers(timeout));
    // Another party removes the lease, as an expiry followed by someone else's script would.
    let mut redis = redis_connection(&url).await;
    let _: () = redis.del(limiter.leases_key(&account)).await.expect("del");
    for _ in 0..100 {
        if permit.is_lost() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Found lost by a renewal, not merely outlived by the local clock.
    assert!(
        permit.is_lost(),
        "a renewal did not notice the lease was gone"
    );
    assert!(!permit.covers(Duration::ZERO));
    assert!(limiter.renewals() >= 1);
}

#[tokio::test]
async fn an_unreachable_redis_fails_closed_unless_falling_back() {
    let Some(_) = redis_url("an_unreachable_redis_fails_closed_unless_falling_back") else {
        return;
    };
    let account = fresh_account();
    let emulator = emulator_for(&account, DEFAULT_CONCURRENCY_LIMIT).await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("redis://{}", listener.local_addr().expect("addr"))
    };
    let client = |limiter: RedisLimiter| {
        limited_client(&emulator, &account, limiter)
            .build()
            .expect("client")
    };
    // The default: fail closed.
    let error = client(RedisLimiter::new(&dead).expect("url"))
        .trigger(&bulletin(1))
        .await
        .expect_err("no slot without Redis");
    assert!(matches!(error, Error::Limiter { .. }), "{error:?}");
    assert!(!error.may_have_been_delivered());
    assert_eq!(error.attempts(), 0);
    let text = error.to_string();
    assert!(
        text.contains("not delivered") && text.contains("Redis"),
        "{text}"
    );
    assert!(emulator.bulletins().is_empty() && emulator.rejections().is_empty());

    let falling_back = RedisLimiter::builder(&dead)
        .fall_back_to_in_process(true)
        .build()
        .expect("url");
    client(falling_back)
        .trigger(&bulletin(2))
        .await
        .expect("the in-process cap stands in");
    assert_eq!(emulator.accepted().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_costs_at_most_two_round_trips_waiting_included() {
    let Some(url) = redis_url("an_attempt_costs_at_most_two_round_trips_waiting_included") else {
        return;
    };
    let account = fresh_account();
    let emulator = emulator_for(&account, DEFAULT_CONCURRENCY_LIMIT).await;
    // Slow answers, so that most attempts wait for a slot held by the other "process".
    emulator.inject(Fault::Delay(Duration::from_millis(10)), 1_000);
    const N: u64 = 30;
    let limiters = [
        RedisLimiter::new(&url).expect("url"),
        RedisLimiter::new(&url).expect("url"),
    ];
    let runs = limiters.iter().map(|limiter| {
        let client = limited_client(&emulator, &account, limiter.clone())
            .build()
            .expect("client");
        async move { client.trigger_all((0..N as usize).map(bulletin)).await }
    });
    for results in futures_util::future::join_all(runs).await {
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    }
    for limiter in &limiters {
        // Each slot taken from Redis costs one round trip to join the queue and one to leave
        // it; a slot handed on within the process costs none.
        let from_redis = N - limiter.local_handoffs();
        assert_eq!(limiter.renewals(), 0);
        assert_eq!(
            limiter.round_trips(),
            2 * from_redis,
            "two per slot taken from Redis"
        );
        eprintln!(
            "{} round trips for {N} attempts ({:.2} each), {} handed on locally",
            limiter.round_trips(),
            limiter.round_trips() as f64 / N as f64,
            limiter.local_handoffs()
        );
    }
    assert_eq!(emulator.accepted().len(), 2 * N as usize);
    assert!(
        emulator.rejections().is_empty(),
        "{:?}",
        emulator.rejections()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_slot_is_handed_on_only_while_its_lease_covers_the_next_attempt() {
    let Some(url) = redis_url("a_slot_is_handed_on_only_while_its_lease_covers_the_next_attempt")
    else {
        return;
    };
    let account = fresh_account();
    let (timeout, margin) = (Duration::from_millis(200), Duration::from_millis(100));
    let limiter = RedisLimiter::builder(&url)
        .lease_margin(margin)
        .redis_timeout(margin)
        .local_handoff_window(Duration::from_secs(3600))
        .build()
        .expect("url");
    // The next task waits for the held slot (a current-thread runtime runs it when this one
    // yields), then the holder finishes after `hold`.
    let hand_over = |hold: Duration| {
        let (limiter, account) = (limiter.clone(), account.clone());
        async move {
            let holder = take(&limiter, &account, 1, timeout).await;
            let next = tokio::spawn({
                let (limiter, account) = (limiter.clone(), account.clone());
                async move { take(&limiter, &account, 1, timeout).await }
            });
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            // Blocks the thread, renewals included, as a stopped process would.
            std::thread::sleep(hold);
            holder.release().await;
            next.await.expect("next")
        }
    };
    // Finished at once: the slot goes straight to the waiting task.
    let next = hand_over(Duration::ZERO).await;
    assert_eq!(limiter.local_handoffs(), 1, "the slot was not handed on");
    assert!(next.covers(timeout));
    next.release().await;
    // Finished after the lease ended: the waiting task takes a fresh slot from Redis instead.
    let next = hand_over(timeout + margin + Duration::from_millis(50)).await;
    assert!(
        next.covers(timeout),
        "a slot whose lease no longer covered the attempt was handed on"
    );
    assert_eq!(limiter.local_handoffs(), 1);
    next.release().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_hand_offs_do_not_starve_another_process() {
    let Some(url) = redis_url("local_hand_offs_do_not_starve_another_process") else {
        return;
    };
    let account = fresh_account();
    let timeout = Duration::from_secs(5);
    // Two "processes" (limiters with their own connections) on a cap of 1. Only the count
    // bounds the hand-offs here, not the time.
    let limiter = || {
        RedisLimiter::builder(&url)
            .max_local_handoffs(4)
            .local_handoff_window(Duration::from_secs(3600))
            .build()
            .expect("url")
    };
    let (busy, other) = (limiter(), limiter());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy_served = Arc::new(AtomicUsize::new(0));
    // Steady load: three tasks of the busy process always want the slot.
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (busy, account, stop, served) = (
            busy.clone(),
            account.clone(),
            Arc::clone(&stop),
            Arc::clone(&busy_served),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let permit = take(&busy, &account, 1, timeout).await;
                served.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                permit.release().await;
            }
        }));
    }
    let started = std::time::Instant::now();
    while busy_served.load(Ordering::SeqCst) < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the busy process stalled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Tasks that ask again right after releasing can fall into step with Redis's grants and
    // never find a slot held in their process, so hand-offs need not have started by
    // themselves: hold one while they ask, until one of them has been handed a slot.
    while busy.local_handoffs() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the busy process never handed on"
        );
        let held = take(&busy, &account, 1, timeout).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        held.release().await;
    }
    // The other process gets its turns while the busy one keeps its load.
    let other_run = tokio::spawn({
        let account = account.clone();
        async move {
            for _ in 0..5 {
                take(&other, &account, 1, timeout).await.release().await;
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(30), other_run)
        .await
        .expect("the other process was starved by local hand-offs")
        .expect("other");
    let before = busy_served.load(Ordering::SeqCst);
    let started = std::time::Instant::now();
    while busy_served.load(Ordering::SeqCst) < before + 5 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the busy process stalled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("busy task finished")
            .expect("busy task");
    }
}

/// Waits until `task` has finished, for at most `limit`.
async fn finished<T>(task: &tokio::task::JoinHandle<T>, limit: Duration) -> bool {
    let started = std::time::Instant::now();
    while !task.is_finished() && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.is_finished()
}

#[tokio::test]
async fn a_process_in_its_turn_is_served_first_until_the_turn_ends() {
    let Some(url) = redis_url("a_process_in_its_turn_is_served_first_until_the_turn_ends") else {
        return;
    };
    let account = fresh_account();
    let timeout = Duration::from_secs(5);
    let window = Duration::from_millis(500);
    let limiter = || {
        RedisLimiter::builder(&url)
            .local_handoff_window(window)
            .build()
            .expect("url")
    };
    // Three "processes" on a cap of 2.
    let (a, b, c) = (limiter(), limiter(), limiter());
    let a_first = take(&a, &account, 2, timeout).await;
    let b_held = take(&b, &account, 2, timeout).await;
    let waiter = |limiter: &RedisLimiter| {
        let (limiter, account) = (limiter.clone(), account.clone());
        tokio::spawn(async move { take(&limiter, &account, 2, timeout).await })
    };
    // C asks first; then two tasks of A, which is in its turn: one waits for A's own slot (a
    // local successor), the other joins the queue at its front, ahead of C.
    let c_waiting = waiter(&c);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let a_successor = waiter(&a);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let a_second = waiter(&a);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // B's slot, freed, goes to A: its turn gathers the account's slots.
    drop(b_held);
    assert!(
        finished(&a_second, Duration::from_secs(5)).await,
        "the slot freed during A's turn did not go to A"
    );
    assert!(!c_waiting.is_finished(), "C was served ahead of A's turn");
    let a_second = a_second.await.expect("task");
    // A's own slot goes on to its successor, within the turn.
    a_first.release().await;
    let a_successor = a_successor.await.expect("task");
    assert_eq!(a.local_handoffs(), 1);
    // Three more tasks of A ask within the turn: two become the successors of A's slots, the
    // third (both slots promised) joins the queue at its front, ahead of C again.
    let a_third = waiter(&a);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let a_fourth = waiter(&a);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let a_fifth = waiter(&a);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The turn ends: the successors promised still get their slots, but the first slot going
    // back to Redis sends A's waiters behind C, who is served next.
    tokio::time::sleep(window).await;
    a_second.release().await;
    a_successor.release().await;
    let (a_third, a_fourth) = (a_third.await.expect("task"), a_fourth.await.expect("task"));
    a_third.release().await;
    assert!(
        finished(&c_waiting, Duration::from_secs(5)).await,
        "C was not served once A's turn was over"
    );
    assert!(!a_fifth.is_finished(), "A was served again ahead of C");
    drop((a_fourth, c_waiting.await.expect("task")));
    assert!(finished(&a_fifth, Duration::from_secs(5)).await);
}

/// For a batch of `account`'s at a cap of `cap`: an emulator allowing `cap` requests in
/// flight that holds each answer 5 ms, and a client on a Redis limiter whose turns last
/// `turn`.
async fn batch_client(
    url: &str,
    account: &str,
    cap: usize,
    turn: Duration,
) -> (Emulator, RedisLimiter, bulletins_http::Client) {
    let emulator = emulator_for(account, cap).await;
    emulator.inject(Fault::Delay(Duration::from_millis(5)), 1_000);
    let limiter = RedisLimiter::builder(url)
        .local_handoff_window(turn)
        .build()
        .expect("url");
    let client = limited_client(&emulator, account, limiter.clone())
        .max_concurrency(cap)
        .build()
        .expect("client");
    (emulator, limiter, client)
}

/// A batch on a shared limiter: its slots are kept from one bulletin to the next (no round
/// trip), the account's limit holds, and none is left held once the batch has returned.
async fn a_batch_keeps_its_slots(cap: usize) {
    let test = "a_batch_keeps_its_slots_and_leaves_none_held";
    let Some(url) = redis_url(test) else {
        return;
    };
    let account = fresh_account();
    // A turn long enough for the whole batch: its slots are never given back midway.
    let (emulator, limiter, client) =
        batch_client(&url, &account, cap, Duration::from_secs(60)).await;
    const N: usize = 60;
    let results = client.trigger_all((0..N).map(bulletin)).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let mut redis = redis_connection(&url).await;
    let held: usize = redis
        .zcard(limiter.leases_key(&account))
        .await
        .expect("zcard");
    assert_eq!(held, 0, "the batch returned with slots still held");
    assert!(
        emulator.rejections().is_empty(),
        "{:?}",
        emulator.rejections()
    );
    assert_eq!(emulator.accepted().len(), N);
    // One grant per slot, each kept for the slot's next bulletins.
    assert!(
        limiter.round_trips() <= 2 * cap as u64,
        "{} round trips ({} renewals, {} local hand-offs) for {N} bulletins on {cap} slots",
        limiter.round_trips(),
        limiter.renewals(),
        limiter.local_handoffs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_keeps_its_slots_and_leaves_none_held_inline() {
    a_batch_keeps_its_slots(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_keeps_its_slots_and_leaves_none_held_on_workers() {
    a_batch_keeps_its_slots(5).await;
}

/// A batch whose last bulletins wait for slots gives back the slots its finished bulletins
/// kept, rather than holding them idle: else batches ending in several processes at once can
/// each hold a slot the others wait for, until the leases end.
async fn a_batch_ending_gives_its_kept_slots_to_its_last_bulletins(cap: usize) {
    let test = "a_batch_ending_gives_its_kept_slots_to_its_last_bulletins";
    let Some(url) = redis_url(test) else {
        return;
    };
    let account = fresh_account();
    let emulator = emulator_for(&account, cap).await;
    let timeout = Duration::from_secs(5);
    // Other processes hold all the account's slots but one, for the whole test.
    let mut held = Vec::new();
    for _ in 1..cap {
        let other = RedisLimiter::new(&url).expect("url");
        held.push(take(&other, &account, cap, timeout).await);
    }
    let client = limited_client(&emulator, &account, RedisLimiter::new(&url).expect("url"))
        .max_concurrency(cap)
        .timeout(timeout)
        .build()
        .expect("client");
    // The one free slot serves the first bulletins, kept from one to the next; the others
    // wait in the queue until it is given back.
    let results = tokio::time::timeout(
        Duration::from_secs(20),
        client.trigger_all((0..2 * cap).map(bulletin)),
    )
    .await
    .expect("the batch's last bulletins waited for the slot it kept");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(emulator.accepted().len(), 2 * cap);
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_ending_gives_its_kept_slots_to_its_last_bulletins_inline() {
    a_batch_ending_gives_its_kept_slots_to_its_last_bulletins(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_ending_gives_its_kept_slots_to_its_last_bulletins_on_workers() {
    a_batch_ending_gives_its_kept_slots_to_its_last_bulletins(4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_process_starts_a_new_turn_while_its_last_turns_slots_drain() {
    let test = "a_busy_process_starts_a_new_turn_while_its_last_turns_slots_drain";
    let Some(url) = redis_url(test) else {
        return;
    };
    let account = fresh_account();
    // Turns of 50 ms, in a batch of about 300 ms with nobody else waiting.
    let (_emulator, limiter, client) = batch_client(
        &url,
        &account,
        DEFAULT_CONCURRENCY_LIMIT,
        Duration::from_millis(50),
    )
    .await;
    const N: usize = 180;
    let started = std::time::Instant::now();
    let results = client.trigger_all((0..N).map(bulletin)).await;
    let turns = started.elapsed().as_millis() as u64 / 50 + 1;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Each turn takes its 3 slots anew: 6 round trips, and a turn's worth of slack. A turn
    // that never ended while its slots drained one by one would cost 2 round trips an attempt
    // from the first turn's end.
    assert!(
        limiter.round_trips() <= 6 * (turns + 2),
        "{} round trips for {N} bulletins in {turns} turns",
        limiter.round_trips()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_workers_holds_no_slot_while_its_caller_does_not_poll() {
    let test = "a_stream_on_workers_holds_no_slot_while_its_caller_does_not_poll";
    let Some(url) = redis_url(test) else {
        return;
    };
    let account = fresh_account();
    let emulator = emulator_for(&account, 4).await;
    let limiter = RedisLimiter::new(&url).expect("url");
    let client = limited_client(&emulator, &account, limiter.clone())
        .max_concurrency(4)
        .build()
        .expect("client");
    let mut stream = std::pin::pin!(client.trigger_stream((0..1_000).map(bulletin)));
    let (_, first) = futures_util::StreamExt::next(&mut stream)
        .await
        .expect("a result");
    first.expect("delivered");
    // The caller stops polling: the workers send what was queued, then have nothing to do.
    let mut accepted = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = emulator.accepted().len();
        if now == accepted {
            break;
        }
        accepted = now;
    }
    assert!(accepted < 1_000, "the stream was not lazy");
    let mut redis = redis_connection(&url).await;
    let held: usize = redis
        .zcard(limiter.leases_key(&account))
        .await
        .expect("zcard");
    assert_eq!(
        held, 0,
        "idle workers kept slots that other processes wait for"
    );
}
