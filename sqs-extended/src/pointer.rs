//! The wire format shared with the Java and Python extended clients: the pointer body, the
//! reserved size attribute, object keys, and the receipt handle that carries the pointer.

use serde_json::Value;

/// The pointer class the current Java and Python clients write.
pub const POINTER_CLASS: &str = "software.amazon.payloadoffloading.PayloadS3Pointer";
/// The reserved attribute current clients write: the payload's size in bytes.
pub const SIZE_ATTRIBUTE: &str = "ExtendedPayloadSize";
/// The reserved attribute older clients (and Java 2.1 by default) write.
pub const LEGACY_SIZE_ATTRIBUTE: &str = "SQSLargePayloadSize";

const BUCKET_MARKER: &str = "-..s3BucketName..-";
const KEY_MARKER: &str = "-..s3Key..-";

/// Where an offloaded payload is: a bucket (or container) name and an object key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayloadLocation {
    /// The bucket name written in the pointer.
    pub bucket: String,
    /// The object key.
    pub key: String,
}

impl PayloadLocation {
    /// The pointer body, in the compact form the Java client writes.
    pub fn to_pointer(&self) -> String {
        serde_json::json!([POINTER_CLASS, {"s3BucketName": self.bucket, "s3Key": self.key}])
            .to_string()
    }

    /// Reads a pointer body written by any of the clients: either class name family, any JSON
    /// formatting, any field order, unknown fields ignored.
    pub fn from_pointer(body: &str) -> Result<Self, String> {
        let v: Value =
            serde_json::from_str(body).map_err(|e| format!("the pointer is not JSON: {e}"))?;
        let [class, fields] = v.as_array().map(Vec::as_slice).unwrap_or_default() else {
            return Err("a pointer is a JSON array of a class name and an object".into());
        };
        let class = class.as_str().unwrap_or_default();
        if !is_pointer_class(class) {
            return Err(format!("{class:?} is not a pointer class"));
        }
        let text = |name: &str| {
            fields
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("the pointer has no {name}"))
        };
        let location = Self {
            bucket: text("s3BucketName")?,
            key: text("s3Key")?,
        };
        // A marker inside a name would make the wrapped receipt handle unwrap to another object.
        for (field, value) in [("s3BucketName", &location.bucket), ("s3Key", &location.key)] {
            if let Some(marker) = [BUCKET_MARKER, KEY_MARKER]
                .into_iter()
                .find(|m| value.contains(m))
            {
                return Err(format!(
                    "the pointer's {field} {value:?} contains {marker:?}, which receipt handles use as a separator"
                ));
            }
        }
        Ok(location)
    }

    /// The object's path in an `object_store` store: exactly the key, byte for byte. S3 keys are
    /// any UTF-8 of up to 1,024 bytes; an `object_store` path cannot hold some of them, and
    /// those are refused rather than changed into another key: the empty key, a key over 1,024
    /// bytes, a leading or trailing `/`, an empty segment (`//`), a `.` or `..` segment, and
    /// ASCII control characters. (A backend may refuse more: the local file system refuses
    /// names over 255 bytes and names ending in `#` and digits; its error names the key.)
    pub fn object_path(&self) -> Result<object_store::path::Path, String> {
        let key = self.key.as_str();
        let why = if key.is_empty() {
            Some("it is empty")
        } else if key.len() > 1024 {
            Some("it is longer than S3's 1,024 bytes")
        } else if key.starts_with('/') || key.ends_with('/') {
            Some("it starts or ends with '/'")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(format!("the object key {key:?} cannot be used: {why}"));
        }
        match object_store::path::Path::parse(key) {
            Ok(path) if path.as_ref() == key => Ok(path),
            Ok(path) => Err(format!(
                "the object key {key:?} cannot be used: the store would read it as {:?}",
                path.as_ref()
            )),
            Err(e) => Err(format!(
                "the object key {key:?} cannot be used: {e} (empty, '.' and '..' segments and control characters have no object_store path)"
            )),
        }
    }

    /// The receipt handle handed out for an offloaded message, as the Java client writes it.
    pub fn wrap_handle(&self, receipt_handle: &str) -> String {
        format!(
            "{BUCKET_MARKER}{}{BUCKET_MARKER}{KEY_MARKER}{}{KEY_MARKER}{receipt_handle}",
            self.bucket, self.key
        )
    }

    /// Splits a receipt handle into the payload it names (if it is a wrapped one) and the handle
    /// SQS gave. As in the Java client: bucket and key are the text between the first and second
    /// occurrence of their markers, and the original handle is everything after the second key
    /// marker, so handles containing `-` survive.
    ///
    /// ```
    /// use sqs_extended::PayloadLocation;
    ///
    /// let location = PayloadLocation { bucket: "b".into(), key: "k".into() };
    /// let wrapped = location.wrap_handle("AQEB-original");
    /// assert_eq!(PayloadLocation::unwrap_handle(&wrapped), (Some(location), "AQEB-original"));
    /// assert_eq!(PayloadLocation::unwrap_handle("AQEB-plain"), (None, "AQEB-plain"));
    /// ```
    pub fn unwrap_handle(handle: &str) -> (Option<PayloadLocation>, &str) {
        let between = |marker: &str| -> Option<(String, usize)> {
            let start = handle.find(marker)? + marker.len();
            let len = handle[start..].find(marker)?;
            Some((
                handle[start..start + len].to_owned(),
                start + len + marker.len(),
            ))
        };
        match (between(BUCKET_MARKER), between(KEY_MARKER)) {
            (Some((bucket, _)), Some((key, end))) => {
                (Some(PayloadLocation { bucket, key }), &handle[end..])
            }
            _ => (None, handle),
        }
    }
}

