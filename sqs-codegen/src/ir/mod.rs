//! The resolved model the emitter works from: Rust names chosen, member targets turned into
//! types, constraint traits of shapes and members merged, operation inputs and outputs named.
//!
//! The parts: `types` (the resolved model), `names` (Rust names), `traits` (the trait ids read),
//! `resolver` (the walk over shapes) and `resolve` (the entry point).

mod names;
mod resolve;
mod resolver;
#[cfg(test)]
mod tests;
mod traits;
mod types;

pub use names::{pascal_case, snake_case};
pub use resolve::resolve;
pub use types::{
    Constraints, EnumDef, ErrorDef, Hooks, ListTy, LongPoll, MapTy, Member, Operation, Pagination,
    Role, Service, Structure, Ty,
};
