//! Checks the API description cannot express: message size with attributes, allowed body
//! characters, attribute names and types, batch totals and distinct entry ids before sending;
//! MD5 digests of bodies and attributes after.
//!
//! The operations call these through their [`Operation`](crate::Operation) hooks (the API
//! description names which hook an operation has); the digests are public for services and for
//! checking messages one by one.

use std::collections::{HashMap, HashSet};

use crate::md5::{self, Md5};

use crate::codec::{LengthUnit, Limits, ValidationError, ValidationProblem};
use crate::operation::{
    ChangeMessageVisibilityBatchInput, DeleteMessageBatchInput, ReceiveMessageInput,
    ReceiveMessageOutput, SendMessageBatchInput, SendMessageBatchOutput, SendMessageInput,
    SendMessageOutput,
};
use crate::types::{
    BatchResultErrorEntry, Message, MessageAttributeValue, MessageSystemAttributeNameForSends,
    MessageSystemAttributeValue,
};

#[cfg(feature = "server")]
mod answer;
mod complete;
pub use complete::INCOMPLETE_ANSWER_CODE;

/// A batch entry that failed on the client's side (`sender_fault` false): what the checks put
/// in a batch answer's `failed` list, and what a batching layer reports for an entry it could
/// not send.
pub fn failed_entry(
    id: impl Into<String>,
    code: impl Into<String>,
    message: impl Into<String>,
) -> BatchResultErrorEntry {
    BatchResultErrorEntry {
        id: id.into(),
        sender_fault: false,
        code: code.into(),
        message: Some(message.into()),
    }
}
#[cfg(feature = "server")]
pub(crate) use answer::*;
pub(crate) use complete::*;

/// The code given to a batch entry whose digest did not match (it is moved to `failed`).
pub const CHECKSUM_MISMATCH_CODE: &str = "ChecksumMismatch";

/// The bytes SQS counts for a message: body, and each attribute's name, type and value.
pub fn message_size(
    body: &str,
    attributes: Option<&HashMap<String, MessageAttributeValue>>,
) -> usize {
    body.len()
        + attributes.map_or(0, |attrs| {
            attrs
                .iter()
                .map(|(name, v)| {
                    name.len()
                        + v.data_type.len()
                        + v.string_value.as_ref().map_or(0, String::len)
                        + v.binary_value.as_ref().map_or(0, |b| b.as_bytes().len())
                })
                .sum()
        })
}

/// The first character SQS refuses in a text (allowed: tab, LF, CR, U+0020-U+D7FF,
/// U+E000-U+FFFD, U+10000-U+10FFFF), with its byte offset. A byte scan: only control bytes and
/// the encodings of U+FFFE / U+FFFF (EF BF BE, EF BF BF) can be wrong in valid UTF-8.
fn forbidden_char(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    // Blocks of 32 bytes are screened without branches (the compiler vectorizes this); only a
    // block holding a suspect byte is looked at closely.
    let suspect = |b: u8| (b < 0x20) | (b == 0xEF);
    for (n, block) in bytes.chunks(32).enumerate() {
        if !block.iter().fold(false, |acc, &b| acc | suspect(b)) {
            continue;
        }
        for (j, &b) in block.iter().enumerate() {
            let i = n * 32 + j;
            let bad = (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
                || (b == 0xEF
                    && bytes.get(i + 1) == Some(&0xBF)
                    && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)));
            if bad {
                return text[i..].chars().next().map(|c| (i, c));
            }
        }
    }
    None
}

fn chars_error(field: String, (at, c): (usize, char)) -> ValidationError {
    ValidationError::new(
        field,
        ValidationProblem::Invalid(format!(
            "character U+{:04X} at byte {at} is not allowed (allowed: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF)",
            c as u32
        )),
    )
}

