//! What the emulated CleverTap dashboard holds: accounts, business events, the concurrency limit.

use std::collections::HashSet;
use std::fmt;

use bulletins_core::limits::MAX_KEY_CHARS;
use bulletins_core::{EventSchema, Presence};
use secrecy::{ExposeSecret, SecretString};

use crate::passcode::{self, PasscodeDigest};

/// CleverTap's documented concurrency limit for raising bulletins: requests in flight per account.
pub const DEFAULT_CONCURRENCY_LIMIT: usize = 3;

/// The account of CleverTap's documentation examples.
pub const DEMO_ACCOUNT_ID: &str = "ABCD-RSTU-1234";

/// The passcode of CleverTap's documentation examples.
pub const DEMO_PASSCODE: &str = "XXXXXX";

/// The business event of CleverTap's documentation example.
pub const DEMO_EVENT: &str = "Program Released";

/// A CleverTap account the emulator accepts: its id and passcode.
#[derive(Clone)]
pub struct Account {
    id: String,
    passcode: SecretString,
    passcode_digest: PasscodeDigest,
}

impl Account {
    /// An account with this id (`X-CleverTap-Account-Id`) and passcode (`X-CleverTap-Passcode`).
    pub fn new(id: impl Into<String>, passcode: impl Into<String>) -> Self {
        let passcode = passcode.into();
        Self {
            id: id.into(),
            passcode_digest: PasscodeDigest::of(passcode.as_bytes()),
            passcode: SecretString::from(passcode),
        }
    }

    /// The account id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether `given` is this account's passcode; see [`crate::passcode`].
    pub(crate) fn passcode_matches(&self, given: &[u8]) -> bool {
        passcode::matches(given, &self.passcode_digest)
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("passcode", &"[redacted]")
            .finish()
    }
}

/// A business event defined on the emulated dashboard.
///
/// ```
/// use bulletins_emulator::EventDefinition;
///
/// let order_placed = EventDefinition::new("order_placed")
///     .properties(["order_id", "product_category", "coupon_code"])
///     .required(["order_id", "product_category"])
///     .targets(2);
/// assert_eq!(order_placed.name(), "order_placed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDefinition {
    name: String,
    properties: Vec<String>,
    required: Vec<String>,
    targets: u64,
}

impl EventDefinition {
    /// An event with this name, no properties, and 1 target per bulletin.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            properties: Vec::new(),
            required: Vec::new(),
            targets: 1,
        }
    }

    /// The event described by a compile-time schema (what `#[derive(BusinessEvent)]` produces):
    /// its properties in declaration order, those marked [`Presence::Required`] required.
    pub fn from_schema(schema: &EventSchema) -> Self {
        Self {
            name: schema.name().to_owned(),
            properties: schema
                .properties()
                .iter()
                .map(|p| p.key().to_owned())
                .collect(),
            required: schema
                .properties()
                .iter()
                .filter(|p| p.presence() == Presence::Required)
                .map(|p| p.key().to_owned())
                .collect(),
            targets: 1,
        }
    }

    /// Declares the event's properties, in order (replacing any declared before).
    pub fn properties<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Marks properties as required (replacing any marked before). Each must be declared with
    /// [`Self::properties`]; the dashboard is refused at start otherwise.
    pub fn required<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The number of bulletins the event dispatches, answered as `targets` (default 1).
    pub fn targets(mut self, targets: u64) -> Self {
        self.targets = targets;
        self
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The declared properties, in order.
    pub fn property_keys(&self) -> &[String] {
        &self.properties
    }

    /// The required properties, in the order they are declared in [`Self::property_keys`].
    pub fn required_in_order(&self) -> impl Iterator<Item = &str> {
        self.properties
            .iter()
            .filter(|p| self.required.contains(p))
            .map(String::as_str)
    }

    /// The `targets` answered on success.
    pub fn target_count(&self) -> u64 {
        self.targets
    }
}

/// Everything the emulated dashboard holds.
///
/// Build one with [`Emulator::builder`](crate::Emulator::builder), read one from a file with
/// [`Dashboard::from_json`](crate::Dashboard::from_json), or start from [`Dashboard::demo`].
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub(crate) accounts: Vec<Account>,
    pub(crate) events: Vec<EventDefinition>,
    pub(crate) concurrency_limit: usize,
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::empty()
    }
}

impl Dashboard {
    /// No accounts, no events, the default concurrency limit of 3.
    pub fn empty() -> Self {
        Self {
            accounts: Vec::new(),
            events: Vec::new(),
            concurrency_limit: DEFAULT_CONCURRENCY_LIMIT,
        }
    }

