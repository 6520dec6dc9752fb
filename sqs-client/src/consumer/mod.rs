//! A consumer: a receive loop (long polling, on demand) yielding messages as a stream, each to
//! be acknowledged, handed back or kept longer; a visibility heartbeat for messages being
//! worked on; `process` for the common case; graceful shutdown.
//!
//! The parts, each depending only on those listed before it: `options` (what the consumer is
//! told), `shared` (what its tasks share, and shutdown), `delivery` (a received message),
//! `heartbeat`, `receive` (the receive loop), `stream` (the consumer as a stream) and `process`.

mod delivery;
mod heartbeat;
mod options;
mod process;
mod receive;
mod shared;
mod stream;

pub use delivery::Delivery;
pub use options::{ConsumerBuilder, HookFuture, MessageHook};
pub use process::ProcessSummary;
pub use shared::ShutdownHandle;
pub use stream::Consumer;
