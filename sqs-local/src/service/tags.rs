//! Tags and permissions.

use std::collections::HashMap;

use sqs_model::operation::*;

use crate::error::{ApiError, check_text};
use crate::queue::Queue;

use super::state::*;

impl Service {
    pub(crate) fn tag_queue(&self, input: TagQueueInput) -> Result<TagQueueOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let mut tags = q.tags.clone();
        tags.extend(input.tags);
        check_tags(&tags)?;
        q.tags = tags;
        q.dirty.meta();
        Ok(TagQueueOutput::default())
    }

    pub(crate) fn untag_queue(&self, input: UntagQueueInput) -> Result<UntagQueueOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        for k in &input.tag_keys {
            q.tags.remove(k);
        }
        q.dirty.meta();
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
        check_text("Label", &input.label)?;
        for id in &input.aws_account_ids {
            check_text("AWSAccountId", id)?;
        }
        for action in &input.actions {
            check_text("ActionName", action)?;
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
        q.dirty.meta();
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
        q.dirty.meta();
        Ok(RemovePermissionOutput::default())
    }
}
pub(super) fn check_tags(tags: &HashMap<String, String>) -> Result<(), ApiError> {
    if tags.len() > 50 {
        return Err(ApiError::invalid_parameter(
            "Too many tags added for queue (at most 50).",
        ));
    }
    for (k, v) in tags {
        check_text("TagKey", k)?;
        check_text(&format!("Tag {k} value"), v)?;
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(ApiError::invalid_parameter(format!(
                "Tag {k}: keys are 1 to 128 characters, values at most 256."
            )));
        }
    }
    Ok(())
}

pub(super) fn policy_document(q: &Queue) -> serde_json::Value {
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