    /// The dashboard of CleverTap's documentation: account `ABCD-RSTU-1234` with passcode
    /// `XXXXXX`, and the business event `Program Released` with the properties `program_id`,
    /// `language` and `prev_program_id`, all three required.
    pub fn demo() -> Self {
        let keys = ["program_id", "language", "prev_program_id"];
        Self {
            accounts: vec![Account::new(DEMO_ACCOUNT_ID, DEMO_PASSCODE)],
            events: vec![EventDefinition::new(DEMO_EVENT)
                .properties(keys)
                .required(keys)],
            concurrency_limit: DEFAULT_CONCURRENCY_LIMIT,
        }
    }

    /// Adds an account.
    pub fn add_account(&mut self, account: Account) {
        self.accounts.push(account);
    }

    /// Adds a business event.
    pub fn add_event(&mut self, event: EventDefinition) {
        self.events.push(event);
    }

    /// Sets the requests in flight allowed per account; 0 means unlimited.
    pub fn set_concurrency_limit(&mut self, limit: usize) {
        self.concurrency_limit = limit;
    }

    /// The accounts.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The business events.
    pub fn events(&self) -> &[EventDefinition] {
        &self.events
    }

    /// The requests in flight allowed per account; 0 means unlimited.
    pub fn concurrency_limit(&self) -> usize {
        self.concurrency_limit
    }

    pub(crate) fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub(crate) fn event(&self, name: &str) -> Option<&EventDefinition> {
        self.events.iter().find(|e| e.name == name)
    }

    /// Checks the dashboard could exist on CleverTap: at least one account, ids and passcodes
    /// non-empty and unique, event names and property keys 1 to 120 characters and unique,
    /// required properties declared.
    ///
    /// # Errors
    /// The first problem found, described in a sentence.
    pub fn check(&self) -> Result<(), String> {
        if self.accounts.is_empty() {
            return Err("no accounts: declare at least one account".to_owned());
        }
        let mut ids = HashSet::new();
        for account in &self.accounts {
            if account.id.trim().is_empty() {
                return Err("an account has an empty account_id".to_owned());
            }
            if account.passcode.expose_secret().is_empty() {
                return Err(format!("account {:?} has an empty passcode", account.id));
            }
            if !ids.insert(account.id.as_str()) {
                return Err(format!("account {:?} is declared twice", account.id));
            }
        }
        let mut names = HashSet::new();
        for event in &self.events {
            check_key("business event name", &event.name)?;
            if !names.insert(event.name.as_str()) {
                return Err(format!("business event {:?} is declared twice", event.name));
            }
            let mut keys = HashSet::new();
            for key in &event.properties {
                check_key(&format!("business event {:?}: property", event.name), key)?;
                if !keys.insert(key.as_str()) {
                    return Err(format!(
                        "business event {:?}: property {key:?} is declared twice",
                        event.name
                    ));
                }
            }
            for key in &event.required {
                if !keys.contains(key.as_str()) {
                    return Err(format!(
                        "business event {:?}: required property {key:?} is not among its properties",
                        event.name
                    ));
                }
            }
        }
        Ok(())
    }
}

fn check_key(what: &str, key: &str) -> Result<(), String> {
    let chars = key.chars().count();
    if chars == 0 {
        return Err(format!("{what} is empty"));
    }
    if chars > MAX_KEY_CHARS {
        return Err(format!(
            "{what} {key:?} is {chars} characters; CleverTap allows at most {MAX_KEY_CHARS}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_dashboard_is_valid_and_requires_all_three_properties() {
        let demo = Dashboard::demo();
        assert_eq!(demo.check(), Ok(()));
        let event = demo
            .event(DEMO_EVENT)
            .map(|e| e.required_in_order().count());
        assert_eq!(event, Some(3));
    }

    #[test]
    fn required_property_must_be_declared() {
        let mut d = Dashboard::empty();
        d.add_account(Account::new("a", "b"));
        d.add_event(EventDefinition::new("e").properties(["x"]).required(["y"]));
        let err = d.check().err().unwrap_or_default();
        assert!(err.contains("\"y\" is not among its properties"), "{err}");
    }

    #[test]
    fn required_order_follows_declaration_not_the_required_list() {
        let e = EventDefinition::new("e")
            .properties(["a", "b", "c"])
            .required(["c", "a"]);
        assert_eq!(e.required_in_order().collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn debug_redacts_the_passcode() {
        let shown = format!("{:?}", Account::new("id", "hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
