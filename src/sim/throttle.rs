//! Graph's identity-service throttling (graph-api.md §9): two token buckets per app and
//! tenant — resource units per 10 s and writes per 150 s — with the documented request
//! costs. Over budget, a request is answered 429 with `Retry-After` (seconds, possibly
//! fractional) and the documented headers; it is not charged, so a client that waits as
//! told gets through.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Throttling quotas: a write budget and a resource-unit budget, each per window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quotas {
    pub writes_per_window: u32,
    pub write_window: Duration,
    pub resource_units: u32,
    pub ru_window: Duration,
}

impl Quotas {
    /// Graph's limits for an app in a large tenant: 3,000 writes per 150 s and
    /// 8,000 resource units per 10 s.
    pub fn graph_default() -> Quotas {
        Quotas {
            writes_per_window: 3000,
            write_window: Duration::from_secs(150),
            resource_units: 8000,
            ru_window: Duration::from_secs(10),
        }
    }

    /// Windows divided by `factor` with the quotas kept, so both rates grow by `factor`
    /// and keep their proportion (`scaled(10.0)`: 3,000 writes per 15 s). A factor that is
    /// not a positive number leaves the quotas as they are.
    pub fn scaled(self, factor: f64) -> Quotas {
        if !(factor.is_finite() && factor > 0.0) {
            return self;
        }
        let shorten = |d: Duration| {
            Duration::from_secs_f64(d.as_secs_f64() / factor).max(Duration::from_millis(1))
        };
        Quotas {
            write_window: shorten(self.write_window),
            ru_window: shorten(self.ru_window),
            ..self
        }
    }

    pub fn writes_per_second(&self) -> f64 {
        self.writes_per_window as f64 / self.write_window.as_secs_f64().max(1e-9)
    }

    pub fn resource_units_per_second(&self) -> f64 {
        self.resource_units as f64 / self.ru_window.as_secs_f64().max(1e-9)
    }
}

/// What one request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cost {
    pub resource_units: u32,
    pub write: bool,
}

/// Costs of §9: `GET users` 2, `transitiveMembers` 5, `members` 3, any other GET 1; a
/// write 1 RU and 1 write. `$select` −1, `$expand` +1, `$top` below 20 −1; never below 1.
pub(crate) fn cost(
    method: &axum::http::Method,
    segments: &[&str],
    query: &[(String, String)],
) -> Cost {
    if method != axum::http::Method::GET {
        return Cost {
            resource_units: 1,
            write: true,
        };
    }
    let base: i32 = match segments {
        [users] | [users, _] if users.eq_ignore_ascii_case("users") => 2,
        [groups, _, rel, ..] if groups.eq_ignore_ascii_case("groups") => {
            if rel.eq_ignore_ascii_case("transitiveMembers") {
                5
            } else if rel.eq_ignore_ascii_case("members") {
                3
            } else {
                1
            }
        }
        _ => 1,
    };
    let mut c = base;
    for (k, v) in query {
        match k.as_str() {
            "$select" => c -= 1,
            "$expand" => c += 1,
            "$top" if v.trim().parse::<u32>().is_ok_and(|t| t < 20) => c -= 1,
            _ => {}
        }
    }
    Cost {
        resource_units: c.max(1) as u32,
        write: false,
    }
}

/// The answer of the buckets for one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Go ahead; `limit_percentage` is set when usage is above 80 % of a quota.
    Pass {
        resource_units: u32,
        limit_percentage: Option<f64>,
    },
    Throttled {
        retry_after: Duration,
        /// `ResourceUnitLimitExceeded` or `WriteLimitExceeded`.
        information: &'static str,
        /// `Read`, `Write` or `ReadWrite` for `x-ms-throttle-scope`.
        kind: &'static str,
    },
}

impl Verdict {
    /// `Retry-After` as Graph writes it: seconds, with a fraction when below a few.
    pub fn retry_after_header(d: Duration) -> String {
        let ms = d.as_millis().max(1);
        if ms.is_multiple_of(1000) {
            format!("{}", ms / 1000)
        } else {
            let s = format!("{}.{:03}", ms / 1000, ms % 1000);
            s.trim_end_matches('0').to_string()
        }
    }
}

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    per_sec: f64,
    level: f64,
    at: Instant,
}

impl Bucket {
    fn new(quota: u32, window: Duration, now: Instant) -> Bucket {
        let capacity = quota.max(1) as f64;
        Bucket {
            capacity,
            per_sec: capacity / window.as_secs_f64().max(1e-6),
            level: capacity,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + dt * self.per_sec).min(self.capacity);
        self.at = now;
    }

    /// How long until `n` tokens are there (zero when they are).
    fn wait_for(&self, n: f64) -> Duration {
        if self.level >= n {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((n - self.level) / self.per_sec)
        }
    }

    fn used_fraction(&self) -> f64 {
        1.0 - self.level / self.capacity
    }
}

struct Buckets {
    ru: Bucket,
    writes: Bucket,
}

/// The buckets of the one app and tenant the simulation serves.
pub(crate) struct Throttle {
    inner: Mutex<Option<Buckets>>,
}

impl Throttle {
    pub fn new(quotas: Option<Quotas>) -> Throttle {
        Throttle {
            inner: Mutex::new(quotas.map(|q| Self::buckets(q, Instant::now()))),
        }
    }

