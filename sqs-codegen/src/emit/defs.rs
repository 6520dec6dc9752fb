//! Rust definitions: structures with serde attributes, read accessors and a builder (see
//! `builders`), and enums with an `Unknown` variant.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{EnumDef, Member, Service, Structure, Ty};

use super::tokens::{doc_attr, ident, ty_tokens};

fn member_doc(m: &Member) -> String {
    let mut text = m
        .doc
        .clone()
        .unwrap_or_else(|| format!("The `{}` member.", m.name));
    if m.required {
        text.push_str(" Required.");
    }
    if let Some(note) = &m.deprecated {
        text.push_str(&format!(" Deprecated: {note}."));
    }
    text
}

/// The field's Rust type.
pub(super) fn field_ty(m: &Member) -> TokenStream {
    let ty = ty_tokens(&m.ty);
    if m.optional() {
        quote!(Option<#ty>)
    } else {
        ty
    }
}

pub(super) fn structure(s: &Structure, svc: &Service) -> TokenStream {
    let name = ident(&s.rust_name);
    let doc = doc_attr(s.doc.as_deref().unwrap_or("A structure of the API."));
    let defaultable = Ty::Struct(s.rust_name.clone()).has_default(&svc.structures);
    let lenient = s.in_responses;
    let default_derive = defaultable.then(|| quote!(Default,));
    let fields = s.members.iter().map(|m| {
        let field = ident(&m.rust_name);
        let ty = field_ty(m);
        let doc = doc_attr(&member_doc(m));
        let wire = &m.name;
        // Lists are read through the codec's own list reader (room for a batch at the first
        // element, not serde's growth from four).
        let list = matches!(m.ty, Ty::List(_));
        let serde = if m.optional() && list {
            quote!(#[serde(rename = #wire, default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::codec::json::optional_list")])
        } else if m.optional() {
            quote!(#[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")])
        } else if list && (lenient || m.has_default) {
            quote!(#[serde(rename = #wire, default, deserialize_with = "crate::codec::json::list")])
        } else if (lenient || m.has_default) && m.ty.has_default(&svc.structures) {
            quote!(#[serde(rename = #wire, default, deserialize_with = "crate::codec::json::null_as_default")])
        } else {
            quote!(#[serde(rename = #wire)])
        };
        quote! { #doc #serde pub #field: #ty, }
    });
    let hashable = s.members.iter().all(|m| hashable(&m.ty, svc));
    let eq_derive = hashable.then(|| quote!(Eq, Hash,));
    let getters = s.members.iter().map(getter);
    let builder = super::builders::builder(s);
    let builder_name = ident(&format!("{}Builder", s.rust_name));
    let builder_doc = doc_attr(&format!(
        "A builder of [`{}`]: setters named like the members, then `build()`.",
        s.rust_name
    ));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #eq_derive #default_derive serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct #name { #(#fields)* }

        impl #name {
            #(#getters)*
            #builder_doc
            pub fn builder() -> #builder_name {
                #builder_name::default()
            }
        }

        #builder
    }
}

/// Whether values of the type can be compared with `Eq` and hashed (no maps, no floats).
fn hashable(ty: &Ty, svc: &Service) -> bool {
    match ty {
        Ty::Float | Ty::Double | Ty::Map(_) => false,
        Ty::List(l) => hashable(&l.member, svc),
        Ty::Struct(name) => svc
            .structures
            .get(name)
            .is_some_and(|s| s.members.iter().all(|m| hashable(&m.ty, svc))),
        _ => true,
    }
}

/// A read accessor named like the field, returning what the official SDK's accessor returns:
/// text as `&str`, lists as slices (empty when absent), numbers and flags by value, anything
/// else by reference; optional members wrapped in `Option`.
fn getter(m: &Member) -> TokenStream {
    let field = ident(&m.rust_name);
    let doc = doc_attr(&match (m.optional(), &m.ty) {
        (_, Ty::List(_)) if m.optional() => format!("`{}` (an empty slice when absent).", m.name),
        (true, _) => format!("`{}`, when present.", m.name),
        (false, _) => format!("`{}`.", m.name),
    });
    let ty = ty_tokens(&m.ty);
    let copy = matches!(
        m.ty,
        Ty::Bool | Ty::Byte | Ty::Short | Ty::Int | Ty::Long | Ty::Float | Ty::Double
    );
    let (ret, body) = match (&m.ty, m.optional()) {
        (Ty::String, true) => (quote!(Option<&str>), quote!(self.#field.as_deref())),
        (Ty::String, false) => (quote!(&str), quote!(&self.#field)),
        (Ty::List(l), optional) => {
            let item = ty_tokens(&l.member);
            let body = if optional {
                quote!(self.#field.as_deref().unwrap_or_default())
            } else {
                quote!(&self.#field)
            };
            (quote!(&[#item]), body)
        }
        (_, true) if copy => (quote!(Option<#ty>), quote!(self.#field)),
        (_, false) if copy => (ty, quote!(self.#field)),
        (_, true) => (quote!(Option<&#ty>), quote!(self.#field.as_ref())),
        (_, false) => (quote!(&#ty), quote!(&self.#field)),
    };
    quote! {
        #doc
        pub fn #field(&self) -> #ret { #body }
    }
}

pub(super) fn enumeration(e: &EnumDef) -> TokenStream {
    let name = ident(&e.rust_name);
    let doc = doc_attr(e.doc.as_deref().unwrap_or("Values of an enumeration."));
    let variants = e.variants.iter().map(|(v, value, d)| {
        let v = ident(v);
        let doc = doc_attr(&match d {
            Some(d) => format!("`{value}`: {d}"),
            None => format!("`{value}`."),
        });
        quote!(#doc #v,)
    });
    let to_str = e.variants.iter().map(|(v, value, _)| {
        let v = ident(v);
        quote!(Self::#v => #value,)
    });
    let from_str = e.variants.iter().map(|(v, value, _)| {
        let v = ident(v);
        quote!(#value => Self::#v,)
    });
    let values = e.variants.iter().map(|(_, value, _)| value);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the library does not know, kept as it came.
            Unknown(String),
        }

        impl #name {
            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::Unknown(value) => value,
                }
            }
            /// Every value the API description names.
            pub fn values() -> &'static [&'static str] {
                &[#(#values),*]
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for #name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    }
}
