//! `rename_all`: serde's case conventions, applied to a field's (snake_case) name.

/// How `rename_all` turns a field name into a property key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
    /// `order_id` → `order_id`, `orderId` → `orderid`.
    Lower,
    /// `order_id` → `ORDER_ID`.
    Upper,
    /// `order_id` → `OrderId`.
    Pascal,
    /// `order_id` → `orderId`.
    Camel,
    /// `order_id` → `order_id` (fields are snake_case already).
    Snake,
    /// `order_id` → `ORDER_ID`.
    ScreamingSnake,
    /// `order_id` → `order-id`.
    Kebab,
    /// `order_id` → `ORDER-ID`.
    ScreamingKebab,
}

/// Every rule by the name `rename_all = "..."` takes, as in serde.
pub(crate) const RULES: &[(&str, RenameRule)] = &[
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("PascalCase", RenameRule::Pascal),
    ("camelCase", RenameRule::Camel),
    ("snake_case", RenameRule::Snake),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
];

impl RenameRule {
    /// The rule named `name`, exactly as spelled in [`RULES`].
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        RULES
            .iter()
            .find(|(rule_name, _)| *rule_name == name)
            .map(|(_, rule)| *rule)
    }

    /// The property key for the field named `field`.
    pub(crate) fn apply(self, field: &str) -> String {
        match self {
            RenameRule::Lower => field.to_lowercase(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_uppercase(),
            RenameRule::Pascal => pascal(field),
            RenameRule::Camel => {
                let pascal = pascal(field);
                let mut chars = pascal.chars();
                match chars.next() {
                    Some(first) => first.to_lowercase().chain(chars).collect(),
                    None => pascal,
                }
            }
            RenameRule::Snake => field.to_owned(),
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_uppercase().replace('_', "-"),
        }
    }
}

/// Drops each `_` and capitalizes the character after it (and the first one).
fn pascal(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut capitalize = true;
    for ch in field.chars() {
        if ch == '_' {
            capitalize = true;
        } else if capitalize {
            out.extend(ch.to_uppercase());
            capitalize = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_on_a_snake_case_field() {
        let expected = [
            ("lowercase", "prev_program_id"),
            ("UPPERCASE", "PREV_PROGRAM_ID"),
            ("PascalCase", "PrevProgramId"),
            ("camelCase", "prevProgramId"),
            ("snake_case", "prev_program_id"),
            ("SCREAMING_SNAKE_CASE", "PREV_PROGRAM_ID"),
            ("kebab-case", "prev-program-id"),
            ("SCREAMING-KEBAB-CASE", "PREV-PROGRAM-ID"),
        ];
        assert_eq!(expected.len(), RULES.len());
        for (name, key) in expected {
            let rule = RenameRule::from_name(name).expect("a known rule");
            assert_eq!(rule.apply("prev_program_id"), key, "{name}");
        }
    }

    #[test]
    fn single_words_and_unknown_names() {
        assert_eq!(RenameRule::Camel.apply("language"), "language");
        assert_eq!(RenameRule::Pascal.apply("language"), "Language");
        assert_eq!(RenameRule::from_name("camelcase"), None);
    }
}