    fn buckets(q: Quotas, now: Instant) -> Buckets {
        Buckets {
            ru: Bucket::new(q.resource_units, q.ru_window, now),
            writes: Bucket::new(q.writes_per_window, q.write_window, now),
        }
    }

    pub fn set(&self, quotas: Option<Quotas>) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *g = quotas.map(|q| Self::buckets(q, Instant::now()));
    }

    pub fn check(&self, cost: Cost) -> Verdict {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Some(b) = g.as_mut() else {
            return Verdict::Pass {
                resource_units: cost.resource_units,
                limit_percentage: None,
            };
        };
        let now = Instant::now();
        b.ru.refill(now);
        b.writes.refill(now);
        let ru = cost.resource_units as f64;
        let ru_wait = b.ru.wait_for(ru);
        let write_wait = if cost.write {
            b.writes.wait_for(1.0)
        } else {
            Duration::ZERO
        };
        if write_wait > Duration::ZERO || ru_wait > Duration::ZERO {
            let (information, kind) = if write_wait >= ru_wait {
                ("WriteLimitExceeded", "Write")
            } else if cost.write {
                ("ResourceUnitLimitExceeded", "ReadWrite")
            } else {
                ("ResourceUnitLimitExceeded", "Read")
            };
            return Verdict::Throttled {
                retry_after: write_wait.max(ru_wait).max(Duration::from_millis(1)),
                information,
                kind,
            };
        }
        b.ru.level -= ru;
        if cost.write {
            b.writes.level -= 1.0;
        }
        let used = b.ru.used_fraction().max(if cost.write {
            b.writes.used_fraction()
        } else {
            0.0
        });
        Verdict::Pass {
            resource_units: cost.resource_units,
            limit_percentage: (used > 0.8).then_some(used),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn costs_follow_the_table() {
        let get = axum::http::Method::GET;
        assert_eq!(cost(&get, &["users"], &[]).resource_units, 2);
        assert_eq!(
            cost(&get, &["users", "x"], &q(&[("$select", "id")])).resource_units,
            1
        );
        assert_eq!(
            cost(&get, &["groups", "g", "transitiveMembers"], &[]).resource_units,
            5
        );
        assert_eq!(
            cost(
                &get,
                &["groups", "g", "transitiveMembers"],
                &q(&[("$select", "id"), ("$top", "999")])
            )
            .resource_units,
            4
        );
        assert_eq!(
            cost(&get, &["groups", "g", "members"], &[]).resource_units,
            3
        );
        assert_eq!(
            cost(
                &get,
                &["users", "x", "authentication", "phoneMethods"],
                &q(&[("$top", "5")])
            )
            .resource_units,
            1,
            "never below 1"
        );
        assert_eq!(
            cost(
                &get,
                &["policies", "featureRolloutPolicies"],
                &q(&[("$expand", "appliesTo")])
            )
            .resource_units,
            2
        );
        let w = cost(&axum::http::Method::POST, &["users", "x"], &[]);
        assert_eq!((w.resource_units, w.write), (1, true));
    }

    #[test]
    fn scaled_shortens_windows_and_keeps_quotas() {
        let s = Quotas::graph_default().scaled(10.0);
        assert_eq!(s.writes_per_window, 3000);
        assert_eq!(s.write_window, Duration::from_secs(15));
        assert_eq!(s.ru_window, Duration::from_secs(1));
        assert!((s.writes_per_second() - 200.0).abs() < 1e-9);
        assert_eq!(
            Quotas::graph_default().scaled(-1.0),
            Quotas::graph_default()
        );
        assert_eq!(
            Quotas::graph_default().scaled(f64::NAN),
            Quotas::graph_default()
        );
    }

    #[test]
    fn writes_are_refused_past_the_quota_with_a_wait() {
        let t = Throttle::new(Some(Quotas {
            writes_per_window: 3,
            write_window: Duration::from_secs(30),
            resource_units: 1000,
            ru_window: Duration::from_secs(10),
        }));
        let w = Cost {
            resource_units: 1,
            write: true,
        };
        for _ in 0..3 {
            assert!(matches!(t.check(w), Verdict::Pass { .. }));
        }
        match t.check(w) {
            Verdict::Throttled {
                retry_after,
                information,
                ..
            } => {
                assert_eq!(information, "WriteLimitExceeded");
                // One write comes back every 10 s.
                assert!(
                    retry_after > Duration::from_secs(9) && retry_after <= Duration::from_secs(10)
                );
            }
            v => panic!("expected a 429, got {v:?}"),
        }
        // Reads still pass while writes are throttled.
        assert!(matches!(
            t.check(Cost {
                resource_units: 2,
                write: false
            }),
            Verdict::Pass { .. }
        ));
    }

    #[test]
    fn retry_after_is_seconds_with_a_fraction() {
        assert_eq!(Verdict::retry_after_header(Duration::from_secs(2)), "2");
        assert_eq!(
            Verdict::retry_after_header(Duration::from_millis(2128)),
            "2.128"
        );
        assert_eq!(
            Verdict::retry_after_header(Duration::from_millis(250)),
            "0.25"
        );
        assert_eq!(
            Verdict::retry_after_header(Duration::from_micros(10)),
            "0.001"
        );
    }
}
