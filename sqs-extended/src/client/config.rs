//! How the extended client offloads and cleans up.

/// How the extended client offloads and cleans up.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExtendedConfig {
    /// Bodies whose size (body plus attribute names, types and values) is above this many bytes
    /// are offloaded (default 262,144, as in the Java and Python clients; exactly the threshold
    /// stays inline).
    pub threshold: usize,
    /// Offload every non-empty body whatever its size.
    pub always_offload: bool,
    /// Write the legacy `SQSLargePayloadSize` attribute instead of `ExtendedPayloadSize` (both
    /// are always read).
    pub legacy_attribute: bool,
    /// Prepended to every object key (checked as the Java client checks it).
    pub key_prefix: String,
    /// Delete the object when its message is deleted (default true; turn off when several
    /// queues share payloads, as with SNS fan-out).
    pub cleanup: bool,
    /// When an offloaded payload's object does not exist (a true not-found only), delete the
    /// message and leave it out of the result instead of reporting it (default false).
    pub ignore_payload_not_found: bool,
    /// Concurrent object fetches per receive (default 10).
    pub fetch_concurrency: usize,
}

impl Default for ExtendedConfig {
    fn default() -> Self {
        Self {
            threshold: 262_144,
            always_offload: false,
            legacy_attribute: false,
            key_prefix: String::new(),
            cleanup: true,
            ignore_payload_not_found: false,
            fetch_concurrency: 10,
        }
    }
}

impl ExtendedConfig {
    /// Sets [`threshold`](Self::threshold).
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }
    /// Sets [`always_offload`](Self::always_offload).
    pub fn always_offload(mut self, on: bool) -> Self {
        self.always_offload = on;
        self
    }
    /// Sets [`legacy_attribute`](Self::legacy_attribute).
    pub fn legacy_attribute(mut self, on: bool) -> Self {
        self.legacy_attribute = on;
        self
    }
    /// Sets [`key_prefix`](Self::key_prefix).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }
    /// Sets [`cleanup`](Self::cleanup).
    pub fn cleanup(mut self, on: bool) -> Self {
        self.cleanup = on;
        self
    }
    /// Sets [`ignore_payload_not_found`](Self::ignore_payload_not_found).
    pub fn ignore_payload_not_found(mut self, on: bool) -> Self {
        self.ignore_payload_not_found = on;
        self
    }
    /// Sets [`fetch_concurrency`](Self::fetch_concurrency).
    pub fn fetch_concurrency(mut self, n: usize) -> Self {
        self.fetch_concurrency = n.max(1);
        self
    }
}
