//! The JWKS cache: a lock-free read path over the current key set, a single-flight refetch with a
//! cooldown for unknown `kid`s, `Cache-Control` within bounds, refresh ahead of expiry in the
//! background, and the last good keys kept when a fetch fails.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use http::{Method, Request, header};
use okta_config::Issuer;
use okta_http::{HttpClient, TransportError, redacted_url};
use url::Url;

use crate::clock::Clock;
use crate::error::{ConfigError, JwksError, VerifyError, check_config_url};
use crate::jws::Algorithm;
use crate::keys::{KeySet, Selection};

/// The outcome of a signature check that may need a key fetch first.
#[derive(Debug)]
pub(crate) enum Pending {
    /// The final answer is a refusal.
    Refused(VerifyError),
    /// The `kid` is unknown: fetch (within the limits) and try again.
    UnknownKid,
}

impl From<VerifyError> for Pending {
    fn from(err: VerifyError) -> Self {
        Self::Refused(err)
    }
}

/// Bounds of a remote [`JwksCache`]. The defaults suit Okta's `/keys` endpoint.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JwksCacheOptions {
    /// Shortest time a fetched key set is used before a refresh, whatever `Cache-Control` says
    /// (`no-cache` included). Defaults to 5 minutes.
    pub min_ttl: Duration,
    /// Longest time a fetched key set is used before a refresh. Defaults to 24 hours.
    pub max_ttl: Duration,
    /// Minimum time between two fetches caused by unknown `kid`s or failed refreshes; within it an
    /// unknown `kid` is refused at once. Defaults to 30 seconds.
    pub refetch_cooldown: Duration,
    /// Longest time a key set is trusted without asking `/keys` again, whatever its lifetime:
    /// a key removed by an emergency rotation stops being trusted within about this long.
    /// The refresh runs on a background timer of the cache (see [`JwksCache`]), whether or not
    /// requests arrive, and never on a verification's path; the first verification after a
    /// refresh is due also starts one, should the timer not be running. Defaults to 5 minutes.
    pub refresh_interval: Duration,
    /// Largest number of keys a key set may list. Defaults to 100.
    pub max_keys: usize,
}

impl Default for JwksCacheOptions {
    fn default() -> Self {
        Self {
            min_ttl: Duration::from_mins(5),
            max_ttl: Duration::from_hours(24),
            refetch_cooldown: Duration::from_secs(30),
            refresh_interval: Duration::from_mins(5),
            max_keys: 100,
        }
    }
}

/// The signing keys of an issuer, shared by every verifier of a service.
///
/// Cheap to clone (an `Arc`). Reading a key takes no lock: the current key set sits behind an
/// [`ArcSwap`] and is replaced whole when a fetch succeeds.
///
/// A remote key set is fetched on first use (or by [`JwksCache::refresh`]). Once keys are known,
/// an unknown `kid` causes at most one refetch per [`JwksCacheOptions::refetch_cooldown`], shared
/// by every caller; within the cooldown unknown `kid`s are refused at once. The cooldown counts
/// refetches caused by unknown `kid`s (and failed fetches), not the first load or the scheduled
/// refreshes, so keys rotated seconds after a routine fetch are still picked up at once. `Cache-Control: max-age` sets the
/// lifetime within [`JwksCacheOptions::min_ttl`] and [`JwksCacheOptions::max_ttl`], and a refresh
/// starts in the background after four fifths of it, or after
/// [`JwksCacheOptions::refresh_interval`] (5 minutes) if that comes first, never blocking known
/// keys: a key removed from the set stops being trusted within about the interval. A failed fetch
/// keeps the last good keys. Keys that cannot verify signatures (other `kty`, `use: enc`, RSA
/// under 2048 bits, unsafe exponents, private members) are ignored.
///
/// The refresh runs on a background timer, so an idle service does not answer its first request
/// after a quiet hour with keys Okta has since removed. The timer is a Tokio task started when a
/// remote cache is built inside a Tokio runtime (or, if it was built outside one, by its first
/// use inside one). Once keys are loaded, it fetches them again whenever a refresh is due, under
/// the same cooldown and failure rules as any refresh; it does not do the first load. It holds
/// only a weak reference to the cache: when the last clone of the cache is dropped, the task
/// ends at its next wake-up. If its runtime shuts down, the next use of the cache inside a
/// runtime starts it again. The first verification after a refresh is due still starts one
/// in the background as well, should the timer be late or absent.
#[derive(Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

