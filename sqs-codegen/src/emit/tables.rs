//! Per-operation tables of the crates built on the model: the service side's handler trait and
//! dispatch (in the model crate), and the extended client's entry points and pass-through
//! operations. Adding an operation to the description reaches each of them; where a hand-written
//! part is missing (a service's handler, the extended client's own path for an operation that
//! carries messages), the crate does not compile.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Service, snake_case};

use super::tokens::{doc_attr, ident};

fn method(name: &str) -> Ident {
    Ident::new(&snake_case(name), Span::call_site())
}

/// `server.rs` of the model crate: `Handler` and `dispatch`.
pub(super) fn server(svc: &Service) -> TokenStream {
    let mut handlers = TokenStream::new();
    let mut arms = TokenStream::new();
    let mut reads = TokenStream::new();
    for op in &svc.operations {
        let (input, output, m, name) = (
            ident(&op.input),
            ident(&op.output),
            method(&op.name),
            &op.name,
        );
        let doc = doc_attr(&format!(
            "{} (`{name}`).",
            op.doc.as_deref().unwrap_or(&op.name).trim_end_matches('.')
        ));
        handlers.extend(quote! {
            #doc
            fn #m(
                &self,
                input: #input,
                caller: &Self::Caller,
            ) -> impl ::std::future::Future<Output = Result<#output, Self::Error>> + Send;
        });
        arms.extend(quote! {
            #name => crate::codec::serve::serve::<#input, H::Error, _>(body, request_id, |input| {
                handler.#m(input, caller)
            })
            .await,
        });
        reads.extend(quote! {
            #name => crate::codec::serve::read::<#input>(body),
        });
    }
    quote! {
        #[allow(unused_imports)]
        use super::operations::*;
        #[allow(unused_imports)]
        use super::shapes::*;

        /// A service: one method per operation of the API description, each given the decoded
        /// input and the caller. [`dispatch`] reads a request of either protocol, calls the
        /// method its operation names and writes the answer back.
        ///
        /// Every method must be written: an operation added to the description and regenerated
        /// makes an implementation that lacks it fail to compile.
        pub trait Handler: Sync {
            /// Who sent the request, as the service tells it (credentials, address, ...).
            type Caller: Sync;
            /// A refusal; a request that cannot be read into its input becomes one.
            type Error: From<crate::codec::RequestError> + Send;
            #handlers
        }

        /// Runs the operation `name` (a Query `Action`, or the JSON target without its service
        /// prefix) on `handler`: the input read from `body`, the output written in the same
        /// protocol (`request_id` goes into Query answers). `None` when the service has no
        /// operation of that name.
        pub async fn dispatch<H: Handler>(
            handler: &H,
            name: &str,
            body: crate::codec::RequestBody<'_>,
            request_id: &str,
            caller: &H::Caller,
        ) -> Option<Result<Vec<u8>, H::Error>> {
            Some(match name {
                #arms
                _ => return None,
            })
        }

        /// Reads a request of the operation `name` into its input and drops it, running
        /// nothing: every operation's request decoder by name, for fuzzing and tests. `None`
        /// when the service has no operation of that name.
        pub fn read_request(
            name: &str,
            body: crate::codec::RequestBody<'_>,
        ) -> Option<Result<(), crate::codec::RequestError>> {
            Some(match name {
                #reads
                _ => return None,
            })
        }
    }
}

/// `fluent.rs` of sqs-extended: an entry point per operation on `ExtendedClient`, and the
/// pass-through `Execute` of each operation that carries no messages. The operations that carry
/// messages have hand-written `Execute` impls; without one, the entry point does not compile.
pub(super) fn extended(svc: &Service) -> TokenStream {
    let mut entry_points = TokenStream::new();
    let mut passing = TokenStream::new();
    for op in &svc.operations {
        let (input, output, m) = (ident(&op.input), ident(&op.output), method(&op.name));
        let doc = doc_attr(&format!(
            "{} Returns a request to fill in and `send()`, as on the plain client.",
            op.doc.as_deref().unwrap_or(&op.name)
        ));
        entry_points.extend(quote! {
            #doc
            pub fn #m(&self) -> sqs_client::Request<#input, crate::ExtendedClient> {
                sqs_client::Request::new(self.clone(), #input::default())
            }
        });
        if !op.carries_messages {
            passing.extend(quote! {
                impl sqs_client::Execute<#input> for crate::ExtendedClient {
                    type Output = #output;
                    type Error = crate::Error;
                    async fn execute_input(&self, input: #input) -> Result<#output, crate::Error> {
                        Ok(self.client().execute(input).await?)
                    }
                }
            });
        }
    }
    quote! {
        #[allow(unused_imports)]
        use sqs_client::operation::*;

        impl crate::ExtendedClient { #entry_points }

        #passing
    }
}
