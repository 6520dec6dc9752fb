//! Rust definitions: structures with serde attributes and builder-style setters, and enums with
//! an `Unknown` variant.

use proc_macro2::{Ident, Span, TokenStream};
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
    let setters = (!s.members.is_empty()).then(|| {
        let setters = s.members.iter().map(setter);
        quote!(impl #name { #(#setters)* })
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #default_derive serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct #name { #(#fields)* }

        #setters
    }
}

fn setter(m: &Member) -> TokenStream {
    let field = ident(&m.rust_name);
    let plain = m.rust_name.trim_start_matches("r#");
    let set = Ident::new(&format!("set_{plain}"), Span::call_site());
    let ty = ty_tokens(&m.ty);
    let full = field_ty(m);
    let name = &m.name;
    let set_doc = doc_attr(&format!("Replaces `{name}` as a whole."));
    let setter_all = quote! {
        #set_doc
        pub fn #set(mut self, value: #full) -> Self { self.#field = value; self }
    };
    let one = match (&m.ty, m.optional()) {
        (Ty::List(l), optional) => {
            let item = ty_tokens(&l.member);
            let doc = doc_attr(&format!("Appends one element to `{name}`."));
            let target = if optional {
                quote!(self.#field.get_or_insert_with(Vec::new))
            } else {
                quote!(self.#field)
            };
            quote! {
                #doc
                pub fn #field(mut self, item: impl Into<#item>) -> Self { #target.push(item.into()); self }
            }
        }
        (Ty::Map(mt), optional) => {
            let (k, v) = (ty_tokens(&mt.key), ty_tokens(&mt.value));
            let doc = doc_attr(&format!("Sets one entry of `{name}`."));
            let target = if optional {
                quote!(self.#field.get_or_insert_with(::std::collections::HashMap::new))
            } else {
                quote!(self.#field)
            };
            quote! {
                #doc
                pub fn #field(mut self, key: impl Into<#k>, value: impl Into<#v>) -> Self {
                    #target.insert(key.into(), value.into());
                    self
                }
            }
        }
        (_, true) => {
            let doc = doc_attr(&format!("Sets `{name}`."));
            quote! {
                #doc
                pub fn #field(mut self, value: impl Into<#ty>) -> Self { self.#field = Some(value.into()); self }
            }
        }
        (_, false) => {
            let doc = doc_attr(&format!("Sets `{name}`."));
            quote! {
                #doc
                pub fn #field(mut self, value: impl Into<#ty>) -> Self { self.#field = value.into(); self }
            }
        }
    };
    quote!(#one #setter_all)
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
