//! What the emulated CleverTap dashboard holds: the dashboard file's model
//! (`bulletins-dashboard`, shared with the derive, the core and the CLI), with what the
//! emulator serves where the model leaves a part out.

use std::fmt;

pub use bulletins_dashboard::{Account, EventDefinition};

use crate::passcode::{self, PasscodeDigest};

/// CleverTap's documented concurrency limit for raising bulletins: requests in flight per account.
pub const DEFAULT_CONCURRENCY_LIMIT: usize = 3;

/// The `targets` answered for an event that does not set its own.
const DEFAULT_TARGETS: u64 = 1;

/// The account of CleverTap's documentation examples.
pub const DEMO_ACCOUNT_ID: &str = "ABCD-RSTU-1234";

/// The passcode of CleverTap's documentation examples.
pub const DEMO_PASSCODE: &str = "XXXXXX";

/// The business event of CleverTap's documentation example.
pub const DEMO_EVENT: &str = "Program Released";

/// Everything the emulated dashboard holds: a [`bulletins_dashboard::Dashboard`] served with
/// the emulator's defaults (concurrency limit 3, 1 target per bulletin).
///
/// Build one with [`Emulator::builder`](crate::Emulator::builder), read one from a file with
/// [`Dashboard::from_file`], or start from [`Dashboard::demo`].
#[derive(Clone, Default)]
pub struct Dashboard {
    model: bulletins_dashboard::Dashboard,
    /// The digest of each account's passcode, in the model's account order: what a request's
    /// passcode is compared with (see [`crate::passcode`]), computed once.
    digests: Vec<PasscodeDigest>,
}

impl fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The model's `Debug` already hides passcodes; the digests add nothing to read.
        f.debug_struct("Dashboard")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// No accounts, no events, the default concurrency limit of 3.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The dashboard of CleverTap's documentation: account `ABCD-RSTU-1234` with passcode
    /// `XXXXXX`, and the business event `Program Released` with the properties `program_id`,
    /// `language` and `prev_program_id`, all three required.
    pub fn demo() -> Self {
        let keys = ["program_id", "language", "prev_program_id"];
        let mut demo = Self::empty();
        demo.add_account(Account::new(DEMO_ACCOUNT_ID, DEMO_PASSCODE));
        demo.add_event(
            EventDefinition::new(DEMO_EVENT)
                .properties(keys)
                .required(keys),
        );
        demo
    }

    /// Serves this model as it is: its accounts only (none when it lists none).
    pub(crate) fn from_model(model: bulletins_dashboard::Dashboard) -> Self {
        let digests = model
            .accounts()
            .unwrap_or_default()
            .iter()
            .map(|a| PasscodeDigest::of(a.passcode().as_bytes()))
            .collect();
        Self { model, digests }
    }

    /// Adds an account.
    pub fn add_account(&mut self, account: Account) {
        self.digests
            .push(PasscodeDigest::of(account.passcode().as_bytes()));
        self.model.add_account(account);
    }

    /// Adds a business event.
    pub fn add_event(&mut self, event: EventDefinition) {
        self.model.add_event(event);
    }

    /// Sets the requests in flight allowed per account; 0 means unlimited.
    pub fn set_concurrency_limit(&mut self, limit: usize) {
        self.model.set_concurrency_limit(Some(limit));
    }

    /// The accounts.
    pub fn accounts(&self) -> &[Account] {
        self.model.accounts().unwrap_or_default()
    }

    /// The business events.
    pub fn events(&self) -> &[EventDefinition] {
        self.model.events()
    }

    /// The requests in flight allowed per account; 0 means unlimited.
    pub fn concurrency_limit(&self) -> usize {
        self.model
            .concurrency_limit()
            .unwrap_or(DEFAULT_CONCURRENCY_LIMIT)
    }

    /// The dashboard as the file format describes it (what [`Self::from_file`] read).
    pub fn model(&self) -> &bulletins_dashboard::Dashboard {
        &self.model
    }

    /// The account with this id, if its passcode is `passcode`: `Ok(None)` for an unknown
    /// id, `Err(())` for a wrong passcode (compared in constant time; see [`crate::passcode`]).
    pub(crate) fn account(&self, id: &str, passcode: &[u8]) -> Option<Result<&Account, ()>> {
        let index = self.accounts().iter().position(|a| a.account_id() == id)?;
        let matches = passcode::matches(passcode, &self.digests[index]);
        Some(if matches {
            Ok(&self.accounts()[index])
        } else {
            Err(())
        })
    }

    pub(crate) fn event(&self, name: &str) -> Option<&EventDefinition> {
        self.model.event(name)
    }

    /// Checks the dashboard could exist on CleverTap: the dashboard file's rules
    /// ([`bulletins_dashboard::Dashboard::validate`]: event names and property keys by
    /// CleverTap's key rules and unique, required properties declared, account ids unique),
    /// and at least one account to serve.
    ///
    /// # Errors
    /// The first problem found, described in a sentence.
    pub fn check(&self) -> Result<(), String> {
        if self.accounts().is_empty() {
            return Err("no accounts: declare at least one account".to_owned());
        }
        // HTTP trims a header value, so an id of spaces could never be sent.
        if let Some(index) = self
            .accounts()
            .iter()
            .position(|a| a.account_id().trim().is_empty())
        {
            return Err(format!("accounts[{index}]: `account_id` is blank"));
        }
        self.model.validate().map_err(|e| e.problem())
    }
}

