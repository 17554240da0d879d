//! `#[derive(BusinessEvent)]` (placeholder until the derive lands).
use proc_macro::TokenStream;

/// Derives `BusinessEvent`.
#[proc_macro_derive(BusinessEvent, attributes(business_event))]
pub fn derive_business_event(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
