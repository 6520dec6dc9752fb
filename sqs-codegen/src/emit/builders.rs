//! A builder per structure, shaped as the official SDK's: every member optional while building,
//! a setter named like the member (appending to a list, inserting into a map), `set_*` taking
//! the whole `Option`, `get_*` reading it back, and `build()`, which returns a `Result` when the
//! structure has required members (naming the first one missing) and the structure itself
//! otherwise.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Member, Structure, Ty};

use super::tokens::{doc_attr, ident, ty_tokens};

/// Whether `build()` can fail: a required member without a default.
fn fallible(s: &Structure) -> bool {
    s.members.iter().any(|m| m.required && !m.has_default)
}

pub(super) fn builder(s: &Structure) -> TokenStream {
    let target = ident(&s.rust_name);
    let name = ident(&format!("{}Builder", s.rust_name));
    let doc = doc_attr(&format!(
        "Builds a [`{}`]: setters named like the members, then `build()`.",
        s.rust_name
    ));
    let fields = s.members.iter().map(|m| {
        let field = ident(&m.rust_name);
        let ty = ty_tokens(&m.ty);
        quote!(#field: Option<#ty>,)
    });
    let methods = s.members.iter().map(methods);
    let inits = s.members.iter().map(|m| {
        let field = ident(&m.rust_name);
        let path = format!("{}.{}", s.rust_name, m.rust_name.trim_start_matches("r#"));
        if m.optional() {
            quote!(#field: self.#field,)
        } else if m.has_default {
            quote!(#field: self.#field.unwrap_or_default(),)
        } else {
            quote! {
                #field: match self.#field {
                    Some(value) => value,
                    None => return Err(crate::codec::ValidationError::new(#path, crate::codec::ValidationProblem::Missing)),
                },
            }
        }
    });
    let build = if fallible(s) {
        let required: Vec<_> = s
            .members
            .iter()
            .filter(|m| m.required && !m.has_default)
            .map(|m| format!("`{}`", m.name))
            .collect();
        let doc = doc_attr(&format!(
            "The [`{}`]; an error naming the member when a required one ({}) was not set.",
            s.rust_name,
            required.join(", ")
        ));
        quote! {
            #doc
            pub fn build(self) -> Result<#target, crate::codec::ValidationError> {
                Ok(#target { #(#inits)* })
            }
        }
    } else {
        let doc = doc_attr(&format!("The [`{}`].", s.rust_name));
        quote! {
            #doc
            pub fn build(self) -> #target {
                #target { #(#inits)* }
            }
        }
    };
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Default)]
        #[must_use = "a builder does nothing until `build()` is called"]
        pub struct #name { #(#fields)* }

        impl #name {
            #(#methods)*
            #build
        }
    }
}

fn methods(m: &Member) -> TokenStream {
    let field = ident(&m.rust_name);
    let plain = m.rust_name.trim_start_matches("r#");
    let set = Ident::new(&format!("set_{plain}"), Span::call_site());
    let get = Ident::new(&format!("get_{plain}"), Span::call_site());
    let ty = ty_tokens(&m.ty);
    let name = &m.name;
    let one = setter_one(m, quote!(self.#field), true);
    let set_doc = doc_attr(&format!("Sets or clears `{name}` as a whole."));
    let get_doc = doc_attr(&format!("`{name}` as set so far."));
    quote! {
        #one
        #set_doc
        pub fn #set(mut self, value: Option<#ty>) -> Self { self.#field = value; self }
        #get_doc
        pub fn #get(&self) -> &Option<#ty> { &self.#field }
    }
}

/// The setter named like the member, storing into `target`: lists get one element appended,
/// maps one entry inserted, anything else the value. `optional`: `target` is an `Option` of the
/// member's type (a builder's field, an input's optional member) rather than the type itself (an
/// input's required member).
pub(super) fn setter_one(m: &Member, target: TokenStream, optional: bool) -> TokenStream {
    let field = ident(&m.rust_name);
    let name = &m.name;
    match &m.ty {
        Ty::List(l) => {
            let item = ty_tokens(&l.member);
            let doc = doc_attr(&format!("Appends one element to `{name}`."));
            let list = if optional {
                quote!(#target.get_or_insert_with(Vec::new))
            } else {
                target
            };
            quote! {
                #doc
                pub fn #field(mut self, item: impl Into<#item>) -> Self {
                    #list.push(item.into());
                    self
                }
            }
        }
        Ty::Map(mt) => {
            let (k, v) = (ty_tokens(&mt.key), ty_tokens(&mt.value));
            let doc = doc_attr(&format!("Sets one entry of `{name}`."));
            let map = if optional {
                quote!(#target.get_or_insert_with(::std::collections::HashMap::new))
            } else {
                target
            };
            quote! {
                #doc
                pub fn #field(mut self, key: impl Into<#k>, value: impl Into<#v>) -> Self {
                    #map.insert(key.into(), value.into());
                    self
                }
            }
        }
        ty => {
            let ty = ty_tokens(ty);
            let doc = doc_attr(&format!("Sets `{name}`."));
            let value = if optional {
                quote!(Some(value.into()))
            } else {
                quote!(value.into())
            };
            quote! {
                #doc
                pub fn #field(mut self, value: impl Into<#ty>) -> Self {
                    #target = #value;
                    self
                }
            }
        }
    }
}
