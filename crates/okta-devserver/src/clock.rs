//! The injectable clock: every time the server reads comes through a [`Clock`]; plus the
//! timestamp format of Okta's APIs.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, shared by everything the server does.
///
/// The default is the system clock. Tests pass a [`ManualClock`] (or any closure) to expire
/// codes, sessions and tokens without sleeping.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The real system clock.
    pub fn system() -> Self {
        Self(Arc::new(system_now))
    }

    /// A clock that calls `now` each time the server needs the time.
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }

    /// The current time in whole seconds since the Unix epoch (0 before 1970).
    pub fn now_secs(&self) -> u64 {
        unix_secs(self.now())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Self::from_fn(move || manual.now())
    }
}

/// A clock that only moves when told to, for tests.
///
/// Clones share the same time, so a test keeps one clone and hands another to the server.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use okta_devserver::{Clock, ManualClock};
///
/// let manual = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// let clock = Clock::from(manual.clone());
/// manual.advance(Duration::from_secs(301));
/// assert_eq!(clock.now_secs(), 1_700_000_301);
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock standing still at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// A clock standing still at the current system time.
    pub fn starting_now() -> Self {
        Self::new(system_now())
    }

    /// The time the clock shows.
    pub fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Sets the clock to `to` (which may be in the past).
    pub fn set(&self, to: SystemTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

/// Seconds since the Unix epoch, 0 for times before it.
pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

/// Formats Unix seconds as an RFC 3339 UTC timestamp with milliseconds, as Okta's APIs do
/// (`2026-11-28T07:14:48.000Z`).
pub(crate) fn rfc3339(unix_secs: u64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    i64::try_from(unix_secs)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|date| date.format(format).ok())
        .unwrap_or_else(|| "9999-12-31T23:59:59.999Z".to_owned())
}

/// Formats Unix seconds as an HTTP date (RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(unix_secs: u64) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    i64::try_from(unix_secs)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|date| date.format(format).ok())
        .unwrap_or_else(|| "Fri, 31 Dec 9999 23:59:59 GMT".to_owned())
}

#[allow(clippy::disallowed_methods, reason = "the one real clock behind `Clock::system`")]
fn system_now() -> SystemTime {
    SystemTime::now()
}

#[cfg(test)]
mod tests;
