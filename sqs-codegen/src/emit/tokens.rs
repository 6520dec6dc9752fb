//! Small pieces every emitter uses: identifiers, doc attributes, Rust types of model types,
//! numbered locals.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::Ty;

pub(super) fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

pub(super) fn doc_attr(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| format!(" {}", l.trim_end()));
    quote!(#(#[doc = #lines])*)
}

pub(super) fn ty_tokens(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Blob => quote!(crate::codec::Blob),
        Ty::Bool => quote!(bool),
        Ty::Byte => quote!(i8),
        Ty::Short => quote!(i16),
        Ty::Int => quote!(i32),
        Ty::Long => quote!(i64),
        Ty::Float => quote!(f32),
        Ty::Double => quote!(f64),
        Ty::Enum(n) | Ty::Struct(n) => {
            let n = ident(n);
            quote!(#n)
        }
        Ty::List(l) => {
            let m = ty_tokens(&l.member);
            quote!(Vec<#m>)
        }
        Ty::Map(m) => {
            let (k, v) = (ty_tokens(&m.key), ty_tokens(&m.value));
            quote!(::std::collections::HashMap<#k, #v>)
        }
    }
}

pub(super) fn var(prefix: &str, depth: usize) -> Ident {
    Ident::new(&format!("{prefix}{depth}"), Span::call_site())
}

// ---------------------------------------------------------------------------------------------
// AWS Query serialization
