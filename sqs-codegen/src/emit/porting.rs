//! What code written for the official SDK reaches by path and name: a module per operation
//! (`operation::send_message::{SendMessageInput, SendMessageOutput, SendMessageError,
//! builders::SendMessageFluentBuilder}`) and a predicate per modeled error on the client's error
//! (`err.is_queue_does_not_exist()`).

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Service, snake_case};

use super::tokens::{doc_attr, ident};

/// The client's `operation` module: every input and output, and one module per operation.
pub(super) fn operation_modules(svc: &Service) -> TokenStream {
    let modules = svc.operations.iter().map(|op| {
        let module = Ident::new(&snake_case(&op.name), Span::call_site());
        let input = ident(&op.input);
        let output = ident(&op.output);
        let input_builder = ident(&format!("{}Builder", op.input));
        let output_builder = ident(&format!("{}Builder", op.output));
        let error = ident(&format!("{}Error", op.name));
        let fluent = ident(&format!("{}FluentBuilder", op.name));
        let doc = doc_attr(&format!(
            "{}: its input and output, its error, and their builders.",
            op.name
        ));
        let error_doc = doc_attr(&format!(
            "What a failed {} returns: the client's one error type, with a predicate per modeled error.",
            op.name
        ));
        let fluent_doc = doc_attr(&format!(
            "The request `client.{}()` returns.",
            snake_case(&op.name)
        ));
        quote! {
            #doc
            pub mod #module {
                pub use sqs_model::operation::{#input, #output};
                #error_doc
                pub type #error = crate::Error;
                /// The builders of this operation's input, output and request.
                pub mod builders {
                    pub use sqs_model::operation::{#input_builder, #output_builder};
                    #fluent_doc
                    pub type #fluent = crate::Request<sqs_model::operation::#input>;
                }
            }
        }
    });
    quote! {
        pub use sqs_model::operation::*;
        #(#modules)*
    }
}

/// `is_<error>()` on the client's error for every modeled error.
pub(super) fn error_predicates(svc: &Service) -> TokenStream {
    let predicates = svc.errors.values().map(|e| {
        let variant = ident(&e.shape_name);
        let name = Ident::new(
            &format!("is_{}", snake_case(&e.shape_name)),
            Span::call_site(),
        );
        let doc = doc_attr(&format!(
            "Whether the service answered with `{}`.",
            e.shape_name
        ));
        quote! {
            #doc
            pub fn #name(&self) -> bool {
                matches!(self.code(), Some(sqs_model::ErrorCode::#variant))
            }
        }
    });
    quote! {
        impl crate::Error { #(#predicates)* }
    }
}
