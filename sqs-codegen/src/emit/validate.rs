//! `validate()` of request structures, from `@length`, `@range` and `@pattern`.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::Error;
use crate::ir::{Constraints, Service, Structure, Ty};

use super::pattern;
use super::tokens::{ident, var};

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

pub(super) fn opt(v: Option<Literal>) -> TokenStream {
    match v {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

/// Checks of the value `v{depth}` (a reference) at path `p{depth}`; empty when there are none.
pub(super) fn check_value(
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
