//! Parsing `#[business_event(...)]` on the struct and on its fields.
//!
//! Every problem is recorded in the [`Ctxt`] and parsing carries on with the next key, so one
//! compile reports every malformed attribute. What a value means (is the name too long, does a
//! `requires` entry match a field) is [`check`](crate::check)'s job.

use bulletins_dashboard::closest;
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path, Token};

use crate::case::{RenameRule, RULES};
use crate::ctxt::Ctxt;

/// The helper attribute's name.
pub(crate) const BUSINESS_EVENT: &str = "business_event";

/// Struct: the business event's name on the dashboard.
pub(crate) const NAME: &str = "name";
/// Struct: the dashboard's required properties.
pub(crate) const REQUIRES: &str = "requires";
/// Struct: the case convention for every field's key.
pub(crate) const RENAME_ALL: &str = "rename_all";
/// Struct: the path generated code uses for `bulletins_core`.
pub(crate) const CRATE: &str = "crate";
/// Struct: the dashboard file to check the event against.
pub(crate) const DASHBOARD: &str = "dashboard";
/// Field: the property key, instead of the field's name.
pub(crate) const RENAME: &str = "rename";
/// Field, or struct for every field: send the value's `Display` text.
pub(crate) const DISPLAY: &str = "display";
/// Field: not a property.
pub(crate) const SKIP: &str = "skip";

const CONTAINER_KEYS: &[&str] = &[NAME, REQUIRES, RENAME_ALL, DISPLAY, CRATE, DASHBOARD];
const FIELD_KEYS: &[&str] = &[RENAME, DISPLAY, SKIP];

/// The struct's `#[business_event(...)]` attributes.
#[derive(Default)]
pub(crate) struct Container {
    /// `name = "..."`.
    pub(crate) name: Option<LitStr>,
    /// Whether a `name` key was written, or an attribute was too broken to tell: then a
    /// missing name is not reported on top of the error already given.
    pub(crate) name_attempted: bool,
    /// `requires = ["...", ...]`, in order, duplicates kept for [`check`](crate::check).
    pub(crate) requires: Vec<LitStr>,
    /// `rename_all = "..."`.
    pub(crate) rename_all: Option<RenameRule>,
    /// `crate = "..."`.
    pub(crate) krate: Option<Path>,
    /// `dashboard = "..."`: the file, relative to the crate's manifest directory.
    pub(crate) dashboard: Option<LitStr>,
    /// Whether a `dashboard` key was written: a malformed one means no check rather than a
    /// fallback to `BULLETINS_DASHBOARD`.
    pub(crate) dashboard_attempted: bool,
    /// `display`: the key's path, for spans. Every field is sent as its `Display` text.
    pub(crate) display: Option<Path>,
    /// Whether `display` may have been meant but was not understood (an unknown key whose
    /// closest known key is `display`, or an attribute too broken to read): then a field that
    /// is not a string is not reported, which could be a cascade of that one mistake.
    pub(crate) display_uncertain: bool,
}

/// A field's `#[business_event(...)]` attributes.
#[derive(Default)]
pub(crate) struct Field {
    /// `rename = "..."`.
    pub(crate) rename: Option<LitStr>,
    /// `display`: the key's path, for spans.
    pub(crate) display: Option<Path>,
    /// `skip`: the key's path, for spans.
    pub(crate) skip: Option<Path>,
}

