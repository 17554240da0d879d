//! Building and starting an emulator, and the running emulator itself.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bulletins_core::{Bulletin, BusinessEvent, EventSchema, StaticEvent};
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::assertion::{self, Expected, TimedOut};
use crate::dashboard::{Account, Dashboard, EventDefinition};
use crate::fault::Fault;
use crate::log::{Filter, DEFAULT_MAX_RECORDED};
use crate::record::{Recorded, Rejection};
use crate::server::{self, Shared};
use crate::{routes, Error};

/// Configures an emulator; [`EmulatorBuilder::start`] runs it.
#[derive(Debug, Clone)]
#[must_use = "call .start().await to run the emulator"]
pub struct EmulatorBuilder {
    dashboard: Dashboard,
    bind: SocketAddr,
    pub(crate) max_recorded: usize,
}

impl EmulatorBuilder {
    /// Accepts this account id and passcode.
    pub fn account(mut self, id: impl Into<String>, passcode: impl Into<String>) -> Self {
        self.dashboard.add_account(Account::new(id, passcode));
        self
    }

    /// Defines the business event of a `#[derive(BusinessEvent)]` type, from its schema, so the
    /// emulator's dashboard is the schema the code compiles against.
    pub fn business_event<E: StaticEvent>(self) -> Self {
        self.schema(&E::SCHEMA)
    }

    /// Defines a business event from a compile-time schema.
    pub fn schema(self, schema: &EventSchema) -> Self {
        self.event(bulletins_core::dashboard::definition_of(schema))
    }

    /// Defines a business event declared by hand.
    pub fn event(mut self, event: EventDefinition) -> Self {
        self.dashboard.add_event(event);
        self
    }

    /// Sets the requests in flight allowed per account (default 3, CleverTap's); 0 is unlimited.
    pub fn concurrency_limit(mut self, limit: usize) -> Self {
        self.dashboard.set_concurrency_limit(limit);
        self
    }

