//! What every batch operation shares: its checks before any entry, and per-entry failures.

use std::collections::HashSet;

use sqs_model::ErrorCode;
use sqs_model::types::BatchResultErrorEntry;

use crate::error::ApiError;

pub(super) fn failure(id: &str, err: &ApiError) -> BatchResultErrorEntry {
    let mut f = BatchResultErrorEntry::default();
    f.id = id.to_owned();
    f.sender_fault = err.fault == sqs_model::Fault::Sender;
    f.code = err.query_code().to_owned();
    f.message = Some(err.message.clone());
    f
}

/// The checks every batch gets before any entry is looked at.
pub(super) fn check_batch<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
    entry: &str,
) -> Result<(), ApiError> {
    let n = ids.len();
    if n == 0 {
        return Err(ApiError::modeled(
            ErrorCode::EmptyBatchRequest,
            format!("There should be at least one {entry} in the request."),
        ));
    }
    if n > 10 {
        return Err(ApiError::modeled(
            ErrorCode::TooManyEntriesInBatchRequest,
            format!("Maximum number of entries per request are 10. You have sent {n}."),
        ));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if id.is_empty()
            || id.len() > 80
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::modeled(
                ErrorCode::InvalidBatchEntryId,
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(ApiError::modeled(
                ErrorCode::BatchEntryIdsNotDistinct,
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(())
}
