//! The one limiter every worker of a client shares: it budgets Graph's identity quotas
//! (resource units per 10 s, writes per 150 s; graph-api.md §9) before requests leave,
//! so a run stays just under the quota instead of bouncing off 429s.
//!
//! Two governor token buckets hold the budgets, paced at `headroom` (98 %) of the quota.
//! On a 429 the limiter pauses every worker for the `Retry-After` and cuts its rate
//! (multiplicatively, once per throttling episode); quiet periods raise it back
//! (additively). The rate factor is applied as a per-request cost in milli-cells, so
//! changing it never resets the buckets and never lets a burst through.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};

use crate::config::GraphSettings;

/// Cells per unit of cost: the rate factor scales a request's cells, not the quota.
const SCALE: u32 = 1000;

/// The budgets the limiter enforces.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub writes_per_window: u32,
    pub write_window: Duration,
    pub resource_units: u32,
    pub ru_window: Duration,
    /// Share of the quota to pace at (0 < headroom ≤ 1): clock skew and other callers
    /// make exactly 100 % collide with the service's own bucket.
    pub headroom: f64,
    /// Requests in flight at once; bounds the burst.
    pub concurrency: usize,
    /// The resource-unit budget was configured: the tenant's size does not change it.
    pub resource_units_configured: bool,
}

/// Graph's identity resource-unit budget depends on the tenant's size (graph-api.md §9;
/// Graph docs, throttling-limits, identity and access service limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantSize {
    /// Under 50 users: 3,500 RU per 10 s.
    Small,
    /// 50 to 500 users: 5,000 RU per 10 s.
    Medium,
    /// Over 500 users: 8,000 RU per 10 s.
    Large,
}

impl TenantSize {
    pub fn from_users(users: u64) -> TenantSize {
        match users {
            0..50 => TenantSize::Small,
            50..=500 => TenantSize::Medium,
            _ => TenantSize::Large,
        }
    }

    /// The application + tenant pair's resource units per 10 s.
    pub fn resource_units(self) -> u32 {
        match self {
            TenantSize::Small => 3_500,
            TenantSize::Medium => 5_000,
            TenantSize::Large => 8_000,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            TenantSize::Small => "under 50 users",
            TenantSize::Medium => "50 to 500 users",
            TenantSize::Large => "over 500 users",
        }
    }
}

impl Limits {
    /// Resource units per 10 s when none is configured: a large tenant's, until the
    /// tenant's size is known ([`Limiter::set_resource_units`]).
    pub const DEFAULT_RESOURCE_UNITS: u32 = 8_000;

    /// The `[graph]` settings (defaults: 3000 writes / 150 s, 8000 RU / 10 s until the
    /// tenant's size says otherwise).
    pub fn from_settings(s: &GraphSettings) -> Limits {
        Limits {
            writes_per_window: s.writes_per_window.max(1),
            write_window: Duration::from_secs(u64::from(s.write_window_secs.max(1))),
            resource_units: s
                .resource_units_per_10s
                .unwrap_or(Self::DEFAULT_RESOURCE_UNITS)
                .max(1),
            ru_window: Duration::from_secs(10),
            headroom: 0.98,
            concurrency: s.concurrency.max(1),
            resource_units_configured: s.resource_units_per_10s.is_some(),
        }
    }

    /// Writes per second at full rate (before headroom).
    pub fn write_rate(&self) -> f64 {
        f64::from(self.writes_per_window) / self.write_window.as_secs_f64().max(1e-9)
    }

    /// Resource units per second at full rate (before headroom).
    pub fn ru_rate(&self) -> f64 {
        f64::from(self.resource_units) / self.ru_window.as_secs_f64().max(1e-9)
    }

    fn headroom(&self) -> f64 {
        if self.headroom.is_finite() && self.headroom > 0.0 {
            self.headroom.min(1.0)
        } else {
            1.0
        }
    }

    /// Writes let through at once: 2 % of the quota (what the 98 % pacing leaves free,
    /// so burst and pace together never exceed the quota in any window), at least one,
    /// at most the concurrency. A write costing more than the burst at a cut rate is
    /// taken in steps ([`Limiter::acquire`]), so no floor above the quota is needed:
    /// `writes_per_window = 1` lets exactly one write through per window.
    fn write_burst(&self) -> u32 {
        let cap = u32::try_from(self.concurrency).unwrap_or(u32::MAX).max(1);
        (self.writes_per_window / 50).clamp(1, cap)
    }

