//! The service state and the queue-level operations: create, look up, list, attributes, tags,
//! permissions, purge, delete, dead-letter sources and message move tasks. Message operations
//! are in `messages.rs`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqs_model::ErrorCode;
use sqs_model::operation::*;
use sqs_model::types::{ListMessageMoveTasksResultEntry, QueueAttributeName as A};
use sqs_model::wire::hex;
use tokio::sync::Notify;

use crate::error::ApiError;
use crate::queue::{Queue, Settings, redrive_allowed};

/// Seconds after a DeleteQueue during which the name cannot be reused, and after a PurgeQueue
/// during which another purge is refused.
const COOLDOWN_MS: u64 = 60_000;

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Who sent a request, as far as the service can tell.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The access key id of the request's signature, if signed.
    pub(crate) access_key: Option<String>,
}

/// The whole service.
#[derive(Debug)]
pub(crate) struct Service {
    pub(crate) base_url: String,
    pub(crate) region: String,
    pub(crate) account: String,
    /// Secrets by access key id, when signatures are checked.
    pub(crate) signing_keys: Option<HashMap<String, String>>,
    pub(crate) state: Mutex<State>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) queues: BTreeMap<String, Queue>,
    /// Woken when a queue gets a message (or goes away).
    pub(crate) waiters: HashMap<String, Arc<Notify>>,
    deleted: HashMap<String, u64>,
    tasks: Vec<MoveTask>,
}

#[derive(Debug, Clone)]
struct MoveTask {
    handle: String,
    source_arn: String,
    destination_arn: Option<String>,
    rate: Option<i32>,
    status: &'static str,
    moved: i64,
    to_move: i64,
    started_ms: u64,
    failure: Option<String>,
}

impl Service {
    pub(crate) fn new(base_url: String, region: String, account: String) -> Self {
        Self {
            base_url,
            region,
            account,
            signing_keys: None,
            state: Mutex::new(State::default()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a queue half-changed in a way later
        // requests could not cope with, so a poisoned lock is taken over.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.region, self.account)
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.base_url, self.account)
    }

    /// The queue name a queue URL names. Any host is accepted (clients may reach the service
    /// under another name); the account, when present, must be ours.
    pub(crate) fn name_from_url(&self, url: &str) -> Result<String, ApiError> {
        let path = match url.find("://") {
            Some(i) => url[i + 3..].split_once('/').map_or("", |(_, p)| p),
            None => url.trim_start_matches('/'),
        };
        let mut parts = path.trim_end_matches('/').rsplit('/');
        let name = parts.next().filter(|n| !n.is_empty());
        let account = parts.next();
        match (name, account) {
            (Some(n), Some(a)) if a == self.account || a == "queue" => Ok(n.to_owned()),
            (Some(n), None) => Ok(n.to_owned()),
            _ => Err(ApiError::no_queue()),
        }
    }

    fn name_from_arn(&self, arn: &str) -> Option<String> {
        let rest = arn.strip_prefix("arn:aws:sqs:")?;
        let mut parts = rest.splitn(3, ':');
        let (_region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
        (account == self.account).then(|| name.to_owned())
    }

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
        if attributes.get(&A::FifoQueue).map(String::as_str) == Some("true") && !fifo {
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
            return Ok(CreateQueueOutput::default().queue_url(existing.url.clone()));
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
        let mut queue = Queue::new(
            name.clone(),
            url.clone(),
            self.arn(&name),
            settings,
            now / 1000,
        );
        queue.tags = tags;
        st.queues.insert(name.clone(), queue);
        st.waiters.insert(name, Arc::new(Notify::new()));
        Ok(CreateQueueOutput::default().queue_url(url))
    }

    /// A redrive policy must name an existing queue of the same type that allows this source.
    fn check_redrive(
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
        Ok(GetQueueUrlOutput::default().queue_url(q.url.clone()))
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
        st.queues.remove(&name).ok_or_else(ApiError::no_queue)?;
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
            q.expire(now);
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
        Ok(PurgeQueueOutput::default())
    }

    pub(crate) fn tag_queue(&self, input: TagQueueInput) -> Result<TagQueueOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let mut tags = q.tags.clone();
        tags.extend(input.tags);
        check_tags(&tags)?;
        q.tags = tags;
        Ok(TagQueueOutput::default())
    }

    pub(crate) fn untag_queue(&self, input: UntagQueueInput) -> Result<UntagQueueOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        for k in &input.tag_keys {
            q.tags.remove(k);
        }
        Ok(UntagQueueOutput::default())
    }

