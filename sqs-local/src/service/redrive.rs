//! Dead-letter queues: their sources, and message move tasks back to them.

use std::sync::Arc;
use std::time::Duration;

use sqs_model::ErrorCode;
use sqs_model::operation::*;
use sqs_model::types::ListMessageMoveTasksResultEntry;
use sqs_model::wire::hex;

use crate::error::ApiError;

use super::queues::*;
use super::state::*;

impl Service {
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
        st.tasks_changed = true;
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
        Ok(StartMessageMoveTaskOutput::builder()
            .task_handle(handle)
            .build())
    }

    /// Starts again the move tasks a data directory held as running.
    pub(crate) fn resume_move_tasks(self: &Arc<Self>) {
        let running: Vec<(String, String)> = self
            .lock()
            .tasks
            .iter()
            .filter(|t| t.status == "RUNNING")
            .filter_map(|t| Some((t.handle.clone(), self.name_from_arn(&t.source_arn)?)))
            .collect();
        for (handle, source) in running {
            let service = Arc::clone(self);
            tokio::spawn(async move { service.run_move_task(&handle, &source).await });
        }
    }

    /// Moves messages from a dead-letter queue back, a batch a second when a rate is set, all at
    /// once otherwise; stops when the queue is empty or the task is cancelled.
    pub(super) async fn run_move_task(&self, handle: &str, source: &str) {
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
                        st.tasks_changed = true;
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
                        st.tasks_changed = true;
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
    pub(super) fn move_batch(
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
        let taken: Vec<_> = keys.into_iter().filter_map(|k| q.take(k)).collect();
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
        st.tasks_changed = true;
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
