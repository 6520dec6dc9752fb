//! The client: `execute` (the one generic path every operation takes), `transport` (attempts
//! on the wire) and `request` (fluent requests and pagination), each depending only on those
//! before it.

mod execute;
mod paginator;
mod request;
mod transport;

pub(crate) use execute::Checks;
pub use execute::Client;
pub use paginator::{ItemPaginator, Paginator};
pub use request::{Execute, Items, Pages, Request};
