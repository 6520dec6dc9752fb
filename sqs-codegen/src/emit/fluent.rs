//! Fluent builders on the client (`client.send_message().queue_url(..).send().await`), each
//! setter forwarding to the input's own setter, so the input type stays the one source of truth.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Service, Ty, snake_case};

use super::tokens::{doc_attr, ident, ty_tokens};

pub(super) fn fluent(svc: &Service) -> TokenStream {
    let mut out = TokenStream::new();
    let mut entry_points = TokenStream::new();
    for op in &svc.operations {
        let input = ident(&op.input);
        let method = Ident::new(&snake_case(&op.name), Span::call_site());
        let doc = doc_attr(&format!(
            "{} Returns a request to fill in and `send()`.",
            op.doc.as_deref().unwrap_or(&op.name)
        ));
        entry_points.extend(quote! {
            #doc
            pub fn #method(&self) -> crate::client::Request<#input> {
                crate::client::Request::new(self.clone(), #input::default())
            }
        });
        let Some(s) = svc.structures.get(&op.input) else {
            continue;
        };
        let setters = s.members.iter().map(|m| {
            let field = ident(&m.rust_name);
            let set = Ident::new(&format!("set_{}", m.rust_name.trim_start_matches("r#")), Span::call_site());
            let full = {
                let ty = ty_tokens(&m.ty);
                if m.optional() { quote!(Option<#ty>) } else { ty }
            };
            let name = &m.name;
            let (one_doc, one) = match &m.ty {
                Ty::List(l) => {
                    let item = ty_tokens(&l.member);
                    (
                        format!("Appends one element to `{name}`."),
                        quote!(pub fn #field(mut self, item: impl Into<#item>) -> Self {
                            self.input = self.input.#field(item);
                            self
                        }),
                    )
                }
                Ty::Map(mt) => {
                    let (k, v) = (ty_tokens(&mt.key), ty_tokens(&mt.value));
                    (
                        format!("Sets one entry of `{name}`."),
                        quote!(pub fn #field(mut self, key: impl Into<#k>, value: impl Into<#v>) -> Self {
                            self.input = self.input.#field(key, value);
                            self
                        }),
                    )
                }
                ty => {
                    let ty = ty_tokens(ty);
                    (
                        format!("Sets `{name}`."),
                        quote!(pub fn #field(mut self, value: impl Into<#ty>) -> Self {
                            self.input = self.input.#field(value);
                            self
                        }),
                    )
                }
            };
            let one_doc = doc_attr(&one_doc);
            let set_doc = doc_attr(&format!("Replaces `{name}` as a whole."));
            quote! {
                #one_doc
                #one
                #set_doc
                pub fn #set(mut self, value: #full) -> Self {
                    self.input = self.input.#set(value);
                    self
                }
            }
        });
        out.extend(quote! {
            impl<E> crate::client::Request<#input, E> { #(#setters)* }
        });
    }
    quote! {
        #[allow(unused_imports)]
        use crate::operation::*;
        #[allow(unused_imports)]
        use crate::types::*;

        impl crate::Client { #entry_points }

        #out
    }
}
