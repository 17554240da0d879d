//! What a dashboard file would be refused for, and what is legal but probably wrong: names
//! that are one name written two ways, and names in another style than the rest of the file.

use std::collections::HashMap;

use crate::finding::{Finding, Rule};
use crate::key::quoted;
use crate::locate::Position;
use crate::source::DashboardFile;
use crate::style::{majority, Style};
use crate::suggest::{likeness, Likeness, Name};

/// The most edits between two names the lint calls one name mistyped.
const MAX_EDITS: usize = 2;

/// Every finding of the lint, in file order: the file's refusal (`invalid-file`, then nothing
/// else), or the likely mistakes in a valid file.
///
/// ```
/// use bulletins_dashboard::lint;
///
/// let text = br#"{"business_events": [{"name": "order_placed"}, {"name": "Order Placed"}]}"#;
/// let findings = lint(text, "bulletins.json");
/// assert_eq!(findings[0].rule().id(), "similar-event-names");
/// assert_eq!(
///     findings[0].message(),
///     "business events \"Order Placed\" and \"order_placed\" (line 1) differ only in case, spaces, `_` or `-`: probably one event written two ways; keep one name",
/// );
/// ```
pub fn lint(bytes: &[u8], origin: &str) -> Vec<Finding> {
    match DashboardFile::parse(bytes, origin) {
        Ok(file) => lint_file(&file),
        Err(error) => vec![invalid_file(&error)],
    }
}

/// The likely mistakes in a file already read, in file order.
pub fn lint_file(file: &DashboardFile) -> Vec<Finding> {
    let mut findings = Vec::new();
    similar_event_names(file, &mut findings);
    for index in 0..file.dashboard().events().len() {
        similar_property_keys(file, index, &mut findings);
    }
    mixed_event_styles(file, &mut findings);
    mixed_key_styles(file, &mut findings);
    findings.sort_by_key(Finding::position);
    findings
}

/// `invalid-file`: what `Dashboard::from_slice` refuses, at its position.
fn invalid_file(error: &crate::Error) -> Finding {
    let position = match (error.line(), error.column()) {
        (Some(line), Some(column)) => Position { line, column },
        _ => Position::START,
    };
    Finding::new(Rule::InvalidFile, position, error.problem())
}

/// Names shorter than this are too short to call an edit a typo (`lat` and `lon`, `id` and
/// `ip` are different names); they are still compared for case and separators.
const MIN_CHARS_FOR_EDITS: usize = 4;

/// For each name that is an earlier one mistyped, the closest such earlier name (the first
/// among equals), with how: `(earlier, later, how)`. Names that differ only in their numbers
/// (`Level 1 Completed`, `Level 2 Completed`; `address_line1`, `address_line2`) are a series,
/// not a typo.
fn similar_pairs(names: &[&str]) -> Vec<(usize, usize, Likeness)> {
    let prepared: Vec<Name<'_>> = names.iter().map(|name| Name::new(name)).collect();
    let series: Vec<String> = names.iter().map(|name| numbers_masked(name)).collect();
    let rank = |how: Likeness| match how {
        Likeness::Folded => 0,
        Likeness::Edits(n) => n,
    };
    let mut pairs = Vec::new();
    for later in 1..names.len() {
        let a = &prepared[later];
        let mut closest: Option<(usize, Likeness)> = None;
        for earlier in 0..later {
            let b = &prepared[earlier];
            if series[later] == series[earlier] {
                continue;
            }
            let long_enough = a.chars().max(b.chars()) >= MIN_CHARS_FOR_EDITS;
            let max_edits = if long_enough { MAX_EDITS } else { 0 };
            if let Some(how) = likeness(a, b, max_edits) {
                if closest.is_none_or(|(_, best)| rank(how) < rank(best)) {
                    closest = Some((earlier, how));
                }
            }
        }
        pairs.extend(closest.map(|(earlier, how)| (earlier, later, how)));
    }
    pairs
}

/// The name with each run of digits replaced by `#`.
fn numbers_masked(name: &str) -> String {
    let mut masked = String::with_capacity(name.len());
    for c in name.chars() {
        if !c.is_ascii_digit() {
            masked.push(c);
        } else if !masked.ends_with('\u{0}') {
            // A marker no key holds (control characters are refused), once per run.
            masked.push('\u{0}');
        }
    }
    masked
}

