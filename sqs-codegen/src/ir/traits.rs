//! The traits the resolver reads, by absolute id, and small readers of trait values.

use std::collections::BTreeMap;

use serde_json::Value;

pub(super) const T_DOC: &str = "smithy.api#documentation";
pub(super) const T_REQUIRED: &str = "smithy.api#required";
pub(super) const T_DEFAULT: &str = "smithy.api#default";
pub(super) const T_XML_NAME: &str = "smithy.api#xmlName";
pub(super) const T_FLATTENED: &str = "smithy.api#xmlFlattened";
pub(super) const T_ENUM_VALUE: &str = "smithy.api#enumValue";
pub(super) const T_ERROR: &str = "smithy.api#error";
pub(super) const T_HTTP_ERROR: &str = "smithy.api#httpError";
pub(super) const T_QUERY_ERROR: &str = "aws.protocols#awsQueryError";
pub(super) const T_DEPRECATED: &str = "smithy.api#deprecated";
pub(super) const T_PAGINATED: &str = "smithy.api#paginated";
pub(super) const T_READONLY: &str = "smithy.api#readonly";
pub(super) const T_IDEMPOTENT: &str = "smithy.api#idempotent";
/// The project's own traits (defined in its description): see [`Hooks`].
pub(super) const T_CLIENT_HOOKS: &str = "rs.sqs#clientHooks";
pub(super) const T_SERVICE_HOOKS: &str = "rs.sqs#serviceHooks";
pub(super) const T_LONG_POLL: &str = "rs.sqs#longPoll";
pub(super) const T_CARRIES_MESSAGES: &str = "rs.sqs#carriesMessages";
pub(super) const T_LENGTH: &str = "smithy.api#length";
pub(super) const T_RANGE: &str = "smithy.api#range";
pub(super) const T_PATTERN: &str = "smithy.api#pattern";
pub(super) const T_XML_NAMESPACE: &str = "smithy.api#xmlNamespace";
pub(super) const T_SIGV4: &str = "aws.auth#sigv4";
pub(super) fn doc(traits: &BTreeMap<String, Value>) -> Option<String> {
    traits.get(T_DOC).and_then(Value::as_str).map(str::to_owned)
}

pub(super) fn deprecation(traits: &BTreeMap<String, Value>) -> Option<String> {
    traits.get(T_DEPRECATED).map(|v| {
        v.get("message")
            .and_then(Value::as_str)
            .unwrap_or("deprecated")
            .to_owned()
    })
}

pub(super) fn trait_str(traits: &BTreeMap<String, Value>, id: &str) -> Option<String> {
    traits.get(id).and_then(Value::as_str).map(str::to_owned)
}