fn check_attributes(
    field: &str,
    attributes: Option<&HashMap<String, MessageAttributeValue>>,
) -> Result<(), ValidationError> {
    let Some(attributes) = attributes else {
        return Ok(());
    };
    for (name, value) in attributes {
        let at = format!("{field}.message_attributes[{name:?}]");
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("aws.") || lower.starts_with("amazon.") {
            return Err(ValidationError::new(
                at,
                ValidationProblem::Invalid(
                    "names starting with AWS. or Amazon. are reserved".into(),
                ),
            ));
        }
        if name.contains("..") || name.starts_with('.') || name.ends_with('.') {
            return Err(ValidationError::new(
                at,
                ValidationProblem::Invalid(
                    "a name may not start or end with a period or hold two in a row".into(),
                ),
            ));
        }
        let base = value
            .data_type
            .split_once('.')
            .map_or(value.data_type.as_str(), |(b, _)| b);
        let missing = |what: &str| {
            ValidationError::new(
                format!("{at}.{what}"),
                ValidationProblem::Invalid(format!(
                    "an attribute of type {} needs a {what}",
                    value.data_type
                )),
            )
        };
        match base {
            "String" | "Number" => {
                let text = value
                    .string_value
                    .as_deref()
                    .ok_or_else(|| missing("string_value"))?;
                if let Some(bad) = forbidden_char(text) {
                    return Err(chars_error(format!("{at}.string_value"), bad));
                }
            }
            "Binary" => {
                value
                    .binary_value
                    .as_ref()
                    .ok_or_else(|| missing("binary_value"))?;
            }
            _ => {
                return Err(ValidationError::new(
                    format!("{at}.data_type"),
                    ValidationProblem::Invalid(format!(
                        "{:?} is not a type: use String, Number or Binary, optionally followed by .label",
                        value.data_type
                    )),
                ));
            }
        }
    }
    Ok(())
}

fn check_message(
    field: &str,
    body: &str,
    attributes: Option<&HashMap<String, MessageAttributeValue>>,
    limits: &Limits,
) -> Result<usize, ValidationError> {
    if let Some(bad) = forbidden_char(body) {
        return Err(chars_error(format!("{field}.message_body"), bad));
    }
    check_attributes(field, attributes)?;
    let size = message_size(body, attributes);
    if size > limits.max_message_size {
        return Err(ValidationError::new(
            format!("{field} (body and attributes)"),
            ValidationProblem::TooLong {
                max: limits.max_message_size as u64,
                actual: size as u64,
                unit: LengthUnit::Bytes,
            },
        ));
    }
    Ok(size)
}

pub(crate) fn check_send(input: &SendMessageInput, limits: &Limits) -> Result<(), ValidationError> {
    check_message(
        "SendMessageInput",
        &input.message_body,
        input.message_attributes.as_ref(),
        limits,
    )
    .map(drop)
}

fn distinct_ids<'a>(
    field: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<(), ValidationError> {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(ValidationError::new(
                format!("{field}.entries[{i}].id"),
                ValidationProblem::Invalid(format!(
                    "id {id:?} is used by an earlier entry; ids must be distinct in a batch"
                )),
            ));
        }
    }
    Ok(())
}

pub(crate) fn check_send_batch(
    input: &SendMessageBatchInput,
    limits: &Limits,
) -> Result<(), ValidationError> {
    distinct_ids(
        "SendMessageBatchInput",
        input.entries.iter().map(|e| e.id.as_str()),
    )?;
    let mut total = 0;
    for (i, e) in input.entries.iter().enumerate() {
        total += check_message(
            &format!("SendMessageBatchInput.entries[{i}]"),
            &e.message_body,
            e.message_attributes.as_ref(),
            limits,
        )?;
    }
    if total > limits.max_batch_size {
        return Err(ValidationError::new(
            "SendMessageBatchInput.entries (all bodies and attributes)",
            ValidationProblem::TooLong {
                max: limits.max_batch_size as u64,
                actual: total as u64,
                unit: LengthUnit::Bytes,
            },
        ));
    }
    Ok(())
}

pub(crate) fn check_delete_batch(
    input: &DeleteMessageBatchInput,
    _: &Limits,
) -> Result<(), ValidationError> {
    distinct_ids(
        "DeleteMessageBatchInput",
        input.entries.iter().map(|e| e.id.as_str()),
    )
}

pub(crate) fn check_visibility_batch(
    input: &ChangeMessageVisibilityBatchInput,
    _: &Limits,
) -> Result<(), ValidationError> {
    distinct_ids(
        "ChangeMessageVisibilityBatchInput",
        input.entries.iter().map(|e| e.id.as_str()),
    )
}

/// The MD5 of `bytes` in lowercase hex, as SQS gives a body's digest.
///
/// ```
/// assert_eq!(sqs_model::checks::md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
/// ```
pub fn md5_hex(bytes: &[u8]) -> String {
    Hex::of(&md5::digest(bytes)).as_ref().to_owned()
}

/// A digest in lowercase hex, kept on the stack (compared once per message, so not worth an
/// allocation).
struct Hex([u8; 32]);

impl Hex {
    fn of(digest: &[u8; 16]) -> Self {
        use crate::hex::HEX_DIGITS;
        let mut out = [0u8; 32];
        for (pair, b) in out.chunks_exact_mut(2).zip(digest) {
            pair[0] = HEX_DIGITS[usize::from(b >> 4)];
            pair[1] = HEX_DIGITS[usize::from(b & 0xf)];
        }
        Self(out)
    }
}

