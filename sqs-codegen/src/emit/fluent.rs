//! Fluent builders on the client (`client.send_message().queue_url(..).send().await`), with the
//! official SDK's setters: one named like each member, `set_*` taking the whole `Option`, and
//! `get_*` reading back what was set.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Service, snake_case};

use super::defs::field_ty;
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
            let plain = m.rust_name.trim_start_matches("r#");
            let set = Ident::new(&format!("set_{plain}"), Span::call_site());
            let get = Ident::new(&format!("get_{plain}"), Span::call_site());
            let ty = ty_tokens(&m.ty);
            let full = field_ty(m);
            let name = &m.name;
            let one = super::builders::setter_one(m, quote!(self.input.#field), m.optional());
            let (set_doc, set_body) = if m.optional() {
                (format!("Sets or clears `{name}` as a whole."), quote!(value))
            } else {
                (
                    format!("Sets `{name}` as a whole (`None` leaves it empty, which the service refuses)."),
                    quote!(value.unwrap_or_default()),
                )
            };
            let set_doc = doc_attr(&set_doc);
            let get_doc = doc_attr(&format!("`{name}` as set so far."));
            quote! {
                #one
                #set_doc
                pub fn #set(mut self, value: Option<#ty>) -> Self {
                    self.input.#field = #set_body;
                    self
                }
                #get_doc
                pub fn #get(&self) -> &#full {
                    &self.input.#field
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
