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

/// A 1-based line and column (the column counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: usize,
    pub(crate) column: usize,
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

struct Walker<'t> {
    text: &'t [u8],
    at: usize,
}

impl Walker<'_> {
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
