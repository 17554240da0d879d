//! The event of one checked line, held in one buffer: a line's strings cost two allocations
//! instead of one per name, key and value.

use std::borrow::Cow;

use bulletins_http::protocol::PropertyWriter;
use bulletins_http::{BuildError, BusinessEvent, DynamicEvent};

/// A business event read from a line that was checked: its name, then each key and value, one
/// after the other in `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineEvent {
    text: String,
    /// Where the name, then each key and each value, ends in `text`.
    ends: Box<[usize]>,
}

impl LineEvent {
    /// An event named `name` with `properties`, which the caller checked.
    pub(super) fn new(name: &str, properties: &[(Cow<'_, str>, Cow<'_, str>)]) -> Self {
        let size = properties
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
        let mut text = String::with_capacity(name.len() + size);
        let mut ends = Vec::with_capacity(1 + 2 * properties.len());
        text.push_str(name);
        ends.push(text.len());
        for (key, value) in properties {
            text.push_str(key);
            ends.push(text.len());
            text.push_str(value);
            ends.push(text.len());
        }
        Self {
            text,
            ends: ends.into_boxed_slice(),
        }
    }

    /// The piece of `text` that ends at `ends[index]`.
    fn piece(&self, index: usize) -> &str {
        let start = match index.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or_default(),
            None => 0,
        };
        let end = self.ends.get(index).copied().unwrap_or_default();
        self.text.get(start..end).unwrap_or_default()
    }

    /// The properties, in the line's order.
    pub(crate) fn properties(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        (0..self.ends.len().saturating_sub(1) / 2)
            .map(|i| (self.piece(1 + 2 * i), self.piece(2 + 2 * i)))
    }

    /// The same event as a `DynamicEvent`, to check against a dashboard.
    pub(crate) fn to_dynamic(&self) -> Result<DynamicEvent, BuildError> {
        self.properties()
            .try_fold(DynamicEvent::new(self.event_name())?, |event, (k, v)| {
                event.property(k, v)
            })
    }
}

impl BusinessEvent for LineEvent {
    fn event_name(&self) -> &str {
        self.piece(0)
    }

    fn write_properties(&self, properties: &mut PropertyWriter<'_>) -> Result<(), BuildError> {
        self.properties()
            .try_for_each(|(key, value)| properties.string(key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_pieces_come_back_as_they_went_in() {
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = vec![
            ("a".into(), "".into()),
            ("".into(), "x".into()),
            ("ключ".into(), "значение".into()),
        ];
        let event = LineEvent::new("Program Released", &pairs);
        assert_eq!(event.event_name(), "Program Released");
        let back: Vec<(&str, &str)> = event.properties().collect();
        assert_eq!(back, [("a", ""), ("", "x"), ("ключ", "значение")]);

        let none = LineEvent::new("e", &[]);
        assert_eq!((none.event_name(), none.properties().len()), ("e", 0));
        let dynamic = none.to_dynamic().map(|d| d.properties().count());
        assert_eq!(dynamic.ok(), Some(0));
    }
}
