//! Time for display (token expiry, timestamps, export names), injected so snapshots are
//! stable. Timers and frame pacing use tokio's monotonic clock instead.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    /// Always this instant (tests, snapshots).
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }
}
