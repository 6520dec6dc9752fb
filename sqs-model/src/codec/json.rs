//! AWS JSON 1.0: the models derive serde; these helpers cover what derive cannot say.

use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::values::{DecodeError, EncodeError};

/// Encodes a request body with `serde_json`. (A writer of our own that copied unescaped text in
/// bulk was measured against it with `cargo bench --bench client -- unbatched 50000`, 1 KiB
/// SendMessage at concurrency 64, three alternating runs on 2026-12-04: 64.6, 59.0 and 60.6 µs
/// of client CPU per message with ours, 58.8, 57.2 and 56.4 µs with `serde_json`; it saved
/// nothing measurable, so it went.)
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, EncodeError> {
    serde_json::to_vec(value).map_err(|e| EncodeError::new(format!("JSON body: {e}")))
}

/// Decodes a success body; an empty body counts as `{}` (some servers answer a unit result so).
///
/// The body is checked to be UTF-8 once, as a whole: read from bytes, serde_json checks every
/// string on its own, which on an answer made of many short strings (a batch result's ids,
/// digests and message ids) costs about as much again as finding where each string ends.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| DecodeError::new(format!("JSON body is not UTF-8: {e}")))?;
    let text = if text.trim_ascii().is_empty() {
        "{}"
    } else {
        text
    };
    serde_json::from_str(text).map_err(|e| DecodeError::new(format!("JSON body: {e}")))
}

/// Reads `null` as the type's default, for members that are never `Option`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Room a list gets at its first element: the most entries an SQS batch or a receive holds.
const FIRST_ROOM: usize = 10;

/// Reads a list member that is never `Option` (`null` reads as empty). Unlike serde's own `Vec`,
/// which grows from 4 to 8 to 16 elements, the list gets room for [`FIRST_ROOM`] at its first
/// element: a batch answer's ten results take one allocation instead of three, and no copies.
pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(optional_list(deserializer)?.unwrap_or_default())
}

/// [`list`] for an optional list member (`null` reads as absent).
pub(crate) fn optional_list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_option(ListVisitor(PhantomData))
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // An empty list allocates nothing (a batch answer's `Failed` mostly is).
        let Some(first) = seq.next_element()? else {
            return Ok(Some(Vec::new()));
        };
        let hint = seq.size_hint().unwrap_or(0).saturating_add(1);
        let mut out = Vec::with_capacity(hint.clamp(FIRST_ROOM, 1024));
        out.push(first);
        while let Some(element) = seq.next_element()? {
            out.push(element);
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    // Only serde here: this module is also built on its own, without the client, by the
    // codegen's compile test.
    use super::*;

    #[derive(Deserialize, Debug, Default)]
    struct Answer {
        #[serde(rename = "Ids", default)]
        ids: Vec<String>,
        #[serde(rename = "Body")]
        body: Option<String>,
    }

    #[test]
    fn a_body_that_is_not_utf8_is_a_decode_error_naming_the_byte() {
        let mut body = br#"{"Ids": ["m1"], "Body": "caf"#.to_vec();
        body.push(0xe9);
        body.extend_from_slice(br#""}"#);
        let err = decode::<Answer>(&body).unwrap_err();
        assert!(err.message().contains("not UTF-8"), "{}", err.message());
        assert!(err.message().contains("index 28"), "{}", err.message());
    }

    #[test]
    fn text_beyond_ascii_and_blank_bodies_decode() {
        let body = r#"{"Ids": ["m1", "m2"], "Body": "café ☕ \u00e9"}"#;
        let out = decode::<Answer>(body.as_bytes()).unwrap();
        assert_eq!(out.ids, ["m1", "m2"]);
        assert_eq!(out.body.as_deref(), Some("café ☕ é"));
        let empty = decode::<Answer>(b" \r\n").unwrap();
        assert!(empty.ids.is_empty() && empty.body.is_none());
    }

    #[derive(Deserialize, Debug)]
    struct Lists {
        #[serde(rename = "Required", default, deserialize_with = "list")]
        required: Vec<u32>,
        #[serde(rename = "Optional", default, deserialize_with = "optional_list")]
        optional: Option<Vec<u32>>,
    }

    #[test]
    fn lists_read_null_and_absence_as_empty_and_get_room_for_a_batch_at_once() {
        let absent = decode::<Lists>(b"{}").unwrap();
        assert!(absent.required.is_empty() && absent.optional.is_none());
        let null = decode::<Lists>(br#"{"Required": null, "Optional": null}"#).unwrap();
        assert!(null.required.is_empty() && null.optional.is_none());
        // An empty list allocates nothing.
        let empty = decode::<Lists>(br#"{"Required": [], "Optional": []}"#).unwrap();
        assert_eq!(empty.required.capacity(), 0);
        assert_eq!(empty.optional, Some(Vec::new()));
        // Three elements: room for ten from the first (serde's own would have four).
        let three = decode::<Lists>(br#"{"Required": [1, 2, 3], "Optional": [4]}"#).unwrap();
        assert_eq!(three.required, [1, 2, 3]);
        assert_eq!(three.required.capacity(), FIRST_ROOM);
        assert_eq!(three.optional, Some(vec![4]));
        // Longer lists grow as usual and keep every element in order.
        let many: Vec<u32> = (0..25).collect();
        let text = format!(r#"{{"Required": {many:?}}}"#);
        assert_eq!(decode::<Lists>(text.as_bytes()).unwrap().required, many);
        // Anything else than an array or null is an error.
        assert!(decode::<Lists>(br#"{"Required": 3}"#).is_err());
        assert!(decode::<Lists>(br#"{"Optional": {"a": 1}}"#).is_err());
    }
}
