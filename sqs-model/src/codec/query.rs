//! AWS Query requests: `application/x-www-form-urlencoded` bodies with flattened member names.

/// Writes `key=value` pairs of a Query request body.
pub(crate) struct QueryWriter {
    out: form_urlencoded::Serializer<'static, String>,
}

impl QueryWriter {
    /// Starts a body with the `Action` and `Version` parameters.
    pub(crate) fn new(action: &str, version: &str) -> Self {
        let mut out = form_urlencoded::Serializer::new(String::with_capacity(256));
        out.append_pair("Action", action);
        out.append_pair("Version", version);
        Self { out }
    }

    /// Appends one parameter.
    pub(crate) fn push(&mut self, key: &str, value: &str) {
        self.out.append_pair(key, value);
    }

    /// The finished body.
    pub(crate) fn finish(mut self) -> String {
        self.out.finish()
    }
}

/// Implemented by generated structures: writes every set member under `prefix`.
pub(crate) trait QuerySerialize {
    fn write_query(&self, w: &mut QueryWriter, prefix: &str);
}

/// Map entries in a stable order (sorted by key), so the same input always gives the same body.
pub(crate) fn sorted<K: AsRef<str>, V>(map: &std::collections::HashMap<K, V>) -> Vec<(&K, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    entries
}
