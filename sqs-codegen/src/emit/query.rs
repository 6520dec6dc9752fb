//! AWS Query serialization of request structures.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Structure, Ty};

use super::tokens::{ident, var};

pub(super) fn query_impl(s: &Structure) -> TokenStream {
    let name = ident(&s.rust_name);
    if s.members.is_empty() {
        return quote! {
            impl crate::codec::query::QuerySerialize for #name {
                fn write_query(&self, _w: &mut crate::codec::query::QueryWriter, _prefix: &str) {}
            }
        };
    }
    let members = s.members.iter().map(|m| {
        let field = ident(&m.rust_name);
        let (v, key) = (var("v", 0), var("key", 0));
        let key_fmt = format!("{{prefix}}{}", m.xml_name);
        let write = write_value(&m.ty, m.flattened, 0);
        if m.optional() {
            quote! {
                if let Some(#v) = &self.#field {
                    let #key = format!(#key_fmt);
                    #write
                }
            }
        } else {
            quote! {
                {
                    let #v = &self.#field;
                    let #key = format!(#key_fmt);
                    #write
                }
            }
        }
    });
    quote! {
        impl crate::codec::query::QuerySerialize for #name {
            fn write_query(&self, w: &mut crate::codec::query::QueryWriter, prefix: &str) {
                #(#members)*
            }
        }
    }
}

/// Writes the value `v{depth}` (a reference) under the key `key{depth}`.
pub(super) fn write_value(ty: &Ty, flattened: bool, depth: usize) -> TokenStream {
    let (v, key) = (var("v", depth), var("key", depth));
    match ty {
        Ty::String => quote!(w.push(&#key, #v);),
        Ty::Bool => quote!(w.push(&#key, if *#v { "true" } else { "false" });),
        Ty::Byte | Ty::Short | Ty::Int | Ty::Long | Ty::Float | Ty::Double => {
            quote!(w.push(&#key, &#v.to_string());)
        }
        Ty::Blob => quote!(w.push(&#key, &#v.to_base64());),
        Ty::Enum(_) => quote!(w.push(&#key, #v.as_str());),
        Ty::Struct(_) => {
            let nested = format!("{{{key}}}.");
            quote!(crate::codec::query::QuerySerialize::write_query(#v, w, &format!(#nested));)
        }
        Ty::List(l) => {
            let (iv, ikey, i) = (var("v", depth + 1), var("key", depth + 1), var("i", depth));
            let item_fmt = if flattened {
                format!("{{{key}}}.{{}}")
            } else {
                format!("{{{key}}}.{}.{{}}", l.member_xml_name)
            };
            let inner = write_value(&l.member, false, depth + 1);
            quote! {
                if #v.is_empty() {
                    w.push(&#key, "");
                }
                for (#i, #iv) in #v.iter().enumerate() {
                    let #ikey = format!(#item_fmt, #i + 1);
                    #inner
                }
            }
        }
        Ty::Map(mt) => {
            let i = var("i", depth);
            let entry = var("entry", depth);
            let (kv, kkey) = (var("v", depth + 1), var("key", depth + 1));
            let entry_fmt = if flattened {
                format!("{{{key}}}.{{}}")
            } else {
                format!("{{{key}}}.entry.{{}}")
            };
            let key_fmt = format!("{{{entry}}}.{}", mt.key_xml_name);
            let value_fmt = format!("{{{entry}}}.{}", mt.value_xml_name);
            let write_key = write_value(&mt.key, false, depth + 1);
            let write_val = write_value(&mt.value, false, depth + 1);
            let (mk, mv) = (var("k", depth), var("val", depth));
            quote! {
                for (#i, (#mk, #mv)) in crate::codec::query::sorted(#v).into_iter().enumerate() {
                    let #entry = format!(#entry_fmt, #i + 1);
                    {
                        let #kv = #mk;
                        let #kkey = format!(#key_fmt);
                        #write_key
                    }
                    {
                        let #kv = #mv;
                        let #kkey = format!(#value_fmt);
                        #write_val
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XML decoding
