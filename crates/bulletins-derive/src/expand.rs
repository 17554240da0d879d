//! The impls of `BusinessEvent` and `StaticEvent` for a checked event.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{DeriveInput, Ident, Path};

use crate::ast::{Event, Field};
use crate::check;
use crate::ctxt::Ctxt;
use crate::fallback;

/// The derive: the impls, or every error plus a stub impl.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let event = Event::from_syn(&mut cx, input);
    check::check(&mut cx, &event);
    let krate = event.attrs.krate.clone().unwrap_or_else(default_crate);
    match cx.finish() {
        Ok(()) => impls(&event, &krate),
        Err(errors) => fallback::expand(input, &krate, &errors),
    }
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
    // Mixed-site hygiene: a user's `const writer` or `const value` cannot capture these.
    let writer = Ident::new("writer", Span::mixed_site());
    let value = Ident::new("value", Span::mixed_site());
    let writes = event
        .fields
        .iter()
        .filter(|field| field.is_sent())
        .map(|field| write_field(field, &private, &writer, &value));
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

/// One field's write. The trait-bound call is spanned on the value's type, so a type that is
/// not a string (or, with `display`, not `Display`) is reported there with the trait's
/// `on_unimplemented` message.
fn write_field(
    field: &Field<'_>,
    private: &TokenStream,
    writer: &Ident,
    value: &Ident,
) -> TokenStream {
    let member = field.ident;
    let key = &field.key;
    let value_ty = field.value_ty();
    let borrowed = match field.option_of {
        Some(_) => quote!(#value),
        None => quote!(&self.#member),
    };
    let write = if field.attrs.display.is_some() {
        let checked = quote_spanned!(value_ty.span()=> #private::display_ref(#borrowed));
        quote!(#private::write_display(#writer, #key, #checked)?;)
    } else {
        let checked = quote_spanned!(value_ty.span()=> #private::property_str(#borrowed));
        quote!(#private::write_str(#writer, #key, #checked)?;)
    };
    match field.option_of {
        Some(_) => quote! {
            if let #private::Option::Some(#value) = &self.#member {
                #write
            }
        },
        None => write,
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