struct Inner {
    current: ArcSwap<Snapshot>,
    remote: Option<Remote>,
    clock: Clock,
}

/// A key set and when to refresh it (seconds since the epoch).
#[derive(Debug, Default)]
struct Snapshot {
    keys: KeySet,
    /// When a background refresh should start.
    refresh_at: i64,
    /// Bumped when the usable keys change, so caches of verified tokens can tell.
    generation: u64,
    /// Whether a key set was ever loaded (even one without a usable key): until then an
    /// unknown `kid` is the first load, after it a refetch that starts the cooldown.
    loaded: bool,
}

struct Remote {
    uri: Url,
    http: Arc<dyn HttpClient>,
    options: JwksCacheOptions,
    /// Held while a fetch is in flight: the single flight. Its guard lives in the fetching
    /// future, so a fetch whose future is dropped (a cancelled request) releases it.
    fetch_lock: tokio::sync::Mutex<()>,
    /// Number of fetch attempts started, for [`JwksCache::fetch_count`].
    attempts: AtomicU64,
    /// Number of fetches that finished, successfully or not, to tell waiters that a fetch
    /// completed while they waited. A fetch whose future was dropped does not count, so the
    /// callers that waited for it fetch themselves instead of taking an outcome that never came.
    completed: AtomicU64,
    /// When the last fetch attempt started (seconds since the epoch; `i64::MIN` for never).
    last_attempt: AtomicI64,
    /// When the last refetch caused by an unknown `kid` (with keys already known) started:
    /// the negative cache's clock (seconds since the epoch; `i64::MIN` for never).
    last_unknown_kid_fetch: AtomicI64,
    /// Whether a background refresh is running; cleared by [`BackgroundRefresh`] when its task
    /// ends, or is dropped unfinished (a runtime shutting down).
    refreshing: AtomicBool,
    /// Whether the refresh timer task is alive; cleared by [`TimerAlive`] when the task ends
    /// or is dropped with its runtime, so the next use starts it again.
    timer: Arc<AtomicBool>,
    /// The error of the last failed fetch, reported while no key set is known.
    last_error: Mutex<Option<JwksError>>,
}

