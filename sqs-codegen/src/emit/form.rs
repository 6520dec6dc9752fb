//! The service side of AWS Query: request structures read from a form.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Service, Structure, Ty};

use super::tokens::{ident, ty_tokens};

/// `FromForm` for a structure that appears in requests.
pub(super) fn from_form_impl(s: &Structure, svc: &Service) -> TokenStream {
    let name = ident(&s.rust_name);
    let reads = s.members.iter().map(|m| {
        let l = Ident::new(
            &format!("m_{}", m.rust_name.trim_start_matches("r#")),
            Span::call_site(),
        );
        let key_fmt = format!("{{prefix}}{}", m.xml_name);
        let reader = form_reader(&m.ty, m.flattened);
        quote! {
            let key = format!(#key_fmt);
            let #l = (#reader)(form, &key)?;
        }
    });
    let fields = s.members.iter().map(|m| {
        let field = ident(&m.rust_name);
        let l = Ident::new(
            &format!("m_{}", m.rust_name.trim_start_matches("r#")),
            Span::call_site(),
        );
        if m.optional() {
            quote!(#field: #l,)
        } else if (m.has_default || matches!(m.ty, Ty::List(_) | Ty::Map(_)))
            && m.ty.has_default(&svc.structures)
        {
            // A Query form cannot tell an absent list or map from an empty one.
            quote!(#field: #l.unwrap_or_default(),)
        } else {
            let key_fmt = format!("{{prefix}}{}", m.xml_name);
            quote!(#field: crate::codec::serve::required(#l, &format!(#key_fmt))?,)
        }
    });
    let (form, prefix) = if s.members.is_empty() {
        (quote!(_form), quote!(_prefix))
    } else {
        (quote!(form), quote!(prefix))
    };
    quote! {
        #[cfg(feature = "server")]
        impl crate::codec::serve::FromForm for #name {
            fn from_form(#form: &crate::codec::serve::Form, #prefix: &str) -> Result<Self, crate::codec::serve::RequestError> {
                #(#reads)*
                Ok(Self { #(#fields)* })
            }
        }
    }
}

/// An expression of type `crate::codec::serve::Reader<T>` for values of type `ty`.
pub(super) fn form_reader(ty: &Ty, flattened: bool) -> TokenStream {
    match ty {
        Ty::String => quote!(crate::codec::serve::string),
        Ty::Bool => quote!(crate::codec::serve::boolean),
        Ty::Byte | Ty::Short | Ty::Int | Ty::Long | Ty::Float | Ty::Double => {
            let t = ty_tokens(ty);
            quote!(crate::codec::serve::number::<#t>)
        }
        Ty::Blob => quote!(crate::codec::serve::blob),
        Ty::Enum(n) => {
            let n = ident(n);
            quote!(crate::codec::serve::enumeration::<#n>)
        }
        Ty::Struct(n) => {
            let n = ident(n);
            quote!(crate::codec::serve::structure::<#n>)
        }
        Ty::List(l) => {
            let member = if flattened {
                quote!(None)
            } else {
                let m = &l.member_xml_name;
                quote!(Some(#m))
            };
            let inner = form_reader(&l.member, false);
            let t = ty_tokens(ty);
            quote! {
                (|f: &crate::codec::serve::Form, k: &str| crate::codec::serve::list(f, k, #member, #inner))
                    as crate::codec::serve::Reader<#t>
            }
        }
        Ty::Map(mt) => {
            let (kn, vn) = (&mt.key_xml_name, &mt.value_xml_name);
            let (rk, rv) = (form_reader(&mt.key, false), form_reader(&mt.value, false));
            let t = ty_tokens(ty);
            quote! {
                (|f: &crate::codec::serve::Form, k: &str| {
                    crate::codec::serve::map(f, k, #flattened, (#kn, #vn), #rk, #rv)
                }) as crate::codec::serve::Reader<#t>
            }
        }
    }
}
