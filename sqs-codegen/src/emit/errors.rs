//! The `ErrorCode` enum of every modeled error.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::Service;

use super::tokens::{doc_attr, ident};

pub(super) fn errors(svc: &Service) -> TokenStream {
    let defs: Vec<_> = svc.errors.values().collect();
    let variants = defs.iter().map(|e| {
        let v = ident(&e.shape_name);
        let mut text = e
            .doc
            .clone()
            .unwrap_or_else(|| format!("The `{}` error.", e.shape_name));
        if let Some(note) = &e.deprecated {
            text.push_str(&format!(" Deprecated: {note}."));
        }
        let doc = doc_attr(&text);
        quote!(#doc #v,)
    });
    let from = defs.iter().map(|e| {
        let v = ident(&e.shape_name);
        let shape = &e.shape_name;
        match &e.query_code {
            Some(code) if code != shape => quote!(#shape | #code => Self::#v,),
            _ => quote!(#shape => Self::#v,),
        }
    });
    let shape_names = defs.iter().map(|e| {
        let v = ident(&e.shape_name);
        let shape = &e.shape_name;
        quote!(Self::#v => #shape,)
    });
    let query_codes = defs.iter().map(|e| {
        let v = ident(&e.shape_name);
        let code = e.query_code.as_deref().unwrap_or(&e.shape_name);
        quote!(Self::#v => #code,)
    });
    let statuses = defs.iter().map(|e| {
        let v = ident(&e.shape_name);
        match e.http_status {
            Some(s) => quote!(Self::#v => Some(#s),),
            None => quote!(Self::#v => None,),
        }
    });
    let faults = defs.iter().map(|e| {
        let v = ident(&e.shape_name);
        if e.server_fault {
            quote!(Self::#v => Some(crate::codec::Fault::Receiver),)
        } else {
            quote!(Self::#v => Some(crate::codec::Fault::Sender),)
        }
    });
    quote! {
        /// A modeled error of the service, or the code of one the API description does not declare.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            #(#variants)*
            /// A code the API description does not declare (for example `InvalidParameterValue`).
            Unknown(String),
        }

        impl ErrorCode {
            /// Recognises a code given either as the error's shape name or as its AWS Query code.
            pub fn from_code(code: &str) -> Self {
                match code {
                    #(#from)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
            /// The shape name (what AWS JSON 1.0 servers put in `__type`).
            pub fn shape_name(&self) -> &str {
                match self {
                    #(#shape_names)*
                    Self::Unknown(code) => code,
                }
            }
            /// The AWS Query code (what Query servers put in `<Code>`).
            pub fn query_code(&self) -> &str {
                match self {
                    #(#query_codes)*
                    Self::Unknown(code) => code,
                }
            }
            /// The HTTP status the API description gives the error.
            pub fn http_status(&self) -> Option<u16> {
                match self {
                    #(#statuses)*
                    Self::Unknown(_) => None,
                }
            }
            /// Whether the sender or the service is at fault, per the API description.
            pub fn fault(&self) -> Option<crate::codec::Fault> {
                match self {
                    #(#faults)*
                    Self::Unknown(_) => None,
                }
            }
            /// Whether the API description declares this error.
            pub fn is_modeled(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.shape_name())
            }
        }
    }
}
