//! Wire-level support shared by the generated models: the operation trait, validation, and the
//! AWS JSON 1.0 and AWS Query (form + XML) codecs.
//!
//! This module depends on nothing else in the crate, so the code generator can check the code it
//! produces for any Smithy model against it in isolation.
//!
//! The parts: `values` (blobs and codec errors), `validate`, `operation` (the trait the generated
//! inputs implement), `json` (AWS JSON 1.0, with serde_json), `query` (AWS Query requests), `xml`
//! (AWS Query answers), `wire_error` (error bodies of both) and, with the `server` feature,
//! `serve` (the service side). This module only declares and re-exports them.

pub(crate) mod json;
pub(crate) mod operation;
pub(crate) mod query;
#[cfg(feature = "server")]
pub(crate) mod serve;
pub(crate) mod validate;
pub(crate) mod values;
pub(crate) mod wire_error;
pub(crate) mod xml;

pub(crate) use operation::sealed;
pub use operation::{Limits, Operation, Paginated};
#[cfg(feature = "server")]
pub use serve::{
    Form, RequestBody, RequestError, Served, json_error, query_error_header, xml_error,
};
pub use validate::{LengthUnit, ValidationError, ValidationProblem};
pub use values::{Blob, DecodeError, EncodeError};
pub use wire_error::Fault;
