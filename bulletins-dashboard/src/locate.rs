//! Where a value sits in the file: a path of object keys and array indexes, turned into a
//! line and a column.
//!
//! serde_json gives positions for the errors it finds itself (syntax, unknown fields, wrong
//! types), but not for the values it parsed; the rules that need the whole file (two events
//! with one name, a `required` key that is not a property) find their value again here. The
//! text has already parsed as JSON, so the walk only needs to skip values, not check them.

/// One step of a path: a key in an object or an index in an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// A 1-based line and column in a dashboard file, the column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters (not bytes).
    pub column: usize,
}

impl Position {
    /// The start of a file: line 1, column 1.
    pub const START: Position = Position { line: 1, column: 1 };
}

/// The position of the value at `path`, or of the deepest part of the path that exists.
pub(crate) fn locate(text: &[u8], path: &[Step<'_>]) -> Position {
    let mut walker = Walker { text, at: 0 };
    walker.skip_whitespace();
    for step in path {
        let found = match step {
            Step::Key(key) => walker.enter_key(key),
            Step::Index(index) => walker.enter_index(*index),
        };
        if !found {
            break;
        }
    }
    position_of(text, walker.at)
}

/// The line and column of a byte offset.
pub(crate) fn position_of(text: &[u8], offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |newline| newline + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Position { line, column }
}

/// Where every event, property key, `required` key and account of a file sits, found in one
/// walk of the text (a rule that points at many of them would otherwise walk the file once
/// each). Indexes follow the file's own order, as the parsed [`Dashboard`](crate::Dashboard)'s do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileMap {
    /// The `business_events` list.
    pub(crate) events: Option<Position>,
    /// Each event, in file order.
    pub(crate) event: Vec<EventMap>,
    /// The `accounts` list.
    pub(crate) accounts: Option<Position>,
    /// Each account, in file order.
    pub(crate) account: Vec<Position>,
}

/// Where an event's parts sit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventMap {
    /// The event's `name` value (the event's opening brace if it has none).
    pub(crate) name: Position,
    /// The `properties` list (the name if the event has none).
    pub(crate) properties: Position,
    /// Each property key.
    pub(crate) property: Vec<Position>,
    /// The `required` list (the name if the event has none).
    pub(crate) required: Position,
    /// Each required key.
    pub(crate) required_key: Vec<Position>,
}

/// Maps a file that has parsed as a dashboard.
pub(crate) fn map(text: &[u8]) -> FileMap {
    let mut walker = Walker { text, at: 0 };
    let mut cursor = Cursor::new(text);
    let mut file = FileMap::default();
    walker.skip_whitespace();
    walker.members(|walker, key| match key {
        b"business_events" => {
            file.events = Some(cursor.to(walker.at));
            walker.elements(|walker, _| {
                file.event.push(map_event(walker, &mut cursor));
            });
        }
        b"accounts" => {
            file.accounts = Some(cursor.to(walker.at));
            walker.elements(|walker, _| file.account.push(cursor.to(walker.at)));
        }
        _ => {}
    });
    file
}

fn map_event(walker: &mut Walker<'_>, cursor: &mut Cursor<'_>) -> EventMap {
    let start = cursor.to(walker.at);
    let (mut name, mut properties, mut required) = (None, None, None);
    let (mut property, mut required_key) = (Vec::new(), Vec::new());
    walker.members(|walker, key| match key {
        b"name" => name = Some(cursor.to(walker.at)),
        b"properties" => {
            properties = Some(cursor.to(walker.at));
            walker.elements(|walker, _| property.push(cursor.to(walker.at)));
        }
        b"required" => {
            required = Some(cursor.to(walker.at));
            walker.elements(|walker, _| required_key.push(cursor.to(walker.at)));
        }
        _ => {}
    });
    let name = name.unwrap_or(start);
    EventMap {
        name,
        properties: properties.unwrap_or(name),
        property,
        required: required.unwrap_or(name),
        required_key,
    }
}

/// Turns increasing byte offsets into positions in one pass over the text.
struct Cursor<'t> {
    text: &'t [u8],
    at: usize,
    position: Position,
}

impl<'t> Cursor<'t> {
    fn new(text: &'t [u8]) -> Self {
        Self {
            text,
            at: 0,
            position: Position::START,
        }
    }

    fn to(&mut self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        if offset < self.at {
            return position_of(self.text, offset);
        }
        for byte in &self.text[self.at..offset] {
            if *byte == b'\n' {
                self.position.line += 1;
                self.position.column = 1;
            } else if byte & 0xC0 != 0x80 {
                // Not a UTF-8 continuation byte: a character starts here.
                self.position.column += 1;
            }
        }
        self.at = offset;
        self.position
    }
}

struct Walker<'t> {
    text: &'t [u8],
    at: usize,
}

