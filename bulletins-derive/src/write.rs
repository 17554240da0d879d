//! One field's write into the payload: the same tokens in the real impl ([`crate::expand`])
//! and in the stub emitted beside errors ([`crate::fallback`]), so a field's type is checked
//! the same way in both.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens as _};
use syn::spanned::Spanned as _;
use syn::{Ident, Type};

use crate::ast::Field;

/// One field's write.
///
/// The trait a value's type needs (`PropertyValue`; with `display` on the field or the struct,
/// `Display`) is named in a
/// qualified path on that type, `<T as PropertyValue>::as_property_str`, spanned on it: a type
/// that is not a string (or, with `display`, not `Display`) is reported on the type alone, with
/// the trait's `on_unimplemented` message, and no note points into the SDK's private module (as
/// a bound on a helper function's parameter would). The path runs from the type's first token to
/// its last, so the whole type is underlined — `Span::join` is not stable.
pub(crate) fn field(field: &Field<'_>, private: &TokenStream, writer: &Ident) -> TokenStream {
    let key = &field.key;
    let ty = field.value_ty();
    let (first, last) = first_and_last_span(ty);
    let path = respan(private.clone(), first);
    // The value's place: the field, or the `Some` binding (named with the type's span, so the
    // binding and its use share hygiene).
    let (place, binding) = match field.option_of {
        Some(_) => {
            let binding = Ident::new("__value", last);
            (quote_spanned!(first=> &*), Some(binding))
        }
        None => (quote_spanned!(first=> &self.), None),
    };
    let mut member = field.ident.clone();
    member.set_span(last);
    let name = binding.as_ref().unwrap_or(&member);
    let argument = quote!(#place #name);
    let write = if field.display {
        let fmt = quote_spanned!(last=> <#ty as #path::Display>::fmt);
        quote!(#private::write_display(#writer, #key, #argument, #fmt)?;)
    } else {
        let checked =
            quote_spanned!(last=> <#ty as #path::PropertyValue>::as_property_str(#argument));
        quote!(#private::write_str(#writer, #key, #checked)?;)
    };
    match binding {
        Some(binding) => {
            let field = field.ident;
            quote! {
                if let #private::Option::Some(#binding) = &self.#field {
                    #write
                }
            }
        }
        None => write,
    }
}

/// The spans of a type's first and last tokens (`Spanned::span` cannot join them on stable).
fn first_and_last_span(ty: &Type) -> (Span, Span) {
    let mut tokens = ty.to_token_stream().into_iter();
    let first = tokens
        .next()
        .map_or_else(|| ty.span(), |token| token.span());
    let last = tokens.last().map_or(first, |token| token.span());
    (first, last)
}

/// `tokens` with every span, nested ones included, set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
