//! The token source: a cache of client-credentials tokens per set of scopes, refreshed ahead of
//! expiry by one caller while the others keep the current token.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use okta_config::{ClientAuthMethod, Issuer, Scope, Settings};
use okta_http::ReqwestHttpClient;
use okta_http::{BoxFuture, BuildError, ClientAuthError, ClientCredentials, Clock, HttpClient};
use tracing::Instrument as _;

use crate::TokenError;
use crate::response::{self, Attempt};
use crate::token::ServiceToken;

/// How failed `/token` requests are retried: exponential backoff with jitter on network
/// errors, 5xx and 429, and Okta's announced wait on a 429 (`Retry-After`, else the earliest
/// `X-Rate-Limit-Reset` minus the response's `Date`). `invalid_client`, `invalid_scope` and
/// `unauthorized_client` are never retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Requests per token, the first included (default 4).
    pub max_attempts: u32,
    /// The first backoff (default 500 ms); each retry doubles it.
    pub base_delay: Duration,
    /// The longest backoff (default 30 s).
    pub max_delay: Duration,
    /// The longest wait accepted before a retry, announced or not (default 2 minutes): a
    /// caller without a token gets [`TokenError::RateLimited`] rather than wait longer.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_wait: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (1 for the first), before jitter.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 2_u32.saturating_pow(retry.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Picks a random duration between zero and its argument: the jitter of refresh times and
/// retries. Injectable so tests decide it.
pub type Jitter = Arc<dyn Fn(Duration) -> Duration + Send + Sync>;

/// Waits for a duration: `tokio::time::sleep` by default; tests move their clock instead.
pub type Sleep = Arc<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync>;

/// Why a token source could not be built from the settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The settings' client credentials are unusable.
    #[error("the client credentials in the settings are unusable")]
    Credentials(#[source] ClientAuthError),
    /// The HTTP client cannot be built from the `[http]` settings.
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] BuildError),
}

/// Builds a [`TokenSource`].
#[must_use]
pub struct TokenSourceBuilder {
    issuer: Issuer,
    credentials: ClientCredentials,
    http: Arc<dyn HttpClient>,
    clock: Clock,
    jitter: Jitter,
    sleep: Sleep,
    retry: RetryPolicy,
    refresh_ahead: Duration,
    expiry_margin: Duration,
}

impl fmt::Debug for TokenSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSourceBuilder")
            .field("issuer", &self.issuer)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("refresh_ahead", &self.refresh_ahead)
            .field("expiry_margin", &self.expiry_margin)
            .finish_non_exhaustive()
    }
}

impl TokenSourceBuilder {
    /// The issuer, client credentials and HTTP settings of `settings`.
    pub fn from_settings(settings: &Settings) -> Result<Self, SetupError> {
        let credentials =
            ClientCredentials::from_settings(settings).map_err(SetupError::Credentials)?;
        let http = ReqwestHttpClient::from_settings(settings).map_err(SetupError::HttpClient)?;
        Ok(TokenSource::builder(settings.issuer().clone(), credentials, Arc::new(http)))
    }

    /// The clock that decides expiry and refresh times (default: the system clock). The
    /// client's assertions use it too.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.credentials = self.credentials.with_clock(clock.clone());
        self.clock = clock;
        self
    }

    /// The random jitter (default: uniform, from the system's secure generator).
    pub fn jitter(mut self, jitter: impl Fn(Duration) -> Duration + Send + Sync + 'static) -> Self {
        self.jitter = Arc::new(jitter);
        self
    }

    /// How to wait between retries (default: `tokio::time::sleep`).
    pub fn sleep(
        mut self,
        sleep: impl Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// The retry rules.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long before expiry a token is refreshed (default 5 minutes, at most half the
    /// token's life), plus a random jitter of up to half that, so replicas spread out.
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = ahead;
        self
    }

    /// How long before its expiry a token stops being handed out, so it does not die on the
    /// way (default 10 s, at most a tenth of the token's life).
    pub fn expiry_margin(mut self, margin: Duration) -> Self {
        self.expiry_margin = margin;
        self
    }

    /// The token source.
    pub fn build(self) -> TokenSource {
        TokenSource {
            inner: Arc::new(Inner {
                token_url: self.issuer.token_url(),
                issuer: self.issuer,
                credentials: self.credentials,
                http: self.http,
                clock: self.clock,
                jitter: self.jitter,
                sleep: self.sleep,
                retry: self.retry,
                refresh_ahead: self.refresh_ahead,
                expiry_margin: self.expiry_margin,
                slots: Mutex::new(HashMap::new()),
            }),
        }
    }
}

