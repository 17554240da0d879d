//! The rules that need the whole event: one function per CleverTap rule.
//!
//! Each records its errors in the [`Ctxt`] and returns, so every broken rule is reported in
//! one compile.

use std::collections::HashMap;

use bulletins_dashboard::{check_key, closest};

use crate::ast::{Event, Field};
use crate::attr;
use crate::ctxt::Ctxt;

/// Runs every rule.
pub(crate) fn check(cx: &mut Ctxt, event: &Event<'_>) {
    event_name(cx, event);
    for field in &event.fields {
        display_with_skip(cx, field);
        property_key(cx, field);
    }
    unique_keys(cx, event);
    requires(cx, event);
}

/// CleverTap rule: a business event has a name, the one defined on the dashboard, and it
/// follows the key rules.
fn event_name(cx: &mut Ctxt, event: &Event<'_>) {
    match &event.attrs.name {
        // A malformed `name` was reported where it is written.
        None if event.attrs.name_attempted => {}
        None => cx.error_spanned_by(
            event.ident,
            "missing business event name; add `#[business_event(name = \"...\")]` with the name defined on the CleverTap dashboard",
        ),
        Some(name) => {
            if let Err(problem) = check_key(&name.value()) {
                cx.error_spanned_by(name, format!("business event name {problem}"));
            }
        }
    }
}

/// CleverTap rule: property keys follow the key rules (1 to 120 characters, no surrounding
/// whitespace, no control characters).
fn property_key(cx: &mut Ctxt, field: &Field<'_>) {
    if !field.is_sent() {
        return;
    }
    if let Err(problem) = check_key(&field.key) {
        let key = match field.key.as_str() {
            "" => String::new(),
            key => format!(" `{}`", shorten(key)),
        };
        // A key derived from the field's name is fixed by choosing another one.
        let fix = match field.attrs.rename {
            Some(_) => "",
            None => "; choose another key with `#[business_event(rename = \"...\")]`",
        };
        cx.error_at(field.key_span, format!("property key{key} {problem}{fix}"));
    }
}

/// CleverTap rule: each property appears once in the payload, so two fields cannot map to the
/// same key.
fn unique_keys(cx: &mut Ctxt, event: &Event<'_>) {
    let mut first_by_key: HashMap<&str, &Field<'_>> = HashMap::new();
    for field in event.fields.iter().filter(|field| field.is_sent()) {
        match first_by_key.get(field.key.as_str()) {
            Some(first) => cx.error_at(
                field.key_span,
                format!(
                    "property key `{}` is already used by field `{}`; each CleverTap property key may appear once: give one of them another key with `#[business_event(rename = \"...\")]`",
                    shorten(&field.key),
                    first.ident
                ),
            ),
            None => {
                first_by_key.insert(&field.key, field);
            }
        }
    }
}

/// CleverTap rule: the dashboard's required properties must be sent with every event, so each
/// `requires` entry names a property that is always sent: not an `Option`, not `skip`, and
/// listed once.
fn requires(cx: &mut Ctxt, event: &Event<'_>) {
    let mut listed: Vec<String> = Vec::new();
    for entry in &event.attrs.requires {
        let key = entry.value();
        if listed.contains(&key) {
            cx.error_spanned_by(
                entry,
                format!(
                    "`{}` is listed twice in `requires`; remove this one",
                    shorten(&key)
                ),
            );
            continue;
        }
        listed.push(key.clone());
        match event.fields.iter().find(|field| field.key == key) {
            None => {
                let keys = event
                    .fields
                    .iter()
                    .filter(|field| field.is_sent())
                    .map(|field| field.key.as_str());
                let hint = match closest(&key, keys, 1).first() {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None => "add a field with this key, or remove the entry".to_owned(),
                };
                cx.error_spanned_by(
                    entry,
                    format!("required property `{}` is not a property of this event; {hint}", shorten(&key)),
                );
            }
            Some(field) if !field.is_sent() => cx.error_spanned_by(
                entry,
                format!(
                    "required property `{}` is the skipped field `{}`, which is never sent; remove `skip` or remove the entry from `requires`",
                    shorten(&key),
                    field.ident
                ),
            ),
            Some(field) if field.option_of.is_some() => cx.error_spanned_by(
                entry,
                format!(
                    "required property `{}` is the `Option` field `{}`, which may not be sent; CleverTap rejects an event without a required property: make the field non-optional, or remove the entry from `requires`",
                    shorten(&key),
                    field.ident
                ),
            ),
            Some(_) => {}
        }
    }
}

/// A skipped field is never sent, so how to send it (`display`) contradicts it.
fn display_with_skip(cx: &mut Ctxt, field: &Field<'_>) {
    if let (Some(display), Some(_)) = (&field.attrs.display, &field.attrs.skip) {
        cx.error_spanned_by(
            display,
            format!(
                "`{}` and `{}` contradict each other: a skipped field is never sent; remove one",
                attr::DISPLAY,
                attr::SKIP
            ),
        );
    }
}

/// A key for a message: escaped, and cut short if it is long.
fn shorten(key: &str) -> String {
    const SHOWN: usize = 24;
    let escaped: String = key.escape_debug().collect();
    if escaped.chars().count() <= SHOWN + 3 {
        escaped
    } else {
        let head: String = escaped.chars().take(SHOWN).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_shortened_in_messages() {
        assert_eq!(shorten("order_id"), "order_id");
        assert_eq!(shorten("a\nb"), "a\\nb");
        assert_eq!(shorten(&"x".repeat(121)), format!("{}...", "x".repeat(24)));
    }
}
