//! What the guard decided, observable without the token: refusals logged at INFO with a rate
//! limit, so a flood of garbage cannot flood the logs, and a hook for a team's own audit.

#[cfg(feature = "axum")]
use std::fmt;
#[cfg(feature = "axum")]
use std::sync::Arc;
#[cfg(feature = "axum")]
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};

#[cfg(feature = "axum")]
use crate::BearerClaims;
#[cfg(feature = "axum")]
use crate::clock::Clock;
#[cfg(feature = "axum")]
use crate::error::untrusted;
#[cfg(feature = "axum")]
use crate::json::{Claim, RawClaims};
#[cfg(feature = "axum")]
use crate::jws::{self, Algorithm};

/// How many refusal lines the guard logs per second by default; the rest are counted and
/// reported in one "suppressed" line.
pub const DEFAULT_REFUSAL_LOG_LIMIT: u32 = 10;

/// One decision of the guard, as an audit hook receives it. It never holds the token: only the
/// reason and what identifies the token's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEvent {
    /// Accepted or refused.
    pub outcome: AuditOutcome,
    /// `accepted`, or the stable reason of the refusal (`expired`, `wrong_issuer`,
    /// `insufficient_scope`, `missing` ...): [`VerifyError::kind`](crate::VerifyError::kind) or
    /// [`BearerRejection::reason`](crate::axum::BearerRejection::reason).
    pub reason: &'static str,
    /// The HTTP status of the answer (200 for an acceptance: what the guard let through).
    pub status: u16,
    /// `iss`. For a refusal it is read from the token without verification (so it may be
    /// forged), escaped and cut at 64 characters; `None` when the token is not a readable JWT.
    pub issuer: Option<String>,
    /// The header's `kid`, on the same terms as `issuer`.
    pub kid: Option<String>,
    /// `cid` (`client_id` of an introspection answer), on the same terms as `issuer`.
    pub client_id: Option<String>,
    /// `sub`, for an accepted token only.
    pub subject: Option<String>,
}

/// Whether the guard let a request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditOutcome {
    /// The layer verified the token. A route rule ([`Require`](crate::axum::Require)) or typed
    /// claims may still refuse the request, in a later `Refused` event.
    Accepted,
    /// The request was refused.
    Refused,
}

/// A team's audit of the guard's decisions: implemented for closures `Fn(&AuditEvent)`. It runs
/// on the request's task, for every decision (not rate limited): keep it quick, or hand the
/// event to a channel.
pub trait AuditHook: Send + Sync {
    /// Records one decision.
    fn record(&self, event: &AuditEvent);
}

impl<F: Fn(&AuditEvent) + Send + Sync> AuditHook for F {
    fn record(&self, event: &AuditEvent) {
        self(event);
    }
}

#[cfg(feature = "axum")]
/// The logging and audit of one guard (shared by the services a layer makes).
#[derive(Clone)]
pub(crate) struct Observer {
    inner: Arc<ObserverInner>,
}

#[cfg(feature = "axum")]
struct ObserverInner {
    log: RefusalLog,
    clock: Clock,
    hook: Option<Arc<dyn AuditHook>>,
}

#[cfg(feature = "axum")]
impl Observer {
    pub(crate) fn new(
        limit_per_second: u32,
        clock: Clock,
        hook: Option<Arc<dyn AuditHook>>,
    ) -> Self {
        Self {
            inner: Arc::new(ObserverInner { log: RefusalLog::new(limit_per_second), clock, hook }),
        }
    }

    /// Logs (within the rate limit) and audits a refusal; `token` is read, unverified, only
    /// when a line or an event is due.
    pub(crate) fn refused(&self, reason: &'static str, status: u16, token: Option<&str>) {
        let inner = &*self.inner;
        let log = inner.log.admit(inner.clock.unix_seconds());
        if !log && inner.hook.is_none() {
            return;
        }
        let facts = token.map(unverified_facts).unwrap_or_default();
        if log {
            tracing::info!(
                reason,
                status,
                issuer = facts.issuer.as_deref(),
                kid = facts.kid.as_deref(),
                client_id = facts.client_id.as_deref(),
                "bearer token refused"
            );
        }
        if let Some(hook) = &inner.hook {
            hook.record(&AuditEvent {
                outcome: AuditOutcome::Refused,
                reason,
                status,
                issuer: facts.issuer,
                kid: facts.kid,
                client_id: facts.client_id,
                subject: None,
            });
        }
    }

    /// Audits an acceptance (no log line: acceptances are the normal case).
    pub(crate) fn accepted(&self, claims: Option<&dyn BearerClaims>) {
        let Some(hook) = &self.inner.hook else { return };
        let string = |name: &str| {
            claims.and_then(|claims| claims.claim(name)).and_then(|value| match value {
                serde_json::Value::String(value) => Some(value),
                _ => None,
            })
        };
        hook.record(&AuditEvent {
            outcome: AuditOutcome::Accepted,
            reason: "accepted",
            status: 200,
            issuer: string("iss"),
            kid: claims.and_then(|claims| claims.kid().map(str::to_owned)),
            client_id: string("cid").or_else(|| string("client_id")),
            subject: string("sub"),
        });
    }
}

#[cfg(feature = "axum")]
impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observer")
            .field("limit_per_second", &self.inner.log.limit)
            .field("hook", &self.inner.hook.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "axum")]
/// At most `limit` lines per second (by the clock's whole seconds); the refusals beyond it are
/// counted, and the count is logged in one line with the first refusal of a later second.
struct RefusalLog {
    limit: u32,
    second: AtomicI64,
    in_second: AtomicU32,
    suppressed: AtomicU64,
}

#[cfg(feature = "axum")]
impl RefusalLog {
    fn new(limit: u32) -> Self {
        Self {
            limit,
            second: AtomicI64::new(i64::MIN),
            in_second: AtomicU32::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Whether a refusal at `now` may be logged.
    fn admit(&self, now: i64) -> bool {
        let second = self.second.load(Ordering::Relaxed);
        if now != second
            && self
                .second
                .compare_exchange(second, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.in_second.store(0, Ordering::Relaxed);
            let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
            if suppressed > 0 {
                tracing::info!(
                    suppressed,
                    limit_per_second = self.limit,
                    "suppressed {suppressed} bearer-token refusal lines (rate limit)"
                );
            }
        }
        if self.in_second.fetch_add(1, Ordering::Relaxed) < self.limit {
            true
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

#[cfg(feature = "axum")]
/// What a refused token says about its origin, read without verification.
#[derive(Default)]
struct Facts {
    issuer: Option<String>,
    kid: Option<String>,
    client_id: Option<String>,
}

#[cfg(feature = "axum")]
fn unverified_facts(token: &str) -> Facts {
    let mut buffers = jws::Buffers::new();
    let Ok(jws) = jws::parse(token, &Algorithm::ALL, 16 * 1024, &mut buffers) else {
        return Facts::default();
    };
    let kid = jws.kid.as_deref().map(untrusted);
    let Ok(mut claims) = RawClaims::parse(&jws.payload) else {
        return Facts { kid, ..Facts::default() };
    };
    let mut string = |claim| claims.string(claim).ok().flatten().map(|value| untrusted(&value));
    Facts { issuer: string(Claim::Iss), client_id: string(Claim::Cid), kid }
}

#[cfg(all(test, feature = "axum"))]
mod tests;