/// Parses the struct's attributes.
pub(crate) fn container(cx: &mut Ctxt, attrs: &[Attribute]) -> Container {
    let mut out = Container::default();
    let mut seen = Seen::default();
    let broken = for_each_key(cx, attrs, |cx, meta| {
        let key = &meta.path;
        if key.is_ident(NAME) {
            out.name_attempted = true;
            seen.first(cx, key, NAME);
            if let Some(name) = string_value(cx, meta, NAME, "name = \"order_placed\"")? {
                out.name.get_or_insert(name);
            }
        } else if key.is_ident(REQUIRES) {
            seen.first(cx, key, REQUIRES);
            let entries = list_value(cx, meta)?;
            out.requires.extend(entries);
        } else if key.is_ident(RENAME_ALL) {
            seen.first(cx, key, RENAME_ALL);
            if let Some(rule) = string_value(cx, meta, RENAME_ALL, "rename_all = \"camelCase\"")? {
                match RenameRule::from_name(&rule.value()) {
                    Some(parsed) => {
                        out.rename_all.get_or_insert(parsed);
                    }
                    None => cx.error_spanned_by(&rule, unknown_rule(&rule.value())),
                }
            }
        } else if key.is_ident(DISPLAY) {
            seen.first(cx, key, DISPLAY);
            flag(cx, meta, DISPLAY)?;
            out.display.get_or_insert_with(|| key.clone());
        } else if key.is_ident(CRATE) {
            seen.first(cx, key, CRATE);
            let example = "crate = \"my_reexport::bulletins_core\"";
            if let Some(path) = string_value(cx, meta, CRATE, example)? {
                match path.parse::<Path>() {
                    Ok(parsed) => {
                        out.krate.get_or_insert(parsed);
                    }
                    Err(_) => cx.error_spanned_by(
                        &path,
                        format!("`crate` takes the path of `bulletins_core` in a string, e.g. `{example}`"),
                    ),
                }
            }
        } else if key.is_ident(DASHBOARD) {
            out.dashboard_attempted = true;
            seen.first(cx, key, DASHBOARD);
            let example = "dashboard = \"bulletins.json\"";
            if let Some(path) = string_value(cx, meta, DASHBOARD, example)? {
                out.dashboard.get_or_insert(path);
            }
        } else {
            let suggested = unknown_key(cx, meta, CONTAINER_KEYS, FIELD_KEYS, "struct", "field")?;
            out.display_uncertain |= suggested == Some(DISPLAY);
        }
        Ok(())
    });
    out.name_attempted |= broken;
    out.display_uncertain |= broken;
    out
}

/// Parses a field's attributes.
pub(crate) fn field(cx: &mut Ctxt, attrs: &[Attribute]) -> Field {
    let mut out = Field::default();
    let mut seen = Seen::default();
    for_each_key(cx, attrs, |cx, meta| {
        let key = &meta.path;
        if key.is_ident(RENAME) {
            seen.first(cx, key, RENAME);
            if let Some(rename) = string_value(cx, meta, RENAME, "rename = \"coupon_code\"")? {
                out.rename.get_or_insert(rename);
            }
        } else if key.is_ident(DISPLAY) {
            seen.first(cx, key, DISPLAY);
            flag(cx, meta, DISPLAY)?;
            out.display.get_or_insert_with(|| key.clone());
        } else if key.is_ident(SKIP) {
            seen.first(cx, key, SKIP);
            flag(cx, meta, SKIP)?;
            out.skip.get_or_insert_with(|| key.clone());
        } else {
            unknown_key(cx, meta, FIELD_KEYS, CONTAINER_KEYS, "field", "struct")?;
        }
        Ok(())
    });
    out
}

/// Runs `f` on each `key ...` inside every `#[business_event(...)]`. An error `f` returns ends
/// that one attribute (its syntax is broken); the others are still parsed. Returns whether one
/// broke.
fn for_each_key(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&mut Ctxt, &ParseNestedMeta<'_>) -> syn::Result<()>,
) -> bool {
    let mut broken = false;
    for attr in attrs
        .iter()
        .filter(|attr| attr.path().is_ident(BUSINESS_EVENT))
    {
        if let Err(error) = attr.parse_nested_meta(|meta| f(cx, &meta)) {
            cx.push(error);
            broken = true;
        }
    }
    broken
}

