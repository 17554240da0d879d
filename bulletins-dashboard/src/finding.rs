//! What the comparison ([`breaking`](crate::breaking)) and the lint ([`lint`](crate::lint))
//! report: findings, each from one rule with an id and a level.

use std::fmt;

use crate::locate::Position;

/// How much a finding matters, least first, so levels compare: `Level::Error > Level::Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Safe: no service breaks.
    Info,
    /// May break something, or is probably a mistake.
    Warning,
    /// Breaks a service raising the event, or the file is refused.
    Error,
}

impl Level {
    /// `"error"`, `"warning"` or `"info"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the comparison or of the lint. Each has a stable id (what scripts match on) and a
/// level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `event-removed` (error): every service raising the event breaks. A rename is seen as a
    /// removal and an addition, with a "did you mean".
    EventRemoved,
    /// `event-added` (info).
    EventAdded,
    /// `property-removed` (error): the derive refuses a field the dashboard lacks.
    PropertyRemoved,
    /// `property-became-required` (error): services raising the event without it break.
    PropertyBecameRequired,
    /// `new-required-property` (error): every service raising the event breaks until it sends it.
    NewRequiredProperty,
    /// `new-optional-property` (info).
    NewOptionalProperty,
    /// `property-became-optional` (info).
    PropertyBecameOptional,
    /// `account-added` (warning): the emulator serving the file accepts one more account.
    AccountAdded,
    /// `account-removed` (warning): the emulator serving the file refuses the account.
    AccountRemoved,
    /// `invalid-file` (error): the file is refused (what `Dashboard::from_slice` refuses).
    InvalidFile,
    /// `similar-event-names` (warning): two events whose names differ only in case, spaces,
    /// `_` or `-`, or by one or two edits (but not only in their numbers: `Level 1`,
    /// `Level 2`); a name is reported once, with the closest earlier one.
    SimilarEventNames,
    /// `similar-property-keys` (warning): the same for two properties of one event.
    SimilarPropertyKeys,
    /// `mixed-naming-styles` (warning): a name in another style than most of the file's.
    MixedNamingStyles,
}

impl Rule {
    /// The comparison's rules.
    pub const BREAKING: &'static [Rule] = &[
        Rule::EventRemoved,
        Rule::EventAdded,
        Rule::PropertyRemoved,
        Rule::PropertyBecameRequired,
        Rule::NewRequiredProperty,
        Rule::NewOptionalProperty,
        Rule::PropertyBecameOptional,
        Rule::AccountAdded,
        Rule::AccountRemoved,
    ];

    /// The lint's rules.
    pub const LINT: &'static [Rule] = &[
        Rule::InvalidFile,
        Rule::SimilarEventNames,
        Rule::SimilarPropertyKeys,
        Rule::MixedNamingStyles,
    ];

    /// The rule's id, in kebab-case: `"event-removed"`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::EventRemoved => "event-removed",
            Rule::EventAdded => "event-added",
            Rule::PropertyRemoved => "property-removed",
            Rule::PropertyBecameRequired => "property-became-required",
            Rule::NewRequiredProperty => "new-required-property",
            Rule::NewOptionalProperty => "new-optional-property",
            Rule::PropertyBecameOptional => "property-became-optional",
            Rule::AccountAdded => "account-added",
            Rule::AccountRemoved => "account-removed",
            Rule::InvalidFile => "invalid-file",
            Rule::SimilarEventNames => "similar-event-names",
            Rule::SimilarPropertyKeys => "similar-property-keys",
            Rule::MixedNamingStyles => "mixed-naming-styles",
        }
    }

    /// The rule's level.
    pub fn level(self) -> Level {
        match self {
            Rule::EventRemoved
            | Rule::PropertyRemoved
            | Rule::PropertyBecameRequired
            | Rule::NewRequiredProperty
            | Rule::InvalidFile => Level::Error,
            Rule::AccountAdded
            | Rule::AccountRemoved
            | Rule::SimilarEventNames
            | Rule::SimilarPropertyKeys
            | Rule::MixedNamingStyles => Level::Warning,
            Rule::EventAdded | Rule::NewOptionalProperty | Rule::PropertyBecameOptional => {
                Level::Info
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One finding: the rule, the event and property it is about (when it is about one), a message
/// saying who breaks and how, and where in the file it is.
///
/// Its `Display` is `line:column: level[rule-id]: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    rule: Rule,
    event: Option<String>,
    property: Option<String>,
    message: String,
    position: Position,
}

impl Finding {
    pub(crate) fn new(rule: Rule, position: Position, message: String) -> Self {
        Self {
            rule,
            event: None,
            property: None,
            message,
            position,
        }
    }

    pub(crate) fn event(mut self, event: &str) -> Self {
        self.event = Some(event.to_owned());
        self
    }

    pub(crate) fn property(mut self, property: &str) -> Self {
        self.property = Some(property.to_owned());
        self
    }

    /// The rule that found it.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// The rule's level.
    pub fn level(&self) -> Level {
        self.rule.level()
    }

    /// The business event it is about, if it is about one.
    pub fn event_name(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// The property it is about, if it is about one.
    pub fn property_key(&self) -> Option<&str> {
        self.property.as_deref()
    }

    /// What changed or is wrong, and who breaks and how.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where it is in the file (for a comparison, the newer file).
    pub fn position(&self) -> Position {
        self.position
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Position { line, column } = self.position;
        write!(
            f,
            "{line}:{column}: {}[{}]: {}",
            self.level(),
            self.rule,
            self.message
        )
    }
}

/// What the rules' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Finding, Rule};
    use crate::Position;

    /// A dashboard file with these events, one per line from line 3.
    pub(crate) fn events_file(events: &[&str]) -> String {
        format!(
            "{{\n  \"business_events\": [\n    {}\n  ]\n}}\n",
            events.join(",\n    ")
        )
    }

    /// Asserts a finding's rule, position (line, column) and exact message.
    #[track_caller]
    pub(crate) fn check(finding: &Finding, rule: Rule, at: (usize, usize), message: &str) {
        assert_eq!(finding.rule(), rule, "{finding}");
        assert_eq!(
            finding.position(),
            Position {
                line: at.0,
                column: at.1
            },
            "{finding}"
        );
        assert_eq!(finding.message(), message);
    }
}
