//! Per-structure codec implementations: AWS Query serialization, XML decoding, validation.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use super::{ident, pattern, ty_tokens};
use crate::Error;
use crate::ir::{Constraints, Member, Service, Structure, Ty};

fn var(prefix: &str, depth: usize) -> Ident {
    Ident::new(&format!("{prefix}{depth}"), Span::call_site())
}

// ---------------------------------------------------------------------------------------------
// AWS Query serialization

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
fn write_value(ty: &Ty, flattened: bool, depth: usize) -> TokenStream {
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
fn store_member(m: &Member, local: &Ident) -> TokenStream {
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
fn read_value(ty: &Ty, node: TokenStream, depth: usize) -> TokenStream {
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

/// Structures whose values carry limits, directly or in nested members.
pub(super) fn needing_validation(svc: &Service) -> BTreeSet<String> {
    fn checks(ty: &Ty, c: &Constraints, needs: &BTreeSet<String>) -> bool {
        !c.is_empty()
            || match ty {
                Ty::List(l) => checks(&l.member, &l.member_constraints, needs),
                Ty::Map(m) => {
                    checks(&m.key, &m.key_constraints, needs)
                        || checks(&m.value, &m.value_constraints, needs)
                }
                Ty::Struct(n) => needs.contains(n),
                _ => false,
            }
    }
    // Grow the set until nothing changes (handles nesting in any order, and cycles).
    let mut needs = BTreeSet::new();
    loop {
        let before = needs.len();
        for s in svc.structures.values() {
            if s.members
                .iter()
                .any(|m| checks(&m.ty, &m.constraints, &needs))
            {
                needs.insert(s.rust_name.clone());
            }
        }
        if needs.len() == before {
            return needs;
        }
    }
}

pub(super) fn validate_impl(s: &Structure, needs: &BTreeSet<String>) -> Result<TokenStream, Error> {
    let name = ident(&s.rust_name);
    let mut body = Vec::new();
    for m in &s.members {
        let field = ident(&m.rust_name);
        let plain = m.rust_name.trim_start_matches("r#").to_owned();
        let checks = check_value(
            &m.ty,
            &m.constraints,
            needs,
            0,
            &format!("{}${}", s.shape_name, m.name),
        )?;
        if checks.is_empty() {
            continue;
        }
        let (v, p) = (var("v", 0), var("p", 0));
        let bind = quote!(let #p = path.field(#plain););
        body.push(if m.optional() {
            quote! { if let Some(#v) = &self.#field { #bind #checks } }
        } else {
            quote! { { let #v = &self.#field; #bind #checks } }
        });
    }
    Ok(quote! {
        impl crate::codec::validate::Validate for #name {
            fn validate_at(&self, path: &crate::codec::validate::Path<'_>) -> Result<(), crate::codec::ValidationError> {
                #(#body)*
                Ok(())
            }
        }
    })
}

fn opt(v: Option<Literal>) -> TokenStream {
    match v {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

/// Checks of the value `v{depth}` (a reference) at path `p{depth}`; empty when there are none.
fn check_value(
    ty: &Ty,
    c: &Constraints,
    needs: &BTreeSet<String>,
    depth: usize,
    at: &str,
) -> Result<TokenStream, Error> {
    let (v, p) = (var("v", depth), var("p", depth));
    let mut out = TokenStream::new();
    if let Some((min, max)) = c.length {
        let (min, max) = (
            opt(min.map(Literal::u64_unsuffixed)),
            opt(max.map(Literal::u64_unsuffixed)),
        );
        out.extend(match ty {
            Ty::String => quote!(crate::codec::validate::text_length(#v, #min, #max, &#p)?;),
            Ty::Blob => quote! {
                crate::codec::validate::count(#v.as_bytes().len(), crate::codec::LengthUnit::Bytes, #min, #max, &#p)?;
            },
            Ty::List(_) | Ty::Map(_) => quote! {
                crate::codec::validate::count(#v.len(), crate::codec::LengthUnit::Entries, #min, #max, &#p)?;
            },
            _ => return Err(Error::model(format!("{at}: @length does not apply to this type"))),
        });
    }
    if let Some((min, max)) = c.range {
        let (min, max) = (
            opt(min.map(Literal::i64_unsuffixed)),
            opt(max.map(Literal::i64_unsuffixed)),
        );
        out.extend(match ty {
            Ty::Byte | Ty::Short | Ty::Int | Ty::Long => {
                quote!(crate::codec::validate::range(i64::from(*#v), #min, #max, &#p)?;)
            }
            _ => {
                return Err(Error::model(format!(
                    "{at}: @range is only supported on integer types"
                )));
            }
        });
    }
    if let Some(source) = &c.pattern {
        if !matches!(ty, Ty::String) {
            return Err(Error::model(format!(
                "{at}: @pattern only applies to strings"
            )));
        }
        let compiled = pattern::compile(source).map_err(|e| Error::model(format!("{at}: {e}")))?;
        let predicate = compiled.predicate();
        let non_empty = compiled.non_empty;
        let suffix = match &compiled.optional_suffix {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        out.extend(quote! {
            crate::codec::validate::pattern(#v, #predicate, #non_empty, #suffix, #source, &#p)?;
        });
    }
    let (iv, ip) = (var("v", depth + 1), var("p", depth + 1));
    match ty {
        Ty::List(l) => {
            let inner = check_value(
                &l.member,
                &l.member_constraints,
                needs,
                depth + 1,
                &format!("{at}[]"),
            )?;
            if !inner.is_empty() {
                let i = var("i", depth);
                out.extend(quote! {
                    for (#i, #iv) in #v.iter().enumerate() {
                        let #ip = #p.index(#i);
                        #inner
                    }
                });
            }
        }
        Ty::Map(m) => {
            let key_checks = check_value(
                &m.key,
                &m.key_constraints,
                needs,
                depth + 1,
                &format!("{at}{{key}}"),
            )?;
            let value_checks = check_value(
                &m.value,
                &m.value_constraints,
                needs,
                depth + 1,
                &format!("{at}{{value}}"),
            )?;
            if !key_checks.is_empty() || !value_checks.is_empty() {
                let (k, val) = (var("k", depth), var("val", depth));
                let key_block =
                    (!key_checks.is_empty()).then(|| quote!({ let #iv = #k; #key_checks }));
                let value_block =
                    (!value_checks.is_empty()).then(|| quote!({ let #iv = #val; #value_checks }));
                let valpat = if value_block.is_some() {
                    quote!(#val)
                } else {
                    quote!(_)
                };
                out.extend(quote! {
                    for (#k, #valpat) in #v.iter() {
                        let #ip = #p.key(#k.as_str());
                        #key_block
                        #value_block
                    }
                });
            }
        }
        Ty::Struct(n) if needs.contains(n) => {
            out.extend(quote!(crate::codec::validate::Validate::validate_at(#v, &#p)?;));
        }
        _ => {}
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The service side (compiled with sqs-client's `server` feature): Query forms in, XML out.

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
        impl crate::codec::serve::FromForm for #name {
            fn from_form(#form: &crate::codec::serve::Form, #prefix: &str) -> Result<Self, crate::codec::serve::RequestError> {
                #(#reads)*
                Ok(Self { #(#fields)* })
            }
        }
    }
}

/// An expression of type `crate::codec::serve::Reader<T>` for values of type `ty`.
fn form_reader(ty: &Ty, flattened: bool) -> TokenStream {
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
        impl crate::codec::serve::ToXml for #name {
            fn write_xml(&self, #w: &mut crate::codec::serve::XmlWriter) {
                #(#members)*
            }
        }
    }
}

/// Writes the value `v{depth}` (a reference) as element(s) named `name`.
fn xml_write(ty: &Ty, name: &str, flattened: bool, depth: usize) -> TokenStream {
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
