//! Which changes between two versions of a dashboard file break whom.
//!
//! Every service compiles against `bulletins.json` (the derive checks each struct against it)
//! and CleverTap checks every bulletin against the dashboard it mirrors, so a change to the file
//! is an interface change. Each rule below is one function: its id and level are the
//! [`Rule`]'s, its message says who breaks and how.

use std::collections::{HashMap, HashSet};

use crate::finding::{Finding, Rule};
use crate::key::quoted;
use crate::model::{Dashboard, EventDefinition};
use crate::source::DashboardFile;
use crate::suggest::{best, Name};

/// Every finding between `old` and `new`, sorted by where it is in `new` (findings at one
/// place in the order of the rules above; removed events in `old`'s order).
///
/// ```
/// use bulletins_dashboard::{breaking, DashboardFile, Level};
///
/// let old = DashboardFile::parse(br#"{"business_events": [
///     {"name": "order_placed", "properties": ["order_id", "coupon_code"], "required": ["order_id"]}
/// ]}"#, "main:bulletins.json")?;
/// let new = DashboardFile::parse(br#"{"business_events": [
///     {"name": "order_placed", "properties": ["order_id", "coupon_code"],
///      "required": ["order_id", "coupon_code"]}
/// ]}"#, "bulletins.json")?;
/// let findings = breaking(&old, &new);
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].rule().id(), "property-became-required");
/// assert_eq!(findings[0].level(), Level::Error);
/// assert_eq!(findings[0].position().line, 3);
/// # Ok::<(), bulletins_dashboard::Error>(())
/// ```
pub fn breaking(old: &DashboardFile, new: &DashboardFile) -> Vec<Finding> {
    let old_events = by_name(old.dashboard());
    let new_events = by_name(new.dashboard());
    // Prepared once: every removed name is compared with every added one.
    let added: Vec<Name<'_>> = new
        .dashboard()
        .events()
        .iter()
        .map(EventDefinition::name)
        .filter(|name| !old_events.contains_key(name))
        .map(Name::new)
        .collect();
    let mut findings = Vec::new();
    for event in old.dashboard().events() {
        match new_events.get(event.name()) {
            None => findings.push(event_removed(new, event, &added)),
            Some(&index) => properties(event, new, index, &mut findings),
        }
    }
    for (index, event) in new.dashboard().events().iter().enumerate() {
        if !old_events.contains_key(event.name()) {
            findings.push(event_added(new, index));
        }
    }
    accounts(old.dashboard(), new, &mut findings);
    findings.sort_by_key(Finding::position);
    findings
}

fn by_name(dashboard: &Dashboard) -> HashMap<&str, usize> {
    dashboard
        .events()
        .iter()
        .enumerate()
        .map(|(index, event)| (event.name(), index))
        .collect()
}

/// The property rules for an event in both files.
fn properties(old: &EventDefinition, new: &DashboardFile, index: usize, out: &mut Vec<Finding>) {
    let event = &new.dashboard().events()[index];
    let added: Vec<Name<'_>> = event
        .property_keys()
        .iter()
        .map(String::as_str)
        .filter(|key| !old.has_property(key))
        .map(Name::new)
        .collect();
    for key in old.property_keys() {
        if !event.has_property(key) {
            out.push(property_removed(new, index, key, &added));
        }
    }
    let required: HashSet<&str> = event.required_keys().iter().map(String::as_str).collect();
    for (at, key) in event.property_keys().iter().enumerate() {
        let now_required = required.contains(key.as_str());
        let finding = match (old.has_property(key), old.is_required(key), now_required) {
            (false, _, true) => new_required_property(new, index, key),
            (false, _, false) => new_optional_property(new, index, at, key),
            (true, false, true) => property_became_required(new, index, key),
            (true, true, false) => property_became_optional(new, index, at, key),
            (true, _, _) => continue,
        };
        out.push(finding);
    }
}

