//! What the derive emits when the input is wrong: the errors, and stub impls of both traits so
//! that code using the event (`Bulletin::new(event, ..)`, `E::SCHEMA`) adds no follow-on
//! errors (thiserror's `fallback.rs`).
//!
//! The stub still names each property's type the way the real impl does, so a field that is
//! not a string is reported in the same compile as the attribute mistakes. Only fields whose own
//! attributes are sound are checked: a field with `#[business_event(displya)]` may well be
//! meant as `display`, and reporting its type too would be a cascade. The same goes for every
//! field when the struct's attributes hold such a typo.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, Path};

use crate::ast::{Event, Field};
use crate::attr;
use crate::ctxt::Ctxt;
use crate::write;

/// The errors plus impls that compile whatever the input's fields are, apart from the types of
/// fields with sound attributes.
pub(crate) fn expand(
    input: &DeriveInput,
    event: &Event<'_>,
    krate: &Path,
    errors: &syn::Error,
) -> TokenStream {
    let private = quote!(#krate::__private);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let errors = errors.to_compile_error();
    let writer = Ident::new("__writer", Span::mixed_site());
    let type_checks = event
        .fields
        .iter()
        .filter(|field| field.is_sent() && attributes_are_sound(input, field))
        // A misspelled struct-level `display` would make every non-string field an error.
        .filter(|field| field.display || !event.attrs.display_uncertain)
        .map(|field| write::field(field, &private, &writer));
    quote! {
        #errors

        #[automatically_derived]
        impl #impl_generics #private::BusinessEvent for #ident #ty_generics #where_clause {
            fn event_name(&self) -> &str {
                ""
            }

            fn write_properties(
                &self,
                #writer: &mut #private::PropertyWriter<'_>,
            ) -> #private::Result<(), #private::BuildError> {
                #(#type_checks)*
                #private::Result::Ok(())
            }
        }

        #[automatically_derived]
        impl #impl_generics #private::StaticEvent for #ident #ty_generics #where_clause {
            const SCHEMA: #private::EventSchema = #private::EventSchema::new("", &[]);
        }
    }
}

/// Whether the field's own `#[business_event(...)]` attributes parse without an error.
fn attributes_are_sound(input: &DeriveInput, field: &Field<'_>) -> bool {
    let Data::Struct(data) = &input.data else {
        return false;
    };
    let Fields::Named(named) = &data.fields else {
        return false;
    };
    named
        .named
        .iter()
        .find(|candidate| candidate.ident.as_ref() == Some(field.ident))
        .is_some_and(|candidate| {
            let mut cx = Ctxt::default();
            attr::field(&mut cx, &candidate.attrs);
            cx.finish().is_ok()
        })
}
