//! Transparent offloading of large SQS message bodies to any `object_store` backend, in the
//! pointer format the AWS Java and Python extended clients read and write.
//!
//! Nothing is implemented yet: this crate is reserved for the extended client (its own issue),
//! which will sit on top of `sqs-client` and never below it.
