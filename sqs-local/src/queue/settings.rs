//! A queue's configurable attributes: SQS's defaults, limits and checks, and the redrive
//! policies.

use std::collections::HashMap;

use sqs_model::types::QueueAttributeName as A;

use crate::error::{ApiError, check_text};

/// The configurable attributes of a queue, with SQS's defaults and limits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub(crate) visibility_timeout: u32,
    pub(crate) maximum_message_size: u32,
    pub(crate) retention: u32,
    pub(crate) delay: u32,
    pub(crate) receive_wait: u32,
    pub(crate) redrive: Option<Redrive>,
    /// The RedrivePolicy document as given (echoed back unchanged).
    pub(crate) redrive_text: Option<String>,
    pub(crate) redrive_allow: Option<String>,
    pub(crate) policy: Option<String>,
    pub(crate) fifo: bool,
    pub(crate) content_based_dedup: bool,
    pub(crate) dedup_scope: String,
    pub(crate) throughput_limit: String,
    pub(crate) kms_key: Option<String>,
    pub(crate) kms_reuse: u32,
    pub(crate) sqs_managed_sse: bool,
}

/// Where messages go after too many receives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Redrive {
    pub(crate) target_arn: String,
    pub(crate) max_receive_count: u32,
}

impl Settings {
    pub(crate) fn new(fifo: bool) -> Self {
        Self {
            visibility_timeout: 30,
            maximum_message_size: 1_048_576,
            retention: 345_600,
            delay: 0,
            receive_wait: 0,
            redrive: None,
            redrive_text: None,
            redrive_allow: None,
            policy: None,
            fifo,
            content_based_dedup: false,
            dedup_scope: "queue".into(),
            throughput_limit: "perQueue".into(),
            kms_key: None,
            kms_reuse: 300,
            sqs_managed_sse: true,
        }
    }

    /// Every setting as the attribute a CreateQueue would give to get it (the redrive policy as
    /// it was given): what the data directory keeps, so a stored queue is read back through the
    /// same checks as a new one.
    pub(crate) fn as_attributes(&self) -> Vec<(A, String)> {
        let mut out = vec![
            (A::VisibilityTimeout, self.visibility_timeout.to_string()),
            (A::MaximumMessageSize, self.maximum_message_size.to_string()),
            (A::MessageRetentionPeriod, self.retention.to_string()),
            (A::DelaySeconds, self.delay.to_string()),
            (
                A::ReceiveMessageWaitTimeSeconds,
                self.receive_wait.to_string(),
            ),
            (A::KmsDataKeyReusePeriodSeconds, self.kms_reuse.to_string()),
            (A::SqsManagedSseEnabled, self.sqs_managed_sse.to_string()),
        ];
        let optional = [
            (A::RedrivePolicy, &self.redrive_text),
            (A::RedriveAllowPolicy, &self.redrive_allow),
            (A::Policy, &self.policy),
            (A::KmsMasterKeyId, &self.kms_key),
        ];
        out.extend(
            optional
                .into_iter()
                .filter_map(|(name, v)| v.clone().map(|v| (name, v))),
        );
        if self.fifo {
            out.push((A::FifoQueue, "true".into()));
            out.push((
                A::ContentBasedDeduplication,
                self.content_based_dedup.to_string(),
            ));
            out.push((A::DeduplicationScope, self.dedup_scope.clone()));
            out.push((A::FifoThroughputLimit, self.throughput_limit.clone()));
        }
        out
    }

    /// Applies attributes given to CreateQueue or SetQueueAttributes; nothing changes unless all
    /// of them are valid.
    pub(crate) fn apply(
        &mut self,
        attributes: &HashMap<A, String>,
        creating: bool,
    ) -> Result<(), ApiError> {
        let mut next = self.clone();
        for (name, value) in attributes {
            check_text(name.as_str(), value)?;
            next.set(name, value, creating)?;
        }
        if !next.fifo
            && (next.content_based_dedup
                || attributes.contains_key(&A::DeduplicationScope)
                || attributes.contains_key(&A::FifoThroughputLimit))
        {
            return Err(ApiError::modeled(
                sqs_model::ErrorCode::InvalidAttributeName,
                "Unknown Attribute ContentBasedDeduplication, DeduplicationScope or FifoThroughputLimit on a standard queue.",
            ));
        }
        *self = next;
        Ok(())
    }

