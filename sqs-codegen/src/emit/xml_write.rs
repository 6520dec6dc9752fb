//! The service side of AWS Query: response structures written as XML.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Structure, Ty};

use super::tokens::{ident, var};

/// `ToXml` for a structure that appears in responses.
pub(super) fn to_xml_impl(s: &Structure) -> TokenStream {
    let name = ident(&s.rust_name);
    let members = s.members.iter().map(|m| {
        let field = ident(&m.rust_name);
        let v = var("v", 0);
        let write = xml_write(&m.ty, &m.xml_name, m.flattened, 0);
        if m.optional() {
            quote!(if let Some(#v) = &self.#field { #write })
        } else {
            quote!({ let #v = &self.#field; #write })
        }
    });
    let w = if s.members.is_empty() {
        quote!(_w)
    } else {
        quote!(w)
    };
    quote! {
        #[cfg(feature = "server")]
        impl crate::codec::serve::ToXml for #name {
            fn write_xml(&self, #w: &mut crate::codec::serve::XmlWriter) {
                #(#members)*
            }
        }
    }
}

/// Writes the value `v{depth}` (a reference) as element(s) named `name`.
pub(super) fn xml_write(ty: &Ty, name: &str, flattened: bool, depth: usize) -> TokenStream {
    let v = var("v", depth);
    let iv = var("v", depth + 1);
    match ty {
        Ty::String => quote!(w.text(#name, #v);),
        Ty::Bool => quote!(w.text(#name, if *#v { "true" } else { "false" });),
        Ty::Byte | Ty::Short | Ty::Int | Ty::Long | Ty::Float | Ty::Double => {
            quote!(w.text(#name, &#v.to_string());)
        }
        Ty::Blob => quote!(w.text(#name, &#v.to_base64());),
        Ty::Enum(_) => quote!(w.text(#name, #v.as_str());),
        Ty::Struct(_) => quote! {
            w.start(#name);
            crate::codec::serve::ToXml::write_xml(#v, w);
            w.end(#name);
        },
        Ty::List(l) => {
            if flattened {
                let item = xml_write(&l.member, name, false, depth + 1);
                quote!(for #iv in #v.iter() { #item })
            } else {
                let item = xml_write(&l.member, &l.member_xml_name, false, depth + 1);
                quote! {
                    w.start(#name);
                    for #iv in #v.iter() { #item }
                    w.end(#name);
                }
            }
        }
        Ty::Map(mt) => {
            let (k, val) = (var("k", depth), var("val", depth));
            let write_k = xml_write(&mt.key, &mt.key_xml_name, false, depth + 1);
            let write_v = xml_write(&mt.value, &mt.value_xml_name, false, depth + 1);
            let entry = if flattened { name } else { "entry" };
            let entries = quote! {
                for (#k, #val) in crate::codec::query::sorted(#v) {
                    w.start(#entry);
                    { let #iv = #k; #write_k }
                    { let #iv = #val; #write_v }
                    w.end(#entry);
                }
            };
            if flattened {
                entries
            } else {
                quote! { w.start(#name); #entries w.end(#name); }
            }
        }
    }
}
