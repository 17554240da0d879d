//! Collects every error of one derive, so the user sees them all in one compile (serde's
//! `Ctxt`).

use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// The errors found so far, combined into one `syn::Error` in the order they were found.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Option<syn::Error>,
}

impl Ctxt {
    /// Records an error spanned on `tokens` (from their first to their last token).
    pub(crate) fn error_spanned_by<T: ToTokens>(&mut self, tokens: T, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error at `span`.
    pub(crate) fn error_at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an error syn produced.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(errors) => errors.combine(error),
            None => self.errors = Some(error),
        }
    }

    /// All the errors found, if any.
    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.errors.map_or(Ok(()), Err)
    }
}
