//! Requests being filled in (`client.send_message()...send()`), and pages of paginated
//! operations as streams.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use sqs_model::{Operation, Paginated};

use crate::error::Error;

use super::execute::*;

/// Something that runs an operation: the [`Client`] itself, or a layer over it (the extended
/// client of `sqs-extended` implements it for every operation, so the same fluent builders
/// serve it).
pub trait Execute<O: Operation>: Clone + Send + Sync {
    /// What a successful call returns.
    type Output;
    /// What a failed call returns.
    type Error;
    /// Runs the operation.
    fn execute_input(
        &self,
        input: O,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;
}

impl<O: Operation> Execute<O> for Client {
    type Output = O::Output;
    type Error = Error;
    fn execute_input(&self, input: O) -> impl Future<Output = Result<O::Output, Error>> + Send {
        self.execute(input)
    }
}

/// A request being filled in; made by the per-operation methods of [`Client`]
/// (`client.send_message()`), sent with [`Request::send`]. `E` is who sends it (the client, or
/// a layer over it).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent: `.send().await`"]
pub struct Request<O, E = Client> {
    pub(super) client: E,
    pub(crate) input: O,
}

impl<O: Operation, E: Execute<O>> Request<O, E> {
    /// A request of `input` that `executor` will send (for layers that offer the client's
    /// fluent builders).
    pub fn new(executor: E, input: O) -> Self {
        Self {
            client: executor,
            input,
        }
    }
    /// Replaces the whole input.
    pub fn set_input(mut self, input: O) -> Self {
        self.input = input;
        self
    }
    /// The input as filled in so far.
    pub fn as_input(&self) -> &O {
        &self.input
    }
    /// The input, taken out.
    pub fn into_input(self) -> O {
        self.input
    }
    /// Sends the request. Cancel safety: see [`Client::execute`].
    pub async fn send(self) -> Result<E::Output, E::Error> {
        self.client.execute_input(self.input).await
    }
}

impl<O: Paginated> Request<O, Client> {
    /// A stream of pages, following continuation tokens until the last page. Stops after the
    /// first error (which it yields).
    pub fn into_pages(self) -> Pages<O> {
        Pages {
            client: self.client,
            next: Some(self.input),
            previous_token: None,
            in_flight: None,
        }
    }
    /// A stream of the items of every page.
    pub fn into_items(self) -> Items<O> {
        Items {
            pages: self.into_pages(),
            buffer: VecDeque::new(),
        }
    }
}

pub(super) type PageFuture<O> =
    Pin<Box<dyn Future<Output = (O, Result<<O as Operation>::Output, Error>)> + Send>>;

/// Pages of a paginated operation, as a [`Stream`](futures_core::Stream).
pub struct Pages<O: Paginated> {
    pub(super) client: Client,
    pub(super) next: Option<O>,
    pub(super) previous_token: Option<String>,
    pub(super) in_flight: Option<PageFuture<O>>,
}

impl<O: Paginated> std::fmt::Debug for Pages<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &O::NAME)
            .field("next", &self.next)
            .finish()
    }
}

// The input is only ever moved, never pinned in place, so the stream can move freely.
impl<O: Paginated> Unpin for Pages<O> {}
impl<O: Paginated> Unpin for Items<O> {}

impl<O: Paginated> futures_core::Stream for Pages<O> {
    type Item = Result<O::Output, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.in_flight.is_none() {
            let Some(input) = this.next.take() else {
                return Poll::Ready(None);
            };
            let client = this.client.clone();
            this.in_flight = Some(Box::pin(async move {
                let result = client.execute(input.clone()).await;
                (input, result)
            }));
        }
        let Some(fut) = this.in_flight.as_mut() else {
            return Poll::Ready(None);
        };
        let (input, result) = match fut.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(done) => done,
        };
        this.in_flight = None;
        if let Ok(output) = &result {
            let token = O::next_token(output)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            // A server that hands back the token it was given would loop forever.
            if token.is_some() && token != this.previous_token {
                let mut next = input;
                next.set_next_token(token.clone());
                this.next = Some(next);
                this.previous_token = token;
            }
        }
        Poll::Ready(Some(result))
    }
}

/// Items of every page of a paginated operation, as a [`Stream`](futures_core::Stream).
pub struct Items<O: Paginated> {
    pub(super) pages: Pages<O>,
    pub(super) buffer: VecDeque<O::Item>,
}

impl<O: Paginated> std::fmt::Debug for Items<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl<O: Paginated> futures_core::Stream for Items<O> {
    type Item = Result<O::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.buffer.extend(O::into_items(page)),
            }
        }
    }
}
