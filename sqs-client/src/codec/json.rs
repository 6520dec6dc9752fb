//! AWS JSON 1.0: the models derive serde; these helpers cover what derive cannot say.

use serde::{Deserialize, Deserializer, Serialize, de::DeserializeOwned};

use super::{DecodeError, EncodeError};

/// Encodes a request body.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, EncodeError> {
    super::json_write::to_vec(value)
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
}