    /// Resource units let through at once: likewise 2 % of the quota, at least one (a
    /// request costing more is taken in steps).
    fn ru_burst(&self) -> u32 {
        (self.resource_units / 50).max(1)
    }
}

/// What one request costs against the quotas (graph-api.md §9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    pub resource_units: u32,
    pub writes: u32,
}

impl Cost {
    pub const NONE: Cost = Cost {
        resource_units: 0,
        writes: 0,
    };

    /// Cost of `method` on `path_and_query` (under the version segment): `GET users` 2,
    /// `transitiveMembers` 5, `members` 3, other GETs 1, any write 1 RU + 1 write;
    /// `$select` −1, `$expand` +1, `$top` < 20 −1, never below 1.
    pub fn of(method: &str, path_and_query: &str) -> Cost {
        if !method.eq_ignore_ascii_case("GET") {
            return Cost {
                resource_units: 1,
                writes: 1,
            };
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_and_query, ""),
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let is_users = segments
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("users") || s.starts_with("users("));
        let base: i64 = if segments
            .iter()
            .any(|s| s.eq_ignore_ascii_case("transitiveMembers"))
        {
            5
        } else if segments.len() >= 3
            && segments[0].eq_ignore_ascii_case("groups")
            && segments[2].eq_ignore_ascii_case("members")
        {
            3
        } else if is_users && segments.len() <= 2 {
            2
        } else {
            1
        };
        let mut cost = base;
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = key.replace("%24", "$");
            match key.as_str() {
                "$select" => cost -= 1,
                "$expand" => cost += 1,
                "$top" if value.parse::<u32>().is_ok_and(|top| top < 20) => cost -= 1,
                _ => {}
            }
        }
        Cost {
            resource_units: cost.max(1) as u32,
            writes: 0,
        }
    }

    pub fn is_write(&self) -> bool {
        self.writes > 0
    }
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            resource_units: self.resource_units.saturating_add(o.resource_units),
            writes: self.writes.saturating_add(o.writes),
        }
    }
}

/// Which budget a 429 was about (`x-ms-throttle-information` / `x-ms-throttle-scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleScope {
    Writes,
    ResourceUnits,
    /// Not said: treat as both.
    Unknown,
}

impl ThrottleScope {
    pub fn from_headers(information: Option<&str>, scope: Option<&str>) -> ThrottleScope {
        if let Some(info) = information {
            if info.contains("WriteLimitExceeded") {
                return ThrottleScope::Writes;
            }
            if info.contains("ResourceUnitLimitExceeded") {
                return ThrottleScope::ResourceUnits;
            }
        }
        if let Some(scope) = scope {
            // `<Tenant_Application|Tenant|Application>/<Read|Write|ReadWrite>/…`
            match scope.split('/').nth(1) {
                Some(s) if s.eq_ignore_ascii_case("Write") => return ThrottleScope::Writes,
                Some(s) if s.eq_ignore_ascii_case("Read") => return ThrottleScope::ResourceUnits,
                _ => {}
            }
        }
        ThrottleScope::Unknown
    }
}

/// The adaptive rate factor of one budget: cut on throttling, raised when quiet.
#[derive(Debug, Clone)]
pub struct Adaptive {
    factor: f64,
    /// Cuts happen at most once per episode: the 429s of one burst count once.
    quiet_until: Option<Instant>,
    last_change: Instant,
    raise_every: Duration,
}

impl Adaptive {
    pub const MIN_FACTOR: f64 = 0.25;
    pub const CUT: f64 = 0.7;
    pub const RAISE: f64 = 0.1;

    pub fn new(now: Instant, raise_every: Duration) -> Adaptive {
        Adaptive {
            factor: 1.0,
            quiet_until: None,
            last_change: now,
            raise_every,
        }
    }

    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// A 429 arrived at `now`, asking to wait `retry_after`. True when the rate was cut.
    pub fn on_throttle(&mut self, now: Instant, retry_after: Duration) -> bool {
        let episode_end = now + retry_after.max(Duration::from_secs(1));
        let in_episode = self.quiet_until.is_some_and(|q| now < q);
        self.quiet_until = Some(self.quiet_until.map_or(episode_end, |q| q.max(episode_end)));
        self.last_change = now;
        if in_episode {
            return false;
        }
        self.factor = (self.factor * Self::CUT).max(Self::MIN_FACTOR);
        true
    }