impl AsRef<str> for Hex {
    fn as_ref(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

fn push_field(hasher: &mut Md5, bytes: &[u8]) {
    hasher.update(&(bytes.len() as u32).to_be_bytes());
    hasher.update(bytes);
}

fn digest_attribute(
    hasher: &mut Md5,
    name: &str,
    data_type: &str,
    string: Option<&str>,
    binary: Option<&[u8]>,
) {
    push_field(hasher, name.as_bytes());
    push_field(hasher, data_type.as_bytes());
    match (string, binary) {
        (_, Some(bytes)) if data_type.starts_with("Binary") => {
            hasher.update(&[2]);
            push_field(hasher, bytes);
        }
        (Some(text), _) => {
            hasher.update(&[1]);
            push_field(hasher, text.as_bytes());
        }
        _ => {}
    }
}

/// The MD5 digest SQS computes over user attributes: sorted by name, each as length-prefixed
/// name, type, a transport byte (1 text, 2 binary) and length-prefixed value.
pub fn attributes_md5(attributes: &HashMap<String, MessageAttributeValue>) -> String {
    let mut names: Vec<&String> = attributes.keys().collect();
    names.sort_unstable();
    let mut hasher = Md5::new();
    for name in names {
        let v = &attributes[name];
        digest_attribute(
            &mut hasher,
            name,
            &v.data_type,
            v.string_value.as_deref(),
            v.binary_value.as_ref().map(|b| b.as_bytes()),
        );
    }
    let mut out = String::with_capacity(32);
    crate::hex::push_hex(&mut out, &hasher.finalize());
    out
}

fn system_attributes_md5(
    attributes: &HashMap<MessageSystemAttributeNameForSends, MessageSystemAttributeValue>,
) -> String {
    let mut entries: Vec<_> = attributes.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut hasher = Md5::new();
    for (name, v) in entries {
        digest_attribute(
            &mut hasher,
            name.as_str(),
            &v.data_type,
            v.string_value.as_deref(),
            v.binary_value.as_ref().map(|b| b.as_bytes()),
        );
    }
    let mut out = String::with_capacity(32);
    crate::hex::push_hex(&mut out, &hasher.finalize());
    out
}

/// Compares a digest the server returned with ours. A digest the server left out cannot be
/// checked, so the check fails (turn digest checks off for a server that never sends them).
fn compare<T: AsRef<str>>(
    what: &str,
    returned: Option<&str>,
    ours: impl FnOnce() -> T,
) -> Result<(), String> {
    match returned {
        Some(theirs) if theirs.eq_ignore_ascii_case(ours().as_ref()) => Ok(()),
        Some(theirs) => Err(format!(
            "{what}: the service computed {theirs}, which is not the digest of what was sent"
        )),
        None => Err(format!(
            "{what}: the answer has no digest, so what was sent cannot be checked"
        )),
    }
}

struct Sent<'a> {
    attributes: Option<&'a HashMap<String, MessageAttributeValue>>,
    system: Option<&'a HashMap<MessageSystemAttributeNameForSends, MessageSystemAttributeValue>>,
}

fn verify_sent<T: AsRef<str>>(
    sent: &Sent<'_>,
    ours_body: impl FnOnce() -> T,
    body_md5: Option<&str>,
    attrs_md5: Option<&str>,
    system_md5: Option<&str>,
) -> Result<(), String> {
    compare("MD5OfMessageBody", body_md5, ours_body)?;
    if let Some(attrs) = sent.attributes.filter(|a| !a.is_empty()) {
        compare("MD5OfMessageAttributes", attrs_md5, || {
            attributes_md5(attrs)
        })?;
    }
    if let Some(system) = sent.system.filter(|a| !a.is_empty()) {
        compare("MD5OfMessageSystemAttributes", system_md5, || {
            system_attributes_md5(system)
        })?;
    }
    Ok(())
}

pub(crate) fn verify_send(
    input: &SendMessageInput,
    _: &[[u8; 16]],
    output: &mut SendMessageOutput,
) -> Result<(), String> {
    let sent = Sent {
        attributes: input.message_attributes.as_ref(),
        system: input.message_system_attributes.as_ref(),
    };
    verify_sent(
        &sent,
        || Hex::of(&md5::digest(input.message_body.as_bytes())),
        output.md5_of_message_body.as_deref(),
        output.md5_of_message_attributes.as_deref(),
        output.md5_of_message_system_attributes.as_deref(),
    )
}

/// The MD5 of each entry's body of a batch, in the request's order. The client takes them right
/// after encoding the request, while the bodies are still in the CPU's cache: about a sixth
/// cheaper than after the answer, when other work has pushed them out.
pub(crate) fn batch_body_digests(input: &SendMessageBatchInput) -> Vec<[u8; 16]> {
    let bodies: Vec<&[u8]> = input
        .entries
        .iter()
        .map(|e| e.message_body.as_bytes())
        .collect();
    md5::digest_many(&bodies)
}

/// Moves each successful entry whose digests do not match to `failed`, with
/// [`CHECKSUM_MISMATCH_CODE`] and `sender_fault = false` (the message may be resent).
/// `body_digests` are the request's, from [`batch_body_digests`] (taken here when they were
/// not).
pub(crate) fn verify_send_batch(
    input: &SendMessageBatchInput,
    body_digests: &[[u8; 16]],
    output: &mut SendMessageBatchOutput,
) -> Result<(), String> {
    let taken_now;
    let body_digests = if body_digests.len() == input.entries.len() {
        body_digests
    } else {
        taken_now = batch_body_digests(input);
        &taken_now
    };
    // The answer's entries are matched to the request's by id; they mostly come in the same
    // order, so the search starts after the entry found last (a batch has at most ten). An
    // answered id the request did not have is not checked.
    let mut next = 0;
    let mut find = |id: &str| {
        let n = input.entries.len();
        let found = (0..n)
            .map(|k| (next + k) % n)
            .find(|&i| input.entries[i].id == id)?;
        next = found + 1;
        Some(found)
    };
    let successful = std::mem::take(&mut output.successful);
    let sent: Vec<_> = successful.iter().map(|entry| find(&entry.id)).collect();
    let failed = &mut output.failed;
    // Filtered in place: the good entries keep the answer's allocation.
    output.successful = successful
        .into_iter()
        .zip(sent)
        .filter_map(|(entry, sent)| {
            let verdict = sent.map_or(Ok(()), |n| {
                // (A missing digest, which cannot happen, reads as a mismatch.)
                let (sent, digest) = (&input.entries[n], body_digests.get(n).copied());
                verify_sent(
                    &Sent {
                        attributes: sent.message_attributes.as_ref(),
                        system: sent.message_system_attributes.as_ref(),
                    },
                    || Hex::of(&digest.unwrap_or_default()),
                    Some(&entry.md5_of_message_body)
                        .filter(|m| !m.is_empty())
                        .map(String::as_str),
                    entry.md5_of_message_attributes.as_deref(),
                    entry.md5_of_message_system_attributes.as_deref(),
                )
            });
            match verdict {
                Ok(()) => Some(entry),
                Err(why) => {
                    failed.push(failed_entry(
                        entry.id,
                        CHECKSUM_MISMATCH_CODE,
                        format!("{why} (message id {})", entry.message_id),
                    ));
                    None
                }
            }
        })
        .collect();
    Ok(())
}

/// Checks each received message's body and attribute digests, one verdict per message (the
/// error says which digest did not match).
pub fn verify_messages(messages: &[Message]) -> Vec<Result<(), String>> {
    let bodies: Vec<&[u8]> = messages
        .iter()
        .map(|m| m.body.as_deref().unwrap_or_default().as_bytes())
        .collect();
    let digests = md5::digest_many(&bodies);
    messages
        .iter()
        .zip(digests)
        .map(|(m, digest)| {
            compare("MD5OfBody", m.md5_of_body.as_deref(), || Hex::of(&digest))?;
            if let Some(attrs) = m.message_attributes.as_ref().filter(|a| !a.is_empty()) {
                compare(
                    "MD5OfMessageAttributes",
                    m.md5_of_message_attributes.as_deref(),
                    || attributes_md5(attrs),
                )?;
            }
            Ok(())
        })
        .collect()
}

/// Checks each received message's body and attribute digests; names the messages that fail.
pub(crate) fn verify_received(
    _: &ReceiveMessageInput,
    _: &[[u8; 16]],
    output: &mut ReceiveMessageOutput,
) -> Result<(), String> {
    let messages = output.messages.as_deref().unwrap_or_default();
    let bad: Vec<String> = messages
        .iter()
        .zip(verify_messages(messages))
        .filter_map(|(m, verdict)| {
            verdict
                .err()
                .map(|why| format!("message {}: {why}", m.message_id.as_deref().unwrap_or("?")))
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}; the messages were not deleted and reappear after their visibility timeout",
            bad.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests;
