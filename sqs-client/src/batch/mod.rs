//! Automatic batching: single-message sends, deletes and visibility changes gathered into batch
//! requests of up to ten entries, each caller getting its own message's outcome.
//!
//! Callers put their entries straight into the lane of their queue and kind (a full buffer makes
//! them wait), and the caller that fills a batch starts it. A small timer task starts the batches
//! whose linger time or retry backoff ran out. Each batch runs in a sender task (at most
//! `max_in_flight` at once over all lanes, each lane at most an equal share of that among the
//! lanes with work, a FIFO queue one), answers each caller through its own
//! channel, and at its end puts back what is to be tried again and starts what was held back.
//! A sender task whose batch ended waits for the next one: a task spawned per batch cost an
//! allocation the allocator serves on its slow path (a 128-byte aligned block of some 3 KiB)
//! and a lock on the runtime's task list, per batch.
//!
//! The parts, each depending only on those listed before it: `config` (what the batcher is
//! told and reports), `entry` (one caller's request in the batcher), `buffer` (the lanes),
//! `planner` (the shared state, what is due, FIFO's one batch at a time, the timer task),
//! `sender` (sender tasks, the requests, settling each caller's outcome), `close`, and
//! `batcher` (the handle callers use).

mod batcher;
mod buffer;
mod close;
mod config;
mod entry;
mod planner;
mod sender;
#[cfg(test)]
mod tests;

pub use batcher::Batcher;
pub use config::{BatchConfig, BatchStats, Unsent, UnsentRequest};
