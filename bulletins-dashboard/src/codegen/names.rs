//! Rust identifiers for event names and property keys, and what was done to make them.
//!
//! A name is cut into words: runs of ASCII letters and digits, split again where a lower-case
//! letter or a digit meets an upper-case one (`productId` → `product`, `Id`) and before the last
//! capital of an acronym (`HTTPServer` → `HTTP`, `Server`). Every other character separates
//! words; characters outside ASCII are left out of identifiers (the derive's `rename` and the
//! doc comment keep the name as it is). Events become UpperCamelCase, keys snake_case.
//!
//! Two names that make one identifier are told apart by a number, deterministically: a name
//! that needs no change keeps the identifier, else the first in byte order does; the others,
//! in byte order, take the next free number. The result depends only on the set of names,
//! never on their order in the file.

use std::collections::{BTreeMap, BTreeSet};

/// Keywords a raw identifier can spell (`r#type`): strict and reserved keywords of every
/// edition, `gen` (2024) included, so the code compiles in any edition.
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW_KEYWORDS: &[&str] = &["crate", "self", "super"];

/// Type names the generated code itself uses (`Self` cannot be a raw identifier either).
const RESERVED_TYPES: &[&str] = &["Option", "Self", "String"];

/// The prefix of an event's identifier that would start with a digit, or that is a hash.
pub(crate) const TYPE_PREFIX: &str = "Event";
/// The prefix of a field's identifier that would start with a digit, or that is a hash.
pub(crate) const FIELD_PREFIX: &str = "property_";

/// Why an identifier is not simply the name in another case. Rendered as a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    /// No ASCII letter or digit: the identifier is the prefix and a hash of the name.
    Hashed,
    /// It would start with a digit: the prefix was put before it.
    DigitFirst,
    /// Characters outside ASCII were left out (and some were in it: else it is hashed).
    NonAscii,
    /// The identifier would be one the generated code uses, or a keyword that cannot be raw:
    /// a suffix was added.
    Reserved {
        /// The identifier it would have been.
        ident: String,
    },
    /// Another name made the same identifier and kept it: this one is numbered.
    Taken {
        /// The identifier both made.
        ident: String,
        /// The name that kept it.
        by: String,
    },
}

/// A name and the identifier it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Named<'a> {
    /// The event name or property key.
    pub(crate) name: &'a str,
    /// The identifier, `r#` included for a keyword.
    pub(crate) ident: String,
    /// What was done to make it, in order.
    pub(crate) notes: Vec<Note>,
}

/// UpperCamelCase identifiers for event names, sorted by identifier (duplicates dropped).
pub(crate) fn type_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Named<'a>> {
    assign(names, type_base, |base, n| format!("{base}{n}"))
}

/// snake_case identifiers for property keys, sorted by identifier without `r#` (duplicates
/// dropped).
pub(crate) fn field_names<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<Named<'a>> {
    // `self_` is numbered `self_2`: two underscores in a row are not snake_case.
    assign(keys, field_base, |base, n| {
        format!("{}_{n}", unraw(base).trim_end_matches('_'))
    })
}

/// The identifier without `r#`: what the derive sends for a field with no `rename`.
pub(crate) fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Gives every name its base identifier, then numbers the collisions.
fn assign<'a>(
    names: impl IntoIterator<Item = &'a str>,
    base: fn(&str) -> Base,
    numbered: fn(&str, usize) -> String,
) -> Vec<Named<'a>> {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    let mut groups: BTreeMap<String, Vec<Named<'a>>> = BTreeMap::new();
    for name in names {
        let (ident, notes) = base(name);
        groups
            .entry(ident.clone())
            .or_default()
            .push(Named { name, ident, notes });
    }
    // Every base identifier is taken, so a numbered one never takes another name's.
    let mut taken: BTreeSet<String> = groups.keys().cloned().collect();
    let mut out = Vec::new();
    for (ident, mut group) in groups {
        // The name that needs no change keeps the identifier; else the first in byte order.
        let keeper = group
            .iter()
            .position(|named| unraw(&named.ident) == named.name)
            .unwrap_or(0);
        let kept = group.remove(keeper);
        for mut named in group {
            let mut n = 2;
            let mut candidate = numbered(&ident, n);
            while taken.contains(&candidate) {
                n += 1;
                candidate = numbered(&ident, n);
            }
            taken.insert(candidate.clone());
            named.notes.push(Note::Taken {
                ident: ident.clone(),
                by: kept.name.to_owned(),
            });
            named.ident = candidate;
            out.push(named);
        }
        out.push(kept);
    }
    out.sort_by(|a, b| unraw(&a.ident).cmp(unraw(&b.ident)));
    out
}