    pub(crate) fn list_queue_tags(
        &self,
        input: ListQueueTagsInput,
    ) -> Result<ListQueueTagsOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let st = self.lock();
        let q = st.queues.get(&name).ok_or_else(ApiError::no_queue)?;
        let mut out = ListQueueTagsOutput::default();
        if !q.tags.is_empty() {
            out.tags = Some(q.tags.clone());
        }
        Ok(out)
    }

    pub(crate) fn add_permission(
        &self,
        input: AddPermissionInput,
    ) -> Result<AddPermissionOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        if input.aws_account_ids.is_empty() {
            return Err(ApiError::missing("AWSAccountId"));
        }
        if input.actions.is_empty() {
            return Err(ApiError::missing("ActionName"));
        }
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let mut policy = policy_document(q);
        let statements = policy["Statement"].as_array_mut();
        let Some(statements) = statements else {
            return Err(ApiError::internal("the queue policy has no statement list"));
        };
        if statements.iter().any(|s| s["Sid"] == input.label.as_str()) {
            return Err(ApiError::invalid_value(
                "Label",
                &input.label,
                "Already exists",
            ));
        }
        let principals: Vec<String> = input
            .aws_account_ids
            .iter()
            .map(|a| format!("arn:aws:iam::{a}:root"))
            .collect();
        let actions: Vec<String> = input.actions.iter().map(|a| format!("SQS:{a}")).collect();
        statements.push(serde_json::json!({
            "Sid": input.label,
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": actions,
            "Resource": q.arn,
        }));
        q.settings.policy = Some(policy.to_string());
        Ok(AddPermissionOutput::default())
    }

    pub(crate) fn remove_permission(
        &self,
        input: RemovePermissionInput,
    ) -> Result<RemovePermissionOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let mut policy = policy_document(q);
        let Some(statements) = policy["Statement"].as_array_mut() else {
            return Err(ApiError::internal("the queue policy has no statement list"));
        };
        let before = statements.len();
        statements.retain(|s| s["Sid"] != input.label.as_str());
        if statements.len() == before {
            return Err(ApiError::invalid_value(
                "Label",
                &input.label,
                "can't find label",
            ));
        }
        q.settings.policy = (!statements.is_empty()).then(|| policy.to_string());
        Ok(RemovePermissionOutput::default())
    }

    pub(crate) fn list_dead_letter_source_queues(
        &self,
        input: ListDeadLetterSourceQueuesInput,
    ) -> Result<ListDeadLetterSourceQueuesOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let st = self.lock();
        let dlq = st.queues.get(&name).ok_or_else(ApiError::no_queue)?;
        let sources = st
            .queues
            .values()
            .filter(|q| {
                q.settings
                    .redrive
                    .as_ref()
                    .is_some_and(|r| r.target_arn == dlq.arn)
            })
            .map(|q| q.name.clone());
        let (page, next) = paginate(sources, input.max_results, input.next_token.as_deref())?;
        let mut out = ListDeadLetterSourceQueuesOutput::default();
        out.queue_urls = page.iter().map(|n| st.queues[n].url.clone()).collect();
        out.next_token = next;
        Ok(out)
    }

    pub(crate) fn start_message_move_task(
        self: &Arc<Self>,
        input: StartMessageMoveTaskInput,
    ) -> Result<StartMessageMoveTaskOutput, ApiError> {
        let not_found = |what: &str| {
            ApiError::modeled(
                ErrorCode::ResourceNotFoundException,
                format!("{what} does not exist."),
            )
        };
        let mut st = self.lock();
        let source = self
            .name_from_arn(&input.source_arn)
            .ok_or_else(|| not_found("The source queue"))?;
        let source_q = st
            .queues
            .get(&source)
            .ok_or_else(|| not_found("The source queue"))?;
        let is_dlq = st.queues.values().any(|q| {
            q.settings
                .redrive
                .as_ref()
                .is_some_and(|r| r.target_arn == source_q.arn)
        });
        if !is_dlq {
            return Err(ApiError::invalid_parameter(
                "Source queue must be configured as a Dead Letter Queue.",
            ));
        }
        if let Some(dest) = &input.destination_arn {
            let dest_name = self
                .name_from_arn(dest)
                .ok_or_else(|| not_found("The destination queue"))?;
            if !st.queues.contains_key(&dest_name) {
                return Err(not_found("The destination queue"));
            }
        }
        if let Some(rate) = input.max_number_of_messages_per_second
            && !(1..=500).contains(&rate)
        {
            return Err(ApiError::invalid_value(
                "MaxNumberOfMessagesPerSecond",
                rate,
                "Must be between 1 and 500",
            ));
        }
        if st
            .tasks
            .iter()
            .any(|t| t.source_arn == input.source_arn && t.status == "RUNNING")
        {
            return Err(ApiError::invalid_parameter(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            ));
        }
        let to_move = source_q.messages.len() as i64;
        let handle = format!(
            "{}-{:016x}",
            hex(input.source_arn.as_bytes()),
            fastrand::u64(..)
        );
        st.tasks.push(MoveTask {
            handle: handle.clone(),
            source_arn: input.source_arn.clone(),
            destination_arn: input.destination_arn.clone(),
            rate: input.max_number_of_messages_per_second,
            status: "RUNNING",
            moved: 0,
            to_move,
            started_ms: now_ms(),
            failure: None,
        });
        drop(st);
        let service = Arc::clone(self);
        let task = handle.clone();
        tokio::spawn(async move { service.run_move_task(&task, &source).await });
        Ok(StartMessageMoveTaskOutput::default().task_handle(handle))
    }

    /// Moves messages from a dead-letter queue back, a batch a second when a rate is set, all at
    /// once otherwise; stops when the queue is empty or the task is cancelled.
    async fn run_move_task(&self, handle: &str, source: &str) {
        loop {
            let finished = {
                let now = now_ms();
                let mut st = self.lock();
                let Some(task) = st.tasks.iter().find(|t| t.handle == handle).cloned() else {
                    return;
                };
                if task.status != "RUNNING" {
                    return;
                }
                let batch = task.rate.map_or(usize::MAX, |r| r as usize);
                match self.move_batch(&mut st, source, task.destination_arn.as_deref(), batch, now)
                {
                    Ok((moved, left)) => {
                        let woken: Vec<_> = st.waiters.values().cloned().collect();
                        if let Some(t) = st.tasks.iter_mut().find(|t| t.handle == handle) {
                            t.moved += moved as i64;
                            if left == 0 {
                                t.status = "COMPLETED";
                            }
                        }
                        for n in woken {
                            n.notify_waiters();
                        }
                        left == 0
                    }
                    Err(why) => {
                        if let Some(t) = st.tasks.iter_mut().find(|t| t.handle == handle) {
                            t.status = "FAILED";
                            t.failure = Some(why);
                        }
                        true
                    }
                }
            };
            if finished {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Moves up to `batch` messages of `source` to the destination (or each back to the queue
    /// it came from); returns (moved, left).
    fn move_batch(
        &self,
        st: &mut State,
        source: &str,
        destination_arn: Option<&str>,
        batch: usize,
        now: u64,
    ) -> Result<(usize, usize), String> {
        let q = st
            .queues
            .get_mut(source)
            .ok_or("the source queue was deleted")?;
        q.expire(now);
        let keys: Vec<u64> = q
            .messages
            .iter()
            .filter(|(_, m)| !m.in_flight(now))
            .map(|(k, _)| *k)
            .take(batch)
            .collect();
        let mut taken = Vec::new();
        for k in keys {
            if let Some(m) = q.messages.remove(&k) {
                if let Some(r) = &m.receipt {
                    q.receipts.remove(r);
                }
                taken.push(m);
            }
        }
        let left = q.messages.len();
        let moved = taken.len();
        for mut m in taken {
            let target_arn = destination_arn
                .map(str::to_owned)
                .or_else(|| m.dead_letter_source.clone());
            let target = target_arn.and_then(|a| self.name_from_arn(&a));
            // Back in a source queue a message starts over, or it would be sent straight back.
            m.dead_letter_source = None;
            m.receive_count = 0;
            m.first_receive_ms = None;
            match target.and_then(|t| st.queues.get_mut(&t)) {
                Some(t) => t.adopt(m, now),
                // The original queue is gone: keep the message where it was.
                None => {
                    if let Some(q) = st.queues.get_mut(source) {
                        q.adopt(m, now);
                    }
                    return Err("the destination queue does not exist".into());
                }
            }
        }
        Ok((moved, left))
    }

    pub(crate) fn cancel_message_move_task(
        &self,
        input: CancelMessageMoveTaskInput,
    ) -> Result<CancelMessageMoveTaskOutput, ApiError> {
        let mut st = self.lock();
        let task = st
            .tasks
            .iter_mut()
            .find(|t| t.handle == input.task_handle)
            .ok_or_else(|| {
                ApiError::modeled(ErrorCode::ResourceNotFoundException, "Task does not exist.")
            })?;
        if task.status != "RUNNING" {
            return Err(ApiError::modeled(
                ErrorCode::ResourceNotFoundException,
                "Only active tasks can be cancelled.",
            ));
        }
        task.status = "CANCELLED";
        let mut out = CancelMessageMoveTaskOutput::default();
        out.approximate_number_of_messages_moved = task.moved;
        Ok(out)
    }

    pub(crate) fn list_message_move_tasks(
        &self,
        input: ListMessageMoveTasksInput,
    ) -> Result<ListMessageMoveTasksOutput, ApiError> {
        let max = input.max_results.unwrap_or(1);
        if !(1..=10).contains(&max) {
            return Err(ApiError::invalid_value(
                "MaxResults",
                max,
                "Must be between 1 and 10",
            ));
        }
        let st = self.lock();
        let exists = self
            .name_from_arn(&input.source_arn)
            .is_some_and(|n| st.queues.contains_key(&n));
        if !exists {
            return Err(ApiError::modeled(
                ErrorCode::ResourceNotFoundException,
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            ));
        }
        let results = st
            .tasks
            .iter()
            .rev()
            .filter(|t| t.source_arn == input.source_arn)
            .take(max as usize)
            .map(|t| {
                let mut e = ListMessageMoveTasksResultEntry::default();
                e.task_handle = (t.status == "RUNNING").then(|| t.handle.clone());
                e.status = Some(t.status.to_owned());
                e.source_arn = Some(t.source_arn.clone());
                e.destination_arn = t.destination_arn.clone();
                e.max_number_of_messages_per_second = t.rate;
                e.approximate_number_of_messages_moved = t.moved;
                e.approximate_number_of_messages_to_move = Some(t.to_move);
                e.failure_reason = t.failure.clone();
                e.started_timestamp = t.started_ms as i64;
                e
            })
            .collect();
        let mut out = ListMessageMoveTasksOutput::default();
        out.results = Some(results);
        Ok(out)
    }
}

fn unhex(text: &str) -> Option<String> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// One page of sorted names; the token is the last name of the previous page. Without
/// `max_results` the page holds up to 1,000 names and no token is given.
fn paginate(
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

fn check_tags(tags: &HashMap<String, String>) -> Result<(), ApiError> {
    if tags.len() > 50 {
        return Err(ApiError::invalid_parameter(
            "Too many tags added for queue (at most 50).",
        ));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(ApiError::invalid_parameter(format!(
                "Tag {k}: keys are 1 to 128 characters, values at most 256."
            )));
        }
    }
    Ok(())
}

fn differing_attribute(a: &Settings, b: &Settings) -> &'static str {
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

fn policy_document(q: &Queue) -> serde_json::Value {
    q.settings
        .policy
        .as_deref()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .filter(|p| p["Statement"].is_array())
        .unwrap_or_else(|| {
            serde_json::json!({
                "Version": "2012-10-17",
                "Id": format!("{}/SQSDefaultPolicy", q.arn),
                "Statement": [],
            })
        })
}

/// Every attribute GetQueueAttributes can report for this queue.
fn attributes_of(q: &Queue, now: u64) -> Vec<(A, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_on_from_their_token() {
        let names = || ["a", "b", "c"].into_iter().map(str::to_owned);
        let (first, token) = paginate(names(), Some(2), None).unwrap();
        assert_eq!(first, ["a", "b"]);
        let (second, none) = paginate(names(), Some(2), token.as_deref()).unwrap();
        assert_eq!(second, ["c"]);
        assert_eq!(none, None);
        let (all, none) = paginate(names(), None, None).unwrap();
        assert_eq!((all.len(), none), (3, None));
        assert!(paginate(names(), Some(0), None).is_err());
        assert!(paginate(names(), Some(1), Some("zz")).is_err());
    }

    #[test]
    fn queue_urls_name_their_queue() {
        let s = Service::new(
            "http://127.0.0.1:1".into(),
            "us-east-1".into(),
            "000000000000".into(),
        );
        assert_eq!(
            s.name_from_url("http://localhost:9/000000000000/q1")
                .unwrap(),
            "q1"
        );
        assert_eq!(s.name_from_url("q2").unwrap(), "q2");
        assert!(s.name_from_url("http://h/111111111111/q").is_err());
        assert!(s.name_from_url("http://h/").is_err());
    }
}
