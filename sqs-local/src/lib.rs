//! An SQS-compatible service with real queue semantics (visibility timeouts, receipt handles,
//! retention, FIFO groups, dead-letter queues), to run in-process or standalone.
//!
//! Nothing is implemented yet: this crate is reserved for the embedded service (its own issue),
//! which will decode requests and encode responses with the models generated for `sqs-client`.
