//! The operation trait and what it is told: the contract between the generated inputs and any
//! client (wire names, codecs, hooks) and the size limits a client checks.

use std::fmt;
use std::time::Duration;

use super::validate::ValidationError;
use super::values::{DecodeError, EncodeError};

pub(crate) mod sealed {
    /// Implemented by the generated inputs only, so that [`Operation`](super::Operation) can grow
    /// without breaking anyone.
    pub trait Sealed {}
}

/// Size limits a client checks before sending, beyond those the API description states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest message, body and attributes together (the queue's `MaximumMessageSize`).
    pub max_message_size: usize,
    /// Largest SendMessageBatch payload, all entries together.
    pub max_batch_size: usize,
}

impl Limits {
    /// Limits for messages of up to `max_message_size` bytes; a batch may carry the larger of
    /// that and 1 MiB.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            max_batch_size: max_message_size.max(1_048_576),
        }
    }
}

impl Default for Limits {
    /// SQS's limits: 1 MiB per message and per batch.
    fn default() -> Self {
        Self::new(1_048_576)
    }
}

/// A request of one operation: everything a client needs to validate it, put it on the wire in
/// either protocol, read the answer back, and know what to do around it (checks, long polls,
/// digests, retries).
///
/// Implemented by every generated `*Input` type and by nothing else (the trait is sealed); a
/// client's single execute path is generic over it and asks it, never casts it. What each
/// operation needs beyond its wire form is stated in the API description and wired by the
/// generator.
pub trait Operation: sealed::Sealed + fmt::Debug + Clone + Send + Sync + 'static {
    /// What a successful call returns.
    type Output: fmt::Debug + Clone + Send + Sync + 'static;

    /// The operation name, as sent in the Query `Action` parameter (`SendMessage`).
    const NAME: &'static str;
    /// The AWS JSON 1.0 `X-Amz-Target` header value (`AmazonSQS.SendMessage`).
    const TARGET: &'static str;
    /// Shape names of the errors the API description declares for this operation.
    const MODELED_ERRORS: &'static [&'static str];

    /// Checks every limit the API description states, before anything is sent.
    fn validate(&self) -> Result<(), ValidationError>;
    /// The AWS JSON 1.0 request body.
    fn to_json(&self) -> Result<Vec<u8>, EncodeError>;
    /// The AWS Query form body, `Action` and `Version` included.
    fn to_query(&self) -> String;
    /// Decodes an AWS JSON 1.0 success body.
    fn output_from_json(body: &[u8]) -> Result<Self::Output, DecodeError>;
    /// Decodes an AWS Query (XML) success body.
    fn output_from_xml(body: &[u8]) -> Result<Self::Output, DecodeError>;
    /// The queue the request is about, for operations that name one.
    fn queue_url(&self) -> Option<&str> {
        None
    }
    /// Whether sending the request again has no further effect (read-only operations, and those
    /// the description marks idempotent): a retry after an answer was lost cannot do harm.
    const IDEMPOTENT: bool = false;
    /// The checks the API description cannot express (message size with attributes, allowed
    /// characters, attribute names, batch totals, distinct entry ids), before anything is sent.
    fn check(&self, limits: &Limits) -> Result<(), ValidationError> {
        let _ = limits;
        Ok(())
    }
    /// How long the server may hold the request before answering (a long poll's wait), so that
    /// timeouts leave room for it.
    fn long_poll(&self) -> Option<Duration> {
        None
    }
    /// Digests of what the request carries, taken right after it is encoded (while its bodies are
    /// in cache), for [`Operation::verify`]. Empty for most operations.
    fn sent_digests(&self) -> Vec<[u8; 16]> {
        Vec::new()
    }
    /// Checks the digests of an answer against what was sent (`sent` from
    /// [`Operation::sent_digests`]) and what was received; a batch entry that fails is moved to
    /// the failed entries. Returns what did not match.
    fn verify(&self, sent: &[[u8; 16]], output: &mut Self::Output) -> Result<(), String> {
        let _ = (sent, output);
        Ok(())
    }
    /// Checks that an answer has what the protocol always returns (a message id for each sent
    /// message, an entry for each entry of a batch, a receipt handle for each received message),
    /// whether digests are checked or not. A batch entry the answer leaves out is added to the
    /// failed entries; anything else missing is returned.
    fn complete(&self, output: &mut Self::Output) -> Result<(), String> {
        let _ = output;
        Ok(())
    }
}

/// An operation whose results come in pages linked by a continuation token.
pub trait Paginated: Operation {
    /// One element of a page.
    type Item: fmt::Debug + Clone + Send + Sync + 'static;

    /// Sets the token that asks for the page after the one that returned it.
    fn set_next_token(&mut self, token: Option<String>);
    /// The token of the next page, if any.
    fn next_token(output: &Self::Output) -> Option<&str>;
    /// The elements of a page.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}
