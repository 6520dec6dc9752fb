//! The extended client: the SQS operations whose messages may carry an offloaded payload.
//!
//! The parts, each depending only on `config`, `outputs` and `extended` (the client and its
//! stores): `send` (with batch planning), `streaming`, `receive` and `delete`.

mod config;
mod delete;
mod extended;
mod outputs;
mod receive;
mod send;
mod streaming;

pub use config::ExtendedConfig;
pub use extended::ExtendedClient;
pub use outputs::{DeleteBatchOutput, PayloadFailure, ReceiveOutput, ReceivedMessage};
pub(crate) use receive::ask_for_size_attributes;
