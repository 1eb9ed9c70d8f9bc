//! The injected clock: every time check of okta-oidc (assertions here, tokens in okta-verify,
//! sessions in okta-flow, token lifetimes in okta-service) reads time through it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, cheap to clone and shared between threads.
///
/// Production code uses [`Clock::system`]; tests pin time with [`Clock::fixed`] or drive it with
/// [`Clock::from_fn`], so every expiry rule can be tested at its exact boundary.
#[derive(Clone)]
pub struct Clock {
    now: Arc<dyn Fn() -> SystemTime + Send + Sync>,
}

impl Clock {
    /// The real wall clock.
    pub fn system() -> Self {
        Self::from_fn(system_now)
    }

    /// A clock that always reads `time`.
    pub fn fixed(time: SystemTime) -> Self {
        Self::from_fn(move || time)
    }

    /// A clock that always reads `seconds` after the Unix epoch.
    pub fn fixed_unix(seconds: u64) -> Self {
        Self::fixed(UNIX_EPOCH + Duration::from_secs(seconds))
    }

    /// A clock that calls `now` each time it is read (for tests that move time forward).
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self { now: Arc::new(now) }
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        (self.now)()
    }

    /// The current time in whole seconds since the Unix epoch (0 before the epoch, saturating).
    pub fn unix_seconds(&self) -> i64 {
        unix_seconds(self.now())
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock").finish_non_exhaustive()
    }
}

/// Whole seconds since the Unix epoch, saturating at 0 and `i64::MAX`.
fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

#[allow(
    clippy::disallowed_methods,
    reason = "the one real clock of the crate; everything else reads time through `Clock`"
)]
fn system_now() -> SystemTime {
    SystemTime::now()
}

#[cfg(test)]
mod tests;
