//! `#[derive(BusinessEvent)]`: CleverTap business events checked at compile time.
//!
//! Use it through **`bulletins-core`** (or `bulletins-http`), which re-exports it: the code it
//! generates names `::bulletins_core::__private`, so this crate alone is not enough.
//!
//! ```text
//! use bulletins_core::BusinessEvent;
//!
//! #[derive(BusinessEvent)]
//! #[business_event(name = "order_placed", requires = ["order_id", "product_category"])]
//! struct OrderPlaced<'a> {
//!     order_id: String,
//!     product_category: &'a str,
//!     #[business_event(rename = "coupon_code")]
//!     coupon: Option<String>,   // sent only when `Some`
//!     #[business_event(display)]
//!     quantity: u32,            // sent as its Display text, "3"
//! }
//! ```
//!
//! The derive implements `BusinessEvent` (the name and the properties, written straight into
//! the payload) and `StaticEvent` (`SCHEMA`: the name and every property's key and presence).
//!
//! # Attributes
//!
//! | where | attribute | meaning |
//! |---|---|---|
//! | struct | `name = "..."` | **required**: the business event's name, as defined on the CleverTap dashboard |
//! | struct | `requires = ["...", ...]` | the dashboard's required properties, by key; each must be a field that is always sent (not `Option`, not `skip`). `Presence::Required` in the schema |
//! | struct | `rename_all = "..."` | every key in a case convention: `lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `SCREAMING-KEBAB-CASE` |
//! | struct | `crate = "..."` | the path of `bulletins_core` in generated code (default `::bulletins_core`), for re-exports |
//! | struct | `dashboard = "..."` | the dashboard file to check the event against, relative to the crate's `CARGO_MANIFEST_DIR` (see below) |
//! | field | `rename = "..."` | the property key, instead of the field's name (wins over `rename_all`) |
//! | field | `display` | send the value's `Display` text; the type needs `Display` (on `Option<T>`, `T` does) |
//! | field | `skip` | not a property: never sent, not in the schema |
//!
//! A field's key is its `rename`, else its name through `rename_all`, else its name (`r#type`
//! is sent as `type`). Property values are strings, as CleverTap requires: `String`, `&str`,
//! `Cow<str>`, `Box<str>`, `Arc<str>`, `Rc<str>` (any `PropertyValue`), or `Option` of one, which
//! is sent only when `Some`. `Option` is recognized by how it is spelled: `Option<T>`,
//! `std::option::Option<T>`, `core::option::Option<T>`. Generics are carried through; a type
//! parameter is accepted where its bounds make it a `PropertyValue` (or `Display`, with
//! `display`).
//!
//! # Compile errors
//!
//! Every error is reported in one compile, underlining the offending tokens; when there are
//! any, the derive still emits stub impls so that code using the event adds no follow-on
//! errors.
//!
//! | rule | underlined |
//! |---|---|
//! | `name` is missing | the struct's name |
//! | the name or a property key is empty, longer than 120 characters (characters, not bytes), starts or ends with whitespace, or contains a control character | the `name` / `rename` literal, or the field's name |
//! | a field's type is not a string type and the field has no `display` (`PropertyValue`'s message) | the field's type (`T` in `Option<T>`) |
//! | a `display` field's type is not `Display` | the field's type |
//! | two fields map to the same key | the second field's key |
//! | a `requires` entry matches no property, matches an `Option` or `skip` field, or is listed twice | the entry |
//! | an unknown attribute (the closest known one is suggested), a struct attribute on a field or the reverse, a duplicated attribute | the attribute's key |
//! | a value of the wrong kind (`name = 5`, `requires = "a"`, `display = true`), an unknown `rename_all` rule, a `crate` that is not a path | the value |
//! | `display` together with `skip` | `display` |
//! | an enum, a union, a tuple struct or a unit struct | `enum`, `union`, the tuple's fields, the struct's name |
//!
//! # Checking against the dashboard file
//!
//! When a dashboard file applies, the struct is also checked against what the CleverTap
//! dashboard defines (the file format is `bulletins-dashboard`'s, `bulletins.json`). The file
//! is, in this order:
//!
//! 1. `#[business_event(dashboard = "path/to/bulletins.json")]`, relative to the crate's
//!    `CARGO_MANIFEST_DIR`;
//! 2. the compile-time environment variable `BULLETINS_DASHBOARD`, absolute or relative to the
//!    crate's manifest directory. Workspace-wide, in `.cargo/config.toml`:
//!    `[env] BULLETINS_DASHBOARD = { value = "bulletins.json", relative = true }`;
//! 3. else none: the struct is checked against itself only.
//!
//! `requires` may then be left out: the file's `required` keys are the event's required
//! properties (a struct may still require more). Messages name the file as written, never
//! as an absolute path of the build machine.
//!
//! | rule | underlined |
//! |---|---|
//! | the event's name is not in the file (the closest names are suggested) | the `name` literal |
//! | a property the file requires has no field | the struct's name, listing the missing keys |
//! | a property the file requires is an `Option` or `skip` field | that field |
//! | a field's key is not one of the event's properties in the file ("did you mean") | the field's key |
//! | the file is missing, unreadable or refused (with its line and column) | the `dashboard` literal, or the derive when the variable names it |
//!
//! Editing the file, or setting or changing `BULLETINS_DASHBOARD`, re-runs the check on the next
//! build: the generated code reads both with `include_bytes!` and `option_env!`, which cargo
//! tracks. Each file is parsed once per compiler process (keyed by its path, modification time
//! and length), however many events it checks.
//! A file that cannot be read is not tracked (there is nothing to include): once it exists,
//! the next build after a source change checks against it.

mod ast;
mod attr;
mod case;
mod check;
mod ctxt;
mod dashboard;
mod dashboard_check;
mod expand;
mod fallback;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `BusinessEvent` and `StaticEvent`; see the [crate documentation](crate).
#[proc_macro_derive(BusinessEvent, attributes(business_event))]
pub fn derive_business_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// The same derive, with generated code naming `::bulletins_http` instead of `::bulletins_core`
/// (unless `crate = "..."` says otherwise). `bulletins-http` re-exports it as `BusinessEvent`, so
/// that a crate depending on `bulletins-http` alone can derive events. Not for direct use.
#[doc(hidden)]
#[proc_macro_derive(BusinessEventHttp, attributes(business_event))]
pub fn derive_business_event_http(input: TokenStream) -> TokenStream {
    let mut input = parse_macro_input!(input as DeriveInput);
    if !names_crate(&input.attrs) {
        input
            .attrs
            .push(syn::parse_quote!(#[business_event(crate = "::bulletins_http")]));
    }
    expand::derive(&input).into()
}

/// Whether a `#[business_event(...)]` attribute already has a `crate = ...` key (at the top
/// level of its list), so the user's path wins and no duplicate is reported.
fn names_crate(attrs: &[syn::Attribute]) -> bool {
    use proc_macro2::TokenTree;
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("business_event"))
        .filter_map(|attr| attr.meta.require_list().ok())
        .any(|list| {
            let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
            tokens.windows(2).any(|pair| {
                matches!(&pair[0], TokenTree::Ident(key) if key == "crate")
                    && matches!(&pair[1], TokenTree::Punct(eq) if eq.as_char() == '=')
            })
        })
}
