//! What the derive emits when the input is wrong: the errors, and stub impls of both traits so
//! that code using the event (`Bulletin::new(event, ..)`, `E::SCHEMA`) adds no follow-on
//! errors (thiserror's `fallback.rs`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Path};

/// The errors plus impls that compile whatever the input's fields are.
pub(crate) fn expand(input: &DeriveInput, krate: &Path, errors: &syn::Error) -> TokenStream {
    let private = quote!(#krate::__private);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let errors = errors.to_compile_error();
    quote! {
        #errors

        #[automatically_derived]
        impl #impl_generics #private::BusinessEvent for #ident #ty_generics #where_clause {
            fn event_name(&self) -> &str {
                ""
            }

            fn write_properties(
                &self,
                _: &mut #private::PropertyWriter<'_>,
            ) -> #private::Result<(), #private::BuildError> {
                #private::Result::Ok(())
            }
        }

        #[automatically_derived]
        impl #impl_generics #private::StaticEvent for #ident #ty_generics #where_clause {
            const SCHEMA: #private::EventSchema = #private::EventSchema::new("", &[]);
        }
    }
}
