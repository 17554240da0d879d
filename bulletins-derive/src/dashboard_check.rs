//! The rules that compare an event with the dashboard file: one function per rule.
//!
//! Each mistake gives one error. A name or key that breaks CleverTap's key rules was already
//! reported by [`check`](crate::check) and is not compared; an event missing from the file
//! is not compared field by field; a required key that an unknown field's "did you mean"
//! names is not reported missing as well.

use bulletins_dashboard::{check_key, Dashboard, EventDefinition};
use syn::LitStr;

use crate::ast::{Event, Field};
use crate::ctxt::Ctxt;

/// How many names a "did you mean" offers.
const SUGGESTIONS: usize = 3;

/// Runs every rule; then the dashboard's required keys join the struct's `requires`, so the
/// schema marks them `Required` even when the struct leaves `requires` out.
pub(crate) fn check(cx: &mut Ctxt, event: &mut Event<'_>, dashboard: &Dashboard, file: &str) {
    let Some(name) = &event.attrs.name else {
        return;
    };
    if check_key(&name.value()).is_err() {
        return;
    }
    let Some(definition) = event_defined(cx, name, dashboard, file) else {
        return;
    };
    let mut suggested = Vec::new();
    for field in &event.fields {
        suggested.extend(property_defined(cx, field, definition, file));
    }
    required_are_fields(cx, event, definition, file, &suggested);
    required_are_always_sent(cx, event, definition, file);
    let span = name.span();
    for key in definition.required_keys() {
        if !event
            .attrs
            .requires
            .iter()
            .any(|entry| entry.value() == *key)
        {
            event.attrs.requires.push(LitStr::new(key, span));
        }
    }
}

/// CleverTap rule: an event not defined on the dashboard is refused (`Business Event Not
/// Found`). Reported on the name, with the closest defined names.
fn event_defined<'d>(
    cx: &mut Ctxt,
    name: &LitStr,
    dashboard: &'d Dashboard,
    file: &str,
) -> Option<&'d EventDefinition> {
    let value = name.value();
    if let Some(definition) = dashboard.event(&value) {
        return Some(definition);
    }
    let hint = match dashboard.closest_event_names(&value, SUGGESTIONS).as_slice() {
        [] => format!(
            "fix the name, or define the event on the CleverTap dashboard and in the file ({} events are defined there)",
            dashboard.events().len()
        ),
        names => format!("did you mean {}?", alternatives(names)),
    };
    cx.error_spanned_by(
        name,
        format!("business event `{value}` is not defined in `{file}`; {hint}"),
    );
    None
}

/// CleverTap rule: the dashboard defines an event's properties; a key it does not define is
/// not one of the event's properties. Returns the keys suggested instead.
fn property_defined<'d>(
    cx: &mut Ctxt,
    field: &Field<'_>,
    definition: &'d EventDefinition,
    file: &str,
) -> Vec<&'d str> {
    if !field.is_sent() || check_key(&field.key).is_err() || definition.has_property(&field.key) {
        return Vec::new();
    }
    let suggestions = definition.closest_property_keys(&field.key, SUGGESTIONS);
    let hint = match suggestions.as_slice() {
        [] => "add it to the event on the CleverTap dashboard and in the file, or mark the field `#[business_event(skip)]`".to_owned(),
        keys => format!("did you mean {}?", alternatives(keys)),
    };
    cx.error_at(
        field.key_span,
        format!(
            "property `{}` is not a property of `{}` in `{file}`; {hint}",
            field.key,
            definition.name()
        ),
    );
    suggestions
}

/// CleverTap rule: an event without one of its required properties is refused (`Property
/// ... missing`). Reported once on the struct's name, listing every missing key.
fn required_are_fields(
    cx: &mut Ctxt,
    event: &Event<'_>,
    definition: &EventDefinition,
    file: &str,
    suggested: &[&str],
) {
    // A field whose key breaks the key rules may be meant as any of them.
    if event
        .fields
        .iter()
        .any(|field| field.is_sent() && check_key(&field.key).is_err())
    {
        return;
    }
    let missing: Vec<&str> = definition
        .required_keys()
        .iter()
        .map(String::as_str)
        .filter(|key| !event.fields.iter().any(|field| field.key == *key))
        .filter(|key| !suggested.contains(key))
        .collect();
    if missing.is_empty() {
        return;
    }
    let keys: Vec<String> = missing.iter().map(|key| format!("`{key}`")).collect();
    let (noun, fix) = match missing.len() {
        1 => ("no field for it; add one", "it"),
        _ => ("no fields for them; add a field for each", "them"),
    };
    cx.error_spanned_by(
        event.ident,
        format!(
            "`{}` requires {} in `{file}`, and this struct has {noun}: CleverTap refuses the event without {fix}",
            definition.name(),
            keys.join(", "),
        ),
    );
}

/// CleverTap rule: a required property must be sent with every event, so its field can be
/// neither an `Option` nor `skip`. Reported on the field.
fn required_are_always_sent(
    cx: &mut Ctxt,
    event: &Event<'_>,
    definition: &EventDefinition,
    file: &str,
) {
    for field in &event.fields {
        // A `requires` entry naming the field was already reported by the `requires` rule.
        let listed = event
            .attrs
            .requires
            .iter()
            .any(|entry| entry.value() == field.key);
        if !definition.is_required(&field.key) || listed {
            continue;
        }
        let problem = if !field.is_sent() {
            "is `skip`, so it is never sent; remove `skip`"
        } else if field.option_of.is_some() {
            "is an `Option`, so it may not be sent; make it non-optional"
        } else {
            continue;
        };
        cx.error_spanned_by(
            field.ident,
            format!(
                "property `{}` is required by `{}` in `{file}`, but this field {problem}: CleverTap refuses the event without it",
                field.key,
                definition.name()
            ),
        );
    }
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn alternatives(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_read_as_a_sentence() {
        assert_eq!(alternatives(&["a"]), "`a`");
        assert_eq!(alternatives(&["a", "b"]), "`a` or `b`");
        assert_eq!(alternatives(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