    /// Raise the rate one step per quiet `raise_every`. True when it changed.
    pub fn maybe_raise(&mut self, now: Instant) -> bool {
        if self.factor >= 1.0 || now.duration_since(self.last_change) < self.raise_every {
            return false;
        }
        if self.quiet_until.is_some_and(|q| now < q) {
            return false;
        }
        self.factor = (self.factor + Self::RAISE).min(1.0);
        self.last_change = now;
        true
    }

    /// Cells one unit of cost takes at the current factor.
    fn cells(&self, units: u32) -> u32 {
        let per_unit = (f64::from(SCALE) / self.factor.max(Self::MIN_FACTOR)).ceil() as u32;
        per_unit.saturating_mul(units.max(1))
    }
}

type Bucket = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    DefaultClock,
    governor::middleware::NoOpMiddleware<<DefaultClock as Clock>::Instant>,
>;

/// A budget's state as the front ends show it.
#[derive(Debug, Clone, PartialEq)]
pub struct LimiterState {
    /// Write rate currently allowed, per second.
    pub writes_per_sec: f64,
    /// Resource-unit rate currently allowed, per second.
    pub resource_units_per_sec: f64,
    /// Rate factors (1.0 = the configured quota × headroom).
    pub write_factor: f64,
    pub ru_factor: f64,
    /// Time left of a pause ordered by a 429.
    pub paused_for: Option<Duration>,
}

struct State {
    writes: Adaptive,
    ru: Adaptive,
    /// Cells of the resource-unit bucket per unit: the bucket is sized for
    /// `Limits::resource_units`; a smaller budget (the tenant's size) costs each unit
    /// more, so the buckets never need rebuilding.
    ru_scale: f64,
    pause_all_until: Option<Instant>,
    pause_writes_until: Option<Instant>,
}