/// Access tokens for a service's own identity from one Okta authorization server, by the
/// `client_credentials` grant, cached per set of scopes.
///
/// At Okta an authorization server has one audience, so the cache key (this source's server,
/// the scopes) is the (server, audience, scopes) of the token. Cheap to clone; share one per
/// service. See the [crate documentation](crate) for the rules.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: Issuer,
    token_url: url::Url,
    credentials: ClientCredentials,
    http: Arc<dyn HttpClient>,
    clock: Clock,
    jitter: Jitter,
    sleep: Sleep,
    retry: RetryPolicy,
    refresh_ahead: Duration,
    expiry_margin: Duration,
    slots: Mutex<HashMap<BTreeSet<String>, Arc<Slot>>>,
}

/// One cached token and its refresh.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    /// Held by the one caller that requests a token; the single flight.
    flight: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct SlotState {
    token: Option<Cached>,
    /// No request before this (a backoff or Okta's announced reset).
    next_attempt: Option<SystemTime>,
    /// Failed refreshes in a row.
    failures: u32,
    /// The last failure, for callers that queued behind it.
    last_error: Option<TokenError>,
    /// Bumped by every completed request.
    generation: u64,
    /// Whether the failing refresh was logged (once per failure streak).
    logged: bool,
}

#[derive(Clone)]
struct Cached {
    token: ServiceToken,
    refresh_at: SystemTime,
    usable_until: SystemTime,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("issuer", &self.inner.issuer)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn default_jitter(max: Duration) -> Duration {
    let mut bytes = [0_u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return max / 2;
    }
    #[allow(clippy::cast_precision_loss, reason = "a fraction for jitter needs no precision")]
    let fraction = u64::from_le_bytes(bytes) as f64 / u64::MAX as f64;
    max.mul_f64(fraction)
}

impl TokenSource {
    /// A builder for `client_credentials` tokens from `issuer`'s authorization server.
    pub fn builder(
        issuer: Issuer,
        credentials: ClientCredentials,
        http: Arc<dyn HttpClient>,
    ) -> TokenSourceBuilder {
        TokenSourceBuilder {
            issuer,
            credentials,
            http,
            clock: Clock::system(),
            jitter: Arc::new(default_jitter),
            sleep: Arc::new(|duration| Box::pin(tokio::time::sleep(duration))),
            retry: RetryPolicy::default(),
            refresh_ahead: Duration::from_secs(5 * 60),
            expiry_margin: Duration::from_secs(10),
        }
    }

    /// The authorization server.
    pub fn issuer(&self) -> &Issuer {
        &self.inner.issuer
    }

    /// A token for `scopes` (none: the server's default scopes, as Okta grants them): the
    /// cached one while it is fresh; otherwise one `/token` request, whatever the number of
    /// concurrent callers. While a refresh ahead of expiry fails, the current token is
    /// returned until it expires.
    pub async fn token(&self, scopes: &[Scope]) -> Result<ServiceToken, TokenError> {
        let key: BTreeSet<String> = scopes.iter().map(|scope| scope.as_str().to_owned()).collect();
        self.org_server_rules(&key)?;
        let slot = {
            let mut slots = lock(&self.inner.slots);
            Arc::clone(slots.entry(key.clone()).or_default())
        };
        let now = self.inner.clock.now();
        let (current, generation) = {
            let state = lock(&slot.state);
            match &state.token {
                Some(cached) if now < cached.refresh_at => return Ok(cached.token.clone()),
                Some(cached) if now < cached.usable_until => {
                    (Some(cached.clone()), state.generation)
                }
                _ => (None, state.generation),
            }
        };
        if let Some(current) = current {
            return Ok(self.refresh_ahead_of_expiry(&slot, &key, current).await);
        }
        let _flight = slot.flight.lock().await;
        // Whoever held the flight may have fetched a token, or failed, meanwhile.
        let now = self.inner.clock.now();
        {
            let state = lock(&slot.state);
            if let Some(cached) = &state.token
                && now < cached.usable_until
            {
                return Ok(cached.token.clone());
            }
            if state.generation != generation
                && let Some(error) = &state.last_error
            {
                return Err(error.clone());
            }
        }
        self.fetch_with_retries(&slot, &key).await
    }