/// The current class name, and the legacy `com.(amazon|amazonaws).(sqs|services).
/// (javamessaging|extendedmessaging).MessageS3Pointer` family.
fn is_pointer_class(class: &str) -> bool {
    if class == POINTER_CLASS {
        return true;
    }
    let parts: Vec<&str> = class.split('.').collect();
    matches!(
        parts.as_slice(),
        [
            "com",
            "amazon" | "amazonaws",
            "sqs" | "services",
            "javamessaging" | "extendedmessaging",
            "MessageS3Pointer"
        ]
    )
}

/// Checks a key prefix as the Java client does: at most 988 characters of `[a-zA-Z0-9./_-]`,
/// not starting with `.` or `/`, without `..`.
pub(crate) fn check_key_prefix(prefix: &str) -> Result<(), String> {
    if prefix.len() > 988 {
        return Err(format!(
            "the key prefix is {} characters long; at most 988 are allowed",
            prefix.len()
        ));
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "./_-".contains(*c)))
    {
        return Err(format!(
            "the key prefix contains {c:?}; only letters, digits and . / _ - are allowed"
        ));
    }
    if prefix.starts_with('.') || prefix.starts_with('/') {
        return Err("the key prefix must not start with '.' or '/'".into());
    }
    if prefix.contains("..") {
        return Err("the key prefix must not contain '..'".into());
    }
    Ok(())
}

