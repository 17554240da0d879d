//! The derive input as a business event: types that borrow the `syn` tree.

use proc_macro2::Span;
use syn::ext::IdentExt as _;
use syn::{Data, DeriveInput, Fields, GenericArgument, Generics, Ident, PathArguments, Type};

use crate::attr;
use crate::ctxt::Ctxt;

/// A struct deriving `BusinessEvent`.
pub(crate) struct Event<'a> {
    /// The struct's name.
    pub(crate) ident: &'a Ident,
    /// Its generics, carried through to the impls.
    pub(crate) generics: &'a Generics,
    /// Its `#[business_event(...)]`.
    pub(crate) attrs: attr::Container,
    /// Its named fields, in declaration order; empty if it has none (or is not a struct).
    pub(crate) fields: Vec<Field<'a>>,
}

/// A named field.
pub(crate) struct Field<'a> {
    /// The field's name.
    pub(crate) ident: &'a Ident,
    /// Its declared type.
    pub(crate) ty: &'a Type,
    /// `T` if the type is `Option<T>`.
    pub(crate) option_of: Option<&'a Type>,
    /// Its `#[business_event(...)]`.
    pub(crate) attrs: attr::Field,
    /// The property key: `rename`, else `rename_all` applied to the name, else the name.
    pub(crate) key: String,
    /// Where the key comes from: the `rename` literal, else the field's name.
    pub(crate) key_span: Span,
    /// Whether the value is sent as its `Display` text: `display` on the field or the struct.
    pub(crate) display: bool,
}

impl<'a> Event<'a> {
    /// Reads the input, recording every attribute and shape problem in `cx`.
    pub(crate) fn from_syn(cx: &mut Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = attr::container(cx, &input.attrs);
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named
                    .named
                    .iter()
                    .filter_map(|field| Field::from_syn(cx, field, &attrs))
                    .collect(),
                Fields::Unnamed(unnamed) => {
                    cx.error_spanned_by(
                        unnamed,
                        "#[derive(BusinessEvent)] needs a struct with named fields; a tuple struct's fields have no names to send as property keys: name them, `struct E { order_id: String }`",
                    );
                    Vec::new()
                }
                Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        format!("#[derive(BusinessEvent)] needs a struct with named fields; for an event without properties write `struct {} {{}}`", input.ident),
                    );
                    Vec::new()
                }
            },
            Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "#[derive(BusinessEvent)] needs a struct with named fields; an enum cannot be one business event: derive it on a struct per event",
                );
                Vec::new()
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "#[derive(BusinessEvent)] needs a struct with named fields; a union cannot be a business event",
                );
                Vec::new()
            }
        };
        Event {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            fields,
        }
    }
}

impl<'a> Field<'a> {
    fn from_syn(cx: &mut Ctxt, field: &'a syn::Field, container: &attr::Container) -> Option<Self> {
        let ident = field.ident.as_ref()?;
        let attrs = attr::field(cx, &field.attrs);
        let (key, key_span) = match &attrs.rename {
            Some(rename) => (rename.value(), rename.span()),
            None => {
                // `r#type` is sent as `type`.
                let name = ident.unraw().to_string();
                let key = container
                    .rename_all
                    .map_or_else(|| name.clone(), |rule| rule.apply(&name));
                (key, ident.span())
            }
        };
        Some(Field {
            ident,
            ty: &field.ty,
            option_of: option_of(&field.ty),
            display: attrs.display.is_some() || container.display.is_some(),
            attrs,
            key,
            key_span,
        })
    }

    /// The type whose value is sent: `T` for `Option<T>`, else the field's type.
    pub(crate) fn value_ty(&self) -> &'a Type {
        self.option_of.unwrap_or(self.ty)
    }

    /// Whether the field is a property (not `skip`).
    pub(crate) fn is_sent(&self) -> bool {
        self.attrs.skip.is_none()
    }
}

/// `T` if `ty` is spelled `Option<T>`, `std::option::Option<T>` or `core::option::Option<T>`.
/// Syntactic: a type alias for `Option` is not recognized (the field then needs a string type).
fn option_of(ty: &Type) -> Option<&Type> {
    let path = match ty {
        Type::Group(group) => return option_of(&group.elem),
        Type::Paren(paren) => return option_of(&paren.elem),
        Type::Path(path) if path.qself.is_none() => &path.path,
        _ => return None,
    };
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let spelled_as_option = match segments.as_slice() {
        [option] => option == "Option" && path.leading_colon.is_none(),
        [krate, module, option] => {
            (krate == "std" || krate == "core") && module == "option" && option == "Option"
        }
        _ => false,
    };
    if !spelled_as_option {
        return None;
    }
    let last = path.segments.last()?;
    match &last.arguments {
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match args.args.first()? {
            GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens as _;

    fn inner(ty: &str) -> Option<String> {
        let ty: Type = syn::parse_str(ty).expect("a type");
        option_of(&ty).map(|inner| inner.to_token_stream().to_string())
    }

    #[test]
    fn option_is_recognized_by_its_spellings() {
        assert_eq!(inner("Option<String>").as_deref(), Some("String"));
        assert_eq!(
            inner("std::option::Option<&'a str>").as_deref(),
            Some("& 'a str")
        );
        assert_eq!(
            inner("::core::option::Option<Box<str>>").as_deref(),
            Some("Box < str >")
        );
        assert_eq!(inner("String"), None);
        assert_eq!(inner("my::Option<String>"), None);
        assert_eq!(inner("Option"), None);
        assert_eq!(inner("Vec<Option<String>>"), None);
    }
}