impl<'t> Walker<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Moves to the value of `key` in the object starting here; stays put if there is none.
    fn enter_key(&mut self, key: &str) -> bool {
        if self.peek() != Some(b'{') {
            return false;
        }
        let start = self.at;
        self.at += 1;
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                break;
            }
            let name = self.skip_string();
            self.skip_whitespace();
            self.at += 1; // the ':'
            self.skip_whitespace();
            // Keys are compared as written: the keys this crate looks for need no escapes.
            if &self.text[name.0 + 1..name.1 - 1] == key.as_bytes() {
                return true;
            }
            self.skip_value();
            self.skip_whitespace();
            if self.peek() != Some(b',') {
                break;
            }
            self.at += 1;
        }
        self.at = start;
        false
    }

    /// Moves to element `index` of the array starting here; stays put if there is none.
    fn enter_index(&mut self, index: usize) -> bool {
        if self.peek() != Some(b'[') {
            return false;
        }
        let start = self.at;
        self.at += 1;
        for _ in 0..index {
            self.skip_whitespace();
            if self.peek() == Some(b']') {
                self.at = start;
                return false;
            }
            self.skip_value();
            self.skip_whitespace();
            if self.peek() != Some(b',') {
                self.at = start;
                return false;
            }
            self.at += 1;
        }
        self.skip_whitespace();
        if matches!(self.peek(), Some(b']') | None) {
            self.at = start;
            return false;
        }
        true
    }

    /// Calls `f` at the value of each member of the object starting here, with the member's
    /// key as written, then moves past the object.
    fn members(&mut self, mut f: impl FnMut(&mut Self, &'t [u8])) {
        if self.peek() != Some(b'{') {
            return;
        }
        let text = self.text;
        self.at += 1;
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                break;
            }
            let (start, end) = self.skip_string();
            let key = text
                .get(start + 1..end.saturating_sub(1))
                .unwrap_or_default();
            self.skip_whitespace();
            self.at += 1; // the ':'
            self.skip_whitespace();
            let value = self.at;
            f(self, key);
            self.at = value;
            self.skip_value();
            self.skip_whitespace();
            if self.peek() != Some(b',') {
                break;
            }
            self.at += 1;
        }
    }

    /// Calls `f` at each element of the array starting here, with its index.
    fn elements(&mut self, mut f: impl FnMut(&mut Self, usize)) {
        if self.peek() != Some(b'[') {
            return;
        }
        self.at += 1;
        for index in 0.. {
            self.skip_whitespace();
            if matches!(self.peek(), Some(b']') | None) {
                break;
            }
            let element = self.at;
            f(self, index);
            self.at = element;
            self.skip_value();
            self.skip_whitespace();
            if self.peek() != Some(b',') {
                break;
            }
            self.at += 1;
        }
    }

    /// Skips a string starting at its opening quote; returns its span, quotes included.
    fn skip_string(&mut self) -> (usize, usize) {
        let start = self.at;
        self.at += 1;
        while let Some(byte) = self.peek() {
            self.at += 1;
            match byte {
                b'\\' => self.at += 1,
                b'"' => break,
                _ => {}
            }
        }
        (start, self.at.min(self.text.len()))
    }

    fn skip_value(&mut self) {
        match self.peek() {
            Some(b'"') => {
                self.skip_string();
            }
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(byte) = self.peek() {
                    match byte {
                        b'"' => {
                            self.skip_string();
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                    self.at += 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "{\n  \"a\": [1, {\"x\": \"q\\\"]\"}, [2, 3]],\n  \"b\": {\"c\": \"é\", \"d\": true}\n}";

    #[test]
    fn finds_keys_and_indexes() {
        let text = TEXT.as_bytes();
        assert_eq!(locate(text, &[]), Position { line: 1, column: 1 });
        assert_eq!(
            locate(text, &[Step::Key("a")]),
            Position { line: 2, column: 8 }
        );
        assert_eq!(
            locate(text, &[Step::Key("a"), Step::Index(2), Step::Index(1)]),
            Position {
                line: 2,
                column: 31
            }
        );
        // Columns count characters: "é" is two bytes, one column.
        assert_eq!(
            locate(text, &[Step::Key("b"), Step::Key("d")]),
            Position {
                line: 3,
                column: 24
            }
        );
    }

    #[test]
    fn the_map_finds_what_locate_finds_in_one_walk() {
        let text = "{\"accounts\": [{\"account_id\": \"A\", \"passcode\": \"p\"}],\n \"business_events\": [\n  {\"name\": \"é,]\\\"\", \"properties\": [\"a\", \"b\"], \"required\": [\"b\"]},\n  {\"targets\": 1, \"name\": \"e\"}\n ]}";
        let text = text.as_bytes();
        let map = map(text);
        let at = |path: &[Step<'_>]| Some(locate(text, path));
        assert_eq!(map.accounts, at(&[Step::Key("accounts")]));
        assert_eq!(
            map.account,
            [locate(text, &[Step::Key("accounts"), Step::Index(0)])]
        );
        assert_eq!(map.events, at(&[Step::Key("business_events")]));
        assert_eq!(map.event.len(), 2);
        let event = |i: usize, rest: &[Step<'_>]| {
            let mut path = vec![Step::Key("business_events"), Step::Index(i)];
            path.extend_from_slice(rest);
            locate(text, &path)
        };
        let first = &map.event[0];
        assert_eq!(first.name, event(0, &[Step::Key("name")]));
        assert_eq!(
            first.name,
            Position {
                line: 3,
                column: 12
            }
        );
        assert_eq!(first.properties, event(0, &[Step::Key("properties")]));
        assert_eq!(
            first.property,
            [
                event(0, &[Step::Key("properties"), Step::Index(0)]),
                event(0, &[Step::Key("properties"), Step::Index(1)])
            ]
        );
        assert_eq!(
            first.required_key,
            [event(0, &[Step::Key("required"), Step::Index(0)])]
        );
        // Columns after a two-byte character count it once.
        assert_eq!(first.required_key[0].line, 3);
        let second = &map.event[1];
        assert_eq!(second.name, event(1, &[Step::Key("name")]));
        // No `properties` or `required`: they point at the name.
        assert_eq!(
            (second.properties, second.required),
            (second.name, second.name)
        );
        assert!(second.property.is_empty());
    }

    #[test]
    fn a_missing_step_stops_at_the_deepest_value_found() {
        let text = TEXT.as_bytes();
        assert_eq!(
            locate(text, &[Step::Key("a"), Step::Index(9)]),
            Position { line: 2, column: 8 }
        );
        assert_eq!(
            locate(text, &[Step::Key("zz")]),
            Position { line: 1, column: 1 }
        );
    }
}