impl JwksCache {
    /// A fixed key set (tests, air-gapped services): never refreshed.
    pub fn from_json(jwks: &[u8]) -> Result<Self, JwksError> {
        let keys = KeySet::parse(jwks, usize::MAX)?;
        Ok(Self {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(Snapshot {
                    keys,
                    refresh_at: i64::MAX,
                    generation: 1,
                    loaded: true,
                }),
                remote: None,
                clock: Clock::system(),
            }),
        })
    }

    /// A key set fetched from `jwks_uri` (the issuer's `/v1/keys`) through `http`, on first use
    /// and then as described on [`JwksCache`]: a single-flight refetch for unknown `kid`s with a
    /// cooldown, `Cache-Control` within bounds, and refresh ahead of expiry in the background.
    ///
    /// The URI must be `https` (plain `http` only for a loopback host).
    pub fn remote(
        jwks_uri: Url,
        http: Arc<dyn HttpClient>,
        options: JwksCacheOptions,
        clock: Clock,
    ) -> Result<Self, ConfigError> {
        check_config_url(&jwks_uri)?;
        if options.min_ttl > options.max_ttl {
            return Err(ConfigError::OutOfRange {
                name: "min_ttl",
                reason: "must not exceed max_ttl",
            });
        }
        if options.refresh_interval < Duration::from_secs(1) {
            return Err(ConfigError::OutOfRange {
                name: "refresh_interval",
                reason: "must be at least 1 s",
            });
        }
        if options.max_keys == 0 {
            return Err(ConfigError::OutOfRange { name: "max_keys", reason: "must be at least 1" });
        }
        let cache = Self {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(Snapshot::default()),
                remote: Some(Remote {
                    uri: jwks_uri,
                    http,
                    options,
                    fetch_lock: tokio::sync::Mutex::new(()),
                    attempts: AtomicU64::new(0),
                    completed: AtomicU64::new(0),
                    last_attempt: AtomicI64::new(i64::MIN),
                    last_unknown_kid_fetch: AtomicI64::new(i64::MIN),
                    refreshing: AtomicBool::new(false),
                    timer: Arc::new(AtomicBool::new(false)),
                    last_error: Mutex::new(None),
                }),
                clock,
            }),
        };
        cache.ensure_timer();
        Ok(cache)
    }

    /// The key set at the conventional `/keys` endpoint of an Okta issuer
    /// ([`Issuer::keys_url`]): `{issuer}/v1/keys` for a custom authorization server,
    /// `{issuer}/oauth2/v1/keys` for the org authorization server. The key set never leaves the
    /// issuer's origin.
    pub fn for_issuer(
        issuer: &Issuer,
        http: Arc<dyn HttpClient>,
        options: JwksCacheOptions,
        clock: Clock,
    ) -> Result<Self, ConfigError> {
        Self::remote(issuer.keys_url(), http, options, clock)
    }

    /// Fetches the key set now (for example at start-up, so the first request does not wait),
    /// waiting for a fetch already in flight instead of starting a second one.
    ///
    /// On failure the previous keys stay in use. A fixed key set has nothing to fetch.
    pub async fn refresh(&self) -> Result<(), JwksError> {
        let Some(remote) = &self.inner.remote else {
            return Ok(());
        };
        self.ensure_timer();
        let completed = remote.completed.load(Ordering::Acquire);
        let _flight = remote.fetch_lock.lock().await;
        if remote.completed.load(Ordering::Acquire) != completed {
            // Another caller fetched while this one waited: share its outcome.
            return match last_error(remote) {
                Some(err) if self.inner.current.load().keys.n_usable() == 0 => Err(err),
                _ => Ok(()),
            };
        }
        self.fetch(remote).await
    }

    /// How many fetches were attempted (successful or not): for metrics and tests.
    pub fn fetch_count(&self) -> u64 {
        self.inner.remote.as_ref().map_or(0, |remote| remote.attempts.load(Ordering::Relaxed))
    }

    /// The `kid` of every usable key currently known, in the order the set lists them.
    pub fn kids(&self) -> Vec<Option<String>> {
        self.inner.current.load().keys.kids().map(|kid| kid.map(str::to_owned)).collect()
    }

    /// The `jwks_uri`, for a remote key set.
    pub fn jwks_uri(&self) -> Option<&Url> {
        self.inner.remote.as_ref().map(|remote| &remote.uri)
    }

    /// A number that changes whenever the usable keys change.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.current.load().generation
    }

    /// Verifies `signature` over `message` with the key chosen for `kid` and `alg`, with the keys
    /// known now: no lock, no await. Returns the generation of the key set that verified it, the
    /// one a cache of verified tokens must file the token under (not one read before or after).
    ///
    /// An unknown `kid` on a remote key set is [`Pending::UnknownKid`] the first time
    /// (`after_fetch == false`): the caller then awaits [`JwksCache::refetch_for_unknown_kid`] and
    /// calls again with `after_fetch == true`, which gives the final answer.
    pub(crate) fn verify_signature_now(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
        now: i64,
        after_fetch: bool,
    ) -> Result<u64, Pending> {
        self.ensure_timer();
        let snapshot = self.inner.current.load();
        match snapshot.keys.select(kid, alg) {
            Ok(key) => {
                if now >= snapshot.refresh_at {
                    self.refresh_in_background(now);
                }
                key.verify_sig(message, signature)
                    .map(|()| snapshot.generation)
                    .map_err(|_| Pending::Refused(VerifyError::InvalidSignature))
            }
            Err(Selection::NotFound) if self.inner.remote.is_some() && !after_fetch => {
                Err(Pending::UnknownKid)
            }
            Err(Selection::NotFound) if self.inner.remote.is_some() && !snapshot.loaded => {
                let source = self
                    .inner
                    .remote
                    .as_ref()
                    .and_then(last_error)
                    .unwrap_or(JwksError::CoolingDown);
                Err(Pending::Refused(VerifyError::JwksUnavailable { source }))
            }
            Err(selection) => Err(Pending::Refused(selection.into_error(kid))),
        }
    }

    /// The single flight for an unknown `kid`: within the cooldown of the last unknown-`kid`
    /// refetch, or of a failed fetch, nothing is fetched (the negative cache: random `kid`s
    /// cannot make the service hammer Okta); otherwise the first caller fetches while the others
    /// wait for its result.
    pub(crate) async fn refetch_for_unknown_kid(&self, now: i64) {
        let Some(remote) = &self.inner.remote else {
            return;
        };
        if remote.refetch_cooling_down(now) {
            // Within the cooldown nothing new is fetched, but a fetch still in flight (the first
            // one, or a refresh that may bring the rotated key) is worth waiting for.
            if remote.fetch_lock.try_lock().is_err() {
                drop(remote.fetch_lock.lock().await);
            }
            return;
        }
        let completed = remote.completed.load(Ordering::Acquire);
        let _flight = remote.fetch_lock.lock().await;
        if remote.completed.load(Ordering::Acquire) != completed || remote.refetch_cooling_down(now)
        {
            return;
        }
        // The first load is not a refetch: it does not start the cooldown. Any later fetch for
        // an unknown `kid` does, whatever the loaded set holds (even no usable key at all).
        if self.inner.current.load().loaded {
            remote.last_unknown_kid_fetch.store(now, Ordering::Release);
        }
        // The outcome is read back from the snapshot and `last_error` by the caller.
        let _ = self.fetch(remote).await;
    }

    /// Starts the refresh timer on the current Tokio runtime unless it is running (one atomic
    /// load when it is). Without a runtime nothing happens; a later use inside one starts it.
    fn ensure_timer(&self) {
        let Some(remote) = &self.inner.remote else {
            return;
        };
        if remote.timer.load(Ordering::Acquire) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if remote.timer.swap(true, Ordering::AcqRel) {
            return;
        }
        let alive = TimerAlive(Arc::clone(&remote.timer));
        let weak = Arc::downgrade(&self.inner);
        // The first deadline is taken now, not when the task first runs.
        let first = tokio::time::Instant::now() + self.timer_delay(remote);
        runtime.spawn(refresh_timer(weak, first, alive));
    }

    /// How long the timer sleeps: until the refresh is due and out of the cooldown, at least a
    /// second and at most `refresh_interval` (the injected clock and Tokio's may differ).
    fn timer_delay(&self, remote: &Remote) -> Duration {
        let interval = remote.options.refresh_interval;
        let snapshot = self.inner.current.load();
        if !snapshot.loaded {
            return interval;
        }
        let cooldown = i64::try_from(remote.options.refetch_cooldown.as_secs()).unwrap_or(i64::MAX);
        let last = remote.last_attempt.load(Ordering::Acquire);
        let due = if last == i64::MIN {
            snapshot.refresh_at
        } else {
            snapshot.refresh_at.max(last.saturating_add(cooldown))
        };
        let wait = due.saturating_sub(self.inner.clock.unix_seconds()).max(1).unsigned_abs();
        Duration::from_secs(wait).min(interval)
    }

    /// One wake-up of the timer: refreshes if the keys are loaded and a refresh is due, under
    /// the rules of [`JwksCache::refresh_in_background`], waiting for it.
    async fn timer_tick(&self) {
        let Some(remote) = &self.inner.remote else {
            return;
        };
        let now = self.inner.clock.unix_seconds();
        let snapshot = self.inner.current.load();
        if !snapshot.loaded || now < snapshot.refresh_at {
            return;
        }
        drop(snapshot);
        if remote.in_cooldown(now) || remote.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let refresh = BackgroundRefresh(self.clone());
        if let Ok(_flight) = remote.fetch_lock.try_lock() {
            tracing::debug!(jwks_uri = %redacted_url(&remote.uri), "scheduled key set refresh");
            let _ = self.fetch(remote).await;
        }
        drop(refresh);
    }

    /// Starts a refresh on the Tokio runtime without waiting for it; known keys keep verifying
    /// meanwhile. Without a runtime nothing happens, and an unknown `kid` fetches inline.
    fn refresh_in_background(&self, now: i64) {
        let Some(remote) = &self.inner.remote else {
            return;
        };
        if remote.in_cooldown(now) || remote.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        // From here `refreshing` is cleared when `refresh` is dropped: at the end of the task,
        // when the task is dropped unfinished, or right away without a runtime.
        let refresh = BackgroundRefresh(self.clone());
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let cache = &refresh.0;
            if let Some(remote) = &cache.inner.remote
                && let Ok(_flight) = remote.fetch_lock.try_lock()
            {
                let _ = cache.fetch(remote).await;
            }
            drop(refresh);
        });
    }

    /// One fetch; the caller holds `fetch_lock`. The attempt counts toward the cooldowns as
    /// soon as it starts, even if its future is dropped, so cancelling requests cannot make the
    /// service fetch more often; only a finished fetch counts as completed for the waiters.
    async fn fetch(&self, remote: &Remote) -> Result<(), JwksError> {
        let now = self.inner.clock.unix_seconds();
        remote.last_attempt.store(now, Ordering::Release);
        remote.attempts.fetch_add(1, Ordering::AcqRel);
        let result = self.fetch_keys(remote, now).await;
        crate::telemetry::jwks_fetch(result.is_ok(), now);
        match &result {
            Ok(()) => {
                *remote.last_error.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
            Err(err) => {
                tracing::warn!(
                    jwks_uri = %redacted_url(&remote.uri),
                    error = err as &dyn std::error::Error,
                    kept_keys = self.inner.current.load().keys.n_usable(),
                    "key set fetch failed; keeping the last good keys"
                );
                *remote.last_error.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(err.clone());
            }
        }
        // After the outcome is recorded, so a waiter that sees the count reads it.
        remote.completed.fetch_add(1, Ordering::AcqRel);
        result
    }

    async fn fetch_keys(&self, remote: &Remote, now: i64) -> Result<(), JwksError> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(remote.uri.as_str())
            .header(header::ACCEPT, "application/json, application/jwk-set+json")
            .body(Vec::new())
            .map_err(|_| JwksError::Transport(TransportError::other("invalid jwks_uri")))?;
        let response = remote.http.execute(request).await.map_err(JwksError::Transport)?;
        if response.status() != http::StatusCode::OK {
            return Err(JwksError::Status { status: response.status().as_u16() });
        }
        let keys = KeySet::parse(response.body(), remote.options.max_keys)?;
        let ttl = cache_ttl(response.headers(), &remote.options);
        let previous = self.inner.current.load();
        let generation = if previous.keys.same_keys(&keys) {
            previous.generation
        } else {
            previous.generation.wrapping_add(1)
        };
        // Refresh when four fifths of the lifetime have passed, ahead of expiry, and at least
        // every `refresh_interval`, so a key removed from the set is not trusted for long.
        let refresh_after = (ttl.as_secs().saturating_mul(4) / 5)
            .min(remote.options.refresh_interval.as_secs().max(1));
        let refresh_after = i64::try_from(refresh_after).unwrap_or(i64::MAX);
        tracing::debug!(
            jwks_uri = %redacted_url(&remote.uri),
            usable_keys = keys.n_usable(),
            ttl_s = ttl.as_secs(),
            "key set fetched"
        );
        self.inner.current.store(Arc::new(Snapshot {
            keys,
            refresh_at: now.saturating_add(refresh_after),
            generation,
            loaded: true,
        }));
        Ok(())
    }
}