/// A fresh object key: the prefix and a lowercase version-4 UUID.
pub(crate) fn new_key(prefix: &str) -> String {
    let (a, b) = (fastrand::u64(..), fastrand::u64(..));
    format!(
        "{prefix}{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_of_every_writer_are_read() {
        let java = r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k-1"}]"#;
        let python = r#"["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "b", "s3Key": "k-1"}]"#;
        let legacy = r#"[ "com.amazon.sqs.javamessaging.MessageS3Pointer" , { "s3Key" : "k-1" , "s3BucketName" : "b", "extra": 1 } ]"#;
        let expected = PayloadLocation {
            bucket: "b".into(),
            key: "k-1".into(),
        };
        for body in [java, python, legacy] {
            assert_eq!(
                PayloadLocation::from_pointer(body).unwrap(),
                expected,
                "{body}"
            );
        }
        assert_eq!(expected.to_pointer(), java);
        for other in [
            "com.amazonaws.services.extendedmessaging.MessageS3Pointer",
            "com.amazon.services.javamessaging.MessageS3Pointer",
        ] {
            assert!(is_pointer_class(other), "{other}");
        }
        assert!(!is_pointer_class(
            "com.example.sqs.javamessaging.MessageS3Pointer"
        ));
        for bad in [
            r#"["java.lang.String",{"s3BucketName":"b","s3Key":"k"}]"#,
            r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b"}]"#,
            r#"{"s3BucketName":"b","s3Key":"k"}"#,
            "plain text",
        ] {
            assert!(PayloadLocation::from_pointer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn handles_are_wrapped_and_unwrapped_as_java_does() {
        let loc = PayloadLocation {
            bucket: "ext-doc-bucket".into(),
            key: "bcc68c59-53a1-45c5-bc1c-1c3d1c79b6a6".into(),
        };
        // A real handle may contain '-': everything after the second key marker is kept.
        let original = "AQEB-abc-def==";
        let wrapped = loc.wrap_handle(original);
        assert_eq!(
            wrapped,
            "-..s3BucketName..-ext-doc-bucket-..s3BucketName..--..s3Key..-bcc68c59-53a1-45c5-bc1c-1c3d1c79b6a6-..s3Key..-AQEB-abc-def=="
        );
        assert_eq!(
            PayloadLocation::unwrap_handle(&wrapped),
            (Some(loc), original)
        );
        assert_eq!(
            PayloadLocation::unwrap_handle("AQEB-plain"),
            (None, "AQEB-plain")
        );
        // Only one marker: not a wrapped handle.
        assert_eq!(PayloadLocation::unwrap_handle("-..s3Key..-x").0, None);
    }

    #[test]
    fn keys_are_paths_exactly_or_refused() {
        let at = |key: &str| {
            PayloadLocation {
                bucket: "b".into(),
                key: key.into(),
            }
            .object_path()
        };
        for key in [
            "a~b", "a#b", "a%41b", "a+b", "x[1]", "sp ace", "é.bin", "d/e/f", "a\\b",
        ] {
            assert_eq!(at(key).unwrap().as_ref(), key);
        }
        assert!(at(&"k".repeat(1024)).is_ok());
        for key in [
            "",
            "/lead",
            "trail/",
            "a//b",
            "./x",
            "a/../b",
            "..",
            "ctl\u{1}x",
            "tab\tx",
            &"k".repeat(1025),
        ] {
            let why = at(key).unwrap_err();
            assert!(why.contains("cannot be used"), "{key:?}: {why}");
        }
        // A pointer whose names carry a handle marker is refused.
        for (bucket, key) in [("b-..s3BucketName..-c", "k"), ("b", "k-..s3Key..-x")] {
            let pointer = PayloadLocation {
                bucket: bucket.into(),
                key: key.into(),
            }
            .to_pointer();
            let why = PayloadLocation::from_pointer(&pointer).unwrap_err();
            assert!(why.contains("separator"), "{why}");
        }
    }

    #[test]
    fn key_prefixes_follow_the_java_rules() {
        check_key_prefix("payloads/2026_11-").unwrap();
        assert!(check_key_prefix(".hidden").is_err());
        assert!(check_key_prefix("/abs").is_err());
        assert!(check_key_prefix("a/../b").is_err());
        assert!(check_key_prefix("sp ace").is_err());
        assert!(check_key_prefix(&"a".repeat(989)).is_err());
        let key = new_key("p/");
        assert_eq!(key.len(), 38);
        assert!(key.starts_with("p/") && key.as_bytes()[16] == b'4');
    }
}
