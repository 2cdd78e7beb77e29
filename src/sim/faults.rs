//! Injected faults: what a client must survive on a real network and a real service.
//!
//! Each Graph request draws once: a server error (500, 503 — sometimes with
//! `Retry-After` — or 504) answered without doing anything; a reset (the connection is
//! dropped before anything happens); or a commit-then-drop (the request is carried out,
//! then the connection is dropped instead of the response: the client cannot know the
//! write happened, which is the point).

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Fault rates per request, from `"5xx=0.02,reset=0.01,drop=0.01[,seed=7]"`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultSpec {
    /// Probability of a 500/503/504 answered without doing anything.
    pub server_error: f64,
    /// Probability of a dropped connection before anything happens.
    pub reset: f64,
    /// Probability of a request carried out whose response is then dropped.
    pub commit_then_drop: f64,
    /// Seed of the draws, so a run's faults can be reproduced (given the same order of
    /// requests).
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    #[error("{0:?} is not KEY=VALUE (expected e.g. \"5xx=0.02,reset=0.01,drop=0.01,seed=7\")")]
    NotPair(String),
    #[error("unknown fault {0:?} (expected 5xx, reset, drop or seed)")]
    UnknownKey(String),
    #[error("{key}={value:?} is not a probability between 0 and 1")]
    BadRate { key: String, value: String },
    #[error("seed={0:?} is not a whole number")]
    BadSeed(String),
    #[error("the rates add up to {0}, more than 1")]
    TooMuch(f64),
}

impl FaultSpec {
    pub fn none() -> FaultSpec {
        FaultSpec::default()
    }

    pub fn is_none(&self) -> bool {
        self.server_error <= 0.0 && self.reset <= 0.0 && self.commit_then_drop <= 0.0
    }
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    /// `""` and `"none"` are no faults. Keys may repeat; the last wins.
    fn from_str(s: &str) -> Result<FaultSpec, FaultSpecError> {
        let mut spec = FaultSpec::default();
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("none") {
            return Ok(spec);
        }
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| FaultSpecError::NotPair(part.to_string()))?;
            let (key, value) = (key.trim(), value.trim());
            let rate = || -> Result<f64, FaultSpecError> {
                match value.parse::<f64>() {
                    Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
                    _ => Err(FaultSpecError::BadRate {
                        key: key.to_string(),
                        value: value.to_string(),
                    }),
                }
            };
            match key.to_ascii_lowercase().as_str() {
                "5xx" | "server_error" | "server-error" => spec.server_error = rate()?,
                "reset" => spec.reset = rate()?,
                "drop" | "commit_then_drop" | "commit-then-drop" => spec.commit_then_drop = rate()?,
                "seed" => {
                    spec.seed = value
                        .parse()
                        .map_err(|_| FaultSpecError::BadSeed(value.to_string()))?
                }
                _ => return Err(FaultSpecError::UnknownKey(key.to_string())),
            }
        }
        let total = spec.server_error + spec.reset + spec.commit_then_drop;
        if total > 1.0 + 1e-9 {
            return Err(FaultSpecError::TooMuch(total));
        }
        Ok(spec)
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("none");
        }
        write!(
            f,
            "5xx={},reset={},drop={},seed={}",
            self.server_error, self.reset, self.commit_then_drop, self.seed
        )
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer this status without doing anything; `retry_after` in seconds for some 503s.
    ServerError {
        status: u16,
        retry_after: Option<u32>,
    },
    Reset,
    CommitThenDrop,
}

/// The draws, shared by all connections.
pub(crate) struct FaultDice {
    inner: Mutex<(FaultSpec, ChaCha8Rng)>,
}

impl FaultDice {
    pub fn new(spec: FaultSpec) -> FaultDice {
        FaultDice {
            inner: Mutex::new((spec, ChaCha8Rng::seed_from_u64(spec.seed))),
        }
    }

    /// Replace the rates and restart the draws from the new seed.
    pub fn set(&self, spec: FaultSpec) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *g = (spec, ChaCha8Rng::seed_from_u64(spec.seed));
    }

    pub fn roll(&self) -> Option<Fault> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (spec, rng) = &mut *g;
        if spec.is_none() {
            return None;
        }
        let x: f64 = rng.random();
        if x < spec.server_error {
            let status = match rng.random_range(0..3u8) {
                0 => 500,
                1 => 503,
                _ => 504,
            };
            let retry_after = (status == 503 && rng.random_bool(0.5)).then_some(1);
            Some(Fault::ServerError {
                status,
                retry_after,
            })
        } else if x < spec.server_error + spec.reset {
            Some(Fault::Reset)
        } else if x < spec.server_error + spec.reset + spec.commit_then_drop {
            Some(Fault::CommitThenDrop)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_form() {
        let f: FaultSpec = "5xx=0.02,reset=0.01,drop=0.01,seed=7".parse().unwrap();
        assert_eq!(
            f,
            FaultSpec {
                server_error: 0.02,
                reset: 0.01,
                commit_then_drop: 0.01,
                seed: 7
            }
        );
        assert_eq!(f.to_string().parse::<FaultSpec>().unwrap(), f);
        assert!("".parse::<FaultSpec>().unwrap().is_none());
        assert!("none".parse::<FaultSpec>().unwrap().is_none());
    }

    #[test]
    fn refuses_bad_specs_with_a_reason() {
        assert!(matches!(
            "5xx".parse::<FaultSpec>(),
            Err(FaultSpecError::NotPair(_))
        ));
        assert!(matches!(
            "boom=0.1".parse::<FaultSpec>(),
            Err(FaultSpecError::UnknownKey(_))
        ));
        assert!(matches!(
            "reset=1.5".parse::<FaultSpec>(),
            Err(FaultSpecError::BadRate { .. })
        ));
        assert!(matches!(
            "reset=x".parse::<FaultSpec>(),
            Err(FaultSpecError::BadRate { .. })
        ));
        assert!(matches!(
            "seed=-1".parse::<FaultSpec>(),
            Err(FaultSpecError::BadSeed(_))
        ));
        assert!(matches!(
            "5xx=0.6,reset=0.6".parse::<FaultSpec>(),
            Err(FaultSpecError::TooMuch(_))
        ));
    }

    #[test]
    fn draws_follow_the_rates() {
        let dice = FaultDice::new("5xx=0.1,reset=0.05,drop=0.2,seed=3".parse().unwrap());
        let (mut s, mut r, mut d) = (0, 0, 0);
        let n = 20_000;
        for _ in 0..n {
            match dice.roll() {
                Some(Fault::ServerError { status, .. }) => {
                    assert!(matches!(status, 500 | 503 | 504));
                    s += 1
                }
                Some(Fault::Reset) => r += 1,
                Some(Fault::CommitThenDrop) => d += 1,
                None => {}
            }
        }
        let near = |count: i32, p: f64| ((count as f64 / n as f64) - p).abs() < 0.015;
        assert!(near(s, 0.1), "server errors {s}");
        assert!(near(r, 0.05), "resets {r}");
        assert!(near(d, 0.2), "drops {d}");
        assert_eq!(FaultDice::new(FaultSpec::none()).roll(), None);
    }
}