/// An identifier before collisions, and what was done to make it.
type Base = (String, Vec<Note>);

/// An event name's UpperCamelCase identifier, before collisions.
fn type_base(name: &str) -> Base {
    let (words, mut notes) = match words_or_hash(name, TYPE_PREFIX) {
        Ok(found) => found,
        Err(hashed) => return hashed,
    };
    let mut ident: String = words.iter().map(|word| upper_camel(word)).collect();
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        notes.push(Note::DigitFirst);
        ident.insert_str(0, TYPE_PREFIX);
    }
    if RESERVED_TYPES.contains(&ident.as_str()) {
        notes.push(Note::Reserved {
            ident: ident.clone(),
        });
        ident.push_str(TYPE_PREFIX);
    }
    (ident, notes)
}

/// A property key's snake_case identifier, before collisions.
fn field_base(key: &str) -> Base {
    let (words, mut notes) = match words_or_hash(key, FIELD_PREFIX) {
        Ok(found) => found,
        Err(hashed) => return hashed,
    };
    let mut ident = words
        .iter()
        .map(|word| word.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        notes.push(Note::DigitFirst);
        ident.insert_str(0, FIELD_PREFIX);
    }
    if NOT_RAW_KEYWORDS.contains(&ident.as_str()) {
        notes.push(Note::Reserved {
            ident: ident.clone(),
        });
        ident.push('_');
    } else if RAW_KEYWORDS.contains(&ident.as_str()) {
        ident.insert_str(0, "r#");
    }
    (ident, notes)
}

/// The name's words, with a note when characters outside ASCII were left out; or, when it
/// has no word, its identifier: the prefix and a hash of the name.
fn words_or_hash<'n>(name: &'n str, prefix: &str) -> Result<(Vec<&'n str>, Vec<Note>), Base> {
    let words = words(name);
    if words.is_empty() {
        return Err((format!("{prefix}{:08x}", fnv1a(name)), vec![Note::Hashed]));
    }
    let notes = if has_non_ascii_word_char(name) {
        vec![Note::NonAscii]
    } else {
        Vec::new()
    };
    Ok((words, notes))
}

/// Whether the name has a letter or digit outside ASCII, which identifiers leave out.
fn has_non_ascii_word_char(name: &str) -> bool {
    name.chars().any(|c| !c.is_ascii() && c.is_alphanumeric())
}

/// The name's words: runs of ASCII letters and digits, split at case changes.
fn words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    for run in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let bytes = run.as_bytes();
        let mut start = 0;
        for i in 1..bytes.len() {
            let (prev, cur) = (bytes[i - 1], bytes[i]);
            let next_is_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            // `productId`, `v2Beta`: a capital after a lower-case letter or a digit.
            let camel =
                cur.is_ascii_uppercase() && (prev.is_ascii_lowercase() || prev.is_ascii_digit());
            // `HTTPServer`: the last capital of an acronym starts the next word.
            let acronym_end =
                cur.is_ascii_uppercase() && prev.is_ascii_uppercase() && next_is_lower;
            if camel || acronym_end {
                words.push(&run[start..i]);
                start = i;
            }
        }
        if start < run.len() {
            words.push(&run[start..]);
        }
    }
    words
}

