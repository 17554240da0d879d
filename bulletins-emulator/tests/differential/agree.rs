//! The comparison the differential proptest and the `payload_differential` fuzz target share:
//! the same bytes to `Payload::parse` (with the core's dashboard check) and to the emulator's
//! trigger checks, which must both accept or both refuse for the same rule.

use bulletins_core::dashboard::{
    Dashboard as CoreDashboard, EventDefinition as CoreEvent, Mismatch,
};
use bulletins_core::{BuildError, Payload, PayloadProblem};
use bulletins_emulator::{Account, Dashboard, EventDefinition};

/// The events both dashboards define: name, properties, required properties.
pub(crate) const EVENTS: &[(&str, &[&str], &[&str])] = &[
    (
        "Program Released",
        &["program_id", "language", "prev_program_id"],
        &["program_id", "language"],
    ),
    ("order_placed", &["order_id", "coupon_code"], &["order_id"]),
    ("ping", &[], &[]),
];

/// The account the emulator's checks are asked with.
pub(crate) const ACCOUNT: (&str, &str) = ("ABCD-RSTU-1234", "XXXXXX");

/// The core's dashboard.
pub(crate) fn core_dashboard() -> CoreDashboard {
    EVENTS
        .iter()
        .fold(CoreDashboard::new(), |dashboard, (name, keys, required)| {
            dashboard.with_event(
                CoreEvent::new(*name)
                    .properties(keys.iter().copied())
                    .required(required.iter().copied()),
            )
        })
}

/// The emulator's dashboard, the same events.
pub(crate) fn emulator_dashboard() -> Dashboard {
    let mut dashboard = Dashboard::empty();
    dashboard.add_account(Account::new(ACCOUNT.0, ACCOUNT.1));
    for (name, keys, required) in EVENTS {
        dashboard.add_event(
            EventDefinition::new(*name)
                .properties(keys.iter().copied())
                .required(required.iter().copied()),
        );
    }
    dashboard
}

/// The rules, in the order CleverTap (and so the emulator) checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rule {
    /// Not JSON, or not an object.
    Json,
    /// A field or property appears twice.
    Duplicate,
    /// The business event is missing, not a valid name, or not on the dashboard.
    Event,
    /// `when`.
    When,
    /// A required property is missing (the dashboard's rule).
    Required,
    /// `properties`: an object, keys 1–120 characters, string values of at most 512 bytes.
    Properties,
    /// `name`.
    Name,
    /// `c-by`.
    CreatedBy,
}

/// What one side said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It would be sent, and accepted.
    Accepted,
    /// Refused, for this rule.
    Refused(Rule),
}

/// The core's verdict: `Payload::parse`, then `Payload::check_against`. A property the
/// dashboard does not declare is the SDK's own lint (CleverTap does not refuse it), so it
/// counts as accepted here.
pub(crate) fn core(bytes: &[u8], dashboard: &CoreDashboard) -> Verdict {
    let payload = match Payload::parse(bytes) {
        Ok(payload) => payload,
        Err(error) => return Verdict::Refused(rule_of(error.problem())),
    };
    match payload.check_against(dashboard) {
        Ok(()) | Err(Mismatch::UnknownProperty { .. }) => Verdict::Accepted,
        Err(Mismatch::UnknownEvent { .. }) => Verdict::Refused(Rule::Event),
        Err(Mismatch::MissingRequired { .. }) => Verdict::Refused(Rule::Required),
        Err(other) => panic!("a mismatch this comparison does not know: {other}"),
    }
}

fn rule_of(problem: &PayloadProblem) -> Rule {
    match problem {
        PayloadProblem::Syntax { .. } | PayloadProblem::NotAnObject { .. } => Rule::Json,
        PayloadProblem::DuplicateField { .. }
        | PayloadProblem::Build(BuildError::DuplicateProperty { .. }) => Rule::Duplicate,
        PayloadProblem::InvalidWhen { .. } => Rule::When,
        PayloadProblem::Missing { field } | PayloadProblem::WrongType { field, .. } => {
            field_rule(field)
        }
        PayloadProblem::Build(BuildError::InvalidEventName { .. }) => Rule::Event,
        PayloadProblem::Build(
            BuildError::InvalidPropertyKey { .. }
            | BuildError::NotAString { .. }
            | BuildError::ValueTooLong { .. },
        ) => Rule::Properties,
        PayloadProblem::Build(BuildError::EmptyName) => Rule::Name,
        PayloadProblem::Build(BuildError::EmptyCreatedBy) => Rule::CreatedBy,
        other => panic!("a payload problem this comparison does not know: {other}"),
    }
}

fn field_rule(field: &str) -> Rule {
    match field {
        "business_event" | "event" => Rule::Event,
        "when" => Rule::When,
        "properties" => Rule::Properties,
        "name" => Rule::Name,
        "c-by" => Rule::CreatedBy,
        other => panic!("a field this comparison does not know: {other}"),
    }
}

/// The emulator's verdict, from the status and body `__fuzz::check_trigger` answered.
pub(crate) fn emulator((status, body): (u16, String)) -> Verdict {
    if status == 200 {
        return Verdict::Accepted;
    }
    assert_eq!(status, 400, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("a JSON answer");
    let error = answer["error"].as_str().expect("an error message");
    let required = EVENTS.iter().flat_map(|(_, _, required)| required.iter());
    let rule = if error.starts_with("Request body is not valid JSON")
        || error.starts_with("Request body must be a JSON object")
    {
        Rule::Json
    } else if error.starts_with("Duplicate key") {
        Rule::Duplicate
    } else if error == "Business Event Not Found" {
        Rule::Event
    } else if error.starts_with("\"when\" has an incorrect value") {
        Rule::When
    } else if required
        .clone()
        .any(|key| error == format!("Property {key} missing"))
    {
        Rule::Required
    } else if error.starts_with("Property") || error.starts_with("\"properties\"") {
        Rule::Properties
    } else if error.starts_with("\"name\"") {
        Rule::Name
    } else if error.starts_with("\"c-by\"") {
        Rule::CreatedBy
    } else {
        panic!("an answer this comparison does not know: {body}")
    };
    Verdict::Refused(rule)
}

/// Why the two verdicts disagree, if they do.
///
/// Both refusing for different rules is agreement in one case only: the emulator stopped at a
/// check that needs the dashboard (the event defined, the required properties present) which
/// CleverTap runs before the rule the core found, while the core checks the dashboard last,
/// apart from the payload.
pub(crate) fn disagreement(bytes: &[u8], core: Verdict, emulator: Verdict) -> Option<String> {
    let agree = match (core, emulator) {
        (core, emulator) if core == emulator => true,
        (Verdict::Refused(core), Verdict::Refused(emulator)) => {
            matches!(emulator, Rule::Event | Rule::Required) && emulator < core
        }
        _ => false,
    };
    (!agree).then(|| {
        format!(
            "core {core:?}, emulator {emulator:?} for {:?}",
            String::from_utf8_lossy(bytes)
        )
    })
}
