//! When to try again: `Retry-After` parsing (seconds, possibly fractional, or an HTTP
//! date) and exponential backoff with jitter for 5xx, timeouts and connection errors.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Retry settings of a client.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request for transient failures (5xx, timeouts, connection errors),
    /// the first included.
    pub max_attempts: u32,
    /// Attempts per request while Graph keeps answering 429 (usage accrues while
    /// throttled, so waiting is the only cure; this bounds a stuck run).
    pub max_throttled_attempts: u32,
    /// First backoff step; doubles per attempt.
    pub base_delay: Duration,
    /// Longest backoff step.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a larger one is clamped (and logged).
    pub max_retry_after: Duration,
    /// Whole-request timeout. The auth-methods APIs time out after 60 s (graph-api.md §2).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_throttled_attempts: 12,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            request_timeout: Duration::from_secs(75),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (attempt counts from 1): "equal jitter", half
    /// fixed and half random, so retries spread out but never come back at once.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let step = self.backoff_ceiling(attempt);
        let half = step / 2;
        let jitter_ms = half.as_millis() as u64;
        let jitter = if jitter_ms == 0 {
            0
        } else {
            rand::random_range(0..=jitter_ms)
        };
        half + Duration::from_millis(jitter)
    }

    /// The un-jittered step: `base * 2^(attempt-1)`, at most `max_delay`.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        self.base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay)
    }
}

/// Parse a `Retry-After` value: delta-seconds (Graph has sent `2.128` as well as `10`)
/// or an HTTP date. `None` for anything unusable (negative, NaN, garbage).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            // Round up to the millisecond: the measured wait must never fall short.
            let ms = (secs * 1000.0).ceil();
            if ms <= u64::MAX as f64 {
                return Some(Duration::from_millis(ms as u64));
            }
        }
        return None;
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.with_timezone(&Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_fractional_and_dates() {
        let now = Utc::now();
        assert_eq!(parse_retry_after("10", now), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after(" 2.128 ", now),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            parse_retry_after("0.0001", now),
            Some(Duration::from_millis(1))
        );
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        assert_eq!(parse_retry_after("inf", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        let fixed = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        assert_eq!(
            parse_retry_after("Wed, 01 Jan 2025 00:00:07 GMT", fixed),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Tue, 31 Dec 2024 23:59:00 GMT", fixed),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn backoff_grows_caps_and_jitters_within_bounds() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(4), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(6), Duration::from_secs(2));
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(2));
        for attempt in 1..10 {
            let ceiling = p.backoff_ceiling(attempt);
            for _ in 0..50 {
                let d = p.backoff(attempt);
                assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
            }
        }
    }
}
