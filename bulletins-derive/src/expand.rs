//! The impls of `BusinessEvent` and `StaticEvent` for a checked event.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens as _};
use syn::spanned::Spanned as _;
use syn::{DeriveInput, Ident, Path, Type};

use crate::ast::{Event, Field};
use crate::check;
use crate::ctxt::Ctxt;
use crate::{dashboard, fallback};

/// The derive: the impls, or every error plus a stub impl.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let mut event = Event::from_syn(&mut cx, input);
    check::check(&mut cx, &event);
    let tracking = dashboard::check(&mut cx, &mut event);
    let krate = event.attrs.krate.clone().unwrap_or_else(default_crate);
    let expanded = match cx.finish() {
        Ok(()) => impls(&event, &krate),
        Err(errors) => fallback::expand(input, &krate, &errors),
    };
    quote!(#expanded #tracking)
}

/// `::bulletins_core`, unless `crate = "..."` says otherwise.
fn default_crate() -> Path {
    syn::parse_quote!(::bulletins_core)
}

fn impls(event: &Event<'_>, krate: &Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let ident = event.ident;
    let (impl_generics, ty_generics, where_clause) = event.generics.split_for_impl();
    let name = event
        .attrs
        .name
        .as_ref()
        .map(syn::LitStr::value)
        .unwrap_or_default();
    // A binding pattern that names a constant in scope is a constant pattern, hygiene or not:
    // an underscored name keeps a user's `const writer` from turning this into one.
    let writer = Ident::new("__writer", Span::mixed_site());
    let writes = event
        .fields
        .iter()
        .filter(|field| field.is_sent())
        .map(|field| write_field(field, &private, &writer));
    let schema = event
        .fields
        .iter()
        .filter(|field| field.is_sent())
        .map(|field| {
            let key = &field.key;
            let presence = presence(event, field);
            quote!(#private::PropertySchema::new(#key, #private::Presence::#presence))
        });
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::BusinessEvent for #ident #ty_generics #where_clause {
            #[inline]
            fn event_name(&self) -> &str {
                #name
            }

            fn write_properties(
                &self,
                #writer: &mut #private::PropertyWriter<'_>,
            ) -> #private::Result<(), #private::BuildError> {
                #(#writes)*
                #private::Result::Ok(())
            }
        }

        #[automatically_derived]
        impl #impl_generics #private::StaticEvent for #ident #ty_generics #where_clause {
            const SCHEMA: #private::EventSchema = #private::EventSchema::new(#name, &[#(#schema),*]);
        }
    }
}

/// One field's write.
///
/// The call whose trait bound checks the value's type (`property_str`: `PropertyValue`;
/// `write_display`: `Display`) is spanned on that type, so a type that is not a string (or,
/// with `display`, not `Display`) is reported there, with the trait's `on_unimplemented`
/// message. rustc underlines the argument (and labels the callee): both run from the type's
/// first token to its last, so the whole type is underlined — `Span::join` is not stable.
/// A `display` field checks its bound on `write_display` itself: a `display_ref` call in front
/// of it would report the same unmet bound twice.
fn write_field(field: &Field<'_>, private: &TokenStream, writer: &Ident) -> TokenStream {
    let key = &field.key;
    let (first, last) = first_and_last_span(field.value_ty());
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
    let write = if field.attrs.display.is_some() {
        quote_spanned!(last=> #path::write_display(#writer, #key, #argument)?;)
    } else {
        let checked = quote_spanned!(last=> #path::property_str(#argument));
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

fn presence(event: &Event<'_>, field: &Field<'_>) -> TokenStream {
    if event
        .attrs
        .requires
        .iter()
        .any(|entry| entry.value() == field.key)
    {
        quote!(Required)
    } else if field.option_of.is_some() {
        quote!(Optional)
    } else {
        quote!(Always)
    }
}