/// The event's required properties in the order its properties are declared: the order
/// CleverTap reports a missing one in.
pub(crate) fn required_in_order(event: &EventDefinition) -> impl Iterator<Item = &str> {
    event
        .property_keys()
        .iter()
        .map(String::as_str)
        .filter(|key| event.is_required(key))
}

/// The `targets` answered for the event.
pub(crate) fn targets(event: &EventDefinition) -> u64 {
    event.target_count().unwrap_or(DEFAULT_TARGETS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_dashboard_is_valid_and_requires_all_three_properties() {
        let demo = Dashboard::demo();
        assert_eq!(demo.check(), Ok(()));
        let event = demo.event(DEMO_EVENT).map(|e| required_in_order(e).count());
        assert_eq!(event, Some(3));
    }

    #[test]
    fn required_property_must_be_declared() {
        let mut d = Dashboard::empty();
        d.add_account(Account::new("a", "b"));
        d.add_event(EventDefinition::new("e").properties(["x"]).required(["y"]));
        let err = d.check().err().unwrap_or_default();
        assert!(err.contains("\"y\" is not among its `properties`"), "{err}");
    }

    #[test]
    fn keys_follow_the_dashboard_files_rules() {
        let mut d = Dashboard::demo();
        d.add_event(EventDefinition::new("order placed "));
        let err = d.check().err().unwrap_or_default();
        assert!(err.contains("starts or ends with whitespace"), "{err}");
    }

    #[test]
    fn a_blank_account_id_is_refused() {
        let mut d = Dashboard::demo();
        d.add_account(Account::new("  ", "p"));
        assert_eq!(
            d.check(),
            Err("accounts[1]: `account_id` is blank".to_owned())
        );
    }

    #[test]
    fn required_order_follows_declaration_not_the_required_list() {
        let e = EventDefinition::new("e")
            .properties(["a", "b", "c"])
            .required(["c", "a"]);
        assert_eq!(required_in_order(&e).collect::<Vec<_>>(), ["a", "c"]);
    }

    #[test]
    fn passcodes_are_checked_per_account() {
        let mut d = Dashboard::demo();
        d.add_account(Account::new("other", "secret"));
        assert!(matches!(d.account("other", b"secret"), Some(Ok(_))));
        assert!(matches!(
            d.account("other", DEMO_PASSCODE.as_bytes()),
            Some(Err(()))
        ));
        assert!(d.account("nobody", b"secret").is_none());
    }

    #[test]
    fn debug_redacts_the_passcode() {
        let shown = format!("{:?}", Account::new("id", "hunter2"));
        assert!(!shown.contains("hunter2"), "{shown}");
        let mut d = Dashboard::empty();
        d.add_account(Account::new("id", "hunter2"));
        let shown = format!("{d:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
