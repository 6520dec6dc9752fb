//! The official SDK's spelling of pagination: `request.into_paginator().send()` gives the pages,
//! `.items().send()` the items, each with `next().await` on the stream itself (no `StreamExt`
//! import needed), `try_next()` and `collect()`.

use std::future::poll_fn;
use std::pin::Pin;

use futures_core::Stream;
use sqs_model::{Operation, Paginated};

use crate::error::Error;

use super::Client;
use super::request::{Items, Pages, Request};

impl<O: Paginated> Request<O, Client> {
    /// A paginator over this request: `.send()` streams the pages, `.items().send()` the items
    /// of every page (the same as [`Request::into_pages`] and [`Request::into_items`]).
    pub fn into_paginator(self) -> Paginator<O> {
        Paginator { request: self }
    }
}

/// Pages of a paginated request, not yet started; made by [`Request::into_paginator`].
#[derive(Debug)]
#[must_use = "a paginator does nothing until `send()` is called and the stream is polled"]
pub struct Paginator<O: Paginated> {
    request: Request<O, Client>,
}

impl<O: Paginated> Paginator<O> {
    /// The stream of pages.
    pub fn send(self) -> Pages<O> {
        self.request.into_pages()
    }
    /// The items of every page instead of the pages.
    pub fn items(self) -> ItemPaginator<O> {
        ItemPaginator {
            request: self.request,
        }
    }
}

/// Items of every page of a paginated request, not yet started; made by [`Paginator::items`].
#[derive(Debug)]
#[must_use = "a paginator does nothing until `send()` is called and the stream is polled"]
pub struct ItemPaginator<O: Paginated> {
    request: Request<O, Client>,
}

impl<O: Paginated> ItemPaginator<O> {
    /// The stream of items.
    pub fn send(self) -> Items<O> {
        self.request.into_items()
    }
}

impl<O: Paginated> Pages<O> {
    /// The next page; `None` after the last one, or after an error.
    pub async fn next(&mut self) -> Option<Result<O::Output, Error>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
    /// The next page, with the error first: `while let Some(page) = pages.try_next().await? {}`.
    pub async fn try_next(&mut self) -> Result<Option<O::Output>, Error> {
        self.next().await.transpose()
    }
    /// Every page (or the pages up to the error and the error), collected.
    pub async fn collect<C: FromIterator<Result<<O as Operation>::Output, Error>>>(mut self) -> C {
        let mut all = Vec::new();
        while let Some(page) = self.next().await {
            all.push(page);
        }
        all.into_iter().collect()
    }
}

impl<O: Paginated> Items<O> {
    /// The next item; `None` after the last one, or after an error.
    pub async fn next(&mut self) -> Option<Result<O::Item, Error>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
    /// The next item, with the error first.
    pub async fn try_next(&mut self) -> Result<Option<O::Item>, Error> {
        self.next().await.transpose()
    }
    /// Every item (or the items up to the error and the error), collected.
    pub async fn collect<C: FromIterator<Result<O::Item, Error>>>(mut self) -> C {
        let mut all = Vec::new();
        while let Some(item) = self.next().await {
            all.push(item);
        }
        all.into_iter().collect()
    }
}