/// `; did you mean "x", added in this change?` when a name added in this change is close.
fn renamed_to(name: &str, added: &[Name<'_>]) -> String {
    match best(&Name::new(name), added) {
        Some(candidate) => format!(
            "; did you mean {}, added in this change?",
            quoted(candidate)
        ),
        None => String::new(),
    }
}

/// `event-removed`: CleverTap refuses an event its dashboard does not define, and the derive
/// refuses a struct naming one.
fn event_removed(new: &DashboardFile, event: &EventDefinition, added: &[Name<'_>]) -> Finding {
    let name = event.name();
    let message = format!(
        "business event {} was removed: every service raising it breaks (CleverTap answers \"Business Event Not Found\"; the derive refuses it){}",
        quoted(name),
        renamed_to(name, added)
    );
    Finding::new(Rule::EventRemoved, new.events_position(), message).event(name)
}

/// `event-added`: nothing raises it yet.
fn event_added(new: &DashboardFile, index: usize) -> Finding {
    let name = new.dashboard().events()[index].name();
    let message = format!(
        "business event {} was added: no service breaks; services may start raising it",
        quoted(name)
    );
    Finding::new(Rule::EventAdded, new.event_position(index), message).event(name)
}

/// `property-removed`: the derive refuses a field the dashboard lacks, and a payload setting it
/// fails `Payload::check_against`.
fn property_removed(new: &DashboardFile, index: usize, key: &str, added: &[Name<'_>]) -> Finding {
    let name = new.dashboard().events()[index].name();
    let message = format!(
        "business event {}: property {} was removed: every service setting it breaks (the derive refuses a field the dashboard lacks){}",
        quoted(name),
        quoted(key),
        renamed_to(key, added)
    );
    Finding::new(
        Rule::PropertyRemoved,
        new.properties_position(index),
        message,
    )
    .event(name)
    .property(key)
}

/// Where a required key sits in the event's `required` list.
fn required_position(new: &DashboardFile, index: usize, key: &str) -> crate::Position {
    let event = &new.dashboard().events()[index];
    match event.required_keys().iter().position(|k| k == key) {
        Some(at) => new.required_key_position(index, at),
        None => new.required_position(index),
    }
}

/// `property-became-required`: CleverTap refuses the event without a required property.
fn property_became_required(new: &DashboardFile, index: usize, key: &str) -> Finding {
    let name = new.dashboard().events()[index].name();
    let message = format!(
        "business event {}: property {} became required: every service raising the event without it breaks (CleverTap answers \"Property {key} missing\")",
        quoted(name),
        quoted(key)
    );
    let position = required_position(new, index, key);
    Finding::new(Rule::PropertyBecameRequired, position, message)
        .event(name)
        .property(key)
}

/// `new-required-property`: no service sends it yet, so every one is refused.
fn new_required_property(new: &DashboardFile, index: usize, key: &str) -> Finding {
    let name = new.dashboard().events()[index].name();
    let message = format!(
        "business event {}: new required property {}: every service raising the event breaks until it sends it (CleverTap answers \"Property {key} missing\")",
        quoted(name),
        quoted(key)
    );
    let position = required_position(new, index, key);
    Finding::new(Rule::NewRequiredProperty, position, message)
        .event(name)
        .property(key)
}

/// `new-optional-property`: nothing sends it yet, and nothing has to.
fn new_optional_property(new: &DashboardFile, index: usize, at: usize, key: &str) -> Finding {
    let name = new.dashboard().events()[index].name();
    let message = format!(
        "business event {}: new optional property {}: no service breaks; services may start sending it",
        quoted(name),
        quoted(key)
    );
    let position = new.property_position(index, at);
    Finding::new(Rule::NewOptionalProperty, position, message)
        .event(name)
        .property(key)
}

/// `property-became-optional`: every service already sends it.
fn property_became_optional(new: &DashboardFile, index: usize, at: usize, key: &str) -> Finding {
    let name = new.dashboard().events()[index].name();
    let message = format!(
        "business event {}: property {} became optional: no service breaks; services may stop sending it",
        quoted(name),
        quoted(key)
    );
    let position = new.property_position(index, at);
    Finding::new(Rule::PropertyBecameOptional, position, message)
        .event(name)
        .property(key)
}

/// `account-added` and `account-removed`, matched by account id. Messages name accounts by
/// position only: no value of `accounts` ever reaches a message.
fn accounts(old: &Dashboard, new: &DashboardFile, out: &mut Vec<Finding>) {
    let ids = |dashboard: &Dashboard| -> Vec<String> {
        dashboard
            .accounts()
            .unwrap_or_default()
            .iter()
            .map(|a| a.account_id().to_owned())
            .collect()
    };
    let (old_ids, new_ids) = (ids(old), ids(new.dashboard()));
    for (index, id) in old_ids.iter().enumerate() {
        if !new_ids.contains(id) {
            out.push(account_removed(new, index));
        }
    }
    for (index, id) in new_ids.iter().enumerate() {
        if !old_ids.contains(id) {
            out.push(account_added(new, index));
        }
    }
}

/// `account-removed`: an emulator serving the file answers 401 to it.
fn account_removed(new: &DashboardFile, index: usize) -> Finding {
    let message = format!(
        "an account was removed (accounts[{index}] of the old file): tests and services using it against an emulator serving this file are refused (401)"
    );
    Finding::new(Rule::AccountRemoved, new.accounts_position(), message)
}

/// `account-added`: harmless to services, but the file is checked in.
fn account_added(new: &DashboardFile, index: usize) -> Finding {
    let message = format!(
        "an account was added (accounts[{index}]): an emulator serving this file accepts it; this file is checked in, so keep real passcodes out of it"
    );
    Finding::new(Rule::AccountAdded, new.account_position(index), message)
}

#[cfg(test)]
#[path = "breaking_tests.rs"]
mod tests;