    /// Replaces the whole dashboard (accounts, events and concurrency limit).
    pub fn dashboard(mut self, dashboard: Dashboard) -> Self {
        self.dashboard = dashboard;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`: a free port on loopback).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Keeps at most this many recorded requests, bulletins and rejections together (default
    /// [`DEFAULT_MAX_RECORDED`]; at least 1): past it the oldest are forgotten and counted
    /// ([`Emulator::evicted`]). Whatever the count, the bodies and headers kept stay
    /// under 512 MiB, the oldest going first.
    pub fn max_recorded(mut self, max: usize) -> Self {
        self.max_recorded = max;
        self
    }

    /// Checks the dashboard, binds the address and serves in a background task of the current
    /// tokio runtime.
    ///
    /// # Errors
    /// [`Error::InvalidDashboard`] if the dashboard could not exist on CleverTap (see
    /// [`Dashboard::check`]); [`Error::Bind`] if the address cannot be bound.
    pub async fn start(self) -> Result<Emulator, Error> {
        self.dashboard.check().map_err(Error::InvalidDashboard)?;
        let listener = TcpListener::bind(self.bind)
            .await
            .map_err(|source| Error::Bind {
                addr: self.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: self.bind,
            source,
        })?;
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared::new(
            self.dashboard,
            self.max_recorded,
            stopped.clone(),
        ));
        let task = tokio::spawn(server::serve(
            listener,
            routes::router(Arc::clone(&shared)),
            stopped,
        ));
        Ok(Emulator {
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }
}

/// A running emulator, started with [`Emulator::builder`] or [`Emulator::demo`].
///
/// Dropping it stops the server (in the background); [`Self::shutdown`] stops it and waits.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use bulletins_emulator::{Emulator, EventDefinition};
///
/// let emulator: Emulator = Emulator::builder()
///     .account("ABCD-RSTU-1234", "XXXXXX")
///     .event(EventDefinition::new("order_placed").properties(["order_id"]).required(["order_id"]))
///     .start()
///     .await?;
/// assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
/// emulator.shutdown().await;
/// # Ok::<(), bulletins_emulator::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// An emulator with no accounts and no events yet, concurrency limit 3, on `127.0.0.1:0`.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            dashboard: Dashboard::empty(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            max_recorded: DEFAULT_MAX_RECORDED,
        }
    }

    /// An emulator with the documentation's dashboard ([`Dashboard::demo`]): account
    /// `ABCD-RSTU-1234` / `XXXXXX` and the event `Program Released`. More accounts and events
    /// may be added.
    pub fn demo() -> EmulatorBuilder {
        Self::builder().dashboard(Dashboard::demo())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client instead of a region's, like `http://127.0.0.1:41234`
    /// (no trailing slash). The trigger endpoint is `{base_url}/1/targets/trigger.json`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The trigger endpoint's full URL.
    pub fn trigger_url(&self) -> String {
        format!("{}{}", self.base_url(), bulletins_core::TRIGGER_PATH)
    }

    /// The dashboard it serves.
    pub fn dashboard(&self) -> &Dashboard {
        &self.shared.dashboard
    }

    /// Every bulletin received, oldest first: the accepted ones and those received but not
    /// acknowledged because of a fault.
    pub fn bulletins(&self) -> Vec<Recorded> {
        let only = Filter {
            bulletins: Some(true),
            ..Filter::default()
        };
        self.shared
            .log
            .all(&only)
            .iter()
            .map(Recorded::from_entry)
            .collect()
    }

    /// Only the accepted bulletins, oldest first.
    pub fn accepted(&self) -> Vec<Recorded> {
        let mut bulletins = self.bulletins();
        bulletins.retain(Recorded::is_accepted);
        bulletins
    }

    /// Every trigger request refused, or answered by a fault without its body being read,
    /// oldest first.
    pub fn rejections(&self) -> Vec<Rejection> {
        let only = Filter {
            bulletins: Some(false),
            ..Filter::default()
        };
        self.shared
            .log
            .all(&only)
            .iter()
            .map(Rejection::from_entry)
            .collect()
    }

    /// Asserts that the emulator received `event`: some received bulletin
    /// ([`Self::bulletins`]: accepted, or not acknowledged because of a fault) names the same
    /// business event and has exactly its properties — none missing, none extra, each value
    /// equal. Returns that bulletin (the oldest, if several match) to check more of it.
    ///
    /// `event` is a value of the test's own event struct, built as the code under test should
    /// build it; its properties are written as they would be sent (`display` fields as text,
    /// `None` fields left out). The bulletin's `name`, `c-by` and `when` are not compared: see
    /// [`Self::assert_received_bulletin`] for those.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// use bulletins_core::{Bulletin, DynamicEvent};
    /// use bulletins_emulator::{Emulator, DEMO_ACCOUNT_ID, DEMO_PASSCODE};
    ///
    /// let emulator = Emulator::demo().start().await?;
    /// let event = DynamicEvent::new("Program Released")?
    ///     .property("program_id", "234567")?
    ///     .property("language", "Hindi")?
    ///     .property("prev_program_id", "123457")?;
    /// // The code under test sends it; here, a plain HTTP client.
    /// let body = Bulletin::new(&event, "Sa Re Ga Ma episode 12", "[email protected]").to_json_vec()?;
    /// reqwest::Client::new()
    ///     .post(emulator.trigger_url())
    ///     .header("X-CleverTap-Account-Id", DEMO_ACCOUNT_ID)
    ///     .header("X-CleverTap-Passcode", DEMO_PASSCODE)
    ///     .header("Content-Type", "application/json")
    ///     .body(body)
    ///     .send()
    ///     .await?;
    ///
    /// let received = emulator.assert_received(&event);
    /// assert!(received.is_accepted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })
    /// # }
    /// ```
    ///
    /// # Panics
    /// When no received bulletin matches (or `event` cannot be sent at all), with a message
    /// that diffs the closest received bulletin of the same event against the expected one, a
    /// line per field and property (`-` expected, `+` received), and lists the bulletins
    /// received and the requests refused (the newest ten of each):
    ///
    /// ```text
    /// assertion failed: no bulletin received matches the expected `order_placed`
    /// closest: #1 (accepted): property `quantity` differs, property `coupon_code` is extra
    /// - expected
    /// + received
    ///   business_event: "order_placed"
    ///   properties:
    ///     order_id: "12345"
    /// -   quantity: "3"
    /// +   quantity: "2"
    /// +   coupon_code: "SAVE10"
    /// 1 bulletin received, oldest first:
    ///   #1 accepted `order_placed` "New order" {coupon_code: "SAVE10", order_id: "12345", quantity: "2"}
    /// ```
    #[track_caller]
    pub fn assert_received<E: BusinessEvent + ?Sized>(&self, event: &E) -> Recorded {
        self.assert_matches(Expected::event(event))
    }

    /// Asserts that the emulator received `bulletin`: as [`Self::assert_received`] for its
    /// event, and its `name` and `c-by` are equal too, and its `when` when it was set to a
    /// timestamp ([`When::Unix`](bulletins_core::When::Unix)); the default,
    /// [`When::Now`](bulletins_core::When::Now), matches any `when` (read
    /// [`Recorded::when`] to check it). Returns the matching bulletin.
    ///
    /// # Panics
    /// As [`Self::assert_received`], the diff showing `name`, `c-by` and `when` too.
    #[track_caller]
    pub fn assert_received_bulletin<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<'_, E>,
    ) -> Recorded {
        self.assert_matches(Expected::bulletin(bulletin))
    }