    fn set(&mut self, name: &A, value: &str, creating: bool) -> Result<(), ApiError> {
        let bad = |reason: &str| {
            ApiError::modeled(
                sqs_model::ErrorCode::InvalidAttributeValue,
                format!(
                    "Invalid value for the parameter {}. Reason: {reason}.",
                    name.as_str()
                ),
            )
        };
        let number = |min: u32, max: u32| -> Result<u32, ApiError> {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .ok_or_else(|| bad(&format!("must be an integer from {min} to {max}")))
        };
        let boolean = || match value {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(bad("must be true or false")),
        };
        match name {
            A::VisibilityTimeout => self.visibility_timeout = number(0, 43_200)?,
            A::MaximumMessageSize => self.maximum_message_size = number(1_024, 1_048_576)?,
            A::MessageRetentionPeriod => self.retention = number(60, 1_209_600)?,
            A::DelaySeconds => self.delay = number(0, 900)?,
            A::ReceiveMessageWaitTimeSeconds => self.receive_wait = number(0, 20)?,
            A::Policy => self.policy = non_empty(value),
            A::RedrivePolicy => {
                if value.is_empty() {
                    self.redrive = None;
                    self.redrive_text = None;
                } else {
                    self.redrive = Some(parse_redrive(value).map_err(|r| bad(&r))?);
                    self.redrive_text = Some(value.to_owned());
                }
            }
            A::RedriveAllowPolicy => {
                if !value.is_empty() {
                    check_redrive_allow(value).map_err(|r| bad(&r))?;
                }
                self.redrive_allow = non_empty(value);
            }
            A::FifoQueue => {
                let fifo = boolean()?;
                if !creating && fifo != self.fifo {
                    return Err(bad("a queue's type cannot be changed"));
                }
                if creating && fifo != self.fifo {
                    return Err(ApiError::invalid_parameter(
                        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
                    ));
                }
            }
            A::ContentBasedDeduplication => self.content_based_dedup = boolean()?,
            A::DeduplicationScope => match value {
                "queue" | "messageGroup" => self.dedup_scope = value.to_owned(),
                _ => return Err(bad("must be queue or messageGroup")),
            },
            A::FifoThroughputLimit => match value {
                "perQueue" | "perMessageGroupId" => self.throughput_limit = value.to_owned(),
                _ => return Err(bad("must be perQueue or perMessageGroupId")),
            },
            A::KmsMasterKeyId => self.kms_key = non_empty(value),
            A::KmsDataKeyReusePeriodSeconds => self.kms_reuse = number(60, 86_400)?,
            A::SqsManagedSseEnabled => self.sqs_managed_sse = boolean()?,
            other => {
                return Err(ApiError::modeled(
                    sqs_model::ErrorCode::InvalidAttributeName,
                    format!("Unknown Attribute {}.", other.as_str()),
                ));
            }
        }
        Ok(())
    }
}

fn non_empty(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// `{"deadLetterTargetArn": "...", "maxReceiveCount": N}`, N as a number or a string, 1..1000.
fn parse_redrive(text: &str) -> Result<Redrive, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|_| "RedrivePolicy is not valid JSON".to_owned())?;
    let target_arn = v
        .get("deadLetterTargetArn")
        .and_then(|t| t.as_str())
        .ok_or("Redrive policy does not contain deadLetterTargetArn")?
        .to_owned();
    let count = match v.get("maxReceiveCount") {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .filter(|n| (1..=1000).contains(n))
    .ok_or("maxReceiveCount must be an integer from 1 to 1000")?;
    Ok(Redrive {
        target_arn,
        max_receive_count: count as u32,
    })
}

fn check_redrive_allow(text: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| "RedriveAllowPolicy is not valid JSON".to_owned())?;
    match v.get("redrivePermission").and_then(|p| p.as_str()) {
        Some("allowAll" | "denyAll") => Ok(()),
        Some("byQueue") => match v.get("sourceQueueArns").and_then(|a| a.as_array()) {
            Some(arns) if (1..=10).contains(&arns.len()) => Ok(()),
            _ => Err("byQueue needs 1 to 10 sourceQueueArns".into()),
        },
        _ => Err("redrivePermission must be allowAll, denyAll or byQueue".into()),
    }
}

/// Whether a source queue may use a dead-letter queue with this RedriveAllowPolicy.
pub(crate) fn redrive_allowed(policy: Option<&str>, source_arn: &str) -> bool {
    let Some(v) = policy.and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()) else {
        return true;
    };
    match v.get("redrivePermission").and_then(|p| p.as_str()) {
        Some("denyAll") => false,
        Some("byQueue") => v
            .get("sourceQueueArns")
            .and_then(|a| a.as_array())
            .is_some_and(|arns| arns.iter().any(|a| a.as_str() == Some(source_arn))),
        _ => true,
    }
}
