//! AWS JSON 1.0: the models derive serde; these helpers cover what derive cannot say.

use serde::{Deserialize, Deserializer, Serialize, de::DeserializeOwned};

use super::{DecodeError, EncodeError};

/// Encodes a request body.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, EncodeError> {
    super::json_write::to_vec(value)
}

/// Decodes a success body; an empty body counts as `{}` (some servers answer a unit result so).
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| DecodeError::new(format!("JSON body: {e}")))
}

/// Reads `null` as the type's default, for members that are never `Option`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
