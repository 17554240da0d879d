//! Every comparison rule, with its exact message, level and position.

use crate::finding::testing::check;
use crate::{breaking, DashboardFile, Finding, Level, Rule};

/// A file with these events, one per line from line 3.
fn file(events: &[&str]) -> DashboardFile {
    let text = crate::finding::testing::events_file(events);
    DashboardFile::parse(text.as_bytes(), "bulletins.json").unwrap_or_else(|e| panic!("{e}"))
}

fn only(findings: &[Finding]) -> &Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    &findings[0]
}

const ORDER: &str = r#"{"name": "order_placed", "properties": ["order_id", "coupon_code"], "required": ["order_id"]}"#;

#[test]
fn the_same_file_has_no_findings_nor_has_a_reordered_one() {
    let a = file(&[ORDER, r#"{"name": "e", "targets": 3}"#]);
    assert_eq!(breaking(&a, &a), []);
    let reordered = file(&[
        r#"{"name": "e"}"#,
        r#"{"required": ["order_id"], "name": "order_placed", "properties": ["coupon_code", "order_id"]}"#,
    ]);
    assert_eq!(breaking(&a, &reordered), []);
}

#[test]
fn event_removed_is_an_error_at_the_event_list() {
    let findings = breaking(
        &file(&[ORDER, r#"{"name": "e"}"#]),
        &file(&[r#"{"name": "e"}"#]),
    );
    let finding = only(&findings);
    check(
        finding,
        Rule::EventRemoved,
        (2, 22),
        "business event \"order_placed\" was removed: every service raising it breaks (CleverTap answers \"Business Event Not Found\"; the derive refuses it)",
    );
    assert_eq!(finding.level(), Level::Error);
    assert_eq!(finding.event_name(), Some("order_placed"));
    assert_eq!(finding.property_key(), None);
}

#[test]
fn a_rename_is_a_removal_with_a_did_you_mean_and_an_addition() {
    let findings = breaking(
        &file(&[r#"{"name": "Progam Released"}"#]),
        &file(&[r#"{"name": "Program Released"}"#]),
    );
    assert_eq!(findings.len(), 2, "{findings:#?}");
    check(
        &findings[0],
        Rule::EventRemoved,
        (2, 22),
        "business event \"Progam Released\" was removed: every service raising it breaks (CleverTap answers \"Business Event Not Found\"; the derive refuses it); did you mean \"Program Released\", added in this change?",
    );
    check(
        &findings[1],
        Rule::EventAdded,
        (3, 14),
        "business event \"Program Released\" was added: no service breaks; services may start raising it",
    );
    assert_eq!(findings[1].level(), Level::Info);
}

#[test]
fn property_removed_is_an_error_with_a_did_you_mean() {
    let findings = breaking(
        &file(&[r#"{"name": "e", "properties": ["langauge", "gone"], "required": ["langauge"]}"#]),
        &file(&[r#"{"name": "e", "properties": ["language"], "required": ["language"]}"#]),
    );
    assert_eq!(findings.len(), 3, "{findings:#?}");
    check(
        &findings[0],
        Rule::PropertyRemoved,
        (3, 33),
        "business event \"e\": property \"langauge\" was removed: every service setting it breaks (the derive refuses a field the dashboard lacks); did you mean \"language\", added in this change?",
    );
    check(
        &findings[1],
        Rule::PropertyRemoved,
        (3, 33),
        "business event \"e\": property \"gone\" was removed: every service setting it breaks (the derive refuses a field the dashboard lacks)",
    );
    assert_eq!(
        (findings[1].event_name(), findings[1].property_key()),
        (Some("e"), Some("gone"))
    );
    // The replacement is a new required property.
    assert_eq!(findings[2].rule(), Rule::NewRequiredProperty);
}

#[test]
fn property_became_required_is_an_error_at_its_required_entry() {
    let findings = breaking(
        &file(&[ORDER]),
        &file(&[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code"], "required": ["order_id", "coupon_code"]}"#,
        ]),
    );
    check(
        only(&findings),
        Rule::PropertyBecameRequired,
        (3, 98),
        "business event \"order_placed\": property \"coupon_code\" became required: every service raising the event without it breaks (CleverTap answers \"Property coupon_code missing\")",
    );
    assert_eq!(findings[0].level(), Level::Error);
    assert_eq!(findings[0].property_key(), Some("coupon_code"));
}

#[test]
fn a_new_required_property_is_an_error() {
    let findings = breaking(
        &file(&[ORDER]),
        &file(&[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code", "store"], "required": ["order_id", "store"]}"#,
        ]),
    );
    check(
        only(&findings),
        Rule::NewRequiredProperty,
        (3, 107),
        "business event \"order_placed\": new required property \"store\": every service raising the event breaks until it sends it (CleverTap answers \"Property store missing\")",
    );
    assert_eq!(findings[0].level(), Level::Error);
}

#[test]
fn a_new_optional_property_is_info_at_its_key() {
    let findings = breaking(
        &file(&[ORDER]),
        &file(&[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code", "gift_note"], "required": ["order_id"]}"#,
        ]),
    );
    check(
        only(&findings),
        Rule::NewOptionalProperty,
        (3, 72),
        "business event \"order_placed\": new optional property \"gift_note\": no service breaks; services may start sending it",
    );
    assert_eq!(findings[0].level(), Level::Info);
}

#[test]
fn property_became_optional_is_info_at_its_key() {
    let findings = breaking(
        &file(&[ORDER]),
        &file(&[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code"], "required": []}"#,
        ]),
    );
    check(
        only(&findings),
        Rule::PropertyBecameOptional,
        (3, 45),
        "business event \"order_placed\": property \"order_id\" became optional: no service breaks; services may stop sending it",
    );
    assert_eq!(findings[0].level(), Level::Info);
}

#[test]
fn accounts_added_or_removed_are_warnings_that_name_no_value() {
    let with = |accounts: &str| {
        let text = format!("{{\n  \"accounts\": [{accounts}],\n  \"business_events\": []\n}}");
        DashboardFile::parse(text.as_bytes(), "f").unwrap_or_else(|e| panic!("{e}"))
    };
    let old = with(r#"{"account_id": "OLD-ID", "passcode": "s3cret"}"#);
    let new = with(
        r#"{"account_id": "NEW-ID", "passcode": "s3cret"}, {"account_id": "OTHER", "passcode": "p"}"#,
    );
    let findings = breaking(&old, &new);
    assert_eq!(findings.len(), 3, "{findings:#?}");
    check(
        &findings[0],
        Rule::AccountRemoved,
        (2, 15),
        "an account was removed (accounts[0] of the old file): tests and services using it against an emulator serving this file are refused (401)",
    );
    check(
        &findings[1],
        Rule::AccountAdded,
        (2, 16),
        "an account was added (accounts[0]): an emulator serving this file accepts it; this file is checked in, so keep real passcodes out of it",
    );
    assert_eq!(findings[2].rule(), Rule::AccountAdded);
    assert_eq!(findings[2].position().column, 64);
    for finding in &findings {
        assert_eq!(finding.level(), Level::Warning);
        for value in ["OLD-ID", "NEW-ID", "OTHER", "s3cret"] {
            assert!(!finding.message().contains(value), "{finding}");
        }
    }
    // No `accounts` at all is no account.
    let none = file(&[]);
    let findings = breaking(&old, &none);
    check(
        only(&findings),
        Rule::AccountRemoved,
        (1, 1),
        findings[0].message(),
    );
}

#[test]
fn a_file_that_did_not_exist_adds_every_event() {
    let findings = breaking(&DashboardFile::empty("old"), &file(&[ORDER]));
    assert_eq!(only(&findings).rule(), Rule::EventAdded);
}

#[test]
fn every_rule_has_a_distinct_id_and_its_own_level() {
    let mut ids: Vec<&str> = Rule::BREAKING
        .iter()
        .chain(Rule::LINT)
        .map(|r| r.id())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
    let levels = |level| {
        Rule::BREAKING
            .iter()
            .filter(|r| r.level() == level)
            .map(|r| r.id())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        levels(Level::Error),
        [
            "event-removed",
            "property-removed",
            "property-became-required",
            "new-required-property"
        ]
    );
    assert_eq!(levels(Level::Warning), ["account-added", "account-removed"]);
    assert!(Level::Error > Level::Warning && Level::Warning > Level::Info);
}