/// The keys already set, so the second `name = ...` is reported.
#[derive(Default)]
struct Seen(Vec<&'static str>);

impl Seen {
    fn first(&mut self, cx: &mut Ctxt, key: &Path, name: &'static str) {
        if self.0.contains(&name) {
            cx.error_spanned_by(
                key,
                format!(
                    "duplicate business_event attribute `{name}`; set it once and remove this one"
                ),
            );
        } else {
            self.0.push(name);
        }
    }
}

/// Consumes what follows a key up to the next `,`: `= tokens` or a `(...)` group, or nothing.
/// Returns the value's tokens (without the `=`).
fn take_value(meta: &ParseNestedMeta<'_>) -> syn::Result<(bool, TokenStream)> {
    let input = meta.input;
    let has_eq = input.peek(Token![=]);
    if has_eq {
        input.parse::<Token![=]>()?;
    }
    let mut tokens = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    Ok((has_eq, tokens))
}

/// `key = "literal"`. A missing or non-string value is recorded and gives `None`.
fn string_value(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &str,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    let (has_eq, tokens) = take_value(meta)?;
    if has_eq {
        if let Ok(lit) = syn::parse2::<LitStr>(tokens.clone()) {
            return Ok(Some(lit));
        }
    }
    let message = format!("business_event `{key}` takes a string literal, e.g. `{example}`");
    if tokens.is_empty() {
        cx.error_spanned_by(&meta.path, message);
    } else {
        cx.error_spanned_by(tokens, message);
    }
    Ok(None)
}

/// `requires = ["a", "b"]`. Entries that are not string literals are recorded and left out.
fn list_value(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    const EXAMPLE: &str = "requires = [\"order_id\", \"product_category\"]";
    let (has_eq, tokens) = take_value(meta)?;
    let mut trees = tokens.clone().into_iter();
    let group = match (has_eq, trees.next(), trees.next()) {
        (true, Some(TokenTree::Group(group)), None) if group.delimiter() == Delimiter::Bracket => {
            group
        }
        _ => {
            let message = format!(
                "business_event `requires` takes a list of string literals, e.g. `{EXAMPLE}`"
            );
            if tokens.is_empty() {
                cx.error_spanned_by(&meta.path, message);
            } else {
                cx.error_spanned_by(tokens, message);
            }
            return Ok(Vec::new());
        }
    };
    let mut entries = Vec::new();
    let mut entry = TokenStream::new();
    let mut finish = |cx: &mut Ctxt, entry: &mut TokenStream| {
        let tokens = std::mem::take(entry);
        if tokens.is_empty() {
            return;
        }
        match syn::parse2::<LitStr>(tokens.clone()) {
            Ok(lit) => entries.push(lit),
            Err(_) => cx.error_spanned_by(
                tokens,
                format!(
                    "each `requires` entry is a property key in a string literal, e.g. `{EXAMPLE}`"
                ),
            ),
        }
    };
    for tree in group.stream() {
        match &tree {
            TokenTree::Punct(punct) if punct.as_char() == ',' => finish(cx, &mut entry),
            _ => entry.extend([tree]),
        }
    }
    finish(cx, &mut entry);
    Ok(entries)
}

/// A key that takes no value, like `display`.
fn flag(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
    let (has_eq, tokens) = take_value(meta)?;
    if has_eq || !tokens.is_empty() {
        let message =
            format!("business_event `{key}` takes no value; write `#[business_event({key})]`");
        if tokens.is_empty() {
            cx.error_spanned_by(&meta.path, message);
        } else {
            cx.error_spanned_by(tokens, message);
        }
    }
    Ok(())
}

/// An unknown key: says where it belongs if it is the other level's key, else suggests the
/// closest known key, which it returns. Consumes its value so the next key still parses.
fn unknown_key(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    known: &[&'static str],
    other_level: &[&str],
    here: &str,
    there: &str,
) -> syn::Result<Option<&'static str>> {
    take_value(meta)?;
    let key = meta
        .path
        .get_ident()
        .map_or_else(|| path_text(&meta.path), |ident| ident.to_string());
    let suggestion = closest(&key, known.iter().copied(), 1).first().copied();
    let message = if other_level.contains(&key.as_str()) {
        let alternative = match key.as_str() {
            RENAME => format!("; to rename every field's key use `{RENAME_ALL} = \"...\"`"),
            NAME => format!("; to set this field's key use `{RENAME} = \"...\"`"),
            _ => String::new(),
        };
        format!("`{key}` is a {there} attribute, not a {here} attribute: move it to the {there}{alternative}")
    } else {
        match suggestion {
            Some(suggestion) => {
                format!("unknown business_event attribute `{key}`; did you mean `{suggestion}`?")
            }
            None => format!(
                "unknown business_event attribute `{key}`; the {here} attributes are {}",
                list(known)
            ),
        }
    };
    cx.error_spanned_by(&meta.path, message);
    Ok(suggestion)
}

fn unknown_rule(rule: &str) -> String {
    let names = RULES.iter().map(|(name, _)| *name);
    match closest(rule, names.clone(), 1).first() {
        Some(suggestion) => {
            format!("unknown rename_all rule `{rule}`; did you mean `{suggestion}`?")
        }
        None => {
            let all: Vec<&str> = names.collect();
            format!(
                "unknown rename_all rule `{rule}`; use one of {}",
                list(&all)
            )
        }
    }
}

fn path_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn list(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_keys() {
        let best =
            |typo, known: &[&'static str]| closest(typo, known.iter().copied(), 1).first().copied();
        assert_eq!(best("renam", FIELD_KEYS), Some("rename"));
        assert_eq!(best("dispaly", FIELD_KEYS), Some("display"));
        assert_eq!(best("requried", CONTAINER_KEYS), Some("requires"));
        let rules: Vec<&str> = RULES.iter().map(|(n, _)| *n).collect();
        assert_eq!(best("camelcase", &rules), Some("camelCase"));
        assert_eq!(best("colour", FIELD_KEYS), None);
    }
}