/// The refresh timer: sleeps until a refresh may be due, then refreshes, for as long as a
/// clone of the cache exists. Holds no strong reference while it sleeps.
async fn refresh_timer(weak: Weak<Inner>, first: tokio::time::Instant, alive: TimerAlive) {
    let mut deadline = first;
    loop {
        tokio::time::sleep_until(deadline).await;
        let Some(inner) = weak.upgrade() else {
            break;
        };
        let cache = JwksCache { inner };
        cache.timer_tick().await;
        let Some(remote) = &cache.inner.remote else {
            break;
        };
        deadline = tokio::time::Instant::now() + cache.timer_delay(remote);
    }
    drop(alive);
}

/// Marks the refresh timer alive; clears the mark when its task ends or is dropped unfinished.
struct TimerAlive(Arc<AtomicBool>);

impl Drop for TimerAlive {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A background refresh in flight: keeps the cache alive for its task and clears `refreshing`
/// when dropped, whether the refresh finished or its task was dropped unfinished.
struct BackgroundRefresh(JwksCache);

impl Drop for BackgroundRefresh {
    fn drop(&mut self) {
        if let Some(remote) = &self.0.inner.remote {
            remote.refreshing.store(false, Ordering::Release);
        }
    }
}

impl Remote {
    /// Whether the last fetch attempt of any kind is less than a cooldown old.
    fn in_cooldown(&self, now: i64) -> bool {
        self.within_cooldown(self.last_attempt.load(Ordering::Acquire), now)
    }

