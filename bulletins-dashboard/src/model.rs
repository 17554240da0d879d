//! What a dashboard holds: business events, and for the emulator accounts and a concurrency
//! limit.

use std::fmt;

/// A CleverTap dashboard as the file describes it.
///
/// Read one with [`Dashboard::from_file`] or [`str::parse`], or build one in code (for
/// instance from compiled event schemas) and write it with [`Dashboard::to_json_pretty`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub(crate) events: Vec<EventDefinition>,
    pub(crate) accounts: Option<Vec<Account>>,
    pub(crate) concurrency_limit: Option<usize>,
}

impl Dashboard {
    /// No events, no accounts, no concurrency limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a business event, builder style.
    #[must_use]
    pub fn with_event(mut self, event: EventDefinition) -> Self {
        self.events.push(event);
        self
    }

    /// Adds a business event.
    pub fn add_event(&mut self, event: EventDefinition) {
        self.events.push(event);
    }

    /// Adds an account (the file's `accounts` then exists).
    pub fn add_account(&mut self, account: Account) {
        self.accounts.get_or_insert_with(Vec::new).push(account);
    }

    /// Sets the file's `concurrency_limit`.
    pub fn set_concurrency_limit(&mut self, limit: Option<usize>) {
        self.concurrency_limit = limit;
    }

    /// The business events, in file order.
    pub fn events(&self) -> &[EventDefinition] {
        &self.events
    }

    /// The event with this exact name.
    pub fn event(&self, name: &str) -> Option<&EventDefinition> {
        self.events.iter().find(|event| event.name == name)
    }

    /// Up to `max` event names closest to `name`, for a "did you mean".
    pub fn closest_event_names(&self, name: &str, max: usize) -> Vec<&str> {
        crate::closest(name, self.events.iter().map(|e| e.name.as_str()), max)
    }

    /// The accounts, when the file lists them (`None` when it leaves `accounts` out).
    pub fn accounts(&self) -> Option<&[Account]> {
        self.accounts.as_deref()
    }

    /// The file's `concurrency_limit`, when it has one.
    pub fn concurrency_limit(&self) -> Option<usize> {
        self.concurrency_limit
    }
}

/// A business event as the dashboard defines it: its name, its properties, which of them
/// are required, and (for the emulator) how many targets a bulletin reaches.
///
/// ```
/// use bulletins_dashboard::EventDefinition;
///
/// let event = EventDefinition::new("order_placed")
///     .properties(["order_id", "coupon_code"])
///     .required(["order_id"]);
/// assert!(event.is_required("order_id"));
/// assert!(event.has_property("coupon_code"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDefinition {
    pub(crate) name: String,
    pub(crate) properties: Vec<String>,
    pub(crate) required: Vec<String>,
    pub(crate) targets: Option<u64>,
}

impl EventDefinition {
    /// An event with this name and no properties.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            properties: Vec::new(),
            required: Vec::new(),
            targets: None,
        }
    }

    /// Sets the event's properties, in order (replacing any set before).
    #[must_use]
    pub fn properties<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.properties = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the required properties (replacing any set before); each must be a property.
    #[must_use]
    pub fn required<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `targets`, the count the emulator answers on success.
    #[must_use]
    pub fn targets(mut self, targets: u64) -> Self {
        self.targets = Some(targets);
        self
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The property keys, in file order.
    pub fn property_keys(&self) -> &[String] {
        &self.properties
    }

    /// The required keys, in file order of `required`.
    pub fn required_keys(&self) -> &[String] {
        &self.required
    }

    /// Whether `key` is one of the event's properties.
    pub fn has_property(&self, key: &str) -> bool {
        self.properties.iter().any(|p| p == key)
    }

    /// Whether `key` is required.
    pub fn is_required(&self, key: &str) -> bool {
        self.required.iter().any(|r| r == key)
    }

    /// Up to `max` property keys closest to `key`, for a "did you mean".
    pub fn closest_property_keys(&self, key: &str, max: usize) -> Vec<&str> {
        crate::closest(key, self.properties.iter().map(String::as_str), max)
    }

    /// The file's `targets`, when it has one.
    pub fn target_count(&self) -> Option<u64> {
        self.targets
    }
}

/// An account of the file's `accounts`: an account id and its passcode. `Debug` hides the
/// passcode.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub(crate) account_id: String,
    pub(crate) passcode: String,
}

impl Account {
    /// An account with this id and passcode.
    pub fn new(account_id: impl Into<String>, passcode: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            passcode: passcode.into(),
        }
    }

    /// The account id (`X-CleverTap-Account-Id`).
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The passcode (`X-CleverTap-Passcode`). Keep it out of logs.
    pub fn passcode(&self) -> &str {
        &self.passcode
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("account_id", &self.account_id)
            .field("passcode", &"[redacted]")
            .finish()
    }
}