/// `program` → `Program`, `HTTP` → `Http`, `2fa` → `2fa`.
fn upper_camel(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for (i, c) in word.chars().enumerate() {
        if i == 0 {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// 32-bit FNV-1a of the name's UTF-8 bytes: the same on every machine and Rust version.
fn fnv1a(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(names: &[&str]) -> Vec<(String, String)> {
        type_names(names.iter().copied())
            .into_iter()
            .map(|n| (n.name.to_owned(), n.ident))
            .collect()
    }

    fn fields(keys: &[&str]) -> Vec<(String, String)> {
        field_names(keys.iter().copied())
            .into_iter()
            .map(|n| (n.name.to_owned(), n.ident))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn words_split_at_separators_and_case_changes() {
        assert_eq!(words("Program Released"), ["Program", "Released"]);
        assert_eq!(words("coupon-code"), ["coupon", "code"]);
        assert_eq!(words("productId"), ["product", "Id"]);
        assert_eq!(words("HTTPServer error"), ["HTTP", "Server", "error"]);
        assert_eq!(words("v2Beta order2"), ["v2", "Beta", "order2"]);
        assert_eq!(words("__a..b__"), ["a", "b"]);
        assert_eq!(words("café au lait"), ["caf", "au", "lait"]);
        assert!(words("!!! ---").is_empty());
    }

    #[test]
    fn events_are_upper_camel_case() {
        assert_eq!(
            types(&[
                "Program Released",
                "order_placed",
                "API called",
                "Price Drop"
            ]),
            pairs(&[
                ("API called", "ApiCalled"),
                ("order_placed", "OrderPlaced"),
                ("Price Drop", "PriceDrop"),
                ("Program Released", "ProgramReleased"),
            ])
        );
    }

    #[test]
    fn keys_are_snake_case_and_keywords_raw() {
        assert_eq!(
            fields(&["coupon-code", "productId", "type", "Self", "crate", "gen"]),
            pairs(&[
                ("coupon-code", "coupon_code"),
                ("crate", "crate_"),
                ("gen", "r#gen"),
                ("productId", "product_id"),
                ("Self", "self_"),
                ("type", "r#type"),
            ])
        );
    }

    #[test]
    fn names_that_make_no_identifier_get_a_prefix_or_a_hash() {
        let named = type_names(["2fa enabled", "!!!", "String", "self"]);
        let by_name = |name: &str| named.iter().find(|n| n.name == name).cloned();
        let digit = by_name("2fa enabled").unwrap();
        assert_eq!(digit.ident, "Event2faEnabled");
        assert_eq!(digit.notes, [Note::DigitFirst]);
        let hashed = by_name("!!!").unwrap();
        assert_eq!(hashed.ident, format!("Event{:08x}", fnv1a("!!!")));
        assert_eq!(hashed.notes, [Note::Hashed]);
        assert_eq!(by_name("String").unwrap().ident, "StringEvent");
        assert_eq!(by_name("self").unwrap().ident, "SelfEvent");
        let named = field_names(["1st choice", "語"]);
        let by_key = |key: &str| named.iter().find(|n| n.name == key).cloned();
        assert_eq!(by_key("1st choice").unwrap().ident, "property_1st_choice");
        let hashed = by_key("語").unwrap();
        assert_eq!(hashed.ident, format!("property_{:08x}", fnv1a("語")));
        assert_eq!(hashed.notes, [Note::Hashed]);
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // The FNV test vectors: "" and "a".
        assert_eq!(fnv1a(""), 0x811c_9dc5);
        assert_eq!(fnv1a("a"), 0xe40c_292c);
    }

    #[test]
    fn collisions_are_numbered_and_the_unchanged_name_keeps_the_identifier() {
        assert_eq!(
            fields(&["coupon-code", "coupon_code", "Coupon Code", "coupon_code_2"]),
            pairs(&[
                ("coupon_code", "coupon_code"),
                ("coupon_code_2", "coupon_code_2"),
                // `coupon_code_2` is taken by a key of its own: the next number.
                ("Coupon Code", "coupon_code_3"),
                ("coupon-code", "coupon_code_4"),
            ])
        );
        let named = type_names(["Program Released", "ProgramReleased", "program released"]);
        let idents: Vec<(&str, &str)> = named.iter().map(|n| (n.name, n.ident.as_str())).collect();
        assert_eq!(
            idents,
            [
                ("ProgramReleased", "ProgramReleased"),
                ("Program Released", "ProgramReleased2"),
                ("program released", "ProgramReleased3"),
            ]
        );
        assert_eq!(
            named[1].notes,
            [Note::Taken {
                ident: "ProgramReleased".into(),
                by: "ProgramReleased".into()
            }]
        );
        // Numbering a raw identifier drops `r#`: `type_2` is no keyword; `self_` is
        // numbered `self_2`, not `self__2`.
        assert_eq!(
            fields(&["type", "Type"]),
            pairs(&[("type", "r#type"), ("Type", "type_2")])
        );
        assert_eq!(
            fields(&["self", "Self"]),
            pairs(&[("Self", "self_"), ("self", "self_2")])
        );
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_of_the_names() {
        let names = ["b-a", "b_a", "B A", "a", "2", "!", "?"];
        let mut reversed = names;
        reversed.reverse();
        assert_eq!(types(&names), types(&reversed));
        assert_eq!(fields(&names), fields(&reversed));
    }
}