    #[track_caller]
    fn assert_matches(&self, expected: Result<Expected, String>) -> Recorded {
        let mut bulletins = self.bulletins();
        let found = expected
            .and_then(|expected| assertion::find(&expected, &bulletins, || self.rejections()));
        match found {
            Ok(index) => bulletins.swap_remove(index),
            Err(message) => panic!("{message}"),
        }
    }

    /// Waits until at least `count` bulletins were received ([`Self::bulletins`]: accepted or
    /// not acknowledged), then returns them all, oldest first: for code that sends from a
    /// background task, so that a test waits exactly as long as the work takes and no sleep
    /// guesses how long that is. Each request the emulator records wakes the wait; nothing
    /// polls.
    ///
    /// The count is of the bulletins kept now: [`Self::clear`] and eviction past
    /// [`EmulatorBuilder::max_recorded`] lower it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use bulletins_emulator::Emulator;
    ///
    /// let emulator = Emulator::demo().start().await?;
    /// // Nothing sends here, so the wait ends with the timeout, saying what was received.
    /// let error = emulator.wait_for_bulletins(1, Duration::from_millis(10)).await.unwrap_err();
    /// assert_eq!(error.to_string(), "timed out after 10ms waiting for 1 bulletin; 0 received");
    /// # Ok::<(), bulletins_emulator::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`TimedOut`] when `timeout` passes first; its message lists the bulletins received and
    /// the requests refused, so a test's `?` or `.unwrap()` says what arrived instead.
    pub async fn wait_for_bulletins(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Recorded>, TimedOut> {
        // Subscribed before counting, so a bulletin recorded in between still wakes the wait.
        let mut notices = self.shared.log.subscribe();
        let wanted = u64::try_from(count).unwrap_or(u64::MAX);
        let enough = async {
            while self.bulletin_count() < wanted {
                // A lagging receiver just counts again. The sender lives as long as `self`, so
                // it never closes here; if it did, wait for the timeout rather than spin.
                if let Err(RecvError::Closed) = notices.recv().await {
                    std::future::pending::<()>().await;
                }
            }
        };
        match tokio::time::timeout(timeout, enough).await {
            Ok(()) => Ok(self.bulletins()),
            Err(_) => Err(TimedOut::new(
                count,
                timeout,
                self.bulletins(),
                self.rejections(),
            )),
        }
    }

    /// How many bulletins are kept, without copying or parsing them.
    fn bulletin_count(&self) -> u64 {
        self.shared
            .log
            .counts()
            .iter()
            .map(|(_, bulletins, _)| bulletins)
            .sum()
    }

    /// How many recorded requests were forgotten to stay within
    /// [`EmulatorBuilder::max_recorded`] since the start (clearing does not count).
    pub fn evicted(&self) -> u64 {
        self.shared.log.evicted()
    }

    /// Forgets the recorded bulletins and rejections (not the pending faults).
    pub fn clear(&self) {
        self.shared.log.clear(&Filter::default());
    }

    /// Plays `fault` on the next `times` trigger requests, after the faults already queued, and
    /// returns how many were queued: at most [`MAX_PENDING_FAULTS`](crate::MAX_PENDING_FAULTS) may be pending in total,
    /// so `times` is cut to what fits (`usize::MAX` fills the queue).
    pub fn inject(&self, fault: Fault, times: usize) -> usize {
        self.shared.faults.push(fault, times)
    }

    /// The faults still queued, next first.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.shared.faults.pending()
    }

    /// Drops the queued faults.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Stops accepting connections, lets requests in flight finish (for up to 5 seconds), and
    /// waits until the server is stopped.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            if let Err(error) = task.await {
                tracing::warn!(%error, "emulator task ended abnormally");
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