    /// Whether an unknown `kid` must not cause a fetch now: the last unknown-`kid` refetch is
    /// less than a cooldown old, or the last fetch failed less than a cooldown ago.
    fn refetch_cooling_down(&self, now: i64) -> bool {
        let failed = last_error(self).is_some();
        self.within_cooldown(self.last_unknown_kid_fetch.load(Ordering::Acquire), now)
            || (failed && self.in_cooldown(now))
    }

    fn within_cooldown(&self, since: i64, now: i64) -> bool {
        let cooldown = i64::try_from(self.options.refetch_cooldown.as_secs()).unwrap_or(i64::MAX);
        since != i64::MIN && now < since.saturating_add(cooldown)
    }
}

fn last_error(remote: &Remote) -> Option<JwksError> {
    remote.last_error.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// The lifetime given by `Cache-Control: max-age`, clamped to the configured bounds; `no-cache`,
/// `no-store` and a missing header mean the minimum.
fn cache_ttl(headers: &http::HeaderMap, options: &JwksCacheOptions) -> Duration {
    let mut max_age: Option<u64> = None;
    let mut no_cache = false;
    for value in headers.get_all(header::CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let (name, argument) = directive.split_once('=').unwrap_or((directive, ""));
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                no_cache = true;
            } else if name.eq_ignore_ascii_case("max-age") {
                max_age = argument.trim_matches('"').parse().ok();
            }
        }
    }
    let ttl = match (no_cache, max_age) {
        (false, Some(seconds)) => Duration::from_secs(seconds),
        _ => options.min_ttl,
    };
    ttl.clamp(options.min_ttl, options.max_ttl)
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let snapshot = self.inner.current.load();
        f.debug_struct("JwksCache")
            .field("jwks_uri", &self.jwks_uri().map(redacted_url))
            .field("usable_keys", &snapshot.keys.n_usable())
            .field("fetches", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
