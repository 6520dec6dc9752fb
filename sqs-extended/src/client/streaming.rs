//! Payloads as streams: sent without holding them whole, and read back the same way.

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::stream::{BoxStream, FuturesUnordered};
use futures_util::{StreamExt, TryStreamExt};
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload, UploadPart};
use sqs_client::operation::*;

use crate::error::Error;
use crate::pointer::{PayloadLocation, new_key};

use super::extended::*;

/// Size of each part of a streamed upload (S3 wants at least 5 MiB for every part but the last).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploading at once.
const PARTS_IN_FLIGHT: usize = 2;

/// A multipart upload that is aborted unless completed: explicitly when a part, the payload
/// stream or the completion fails, and from `Drop` (on the tokio runtime, if there is one) when
/// the sending future is dropped half-way. S3 keeps the parts of an upload that is neither
/// completed nor aborted, and bills them, until a lifecycle rule removes them.
struct Upload {
    upload: Option<Box<dyn MultipartUpload>>,
}

impl Upload {
    fn part(&mut self, payload: PutPayload) -> UploadPart {
        match self.upload.as_mut() {
            Some(upload) => upload.put_part(payload),
            None => Box::pin(async { Ok(()) }),
        }
    }

    async fn abort(&mut self) {
        if let Some(mut upload) = self.upload.take()
            && let Err(e) = upload.abort().await
        {
            tracing::warn!(error = %e, "could not abort a multipart upload; its parts remain until a lifecycle rule removes them");
        }
    }

    async fn complete(&mut self) -> object_store::Result<()> {
        let Some(upload) = self.upload.as_mut() else {
            return Ok(());
        };
        upload.complete().await?;
        self.upload = None;
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(mut upload) = self.upload.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(e) = upload.abort().await {
                    tracing::warn!(error = %e, "could not abort a cancelled multipart upload");
                }
            });
        }
    }
}

impl ExtendedClient {
    /// Sends a payload of any size from a byte stream, never holding more than a few parts of
    /// it in memory (a multipart upload of 8 MiB parts, two at a time), then a pointer to it.
    /// `input` gives the queue and the attributes (`SendMessageInput::builder().queue_url(..)`,
    /// no body: a body set there is ignored). An upload that fails, or whose future is dropped,
    /// is aborted: no parts are left behind.
    pub async fn send_message_streaming<S, E>(
        &self,
        input: SendMessageInputBuilder,
        mut payload: S,
    ) -> Result<(SendMessageOutput, PayloadLocation), Error>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut input = input
            .message_body("")
            .build()
            .map_err(sqs_client::Error::from)?;
        Self::check_attributes(
            input.message_attributes.as_ref(),
            true,
            self.config.threshold,
        )?;
        let location = PayloadLocation {
            bucket: self.bucket.clone(),
            key: new_key(&self.config.key_prefix),
        };
        let path = path_of(&location)?;
        let store_error = |e| Error::store("upload", &location, e);
        let mut upload = Upload {
            upload: Some(
                self.home()
                    .put_multipart(&path)
                    .await
                    .map_err(store_error)?,
            ),
        };
        let mut parts = FuturesUnordered::new();
        let mut buffered: Vec<Bytes> = Vec::new();
        let mut buffered_len = 0usize;
        let mut size = 0usize;
        let mut hasher = Sha256Stream::new();
        let mut ended = false;
        let mut sent_a_part = false;
        while !ended {
            match payload.next().await {
                Some(Ok(chunk)) => {
                    size += chunk.len();
                    hasher.update(&chunk);
                    buffered_len += chunk.len();
                    buffered.push(chunk);
                }
                Some(Err(e)) => {
                    upload.abort().await;
                    return Err(Error::InvalidRequest(format!(
                        "the payload stream failed: {e}"
                    )));
                }
                None => ended = true,
            }
            // A part goes out once it is full, and the last one (S3 wants at least one part).
            if buffered_len >= PART_SIZE || (ended && (buffered_len > 0 || !sent_a_part)) {
                while parts.len() >= PARTS_IN_FLIGHT {
                    if let Some(Err(e)) = parts.next().await {
                        upload.abort().await;
                        return Err(store_error(e));
                    }
                }
                let part: PutPayload = std::mem::take(&mut buffered).into_iter().collect();
                buffered_len = 0;
                parts.push(upload.part(part));
                sent_a_part = true;
            }
        }
        while let Some(done) = parts.next().await {
            if let Err(e) = done {
                upload.abort().await;
                return Err(store_error(e));
            }
        }
        if let Err(e) = upload.complete().await {
            upload.abort().await;
            return Err(store_error(e));
        }
        if input.queue_url.ends_with(".fifo") && input.message_deduplication_id.is_none() {
            input.message_deduplication_id = Some(hasher.finish());
        }
        input.message_body = location.to_pointer();
        input
            .message_attributes
            .get_or_insert_with(HashMap::new)
            .insert(self.size_attribute().to_owned(), number_value(size));
        match self.client.execute(input).await {
            Ok(out) => Ok((out, location)),
            Err(e) => {
                let _ = self.remove(&location).await;
                Err(Error::Sqs(e))
            }
        }
    }

    /// The bytes of an offloaded payload as a stream (for payloads too large to hold).
    pub async fn payload_stream(
        &self,
        location: &PayloadLocation,
    ) -> Result<BoxStream<'static, Result<Bytes, Error>>, Error> {
        let store = self
            .stores
            .get(&location.bucket)
            .ok_or_else(|| Error::BucketNotAllowed(location.clone()))?;
        let got = store
            .get(&path_of(location)?)
            .await
            .map_err(|e| Error::store("download", location, e))?;
        let loc = location.clone();
        Ok(got
            .into_stream()
            .map_err(move |e| Error::store("download", &loc, e))
            .boxed())
    }
}
