//! Okta's `X-Rate-Limit-*` headers: a per-endpoint counter over fixed one-minute windows.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::faults::Endpoint;

/// The limit the headers announce for every endpoint (requests per minute).
pub(crate) const LIMIT: u64 = 600;

/// Requests counted per endpoint in the current minute.
#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    counts: Mutex<HashMap<Endpoint, (u64, u64)>>,
}

/// The values of the three headers for one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u64,
    pub(crate) remaining: u64,
    /// UTC epoch seconds when the window resets.
    pub(crate) reset: u64,
}

impl RateWindow {
    /// Counts one request to `endpoint` at `now` and returns the headers to send.
    pub(crate) fn hit(&self, endpoint: Endpoint, now: u64) -> RateHeaders {
        let window = now / 60;
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = counts.entry(endpoint).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        RateHeaders {
            limit: LIMIT,
            remaining: LIMIT.saturating_sub(entry.1),
            reset: (window + 1) * 60,
        }
    }

    /// The headers of a refused (429) request.
    pub(crate) fn exhausted(now: u64) -> RateHeaders {
        RateHeaders { limit: LIMIT, remaining: 0, reset: (now / 60 + 1) * 60 }
    }
}
