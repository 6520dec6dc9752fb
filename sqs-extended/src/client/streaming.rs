//! Payloads as streams: sent without holding them whole, and read back the same way.

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use sqs_client::operation::*;
use sqs_client::types::MessageAttributeValue;

use crate::error::Error;
use crate::pointer::{PayloadLocation, new_key};

use super::extended::*;

impl ExtendedClient {
    /// Sends a payload of any size from a byte stream, never holding more than a few parts of
    /// it in memory (a multipart upload), then a pointer to it. `input` gives the queue and the
    /// attributes; its body is ignored.
    pub async fn send_message_streaming<S, E>(
        &self,
        mut input: SendMessageInput,
        mut payload: S,
    ) -> Result<(SendMessageOutput, PayloadLocation), Error>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        Self::check_attributes(input.message_attributes.as_ref(), true)?;
        let location = PayloadLocation {
            bucket: self.bucket.clone(),
            key: new_key(&self.config.key_prefix),
        };
        let path = Path::from(location.key.as_str());
        let upload = self
            .home()
            .put_multipart(&path)
            .await
            .map_err(|e| Error::store("upload", &location, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
        let mut size = 0usize;
        let mut hasher = Sha256Stream::new();
        while let Some(chunk) = payload.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(Error::InvalidRequest(format!(
                        "the payload stream failed: {e}"
                    )));
                }
            };
            if let Err(e) = writer.wait_for_capacity(2).await {
                return Err(Error::store("upload", &location, e));
            }
            size += chunk.len();
            hasher.update(&chunk);
            writer.put(chunk);
        }
        writer
            .finish()
            .await
            .map_err(|e| Error::store("upload", &location, e))?;
        if input.queue_url.ends_with(".fifo") && input.message_deduplication_id.is_none() {
            input.message_deduplication_id = Some(hasher.finish());
        }
        input.message_body = location.to_pointer();
        input
            .message_attributes
            .get_or_insert_with(HashMap::new)
            .insert(
                self.size_attribute().to_owned(),
                MessageAttributeValue::default()
                    .data_type("Number")
                    .string_value(size.to_string()),
            );
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
            .get(&Path::from(location.key.as_str()))
            .await
            .map_err(|e| Error::store("download", location, e))?;
        let loc = location.clone();
        Ok(got
            .into_stream()
            .map_err(move |e| Error::store("download", &loc, e))
            .boxed())
    }
}
