//! `Operation` for each input: its wire names, codecs, hooks, and pagination.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::Error;
use crate::ir::{Operation, Service, Ty};

use super::tokens::{ident, ty_tokens};

pub(super) fn operation_impl(
    op: &Operation,
    svc: &Service,
    validates: bool,
) -> Result<TokenStream, Error> {
    let input = ident(&op.input);
    let output = ident(&op.output);
    let name = &op.name;
    let target = format!("{}.{}", svc.name, op.name);
    let errors = &op.errors;
    let result_element = format!("{}Result", op.name);
    let validate = if validates {
        let root = &op.input;
        quote!(crate::codec::validate::Validate::validate_at(self, &crate::codec::validate::Path::Root(#root)))
    } else {
        quote!(Ok(()))
    };
    let queue_url = svc.structures.get(&op.input).and_then(|s| {
        s.members
            .iter()
            .find(|m| m.name == "QueueUrl" && m.ty == Ty::String)
    });
    let queue_url = queue_url.map(|m| {
        let field = ident(&m.rust_name);
        if m.optional() {
            quote!(fn queue_url(&self) -> Option<&str> { self.#field.as_deref() })
        } else {
            quote!(fn queue_url(&self) -> Option<&str> { Some(&self.#field) })
        }
    });
    let idempotent = op.idempotent.then(|| {
        quote!(
            const IDEMPOTENT: bool = true;
        )
    });
    let hooks = hooks(op, svc)?;
    let mut out = quote! {
        impl crate::codec::sealed::Sealed for #input {}
        impl crate::codec::Operation for #input {
            type Output = #output;
            const NAME: &'static str = #name;
            #idempotent
            const TARGET: &'static str = #target;
            const MODELED_ERRORS: &'static [&'static str] = &[#(#errors),*];

            fn validate(&self) -> Result<(), crate::codec::ValidationError> {
                #validate
            }
            fn to_json(&self) -> Result<Vec<u8>, crate::codec::EncodeError> {
                crate::codec::json::encode(self)
            }
            fn to_query(&self) -> String {
                let mut w = crate::codec::query::QueryWriter::new(Self::NAME, super::API_VERSION);
                crate::codec::query::QuerySerialize::write_query(self, &mut w, "");
                w.finish()
            }
            fn output_from_json(body: &[u8]) -> Result<Self::Output, crate::codec::DecodeError> {
                crate::codec::json::decode(body)
            }
            fn output_from_xml(body: &[u8]) -> Result<Self::Output, crate::codec::DecodeError> {
                crate::codec::xml::decode_result(body, #result_element)
            }
            #queue_url
            #hooks
        }
    };
    let namespace = match svc.xml_namespace {
        Some(_) => quote!(Some(super::XML_NAMESPACE)),
        None => quote!(None),
    };
    let fill_digests = op.hooks.fill_digests.as_ref().map(|f| {
        let f = Ident::new(f, Span::call_site());
        quote! {
            fn fill_digests(&self, output: &mut Self::Output) {
                crate::checks::#f(self, output)
            }
        }
    });
    out.extend(quote! {
        #[cfg(feature = "server")]
        impl crate::codec::serve::Served for #input {
            fn from_json(body: &[u8]) -> Result<Self, crate::codec::serve::RequestError> {
                crate::codec::serve::json_request(body)
            }
            fn from_form(form: &crate::codec::serve::Form) -> Result<Self, crate::codec::serve::RequestError> {
                crate::codec::serve::FromForm::from_form(form, "")
            }
            fn output_to_json(output: &Self::Output) -> Vec<u8> {
                crate::codec::serve::json_response(output)
            }
            fn output_to_xml(output: &Self::Output, request_id: &str) -> String {
                crate::codec::serve::xml_response(<Self as crate::codec::Operation>::NAME, output, #namespace, request_id)
            }
            #fill_digests
        }
    });
    if let Some(p) = &op.paginated {
        out.extend(paginated_impl(op, p, svc)?);
    }
    Ok(out)
}

/// The `Operation` hooks the description names for an operation: calls into the model crate's
/// hand-written `checks`, and the long poll read from its input.
pub(super) fn hooks(op: &Operation, svc: &Service) -> Result<TokenStream, Error> {
    let mut out = TokenStream::new();
    let name = |f: &String| Ident::new(f, Span::call_site());
    if let Some(f) = op.hooks.check.as_ref().map(name) {
        out.extend(quote! {
            fn check(&self, limits: &crate::codec::Limits) -> Result<(), crate::codec::ValidationError> {
                crate::checks::#f(self, limits)
            }
        });
    }
    if let Some(f) = op.hooks.sent_digests.as_ref().map(name) {
        out.extend(quote! {
            fn sent_digests(&self) -> Vec<[u8; 16]> {
                crate::checks::#f(self)
            }
        });
    }
    if let Some(f) = op.hooks.verify.as_ref().map(name) {
        out.extend(quote! {
            fn verify(&self, sent: &[[u8; 16]], output: &mut Self::Output) -> Result<(), String> {
                crate::checks::#f(self, sent, output)
            }
        });
    }
    if let Some(f) = op.hooks.complete.as_ref().map(name) {
        out.extend(quote! {
            fn complete(&self, output: &mut Self::Output) -> Result<(), String> {
                crate::checks::#f(self, output)
            }
        });
    }
    if let Some(poll) = &op.long_poll {
        let member = svc
            .structures
            .get(&op.input)
            .and_then(|s| s.members.iter().find(|m| m.name == poll.wait_member))
            .filter(|m| matches!(m.ty, Ty::Int | Ty::Long | Ty::Short | Ty::Byte))
            .ok_or_else(|| {
                Error::model(format!(
                    "{}: @longPoll names {}, which is not an integer member of the input",
                    op.name, poll.wait_member
                ))
            })?;
        let field = ident(&member.rust_name);
        let absent = poll.when_absent;
        let seconds = if member.optional() {
            quote!(self.#field.map_or(#absent, |s| u64::try_from(s).unwrap_or(0)))
        } else {
            quote!(u64::try_from(self.#field).unwrap_or(0))
        };
        out.extend(quote! {
            fn long_poll(&self) -> Option<::std::time::Duration> {
                Some(::std::time::Duration::from_secs(#seconds))
            }
        });
    }
    Ok(out)
}

pub(super) fn paginated_impl(
    op: &Operation,
    p: &crate::ir::Pagination,
    svc: &Service,
) -> Result<TokenStream, Error> {
    let find = |structure: &str, member: &str| {
        svc.structures
            .get(structure)
            .and_then(|s| s.members.iter().find(|m| m.name == member))
            .ok_or_else(|| {
                Error::model(format!(
                    "{}: @paginated names {member}, which {structure} lacks",
                    op.name
                ))
            })
    };
    let in_token = find(&op.input, &p.input_token)?;
    let out_token = find(&op.output, &p.output_token)?;
    let items = find(&op.output, &p.items)?;
    if !(in_token.optional()
        && in_token.ty == Ty::String
        && out_token.optional()
        && out_token.ty == Ty::String)
    {
        return Err(Error::model(format!(
            "{}: pagination tokens must be optional strings",
            op.name
        )));
    }
    let Ty::List(list) = &items.ty else {
        return Err(Error::model(format!(
            "{}: paginated items must be a list",
            op.name
        )));
    };
    let item_ty = ty_tokens(&list.member);
    let (input, in_field, out_field, items_field) = (
        ident(&op.input),
        ident(&in_token.rust_name),
        ident(&out_token.rust_name),
        ident(&items.rust_name),
    );
    let take_items = if items.optional() {
        quote!(output.#items_field.unwrap_or_default())
    } else {
        quote!(output.#items_field)
    };
    Ok(quote! {
        impl crate::codec::Paginated for #input {
            type Item = #item_ty;
            fn set_next_token(&mut self, token: Option<String>) {
                self.#in_field = token;
            }
            fn next_token(output: &Self::Output) -> Option<&str> {
                output.#out_field.as_deref()
            }
            fn into_items(output: Self::Output) -> Vec<Self::Item> {
                #take_items
            }
        }
    })
}
