//! Retries: which failures are retried, how long to wait, and how much retrying a client may do.
//!
//! "standard" mode: up to `max_attempts` attempts, exponential backoff with full jitter, and a
//! retry token bucket shared by every request of a client (500 tokens; a retry costs 5, a retry
//! after a timeout 10; a success gives back what its retry cost, or 1), so a failing service is
//! not hammered. "adaptive" mode adds a client-side rate limiter: after a throttling answer the
//! allowed request rate is cut to 70% of the rate measured, then grows back by 10% of that every
//! second without throttling. (The AWS SDKs grow it back along a cubic curve; the shape differs,
//! the purpose is the same.)

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RetryMode {
    /// Backoff with jitter and a retry budget.
    #[default]
    Standard,
    /// Standard, plus client-side rate limiting after throttling.
    Adaptive,
}

impl std::str::FromStr for RetryMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" | "legacy" => Ok(RetryMode::Standard),
            "adaptive" => Ok(RetryMode::Adaptive),
            other => Err(format!(
                "unknown retry mode {other:?} (standard or adaptive)"
            )),
        }
    }
}

/// Retry settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Standard or adaptive.
    pub mode: RetryMode,
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Base of the backoff after a transient error.
    pub initial_backoff: Duration,
    /// Base of the backoff after throttling.
    pub throttling_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            mode: RetryMode::Standard,
            max_attempts: 3,
            initial_backoff: Duration::from_millis(50),
            throttling_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl RetryConfig {
    /// Sets the mode.
    pub fn mode(mut self, mode: RetryMode) -> Self {
        self.mode = mode;
        self
    }
    /// Sets the number of attempts (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
    /// Sets the backoff bases (transient errors, throttling) and the cap.
    pub fn backoff(mut self, initial: Duration, throttling: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.throttling_backoff = throttling;
        self.max_backoff = max;
        self
    }
    /// No retries at all.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// The wait before attempt `attempt + 1` (`attempt` >= 1): a random time up to
    /// `base * 2^(attempt-1)`, capped.
    pub(crate) fn backoff_for(&self, attempt: u32, throttled: bool) -> Duration {
        let base = if throttled {
            self.throttling_backoff
        } else {
            self.initial_backoff
        };
        let exp = base.saturating_mul(1u32 << (attempt - 1).min(16));
        let ceiling = exp.min(self.max_backoff);
        ceiling.mul_f64(fastrand::f64())
    }
}

const BUCKET_CAPACITY: u32 = 500;
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;

/// The retry budget shared by a client's requests.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    tokens: Mutex<u32>,
}

impl Default for TokenBucket {
    fn default() -> Self {
        Self {
            tokens: Mutex::new(BUCKET_CAPACITY),
        }
    }
}

impl TokenBucket {
    /// Takes the cost of a retry, if the budget allows it.
    pub(crate) fn acquire(&self, after_timeout: bool) -> Option<u32> {
        let cost = if after_timeout {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if *tokens >= cost {
            *tokens -= cost;
            Some(cost)
        } else {
            None
        }
    }
    /// Gives back what a request's retries cost (1 when it needed none).
    pub(crate) fn release(&self, spent: u32) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        *tokens = (*tokens + spent.max(1)).min(BUCKET_CAPACITY);
    }
    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        *self.tokens.lock().unwrap()
    }
}

/// Client-side rate limiting for adaptive mode.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    state: Mutex<LimiterState>,
}

#[derive(Debug)]
struct LimiterState {
    /// Requests per second allowed; `None` until the first throttling answer.
    rate: Option<f64>,
    /// Tokens available to send now.
    tokens: f64,
    last_refill: Instant,
    last_throttle: Instant,
    /// Requests seen in the current one-second window, and the rate measured last window.
    window_start: Instant,
    window_count: u32,
    measured: f64,
}

const MIN_RATE: f64 = 0.5;

impl Default for RateLimiter {
    fn default() -> Self {
        let now = Instant::now();
        Self {
            state: Mutex::new(LimiterState {
                rate: None,
                tokens: 1.0,
                last_refill: now,
                last_throttle: now,
                window_start: now,
                window_count: 0,
                measured: 0.0,
            }),
        }
    }
}

impl RateLimiter {
    /// How long to wait before sending (zero when allowed now); takes a token.
    pub(crate) fn reserve(&self) -> Duration {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if now.duration_since(s.window_start) >= Duration::from_secs(1) {
            let secs = now.duration_since(s.window_start).as_secs_f64();
            s.measured = f64::from(s.window_count) / secs;
            s.window_start = now;
            s.window_count = 0;
        }
        s.window_count += 1;
        let Some(rate) = s.rate else {
            return Duration::ZERO;
        };
        // Grow back 10% of the rate per second since the last throttling.
        let elapsed = now.duration_since(s.last_refill).as_secs_f64();
        s.tokens = (s.tokens + elapsed * rate).min(rate.max(1.0));
        s.last_refill = now;
        let calm = now.duration_since(s.last_throttle).as_secs_f64();
        if calm >= 1.0 {
            s.rate = Some(rate * 1.1);
            s.last_throttle = now;
        }
        s.tokens -= 1.0;
        if s.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-s.tokens / rate)
        }
    }

    /// Records a throttling answer: cut the allowed rate.
    pub(crate) fn throttled(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let current = s
            .rate
            .unwrap_or(f64::INFINITY)
            .min(s.measured.max(MIN_RATE));
        s.rate = Some((current * 0.7).max(MIN_RATE));
        s.last_throttle = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_and_capped() {
        let cfg = RetryConfig::default().backoff(
            Duration::from_millis(100),
            Duration::from_secs(1),
            Duration::from_millis(500),
        );
        for attempt in 1..10 {
            let d = cfg.backoff_for(attempt, false);
            let ceiling =
                Duration::from_millis(100 * (1 << (attempt - 1))).min(Duration::from_millis(500));
            assert!(d <= ceiling, "attempt {attempt}: {d:?} > {ceiling:?}");
        }
        assert!(cfg.backoff_for(1, true) <= Duration::from_millis(500));
    }

    #[test]
    fn bucket_runs_dry_and_refills() {
        let b = TokenBucket::default();
        let mut granted = 0;
        while b.acquire(false).is_some() {
            granted += 1;
        }
        assert_eq!(granted, 100);
        b.release(5);
        assert_eq!(b.available(), 5);
        assert!(b.acquire(true).is_none(), "a timeout retry costs 10");
        assert_eq!(b.acquire(false), Some(5));
    }

    #[test]
    fn limiter_slows_down_after_throttling() {
        let l = RateLimiter::default();
        assert_eq!(l.reserve(), Duration::ZERO, "no limit before throttling");
        l.throttled();
        let waits: Vec<Duration> = (0..4).map(|_| l.reserve()).collect();
        assert!(waits.iter().any(|w| *w > Duration::ZERO), "{waits:?}");
    }

    #[test]
    fn retry_mode_from_env_values() {
        assert_eq!("adaptive".parse::<RetryMode>(), Ok(RetryMode::Adaptive));
        assert_eq!("Standard".parse::<RetryMode>(), Ok(RetryMode::Standard));
        assert!("fast".parse::<RetryMode>().is_err());
    }
}
