//! A first dashboard file without typing it: CleverTap's documented example, or the events
//! and properties of payloads already sent.

use std::collections::HashMap;

use crate::model::{Dashboard, EventDefinition};

/// A dashboard with the business event of CleverTap's documentation: `Program Released`, with
/// the properties `program_id`, `language` and `prev_program_id`, the first two required.
///
/// ```
/// let starter = bulletins_dashboard::starter();
/// let event = starter.event("Program Released").expect("defined");
/// assert_eq!(event.required_keys(), ["program_id", "language"]);
/// ```
pub fn starter() -> Dashboard {
    Dashboard::new().with_event(
        EventDefinition::new("Program Released")
            .properties(["program_id", "language", "prev_program_id"])
            .required(["program_id", "language"]),
    )
}

/// The events and properties seen in payloads, line by line, and the dashboard they suggest:
/// every property seen for an event is listed, and those present on every line of the event
/// are required.
///
/// That `required` is a guess: a property every payload happened to carry may still be
/// optional on the dashboard. Confirm it there.
///
/// ```
/// use bulletins_dashboard::Inference;
///
/// let mut seen = Inference::new();
/// seen.observe("order_placed", ["order_id", "coupon_code"]);
/// seen.observe("order_placed", ["order_id"]);
/// let dashboard = seen.dashboard();
/// let event = dashboard.event("order_placed").expect("seen");
/// assert_eq!(event.property_keys(), ["order_id", "coupon_code"]);
/// assert_eq!(event.required_keys(), ["order_id"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Inference {
    events: Vec<SeenEvent>,
    by_name: HashMap<String, usize>,
}

/// One event as payloads showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenEvent {
    name: String,
    lines: usize,
    /// Each key, the payloads that carried it, and the last of them (its line among the
    /// event's), so a key given twice in one payload counts once.
    keys: Vec<(String, usize, usize)>,
}

impl SeenEvent {
    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many payloads raised it.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Each property key seen, in the order first seen, with how many payloads carried it.
    pub fn keys(&self) -> impl Iterator<Item = (&str, usize)> {
        self.keys
            .iter()
            .map(|(key, count, _)| (key.as_str(), *count))
    }

    /// Whether every payload of the event carried `key`: the guess that it is required.
    pub fn always_has(&self, key: &str) -> bool {
        self.keys
            .iter()
            .any(|(k, count, _)| k == key && *count == self.lines)
    }

    fn definition(&self) -> EventDefinition {
        EventDefinition::new(&self.name)
            .properties(self.keys.iter().map(|(key, _, _)| key.clone()))
            .required(
                self.keys
                    .iter()
                    .filter(|(_, count, _)| *count == self.lines)
                    .map(|(key, _, _)| key.clone()),
            )
    }
}

impl Inference {
    /// Nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one payload: its event and its property keys (a key given twice counts once).
    pub fn observe<'a, I>(&mut self, event: &str, keys: I)
    where
        I: IntoIterator<Item = &'a str>,
    {
        let index = match self.by_name.get(event) {
            Some(&index) => index,
            None => {
                self.by_name.insert(event.to_owned(), self.events.len());
                self.events.push(SeenEvent {
                    name: event.to_owned(),
                    lines: 0,
                    keys: Vec::new(),
                });
                self.events.len() - 1
            }
        };
        let seen = &mut self.events[index];
        seen.lines += 1;
        let line = seen.lines;
        for key in keys {
            match seen.keys.iter_mut().find(|(k, _, _)| k == key) {
                Some((_, count, last)) if *last < line => {
                    *count += 1;
                    *last = line;
                }
                Some(_) => {}
                None => seen.keys.push((key.to_owned(), 1, line)),
            }
        }
    }

    /// The events seen, in the order first seen.
    pub fn events(&self) -> &[SeenEvent] {
        &self.events
    }

    /// How many payloads were recorded.
    pub fn lines(&self) -> usize {
        self.events.iter().map(SeenEvent::lines).sum()
    }

    /// The dashboard the payloads suggest, events and properties in the order first seen.
    pub fn dashboard(&self) -> Dashboard {
        self.events
            .iter()
            .fold(Dashboard::new(), |dashboard, seen| {
                dashboard.with_event(seen.definition())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_seen_is_listed_and_only_keys_on_every_line_are_required() {
        let mut seen = Inference::new();
        seen.observe("Program Released", ["program_id", "language"]);
        seen.observe("order_placed", ["order_id"]);
        seen.observe(
            "Program Released",
            ["program_id", "prev_program_id", "language"],
        );
        seen.observe("Program Released", ["language", "program_id"]);
        assert_eq!(seen.lines(), 4);
        let dashboard = seen.dashboard();
        let names: Vec<&str> = dashboard.events().iter().map(|e| e.name()).collect();
        assert_eq!(names, ["Program Released", "order_placed"]);
        let program = dashboard.event("Program Released").unwrap();
        assert_eq!(
            program.property_keys(),
            ["program_id", "language", "prev_program_id"]
        );
        assert_eq!(program.required_keys(), ["program_id", "language"]);
        let seen_program = &seen.events()[0];
        assert_eq!(seen_program.lines(), 3);
        assert_eq!(
            seen_program.keys().collect::<Vec<_>>(),
            [("program_id", 3), ("language", 3), ("prev_program_id", 1)]
        );
        assert!(seen_program.always_has("language"));
        assert!(!seen_program.always_has("prev_program_id"));
        assert!(dashboard.validate().is_ok());
    }

    #[test]
    fn a_key_given_twice_on_one_line_counts_once() {
        let mut seen = Inference::new();
        seen.observe("e", ["a"]);
        seen.observe("e", ["a", "b", "b"]);
        seen.observe("e", ["a", "b", "b"]);
        assert_eq!(
            seen.events()[0].keys().collect::<Vec<_>>(),
            [("a", 3), ("b", 2)]
        );
        assert_eq!(seen.dashboard().events()[0].required_keys(), ["a"]);
    }

    #[test]
    fn the_starter_is_a_valid_file_with_the_documented_event() {
        let starter = starter();
        assert!(starter.validate().is_ok());
        let event = starter.event("Program Released").unwrap();
        assert_eq!(
            event.property_keys(),
            ["program_id", "language", "prev_program_id"]
        );
        assert_eq!(
            starter.to_json_pretty().parse::<Dashboard>().ok(),
            Some(starter)
        );
    }
}
