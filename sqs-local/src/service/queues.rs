//! Queue operations: create, look up, list, attributes, purge, delete.

use std::collections::HashMap;
use std::sync::Arc;

use sqs_model::ErrorCode;
use sqs_model::operation::*;
use sqs_model::types::QueueAttributeName as A;
use sqs_model::wire::hex;
use tokio::sync::Notify;

use crate::error::ApiError;
use crate::queue::{Dirty, Queue, Settings, redrive_allowed};

use super::state::*;
use super::tags::*;

impl Service {
    pub(crate) fn create_queue(
        &self,
        input: CreateQueueInput,
    ) -> Result<CreateQueueOutput, ApiError> {
        let name = input.queue_name;
        let fifo = name.ends_with(".fifo");
        let stem = name.strip_suffix(".fifo").unwrap_or(&name);
        if name.len() > 80
            || stem.is_empty()
            || !stem
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::invalid_parameter(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
            ));
        }
        let attributes = input.attributes.unwrap_or_default();
        let fifo_attribute = attributes.get(&A::FifoQueue).map(String::as_str) == Some("true");
        if fifo && !fifo_attribute {
            // A standard queue's name cannot hold a dot: `.fifo` asks for FifoQueue=true.
            return Err(ApiError::invalid_parameter(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (a name ending in .fifo needs the attribute FifoQueue=true).",
            ));
        }
        if fifo_attribute && !fifo {
            return Err(ApiError::invalid_parameter(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
            ));
        }
        let mut settings = Settings::new(fifo);
        settings.apply(&attributes, true)?;
        let tags = input.tags.unwrap_or_default();
        check_tags(&tags)?;
        let now = now_ms();
        let mut st = self.lock();
        if let Some(existing) = st.queues.get(&name) {
            if existing.settings != settings {
                let differing = differing_attribute(&existing.settings, &settings);
                return Err(ApiError::modeled(
                    ErrorCode::QueueNameExists,
                    format!(
                        "A queue already exists with the same name and a different value for attribute {differing}"
                    ),
                ));
            }
            return Ok(CreateQueueOutput::builder()
                .queue_url(existing.url.clone())
                .build());
        }
        if st.deleted.get(&name).is_some_and(|t| now < t + COOLDOWN_MS) {
            return Err(ApiError::modeled(
                ErrorCode::QueueDeletedRecently,
                format!(
                    "You must wait 60 seconds after deleting a queue before you can create another queue with the same name ({name})."
                ),
            ));
        }
        self.check_redrive(&st, &settings, fifo, &self.arn(&name))?;
        let url = self.url(&name);
        let id = st.new_queue_id();
        let mut queue = Queue::new(
            id,
            name.clone(),
            url.clone(),
            self.arn(&name),
            settings,
            now / 1000,
        );
        queue.tags = tags;
        if st.persistent {
            queue.dirty = Dirty::tracking();
        }
        st.queues.insert(name.clone(), queue);
        st.waiters.insert(name, Arc::new(Notify::new()));
        Ok(CreateQueueOutput::builder().queue_url(url).build())
    }

    /// A redrive policy must name an existing queue of the same type that allows this source.
    pub(super) fn check_redrive(
        &self,
        st: &State,
        settings: &Settings,
        fifo: bool,
        source_arn: &str,
    ) -> Result<(), ApiError> {
        let Some(r) = &settings.redrive else {
            return Ok(());
        };
        let target = self
            .name_from_arn(&r.target_arn)
            .and_then(|n| st.queues.get(&n));
        let reason = match target {
            None => Some("Dead letter target does not exist"),
            Some(t) if t.settings.fifo != fifo => {
                Some("Dead-letter queue and source queue must be of the same type")
            }
            Some(t) if !redrive_allowed(t.settings.redrive_allow.as_deref(), source_arn) => {
                Some("Queue is not allowed to use the dead-letter queue by its RedriveAllowPolicy")
            }
            Some(_) => None,
        };
        match reason {
            Some(reason) => Err(ApiError::invalid_value(
                "RedrivePolicy",
                settings.redrive_text.as_deref().unwrap_or_default(),
                reason,
            )),
            None => Ok(()),
        }
    }

    pub(crate) fn get_queue_url(
        &self,
        input: GetQueueUrlInput,
    ) -> Result<GetQueueUrlOutput, ApiError> {
        if let Some(owner) = &input.queue_owner_aws_account_id
            && owner != &self.account
        {
            return Err(ApiError::no_queue());
        }
        let st = self.lock();
        let q = st
            .queues
            .get(&input.queue_name)
            .ok_or_else(ApiError::no_queue)?;
        Ok(GetQueueUrlOutput::builder()
            .queue_url(q.url.clone())
            .build())
    }

    pub(crate) fn list_queues(&self, input: ListQueuesInput) -> Result<ListQueuesOutput, ApiError> {
        let prefix = input.queue_name_prefix.unwrap_or_default();
        let st = self.lock();
        let names = st.queues.keys().filter(|n| n.starts_with(&prefix)).cloned();
        let (page, next) = paginate(names, input.max_results, input.next_token.as_deref())?;
        let mut out = ListQueuesOutput::default();
        if !page.is_empty() {
            out.queue_urls = Some(page.iter().map(|n| st.queues[n].url.clone()).collect());
        }
        out.next_token = next;
        Ok(out)
    }

    pub(crate) fn delete_queue(
        &self,
        input: DeleteQueueInput,
    ) -> Result<DeleteQueueOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let gone = st.queues.remove(&name).ok_or_else(ApiError::no_queue)?;
        if st.persistent {
            st.dropped.push(gone.id);
        }
        st.deleted.insert(name.clone(), now_ms());
        if let Some(n) = st.waiters.remove(&name) {
            n.notify_waiters();
        }
        Ok(DeleteQueueOutput::default())
    }

    pub(crate) fn get_queue_attributes(
        &self,
        input: GetQueueAttributesInput,
    ) -> Result<GetQueueAttributesOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let wanted = input.attribute_names.unwrap_or_default();
        for a in &wanted {
            if let A::Unknown(other) = a {
                return Err(ApiError::modeled(
                    ErrorCode::InvalidAttributeName,
                    format!("Unknown Attribute {other}."),
                ));
            }
        }
        let now = now_ms();
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        q.expire(now);
        let all = wanted.contains(&A::All);
        let mut out = HashMap::new();
        for (attr, value) in attributes_of(q, now) {
            if all || wanted.contains(&attr) {
                out.insert(attr, value);
            }
        }
        let mut o = GetQueueAttributesOutput::default();
        if !out.is_empty() {
            o.attributes = Some(out);
        }
        Ok(o)
    }

    pub(crate) fn set_queue_attributes(
        &self,
        input: SetQueueAttributesInput,
    ) -> Result<SetQueueAttributesOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let now = now_ms();
        let mut st = self.lock();
        let q = st.queues.get(&name).ok_or_else(ApiError::no_queue)?;
        let mut settings = q.settings.clone();
        let (fifo, arn) = (q.settings.fifo, q.arn.clone());
        settings.apply(&input.attributes, false)?;
        self.check_redrive(&st, &settings, fifo, &arn)?;
        if let Some(q) = st.queues.get_mut(&name) {
            q.settings = settings;
            q.modified_s = now / 1000;
            q.dirty.meta();
            q.sweep(now);
        }
        Ok(SetQueueAttributesOutput::default())
    }

    pub(crate) fn purge_queue(&self, input: PurgeQueueInput) -> Result<PurgeQueueOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let now = now_ms();
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        if q.last_purge_ms.is_some_and(|t| now < t + COOLDOWN_MS) {
            return Err(ApiError::modeled(
                ErrorCode::PurgeQueueInProgress,
                format!("Only one PurgeQueue operation on {name} is allowed every 60 seconds."),
            ));
        }
        q.purge();
        q.last_purge_ms = Some(now);
        q.dirty.meta();
        Ok(PurgeQueueOutput::default())
    }
}
/// One page of sorted names; the token is the last name of the previous page. Without
/// `max_results` the page holds up to 1,000 names and no token is given.
pub(super) fn paginate(
    names: impl Iterator<Item = String>,
    max_results: Option<i32>,
    token: Option<&str>,
) -> Result<(Vec<String>, Option<String>), ApiError> {
    if let Some(max) = max_results
        && !(1..=1000).contains(&max)
    {
        return Err(ApiError::invalid_value(
            "MaxResults",
            max,
            "must be between 1 and 1000",
        ));
    }
    let after = match token {
        Some(t) => {
            Some(unhex(t).ok_or_else(|| ApiError::invalid_value("NextToken", t, "Invalid token"))?)
        }
        None => None,
    };
    let limit = max_results.unwrap_or(1000) as usize;
    let mut rest = names.filter(|n| after.as_ref().is_none_or(|a| n > a));
    let page: Vec<String> = rest.by_ref().take(limit).collect();
    let more = rest.next().is_some();
    let next = (more && max_results.is_some())
        .then(|| page.last().map(|n| hex(n.as_bytes())))
        .flatten();
    Ok((page, next))
}

