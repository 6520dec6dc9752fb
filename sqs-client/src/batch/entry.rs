//! One caller's request while it is in the batcher: its batch key, its payload, its bytes and
//! attempts, and the channel its outcome goes back through.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::Error;
use crate::operation::*;
use crate::retry::TokenBucket;

use super::config::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Send,
    Delete,
    Visibility,
}

impl Kind {
    pub(super) fn operation(self) -> &'static str {
        match self {
            Kind::Send => "SendMessageBatch",
            Kind::Delete => "DeleteMessageBatch",
            Kind::Visibility => "ChangeMessageVisibilityBatch",
        }
    }
}

/// What a batch request is made for: entries with equal keys can share a request. Nothing of it
/// is written into a request except the queue URL itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) kind: Kind,
    /// Shared, so that each batch takes a copy of the key without allocating.
    pub(super) queue_url: Arc<str>,
}

impl Key {
    pub(super) fn fifo(&self) -> bool {
        self.queue_url.ends_with(".fifo")
    }
}

/// A request and the queue it is for. Boxed, so that an entry stays small: the ten entries of a
/// batch then fit in less than 1 KiB, which allocators serve from their fast per-thread caches.
#[derive(Debug)]
pub(super) enum Payload {
    Send(Box<SendMessageInput>),
    Delete(Box<Receipt>),
    /// With the new visibility timeout (seconds).
    Visibility(Box<Receipt>, i32),
}

// glibc serves requests under 1 KiB from its per-thread caches; larger ones lock an arena,
// which the sender tasks and their callers then contend for.
const _: () = assert!(MAX_ENTRIES * std::mem::size_of::<Entry>() < 1024);

/// A received message, by its queue and receipt handle.
#[derive(Debug)]
pub(super) struct Receipt {
    pub(super) queue_url: String,
    pub(super) receipt_handle: String,
}

impl Payload {
    /// The batch requests this can go into (taken from the request itself, so that handing a
    /// message over copies nothing).
    pub(super) fn key(&self) -> (Kind, &str) {
        match self {
            Payload::Send(m) => (Kind::Send, &m.queue_url),
            Payload::Delete(r) => (Kind::Delete, &r.queue_url),
            Payload::Visibility(r, _) => (Kind::Visibility, &r.queue_url),
        }
    }

    /// The receipt of a delete or a visibility change.
    pub(super) fn receipt_mut(&mut self) -> Option<&mut Receipt> {
        match self {
            Payload::Send(_) => None,
            Payload::Delete(r) | Payload::Visibility(r, _) => Some(r),
        }
    }
}

/// A caller's outcome, with its request handed back: the caller's task frees the request, on
/// the thread where it is about to make its next one. (Freed by the sender task instead, ten
/// requests of one size at once, the allocator's per-thread cache overflows and the callers'
/// next requests take its slow path: measured at about 7% of the CPU per batched message.)
pub(super) type Answer<T> = (Result<T, Error>, Payload);

#[derive(Debug)]
pub(super) enum Reply {
    Send(oneshot::Sender<Answer<SendMessageOutput>>),
    Unit(oneshot::Sender<Answer<()>>),
}

#[derive(Debug)]
pub(super) struct Entry {
    pub(super) payload: Payload,
    pub(super) reply: Reply,
    pub(super) bytes: usize,
    /// Attempts made so far.
    pub(super) attempts: u32,
    /// Not to be sent before (a retry's backoff).
    pub(super) not_before: Instant,
    /// When it entered the buffer (starts the linger timer of its batch).
    pub(super) queued: Instant,
    /// The last error, while being retried.
    pub(super) last_error: Option<Error>,
    /// Retry tokens taken for this entry, given back when it succeeds.
    pub(super) spent: u32,
}

impl Entry {
    /// Answers the caller with its message's result and gives back the retry tokens it took.
    pub(super) fn succeeded(
        self,
        bucket: &TokenBucket,
        output: Option<SendMessageOutput>,
        op: &'static str,
    ) {
        if self.spent > 0 {
            bucket.release(self.spent);
        }
        let result = match (&self.reply, output) {
            (Reply::Send(_), None) => Err(Error::entry(op, "MissingResult", None, false)),
            (_, output) => Ok(output.unwrap_or_default()),
        };
        self.answer(result);
    }

    /// Answers the caller (a unit caller gets the result without its output), handing its
    /// request back.
    pub(super) fn answer(self, result: Result<SendMessageOutput, Error>) {
        let request = self.payload;
        // A caller that went away (its future dropped) has nothing to be told.
        match self.reply {
            Reply::Send(tx) => {
                let _ = tx.send((result, request));
            }
            Reply::Unit(tx) => {
                let _ = tx.send((result.map(drop), request));
            }
        }
    }

    /// Why an entry closing left unsent was not sent: its last error if it was being retried,
    /// else that the batcher closed.
    pub(super) fn closing_error(&mut self, op: &'static str) -> Error {
        self.last_error.take().unwrap_or_else(|| {
            Error::closed(
                op,
                "the batcher was closed before this request could be sent",
            )
        })
    }

    pub(super) fn unsent(self, queue_url: &str, error: Error) -> Unsent {
        let request = match &self.payload {
            Payload::Send(input) => UnsentRequest::Send(input.clone()),
            Payload::Delete(r) => UnsentRequest::Delete {
                receipt_handle: r.receipt_handle.clone(),
            },
            Payload::Visibility(r, timeout) => UnsentRequest::ChangeVisibility {
                receipt_handle: r.receipt_handle.clone(),
                visibility_timeout: *timeout,
            },
        };
        let copy = error.duplicate();
        self.answer(Err(error));
        Unsent {
            queue_url: queue_url.to_owned(),
            request,
            error: copy,
        }
    }
}
/// What a caller waits for. The request handed back with it is dropped here, in the caller's
/// task (see [`Answer`]).
pub(super) async fn outcome<T>(
    rx: oneshot::Receiver<Answer<T>>,
    op: &'static str,
) -> Result<T, Error> {
    match rx.await {
        Ok((result, _request)) => result,
        Err(_) => Err(Error::closed(
            op,
            "the batch carrying this request ended without an answer (its runtime shut down or \
             its task panicked); the message may or may not have been sent",
        )),
    }
}