    /// A new token for `scopes` when an API refused `rejected` as invalid (revoked, or expired
    /// early): the cached token is dropped if it is still `rejected`, then [`TokenSource::token`]
    /// gets a new one (one request, whatever the number of callers).
    pub async fn token_replacing(
        &self,
        scopes: &[Scope],
        rejected: &ServiceToken,
    ) -> Result<ServiceToken, TokenError> {
        let key: BTreeSet<String> = scopes.iter().map(|scope| scope.as_str().to_owned()).collect();
        let slot = lock(&self.inner.slots).get(&key).cloned();
        if let Some(slot) = slot {
            let mut state = lock(&slot.state);
            if state.token.as_ref().is_some_and(|cached| cached.token.secret() == rejected.secret())
            {
                state.token = None;
            }
        }
        self.token(scopes).await
    }

    /// Okta's org server issues client-credentials tokens only to `private_key_jwt` clients, and
    /// only for Okta's API scopes (`okta.*`), requested by name.
    fn org_server_rules(&self, scopes: &BTreeSet<String>) -> Result<(), TokenError> {
        if !self.inner.issuer.is_org() {
            return Ok(());
        }
        if self.inner.credentials.method() != ClientAuthMethod::PrivateKeyJwt {
            return Err(TokenError::OrgServer {
                reason: "the org authorization server gives client_credentials tokens only to \
                         apps that authenticate with private_key_jwt: set client_auth_method = \
                         \"private_key_jwt\" with client_private_key (and Public key / Private \
                         key as the Okta app's Client authentication), or use a custom \
                         authorization server for your own APIs",
            });
        }
        if scopes.is_empty() || scopes.iter().any(|scope| !scope.starts_with("okta.")) {
            return Err(TokenError::OrgServer {
                reason: "the org authorization server grants client_credentials tokens only for \
                         Okta's API scopes (okta.*, such as okta.users.read), named in the \
                         request and granted on the app's Okta API Scopes tab, for one hour; \
                         tokens for your own APIs come from a custom authorization server \
                         (issuer https://{domain}/oauth2/{server})",
            });
        }
        Ok(())
    }

    /// One refresh attempt by the first caller in the refresh window; everyone else, and this
    /// caller if the refresh fails, gets `current`.
    async fn refresh_ahead_of_expiry(
        &self,
        slot: &Slot,
        scopes: &BTreeSet<String>,
        current: Cached,
    ) -> ServiceToken {
        let Ok(_flight) = slot.flight.try_lock() else {
            return current.token;
        };
        let now = self.inner.clock.now();
        {
            let state = lock(&slot.state);
            if let Some(cached) = &state.token
                && now < cached.refresh_at
            {
                return cached.token.clone();
            }
            if state.next_attempt.is_some_and(|next| now < next) {
                return current.token;
            }
        }
        match self.request(scopes).await {
            Attempt::Token(token) => self.store(slot, token),
            Attempt::Retry { error, wait } | Attempt::Fatal { error, wait } => {
                let mut state = lock(&slot.state);
                state.failures = state.failures.saturating_add(1);
                let backoff = self.backoff(state.failures);
                let wait = wait.map_or(backoff, |announced| announced.max(backoff));
                state.next_attempt = Some(now + wait);
                state.generation = state.generation.wrapping_add(1);
                if !state.logged {
                    state.logged = true;
                    tracing::warn!(
                        issuer = %self.inner.issuer,
                        error = %error,
                        retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "refreshing the service token failed; the current token is used until it \
                         expires (logged once until a refresh succeeds)"
                    );
                }
                state.last_error = Some(error);
                current.token
            }
        }
    }