pub(super) fn differing_attribute(a: &Settings, b: &Settings) -> &'static str {
    if a.visibility_timeout != b.visibility_timeout {
        "VisibilityTimeout"
    } else if a.delay != b.delay {
        "DelaySeconds"
    } else if a.retention != b.retention {
        "MessageRetentionPeriod"
    } else if a.maximum_message_size != b.maximum_message_size {
        "MaximumMessageSize"
    } else if a.receive_wait != b.receive_wait {
        "ReceiveMessageWaitTimeSeconds"
    } else if a.redrive != b.redrive {
        "RedrivePolicy"
    } else {
        "of the queue"
    }
}

/// Every attribute GetQueueAttributes can report for this queue.
pub(super) fn attributes_of(q: &Queue, now: u64) -> Vec<(A, String)> {
    let s = &q.settings;
    let (visible, in_flight, delayed) = q.counts(now);
    let mut out = vec![
        (A::QueueArn, q.arn.clone()),
        (A::ApproximateNumberOfMessages, visible.to_string()),
        (
            A::ApproximateNumberOfMessagesNotVisible,
            in_flight.to_string(),
        ),
        (A::ApproximateNumberOfMessagesDelayed, delayed.to_string()),
        (A::CreatedTimestamp, q.created_s.to_string()),
        (A::LastModifiedTimestamp, q.modified_s.to_string()),
        (A::VisibilityTimeout, s.visibility_timeout.to_string()),
        (A::MaximumMessageSize, s.maximum_message_size.to_string()),
        (A::MessageRetentionPeriod, s.retention.to_string()),
        (A::DelaySeconds, s.delay.to_string()),
        (A::ReceiveMessageWaitTimeSeconds, s.receive_wait.to_string()),
        (A::SqsManagedSseEnabled, s.sqs_managed_sse.to_string()),
    ];
    if let Some(p) = &s.policy {
        out.push((A::Policy, p.clone()));
    }
    if let Some(r) = &s.redrive {
        // Echoed as SQS does: maxReceiveCount as a number.
        let doc = serde_json::json!({
            "deadLetterTargetArn": r.target_arn,
            "maxReceiveCount": r.max_receive_count,
        });
        out.push((A::RedrivePolicy, doc.to_string()));
    }
    if let Some(p) = &s.redrive_allow {
        out.push((A::RedriveAllowPolicy, p.clone()));
    }
    if let Some(k) = &s.kms_key {
        out.push((A::KmsMasterKeyId, k.clone()));
        out.push((A::KmsDataKeyReusePeriodSeconds, s.kms_reuse.to_string()));
    }
    if s.fifo {
        out.push((A::FifoQueue, "true".into()));
        out.push((
            A::ContentBasedDeduplication,
            s.content_based_dedup.to_string(),
        ));
        out.push((A::DeduplicationScope, s.dedup_scope.clone()));
        out.push((A::FifoThroughputLimit, s.throughput_limit.clone()));
    }
    out
}

pub(super) fn unhex(text: &str) -> Option<String> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}