/// How two names differ, for a message: `differ only in case, ...` or `are 1 edit apart`.
fn differ(how: Likeness) -> String {
    match how {
        Likeness::Folded => "differ only in case, spaces, `_` or `-`".to_owned(),
        Likeness::Edits(1) => "are 1 edit apart".to_owned(),
        Likeness::Edits(n) => format!("are {n} edits apart"),
    }
}

/// `similar-event-names`: services raising one name never raise the other, so campaigns on
/// one of them miss half the events.
fn similar_event_names(file: &DashboardFile, out: &mut Vec<Finding>) {
    let events = file.dashboard().events();
    let names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    for (earlier, later, how) in similar_pairs(&names) {
        let what = match how {
            Likeness::Folded => "probably one event written two ways",
            Likeness::Edits(_) => "probably a typo shipped to the dashboard",
        };
        let message = format!(
            "business events {} and {} (line {}) {}: {what}; keep one name",
            quoted(names[later]),
            quoted(names[earlier]),
            file.event_position(earlier).line,
            differ(how),
        );
        let position = file.event_position(later);
        out.push(Finding::new(Rule::SimilarEventNames, position, message).event(names[later]));
    }
}

/// `similar-property-keys`: a service setting one key leaves the other empty.
fn similar_property_keys(file: &DashboardFile, index: usize, out: &mut Vec<Finding>) {
    let event = &file.dashboard().events()[index];
    let keys: Vec<&str> = event.property_keys().iter().map(String::as_str).collect();
    for (earlier, later, how) in similar_pairs(&keys) {
        let message = format!(
            "business event {}: properties {} and {} (line {}) {}: probably one property written two ways; keep one key",
            quoted(event.name()),
            quoted(keys[later]),
            quoted(keys[earlier]),
            file.property_position(index, earlier).line,
            differ(how),
        );
        let position = file.property_position(index, later);
        out.push(
            Finding::new(Rule::SimilarPropertyKeys, position, message)
                .event(event.name())
                .property(keys[later]),
        );
    }
}

/// `most event names in this file are snake_case (3 of 5)`, or without "most" when it is not.
fn usual(what: &str, style: Style, count: usize, of: usize) -> String {
    let style = style.name();
    if count * 2 > of {
        format!("most {what} in this file are {style} ({count} of {of})")
    } else {
        format!("the most common style of {what} in this file is {style} ({count} of {of})")
    }
}

/// `mixed-naming-styles` for event names.
fn mixed_event_styles(file: &DashboardFile, out: &mut Vec<Finding>) {
    let events = file.dashboard().events();
    let Some((style_of_most, count, of)) = majority(events.iter().map(|e| e.name())) else {
        return;
    };
    for (index, event) in events.iter().enumerate() {
        let Some(style) = outlier(event.name(), style_of_most) else {
            continue;
        };
        let message = format!(
            "business event {} is {}, but {}; keep one style",
            quoted(event.name()),
            style.name(),
            usual("event names", style_of_most, count, of),
        );
        let position = file.event_position(index);
        out.push(Finding::new(Rule::MixedNamingStyles, position, message).event(event.name()));
    }
}

/// `mixed-naming-styles` for property keys, over every event's (a key of three events counts
/// three times).
fn mixed_key_styles(file: &DashboardFile, out: &mut Vec<Finding>) {
    let events = file.dashboard().events();
    let all_keys = events
        .iter()
        .flat_map(|e| e.property_keys().iter().map(String::as_str));
    let Some((style_of_most, count, of)) = majority(all_keys) else {
        return;
    };
    // A key that is an outlier once is one everywhere: decide once per key.
    let mut decided: HashMap<&str, Option<Style>> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        for (at, key) in event.property_keys().iter().enumerate() {
            let Some(style) = *decided
                .entry(key)
                .or_insert_with(|| outlier(key, style_of_most))
            else {
                continue;
            };
            let message = format!(
                "business event {}: property {} is {}, but {}; keep one style",
                quoted(event.name()),
                quoted(key),
                style.name(),
                usual("property keys", style_of_most, count, of),
            );
            let position = file.property_position(index, at);
            out.push(
                Finding::new(Rule::MixedNamingStyles, position, message)
                    .event(event.name())
                    .property(key),
            );
        }
    }
}

/// The style of a name that fits a style, but not the usual one.
fn outlier(name: &str, usual: Style) -> Option<Style> {
    if usual.fits(name) {
        return None;
    }
    Style::of(name)
}

#[cfg(test)]
#[path = "lint_tests.rs"]
mod tests;