    /// Requests until a token comes or the retries run out; the flight is held.
    async fn fetch_with_retries(
        &self,
        slot: &Slot,
        scopes: &BTreeSet<String>,
    ) -> Result<ServiceToken, TokenError> {
        let retry = self.inner.retry;
        let mut attempt = 0_u32;
        loop {
            // A backoff or reset from an earlier failure holds for this request too.
            let now = self.inner.clock.now();
            let pending = lock(&slot.state).next_attempt.filter(|next| now < *next);
            if let Some(next) = pending {
                let wait = next.duration_since(now).unwrap_or_default();
                if wait > retry.max_wait {
                    let state = lock(&slot.state);
                    return Err(state
                        .last_error
                        .clone()
                        .unwrap_or(TokenError::RateLimited { retry_after: Some(wait) }));
                }
                (self.inner.sleep)(wait).await;
            }
            attempt += 1;
            let outcome = self.request(scopes).await;
            let (error, wait, fatal) = match outcome {
                Attempt::Token(token) => return Ok(self.store(slot, token)),
                Attempt::Fatal { error, wait } => (error, wait, true),
                Attempt::Retry { error, wait } => (error, wait, false),
            };
            let mut state = lock(&slot.state);
            state.failures = state.failures.saturating_add(1);
            let backoff = self.backoff(state.failures);
            let delay = wait.map_or(backoff, |announced| announced.max(backoff));
            state.next_attempt = Some(self.inner.clock.now() + delay);
            state.generation = state.generation.wrapping_add(1);
            state.last_error = Some(error.clone());
            drop(state);
            if fatal || attempt >= retry.max_attempts || delay > retry.max_wait {
                return Err(error);
            }
        }
    }

    /// The wait after `failures` failures in a row: exponential, with "equal jitter" (half
    /// fixed, half random) so replicas do not retry in step.
    fn backoff(&self, failures: u32) -> Duration {
        let backoff = self.inner.retry.backoff(failures);
        backoff / 2 + (self.inner.jitter)(backoff / 2)
    }

    /// Caches a new token with its refresh time and returns it.
    fn store(&self, slot: &Slot, token: ServiceToken) -> ServiceToken {
        let now = self.inner.clock.now();
        let life = token.expires_at().duration_since(now).unwrap_or_default();
        let ahead = self.inner.refresh_ahead.min(life / 2);
        let jitter = (self.inner.jitter)(ahead / 2).min(ahead / 2);
        let margin = self.inner.expiry_margin.min(life / 10);
        let cached = Cached {
            refresh_at: token.expires_at() - ahead - jitter,
            usable_until: token.expires_at() - margin,
            token: token.clone(),
        };
        let mut state = lock(&slot.state);
        if state.logged {
            tracing::info!(issuer = %self.inner.issuer, "refreshing the service token works again");
        }
        *state = SlotState {
            token: Some(cached),
            generation: state.generation.wrapping_add(1),
            ..SlotState::default()
        };
        token
    }

    /// One `/token` request, classified.
    async fn request(&self, scopes: &BTreeSet<String>) -> Attempt {
        let scope = scopes.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
        let span = tracing::info_span!(
            "okta_service.token",
            issuer = %self.inner.issuer,
            grant = "client_credentials",
            scope = %scope,
            method = %self.inner.credentials.method(),
            status = tracing::field::Empty,
        );
        async {
            let mut params = vec![("grant_type", "client_credentials")];
            if !scope.is_empty() {
                params.push(("scope", scope.as_str()));
            }
            let sent_at = self.inner.clock.now();
            let request = match self.inner.credentials.form_request(&self.inner.token_url, &params)
            {
                Ok(request) => request,
                Err(err) => {
                    return Attempt::Fatal { error: TokenError::ClientAuth(err), wait: None };
                }
            };
            let response = self.inner.http.execute(request).await;
            if let Ok(response) = &response {
                tracing::Span::current().record("status", response.status().as_u16());
            }
            response::classify(
                response,
                &response::Context {
                    sent_at,
                    now: self.inner.clock.now(),
                    requested: scopes,
                    client_id: self.inner.credentials.client_id().as_str(),
                    method: self.inner.credentials.method(),
                    grant: "client_credentials",
                },
            )
        }
        .instrument(span)
        .await
    }
}
