//! The service: its state, and the operations by family. Each family depends only on the state
//! (and on the helpers it names): `queues` (create, look up, list, attributes, purge, delete),
//! `tags` (tags and permissions), `redrive` (dead-letter sources and message move tasks), `send`
//! (one or a batch, FIFO deduplication and ordering), `receive` (long polling, redrive on
//! receive) and `settle` (delete and change visibility); `batch` holds what batch operations
//! share.

mod batch;
mod queues;
mod receive;
mod redrive;
mod send;
mod settle;
mod state;
mod tags;
#[cfg(test)]
mod tests;

pub(crate) use state::{Caller, MoveTask, Service, State};
