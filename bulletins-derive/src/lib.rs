//! `#[derive(BusinessEvent)]`: CleverTap business events checked at compile time.
//!
//! Use it through **`bulletins-http`** (or `bulletins-core` in a schema crate), which
//! re-exports it: the code it generates names `::bulletins_http::__private` (or
//! `::bulletins_core::__private`), so this crate alone is not enough.
//!
//! The derive's page, [`BusinessEvent`](derive@BusinessEvent) — the same in `bulletins-http`'s
//! and `bulletins-core`'s documentation — lists every attribute and every compile error.
//!
//! The derive implements `BusinessEvent` (the name and the properties, written straight into
//! the payload) and `StaticEvent` (`SCHEMA`: the name and every property's key and presence).

mod ast;
mod attr;
mod case;
mod check;
mod ctxt;
mod dashboard;
mod dashboard_check;
mod expand;
mod fallback;
mod write;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

// The page is shared with the `bulletins-http` entry point below, which `bulletins-http`
// re-exports inline. Its examples use `bulletins_http`, which this crate cannot: they are
// compiled as `bulletins-http` doctests, and left out of this crate's.
#[cfg_attr(not(doctest), doc = include_str!("derive.md"))]
#[proc_macro_derive(BusinessEvent, attributes(business_event))]
pub fn derive_business_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

// The same derive, with generated code naming `::bulletins_http` instead of `::bulletins_core`
// (unless `crate = "..."` says otherwise). `bulletins-http` re-exports it as `BusinessEvent`, so
// that a crate depending on `bulletins-http` alone can derive events. Not for direct use: hidden
// here, and documented (with the same page) where it is re-exported.
#[cfg_attr(not(doctest), doc = include_str!("derive.md"))]
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