/// The shared limiter. Cheap to clone through `Arc`.
pub struct Limiter {
    limits: Limits,
    clock: DefaultClock,
    writes: Bucket,
    ru: Bucket,
    write_burst_cells: u32,
    ru_burst_cells: u32,
    state: Mutex<State>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn bucket(clock: &DefaultClock, units: u32, window: Duration, headroom: f64, burst: u32) -> Bucket {
    let cells_per_window = f64::from(units) * headroom * f64::from(SCALE);
    let period = Duration::from_secs_f64((window.as_secs_f64() / cells_per_window).max(1e-9));
    let burst_cells = NonZeroU32::new(burst.saturating_mul(SCALE)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst_cells);
    RateLimiter::direct_with_clock(quota, clock.clone())
}

impl Limiter {
    pub fn new(limits: Limits) -> Arc<Limiter> {
        let clock = DefaultClock::default();
        let headroom = limits.headroom();
        let write_burst = limits.write_burst();
        let ru_burst = limits.ru_burst();
        let writes = bucket(
            &clock,
            limits.writes_per_window,
            limits.write_window,
            headroom,
            write_burst,
        );
        let ru = bucket(
            &clock,
            limits.resource_units,
            limits.ru_window,
            headroom,
            ru_burst,
        );
        let now = Instant::now();
        let raise_every = (limits.write_window / 20).max(Duration::from_secs(2));
        Arc::new(Limiter {
            write_burst_cells: write_burst.saturating_mul(SCALE),
            ru_burst_cells: ru_burst.saturating_mul(SCALE),
            limits,
            clock,
            writes,
            ru,
            state: Mutex::new(State {
                writes: Adaptive::new(now, raise_every),
                ru: Adaptive::new(now, raise_every),
                ru_scale: 1.0,
                pause_all_until: None,
                pause_writes_until: None,
            }),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the state is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wait until `cost` fits the budgets and no pause is in force, then take it. A cost
    /// larger than a bucket's burst (a `$batch` of 20 writes) is taken in several steps,
    /// so it is never under-counted.
    pub async fn acquire(&self, cost: Cost) {
        if cost.writes > 0 {
            let cells = {
                let mut s = self.lock();
                s.writes.maybe_raise(Instant::now());
                s.writes.cells(cost.writes)
            };
            self.take_all(&self.writes, cells, self.write_burst_cells, true)
                .await;
        }
        if cost.resource_units > 0 {
            let cells = {
                let mut s = self.lock();
                s.ru.maybe_raise(Instant::now());
                let cells = f64::from(s.ru.cells(cost.resource_units)) * s.ru_scale;
                cells.ceil().min(f64::from(u32::MAX)) as u32
            };
            self.take_all(&self.ru, cells, self.ru_burst_cells, false)
                .await;
        }
        // A 429 may have arrived while this request waited for its budget.
        while let Some(wait) = self.pause_left(cost.writes > 0) {
            tokio::time::sleep(wait).await;
        }
    }

    async fn take_all(&self, bucket: &Bucket, cells: u32, burst: u32, write: bool) {
        let mut remaining = cells;
        while remaining > 0 {
            if let Some(wait) = self.pause_left(write) {
                tokio::time::sleep(wait).await;
                continue;
            }
            let step = remaining.min(burst.max(1));
            match self.take(bucket, step) {
                None => remaining -= step,
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Take `cells` now, or say how long until they could fit.
    fn take(&self, bucket: &Bucket, cells: u32) -> Option<Duration> {
        let n = NonZeroU32::new(cells).unwrap_or(NonZeroU32::MIN);
        match bucket.check_n(n) {
            Ok(Ok(())) => None,
            Ok(Err(not_until)) => Some(
                not_until
                    .wait_time_from(self.clock.now())
                    .max(Duration::from_micros(200)),
            ),
            // Cells are capped at the burst, so this cannot happen; waiting a little
            // and trying again is the safe answer if it ever does.
            Err(_) => Some(Duration::from_millis(10)),
        }
    }

    fn pause_left(&self, write: bool) -> Option<Duration> {
        let s = self.lock();
        let now = Instant::now();
        let mut until = s.pause_all_until;
        if write {
            until = until.max(s.pause_writes_until);
        }
        until.filter(|u| *u > now).map(|u| u - now)
    }

    /// Graph answered 429 (or 503 with `Retry-After`): every worker pauses for
    /// `retry_after`, and the throttled budget's rate is cut.
    pub fn on_throttled(&self, scope: ThrottleScope, retry_after: Duration) {
        let now = Instant::now();
        let until = now + retry_after;
        let mut s = self.lock();
        match scope {
            ThrottleScope::Writes => {
                s.pause_writes_until = s.pause_writes_until.max(Some(until));
                s.writes.on_throttle(now, retry_after);
            }
            ThrottleScope::ResourceUnits => {
                s.pause_all_until = s.pause_all_until.max(Some(until));
                s.ru.on_throttle(now, retry_after);
            }
            ThrottleScope::Unknown => {
                s.pause_all_until = s.pause_all_until.max(Some(until));
                s.writes.on_throttle(now, retry_after);
                s.ru.on_throttle(now, retry_after);
            }
        }
    }

    /// Pause everyone without cutting the rate (a 503 with `Retry-After`: the service
    /// is busy, not this client's budget).
    pub fn pause(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut s = self.lock();
        s.pause_all_until = s.pause_all_until.max(Some(until));
    }

    /// Pace resource units at `units` per window from now on (the tenant's size:
    /// [`TenantSize::resource_units`]). The adaptive factor keeps working on top: a 429
    /// still cuts the rate.
    pub fn set_resource_units(&self, units: u32) {
        let scale = f64::from(self.limits.resource_units.max(1)) / f64::from(units.max(1));
        self.lock().ru_scale = scale;
    }

    /// Resource units per window currently budgeted (before headroom and the factor).
    pub fn resource_units(&self) -> f64 {
        f64::from(self.limits.resource_units) / self.lock().ru_scale
    }

    pub fn state(&self) -> LimiterState {
        let s = self.lock();
        let now = Instant::now();
        let headroom = self.limits.headroom();
        let until = s.pause_all_until.max(s.pause_writes_until);
        LimiterState {
            writes_per_sec: self.limits.write_rate() * headroom * s.writes.factor(),
            resource_units_per_sec: self.limits.ru_rate() / s.ru_scale * headroom * s.ru.factor(),
            write_factor: s.writes.factor(),
            ru_factor: s.ru.factor(),
            paused_for: until.filter(|u| *u > now).map(|u| u - now),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_table() {
        let c = |m, p| Cost::of(m, p).resource_units;
        assert_eq!(c("GET", "/users/abc"), 2);
        assert_eq!(c("GET", "/users('$x@y')"), 2);
        assert_eq!(c("GET", "/users?$filter=x"), 2);
        assert_eq!(c("GET", "/users?$filter=x&$select=id"), 1);
        assert_eq!(c("GET", "/users/abc/authentication/phoneMethods"), 1);
        assert_eq!(c("GET", "/groups/g/transitiveMembers"), 5);
        assert_eq!(
            c(
                "GET",
                "/groups/g/transitiveMembers/microsoft.graph.user?$select=id&$top=999&$count=true"
            ),
            4
        );
        assert_eq!(c("GET", "/groups/g/members?$top=5"), 2);
        assert_eq!(
            c("GET", "/policies/featureRolloutPolicies?$expand=appliesTo"),
            2
        );
        assert_eq!(c("GET", "/domains?$select=id&$top=5"), 1);
        assert_eq!(c("GET", "/users?%24select=id&%24top=10"), 1);
        let w = Cost::of("POST", "/users/u/authentication/phoneMethods");
        assert_eq!(
            w,
            Cost {
                resource_units: 1,
                writes: 1
            }
        );
        assert!(w.is_write());
        assert!(Cost::of("PATCH", "/x").is_write());
        assert!(Cost::of("delete", "/x").is_write());
        assert!(!Cost::of("GET", "/x").is_write());
    }

    #[test]
    fn throttle_scope_from_headers() {
        use ThrottleScope::*;
        assert_eq!(
            ThrottleScope::from_headers(Some("WriteLimitExceeded"), None),
            Writes
        );
        assert_eq!(
            ThrottleScope::from_headers(Some("ResourceUnitLimitExceeded"), None),
            ResourceUnits
        );
        assert_eq!(
            ThrottleScope::from_headers(None, Some("Tenant_Application/Write/app/tenant")),
            Writes
        );
        assert_eq!(
            ThrottleScope::from_headers(None, Some("Tenant/ReadWrite/app/tenant")),
            Unknown
        );
        assert_eq!(ThrottleScope::from_headers(None, None), Unknown);
    }

    #[test]
    fn adaptive_cuts_once_per_episode_and_recovers() {
        let t0 = Instant::now();
        let mut a = Adaptive::new(t0, Duration::from_secs(5));
        assert_eq!(a.cells(1), 1000);
        assert!(a.on_throttle(t0, Duration::from_secs(2)));
        assert!((a.factor() - 0.7).abs() < 1e-9);
        // More 429s of the same burst do not cut again.
        assert!(!a.on_throttle(t0 + Duration::from_millis(500), Duration::from_secs(2)));
        assert!((a.factor() - 0.7).abs() < 1e-9);
        assert_eq!(a.cells(1), 1429);
        assert_eq!(a.cells(3), 1429 * 3);
        // A 429 after the episode cuts again, never below the floor.
        let mut t = t0 + Duration::from_secs(3);
        for _ in 0..10 {
            a.on_throttle(t, Duration::from_secs(1));
            t += Duration::from_secs(2);
        }
        assert!((a.factor() - Adaptive::MIN_FACTOR).abs() < 1e-9);
        // Quiet periods raise it step by step back to 1.
        assert!(!a.maybe_raise(t), "too soon after the last change");
        let mut raises = 0;
        for _ in 0..20 {
            t += Duration::from_secs(5);
            if a.maybe_raise(t) {
                raises += 1;
            }
        }
        assert_eq!(raises, 8);
        assert!((a.factor() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn limits_from_settings_and_bursts() {
        let l = Limits::from_settings(&GraphSettings::default());
        assert_eq!(l.writes_per_window, 3000);
        assert!((l.write_rate() - 20.0).abs() < 1e-9);
        assert!((l.ru_rate() - 800.0).abs() < 1e-9);
        assert_eq!(l.write_burst(), 16);
        assert_eq!(l.ru_burst(), 160);
        let tiny = Limits {
            writes_per_window: 10,
            concurrency: 64,
            resource_units_configured: true,
            ..l.clone()
        };
        assert_eq!(tiny.write_burst(), 1, "never more than the quota allows");
    }

    /// Burst plus pace never exceed the quota in one window, for any quota: the writes a
    /// window can see are the burst plus what the bucket refills in it.
    #[test]
    fn burst_and_pace_stay_within_any_quota() {
        for q in (1..=200).chain([499, 500, 1000, 2999, 3000, 100_000, 1_000_000]) {
            for concurrency in [1, 16, 64] {
                let l = Limits {
                    writes_per_window: q,
                    concurrency,
                    ..Limits::from_settings(&GraphSettings::default())
                };
                let paced = (f64::from(q) * l.headroom()).floor() as u32;
                assert!(
                    l.write_burst() + paced <= q,
                    "quota {q}: burst {} + paced {paced}",
                    l.write_burst()
                );
                let ru = Limits {
                    resource_units: q,
                    ..l.clone()
                };
                assert!(ru.ru_burst() + paced <= q, "RU quota {q}");
            }
        }
    }

    /// `writes_per_window = 1`: one write goes at once, the next must wait most of the
    /// window (no timing involved: the bucket says how long).
    #[test]
    fn a_quota_of_one_lets_one_write_through() {
        let limiter = Limiter::new(Limits {
            writes_per_window: 1,
            write_window: Duration::from_secs(150),
            ..Limits::from_settings(&GraphSettings::default())
        });
        let cells = limiter.lock().writes.cells(1);
        assert_eq!(limiter.take(&limiter.writes, cells), None);
        let wait = limiter.take(&limiter.writes, cells);
        assert!(
            wait.is_some_and(|w| w > Duration::from_secs(140)),
            "{wait:?}"
        );
    }

    #[tokio::test]
    async fn acquire_paces_writes_at_the_budget() {
        // 20 writes per second with a burst of 1: 24 writes need at least ~1.15 s.
        let limiter = Limiter::new(Limits {
            writes_per_window: 20,
            write_window: Duration::from_secs(1),
            resource_units: 100_000,
            ru_window: Duration::from_secs(10),
            headroom: 1.0,
            concurrency: 1,
            resource_units_configured: true,
        });
        let start = Instant::now();
        for _ in 0..24 {
            limiter
                .acquire(Cost {
                    resource_units: 1,
                    writes: 1,
                })
                .await;
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(950), "{took:?}");
    }

    #[tokio::test]
    async fn a_cost_above_the_burst_is_taken_in_full() {
        // 20 writes per second, burst 1: a batch of 20 writes, then 20 single writes,
        // needs the budget of 40 writes, i.e. at least ~1.9 s.
        let limiter = Limiter::new(Limits {
            writes_per_window: 20,
            write_window: Duration::from_secs(1),
            resource_units: 100_000,
            ru_window: Duration::from_secs(10),
            headroom: 1.0,
            concurrency: 1,
            resource_units_configured: true,
        });
        let start = Instant::now();
        limiter
            .acquire(Cost {
                resource_units: 20,
                writes: 20,
            })
            .await;
        for _ in 0..20 {
            limiter.acquire(Cost::of("PATCH", "/x")).await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(1750),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn a_throttle_pauses_every_worker() {
        let limiter = Limiter::new(Limits::from_settings(&GraphSettings::default()));
        limiter.on_throttled(ThrottleScope::Unknown, Duration::from_millis(300));
        let state = limiter.state();
        assert!(state.paused_for.is_some());
        assert!(state.write_factor < 1.0);
        let start = Instant::now();
        let a = limiter.acquire(Cost::of("GET", "/users"));
        let b = limiter.acquire(Cost::of("POST", "/users"));
        tokio::join!(a, b);
        assert!(start.elapsed() >= Duration::from_millis(290));
        // A write-scoped 429 pauses writes only.
        limiter.on_throttled(ThrottleScope::Writes, Duration::from_millis(400));
        let start = Instant::now();
        limiter.acquire(Cost::of("GET", "/users")).await;
        assert!(start.elapsed() < Duration::from_millis(390));
        limiter.acquire(Cost::of("PATCH", "/users")).await;
        assert!(start.elapsed() >= Duration::from_millis(390));
    }
}
