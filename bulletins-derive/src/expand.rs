//! The impls of `BusinessEvent` and `StaticEvent` for a checked event.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, Ident, Path};

use crate::ast::{Event, Field};
use crate::check;
use crate::ctxt::Ctxt;
use crate::{dashboard, fallback, write};

/// The derive: the impls, or every error plus a stub impl.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let mut event = Event::from_syn(&mut cx, input);
    check::check(&mut cx, &event);
    let tracking = dashboard::check(&mut cx, &mut event);
    let krate = event.attrs.krate.clone().unwrap_or_else(default_crate);
    let expanded = match cx.finish() {
        Ok(()) => impls(&event, &krate),
        Err(errors) => fallback::expand(input, &event, &krate, &errors),
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
        .map(|field| write::field(field, &private, &writer));
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
