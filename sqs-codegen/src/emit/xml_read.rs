//! XML decoding of response structures (AWS Query answers).

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Member, Service, Structure, Ty};

use super::tokens::{ident, ty_tokens, var};

pub(super) fn xml_impl(s: &Structure, svc: &Service) -> TokenStream {
    let name = ident(&s.rust_name);
    if s.members.is_empty() {
        return quote! {
            impl crate::codec::xml::FromXml for #name {
                fn from_xml(_node: &crate::codec::xml::XmlNode) -> Result<Self, crate::codec::DecodeError> {
                    Ok(Self {})
                }
            }
        };
    }
    let local = |m: &Member| {
        Ident::new(
            &format!("m_{}", m.rust_name.trim_start_matches("r#")),
            Span::call_site(),
        )
    };
    let decls = s.members.iter().map(|m| {
        let l = local(m);
        let ty = ty_tokens(&m.ty);
        quote!(let mut #l: Option<#ty> = None;)
    });
    // Members sharing an element name all take the value.
    let mut by_name: BTreeMap<&str, Vec<&Member>> = BTreeMap::new();
    for m in &s.members {
        by_name.entry(m.xml_name.as_str()).or_default().push(m);
    }
    let arms: Vec<_> = by_name
        .iter()
        .map(|(xml_name, members)| {
            let stores = members.iter().map(|m| {
                let l = local(m);
                store_member(m, &l)
            });
            (*xml_name, quote!(#(#stores)*))
        })
        .collect();
    let dispatch = match arms.as_slice() {
        [(xml_name, store)] => quote! {
            if child.name() == #xml_name { #store }
        },
        _ => {
            let arms = arms
                .iter()
                .map(|(xml_name, store)| quote!(#xml_name => { #store }));
            quote! {
                match child.name() {
                    #(#arms)*
                    _ => {}
                }
            }
        }
    };
    let shape = &s.shape_name;
    let fields = s.members.iter().map(|m| {
        let field = ident(&m.rust_name);
        let l = local(m);
        if m.optional() {
            quote!(#field: #l,)
        } else if m.ty.has_default(&svc.structures) {
            quote!(#field: #l.unwrap_or_default(),)
        } else {
            let missing = format!("<{shape}> has no <{}>", m.xml_name);
            quote!(#field: #l.ok_or_else(|| crate::codec::DecodeError::new(#missing))?,)
        }
    });
    quote! {
        impl crate::codec::xml::FromXml for #name {
            fn from_xml(node: &crate::codec::xml::XmlNode) -> Result<Self, crate::codec::DecodeError> {
                #(#decls)*
                for child in node.children() {
                    #dispatch
                }
                Ok(Self { #(#fields)* })
            }
        }
    }
}

/// Stores what the element `child` says about member `m` into its local.
pub(super) fn store_member(m: &Member, local: &Ident) -> TokenStream {
    match (&m.ty, m.flattened) {
        (Ty::List(l), true) => {
            let read = read_value(&l.member, quote!(child), 0);
            quote!(#local.get_or_insert_with(Vec::new).push(#read?);)
        }
        (Ty::List(l), false) => {
            let item_name = &l.member_xml_name;
            let read = read_value(&l.member, quote!(item), 0);
            quote! {
                let list = #local.get_or_insert_with(Vec::new);
                for item in child.children_named(#item_name) {
                    list.push(#read?);
                }
            }
        }
        (Ty::Map(mt), flattened) => {
            let (kn, vn) = (&mt.key_xml_name, &mt.value_xml_name);
            let read_k = read_value(
                &mt.key,
                quote!(crate::codec::xml::required_child(entry, #kn)?),
                0,
            );
            let read_v = read_value(
                &mt.value,
                quote!(crate::codec::xml::required_child(entry, #vn)?),
                0,
            );
            let insert = quote! {
                let key = #read_k?;
                let value = #read_v?;
                #local.get_or_insert_with(::std::collections::HashMap::new).insert(key, value);
            };
            if flattened {
                quote! { let entry = child; #insert }
            } else {
                quote! {
                    for entry in child.children_named("entry") { #insert }
                }
            }
        }
        (ty, _) => {
            let read = read_value(ty, quote!(child), 0);
            quote!(#local = Some(#read?);)
        }
    }
}

/// An expression of type `Result<T, DecodeError>` reading `node` (an `&XmlNode`) as `ty`.
pub(super) fn read_value(ty: &Ty, node: TokenStream, depth: usize) -> TokenStream {
    match ty {
        Ty::String => quote!(crate::codec::xml::string(#node)),
        Ty::Bool => quote!(crate::codec::xml::boolean(#node)),
        Ty::Byte => quote!(crate::codec::xml::number::<i8>(#node)),
        Ty::Short => quote!(crate::codec::xml::number::<i16>(#node)),
        Ty::Int => quote!(crate::codec::xml::number::<i32>(#node)),
        Ty::Long => quote!(crate::codec::xml::number::<i64>(#node)),
        Ty::Float => quote!(crate::codec::xml::number::<f32>(#node)),
        Ty::Double => quote!(crate::codec::xml::number::<f64>(#node)),
        Ty::Blob => quote!(crate::codec::xml::blob(#node)),
        Ty::Enum(name) => {
            let name = ident(name);
            quote!(Ok::<_, crate::codec::DecodeError>(#name::from((#node).text())))
        }
        Ty::Struct(name) => {
            let name = ident(name);
            quote!(<#name as crate::codec::xml::FromXml>::from_xml(#node))
        }
        Ty::List(l) => {
            let (n, item, out) = (var("n", depth), var("item", depth), var("out", depth));
            let member_name = &l.member_xml_name;
            let read = read_value(&l.member, quote!(#item), depth + 1);
            quote! {{
                let #n = #node;
                let mut #out = Vec::new();
                for #item in #n.children_named(#member_name) {
                    #out.push(#read?);
                }
                Ok::<_, crate::codec::DecodeError>(#out)
            }}
        }
        Ty::Map(mt) => {
            let (n, entry, out) = (var("n", depth), var("entry", depth), var("out", depth));
            let (kn, vn) = (&mt.key_xml_name, &mt.value_xml_name);
            let read_k = read_value(
                &mt.key,
                quote!(crate::codec::xml::required_child(#entry, #kn)?),
                depth + 1,
            );
            let read_v = read_value(
                &mt.value,
                quote!(crate::codec::xml::required_child(#entry, #vn)?),
                depth + 1,
            );
            quote! {{
                let #n = #node;
                let mut #out = ::std::collections::HashMap::new();
                for #entry in #n.children_named("entry") {
                    #out.insert(#read_k?, #read_v?);
                }
                Ok::<_, crate::codec::DecodeError>(#out)
            }}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
