//! A caching layer over any provider: concurrent callers share one refresh, credentials are
//! refreshed ahead of expiry, and a failed refresh keeps credentials that are still valid (and
//! waits a little before trying again).

use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use super::identity::{
    Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, SharedCredentialsProvider,
};

/// How long before expiry credentials are refreshed.
const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);
/// After a failed refresh with still-valid credentials, how long before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// Caches what another provider returns. Credentials without an expiry are kept for good.
#[derive(Debug)]
pub struct CachedProvider {
    inner: SharedCredentialsProvider,
    current: RwLock<Option<Credentials>>,
    /// Held while a refresh runs: the other callers wait for it instead of starting their own.
    refreshing: tokio::sync::Mutex<Option<Instant>>,
    refresh_ahead: Duration,
}

impl CachedProvider {
    /// Caches `inner`.
    pub fn new(inner: SharedCredentialsProvider) -> Self {
        Self::with_refresh_ahead(inner, REFRESH_AHEAD)
    }

    /// Caches `inner`, refreshing `ahead` before expiry.
    pub fn with_refresh_ahead(inner: SharedCredentialsProvider, ahead: Duration) -> Self {
        Self {
            inner,
            current: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(None),
            refresh_ahead: ahead,
        }
    }

    fn fresh(&self, now: SystemTime) -> Option<Credentials> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current
            .as_ref()
            .filter(|c| {
                c.expires_at()
                    .is_none_or(|at| now + self.refresh_ahead < at)
            })
            .cloned()
    }

    async fn get(&self) -> Result<Credentials, CredentialsError> {
        if let Some(c) = self.fresh(SystemTime::now()) {
            return Ok(c);
        }
        let mut not_before = self.refreshing.lock().await;
        // Someone else may have refreshed while we waited.
        let now = SystemTime::now();
        if let Some(c) = self.fresh(now) {
            return Ok(c);
        }
        let still_valid = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|c| c.expires_at().is_some_and(|at| now < at))
            .cloned();
        if let (Some(valid), Some(at)) = (&still_valid, *not_before)
            && Instant::now() < at
        {
            return Ok(valid.clone());
        }
        match self.inner.provide_credentials().await {
            Ok(c) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
                *not_before = None;
                Ok(c)
            }
            Err(e) => match still_valid {
                Some(valid) => {
                    tracing::warn!(error = %e, "refreshing credentials failed; using the current ones until they expire");
                    *not_before = Some(Instant::now() + RETRY_AFTER_FAILURE);
                    Ok(valid)
                }
                None => Err(e),
            },
        }
    }
}

impl ProvideCredentials for CachedProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(self.get())
    }
}

/// Reads an ISO 8601 / RFC 3339 UTC time (`2026-11-22T12:34:56Z`, fractions and `+00:00` allowed).
pub(crate) fn parse_utc(text: &str) -> Option<SystemTime> {
    let t = text.trim();
    let (date, time) = t.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let time = time
        .strip_suffix('Z')
        .or_else(|| time.strip_suffix('z'))
        .or_else(|| time.strip_suffix("+00:00"))?;
    let time = time.split('.').next()?;
    let mut parts = time.splitn(3, ':');
    let (h, min, s): (i64, i64, i64) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    // Days from civil date (proleptic Gregorian).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + min * 60 + s;
    u64::try_from(secs)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn utc_times() {
        let at =
            |s| parse_utc(s).map(|t| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(at("2026-11-22T11:35:07Z"), Some(1_795_347_307));
        assert_eq!(at("2024-02-29T23:59:59.123Z"), Some(1_709_251_199));
        assert_eq!(at("2026-11-22T11:35:07+00:00"), Some(1_795_347_307));
        assert_eq!(at("2026-13-01T00:00:00Z"), None);
        assert_eq!(at("yesterday"), None);
        assert_eq!(
            at("2026-11-22T11:35:07+02:00"),
            None,
            "only UTC is accepted"
        );
    }

    /// Counts refreshes; returns credentials valid for `valid_for`, or fails when told to.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        valid_for: Duration,
        fail: std::sync::atomic::AtomicBool,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials(&self) -> CredentialsFuture<'_> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                if self.fail.load(Ordering::SeqCst) {
                    return Err(CredentialsError::new("test", "refresh failed"));
                }
                Ok(Credentials::new(format!("AKID{n}"), "s")
                    .with_expiry(SystemTime::now() + self.valid_for))
            })
        }
    }

    fn counting(valid_for: Duration) -> Arc<Counting> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            valid_for,
            fail: Default::default(),
        })
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let source = counting(Duration::from_secs(3600));
        let cache = Arc::new(CachedProvider::new(source.clone()));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    cache
                        .provide_credentials()
                        .await
                        .unwrap()
                        .access_key_id()
                        .to_owned()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "AKID0");
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refreshes_ahead_of_expiry() {
        // Valid for 2 minutes: inside the 5-minute window, so every call refreshes.
        let source = counting(Duration::from_secs(120));
        let cache = CachedProvider::new(source.clone());
        cache.provide_credentials().await.unwrap();
        let second = cache.provide_credentials().await.unwrap();
        assert_eq!(second.access_key_id(), "AKID1");
        // Valid for an hour: served from the cache.
        let source = counting(Duration::from_secs(3600));
        let cache = CachedProvider::new(source.clone());
        cache.provide_credentials().await.unwrap();
        cache.provide_credentials().await.unwrap();
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_valid_credentials_and_backs_off() {
        let source = counting(Duration::from_secs(120));
        let cache = CachedProvider::new(source.clone());
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "AKID0"
        );
        source.fail.store(true, Ordering::SeqCst);
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "AKID0",
            "old ones kept"
        );
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "AKID0"
        );
        assert_eq!(
            source.calls.load(Ordering::SeqCst),
            2,
            "no new attempt right after a failure"
        );
        // Expired credentials and a failing source: the error comes through.
        let source = counting(Duration::ZERO);
        let cache = CachedProvider::new(source.clone());
        cache.provide_credentials().await.unwrap();
        source.fail.store(true, Ordering::SeqCst);
        let err = cache.provide_credentials().await.unwrap_err();
        assert!(err.to_string().contains("refresh failed"));
    }
}
