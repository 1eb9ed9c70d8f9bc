//! Token exchange (RFC 8693) on behalf of a user: a service that received a user's access token
//! trades it for a token for a downstream API, cached by (digest of the user's token, audience,
//! scopes), bounded, and never beyond either token's expiry.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_config::{Audience, Issuer, Scope};
use okta_http::{ClientCredentials, Clock, HttpClient};
use tracing::Instrument as _;

use crate::response::{self, Attempt};
use crate::token::ServiceToken;
use crate::{RetryPolicy, Sleep, TokenError};

/// The grant type of RFC 8693.
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The only subject token type Okta exchanges: an access token.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The cache key: the SHA-256 of the user's token (never the token itself), the audience and
/// the scopes.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    subject_digest: [u8; 32],
    audience: String,
    scopes: BTreeSet<String>,
}

/// Exchanges users' access tokens for tokens of a downstream API, at the downstream API's
/// custom authorization server (which must trust the server that issued the user's token).
///
/// Exchanged tokens are cached by (SHA-256 of the user's token, audience, scopes) in a bounded
/// cache (default 10,000 entries), each until the earlier of the two tokens' expiries, less a
/// margin of 10 s. A user token whose `exp` cannot be read (not a JWT) is exchanged every time.
#[derive(Clone)]
pub struct TokenExchanger {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: Issuer,
    token_url: url::Url,
    credentials: ClientCredentials,
    http: Arc<dyn HttpClient>,
    clock: Clock,
    sleep: Sleep,
    retry: RetryPolicy,
    expiry_margin: Duration,
    cache: quick_cache::sync::Cache<Key, (ServiceToken, SystemTime)>,
}

impl fmt::Debug for TokenExchanger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchanger")
            .field("issuer", &self.inner.issuer)
            .field("credentials", &self.inner.credentials)
            .field("cached", &self.inner.cache.len())
            .finish_non_exhaustive()
    }
}

/// Builds a [`TokenExchanger`].
#[must_use]
pub struct TokenExchangerBuilder {
    issuer: Issuer,
    credentials: ClientCredentials,
    http: Arc<dyn HttpClient>,
    clock: Clock,
    sleep: Sleep,
    retry: RetryPolicy,
    capacity: usize,
    expiry_margin: Duration,
}

impl fmt::Debug for TokenExchangerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangerBuilder")
            .field("issuer", &self.issuer)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl TokenExchangerBuilder {
    /// The clock of expiry (and of the client's assertions).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.credentials = self.credentials.with_clock(clock.clone());
        self.clock = clock;
        self
    }

    /// How to wait between retries (default: `tokio::time::sleep`).
    pub fn sleep(
        mut self,
        sleep: impl Fn(Duration) -> okta_http::BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// The retry rules (the same as [`TokenSource`](crate::TokenSource)'s).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The most exchanged tokens kept (default 10,000; at least 1).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The exchanger.
    pub fn build(self) -> TokenExchanger {
        TokenExchanger {
            inner: Arc::new(Inner {
                token_url: self.issuer.token_url(),
                issuer: self.issuer,
                credentials: self.credentials,
                http: self.http,
                clock: self.clock,
                sleep: self.sleep,
                retry: self.retry,
                expiry_margin: self.expiry_margin,
                cache: quick_cache::sync::Cache::new(self.capacity),
            }),
        }
    }
}

impl TokenExchanger {
    /// An exchanger at `issuer` (the downstream API's custom authorization server), as the
    /// service app of `credentials` (allowed the Token Exchange grant in Okta).
    pub fn builder(
        issuer: Issuer,
        credentials: ClientCredentials,
        http: Arc<dyn HttpClient>,
    ) -> TokenExchangerBuilder {
        TokenExchangerBuilder {
            issuer,
            credentials,
            http,
            clock: Clock::system(),
            sleep: Arc::new(|duration| Box::pin(tokio::time::sleep(duration))),
            retry: RetryPolicy::default(),
            capacity: 10_000,
            expiry_margin: Duration::from_secs(10),
        }
    }

    /// How many exchanged tokens are cached.
    pub fn cached(&self) -> usize {
        self.inner.cache.len()
    }

    /// A token for `audience` and `scopes` on behalf of the user of `subject_token` (a user's
    /// access token the caller has already verified): cached, or exchanged at `/token`.
    pub async fn exchange(
        &self,
        subject_token: &str,
        audience: &Audience,
        scopes: &[Scope],
    ) -> Result<ServiceToken, TokenError> {
        if self.inner.issuer.is_org() {
            return Err(TokenError::OrgServer {
                reason: "Okta exchanges tokens only at custom authorization servers: set the \
                         issuer of the downstream API's server (https://{domain}/oauth2/{server})",
            });
        }
        let key = Key {
            subject_digest: digest(subject_token),
            audience: audience.as_str().to_owned(),
            scopes: scopes.iter().map(|scope| scope.as_str().to_owned()).collect(),
        };
        let now = self.inner.clock.now();
        if let Some((token, until)) = self.inner.cache.get(&key) {
            if now < until {
                return Ok(token);
            }
            self.inner.cache.remove(&key);
        }
        let token = self.request_with_retries(subject_token, &key).await?;
        let subject_expiry = subject_expiry(subject_token);
        if let Some(subject_expiry) = subject_expiry {
            let until = token.expires_at().min(subject_expiry);
            let life = until.duration_since(now).unwrap_or_default();
            let until = until - self.inner.expiry_margin.min(life / 10);
            if now < until {
                self.inner.cache.insert(key, (token.clone(), until));
            }
        }
        Ok(token)
    }

    async fn request_with_retries(
        &self,
        subject_token: &str,
        key: &Key,
    ) -> Result<ServiceToken, TokenError> {
        let retry = self.inner.retry;
        let mut attempt = 0_u32;
        loop {
            attempt += 1;
            let (error, wait) = match self.request(subject_token, key).await {
                Attempt::Token(token) => return Ok(token),
                Attempt::Fatal { error, .. } => return Err(error),
                Attempt::Retry { error, wait } => (error, wait),
            };
            let backoff = retry.backoff(attempt);
            let delay = wait.map_or(backoff, |announced| announced.max(backoff));
            if attempt >= retry.max_attempts || delay > retry.max_wait {
                return Err(error);
            }
            (self.inner.sleep)(delay).await;
        }
    }

    async fn request(&self, subject_token: &str, key: &Key) -> Attempt {
        let scope = key.scopes.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
        let span = tracing::info_span!(
            "okta_service.token",
            issuer = %self.inner.issuer,
            grant = "token_exchange",
            audience = %key.audience,
            scope = %scope,
            method = %self.inner.credentials.method(),
            status = tracing::field::Empty,
        );
        async {
            let mut params = vec![
                ("grant_type", TOKEN_EXCHANGE),
                ("subject_token_type", ACCESS_TOKEN_TYPE),
                ("subject_token", subject_token),
                ("audience", key.audience.as_str()),
            ];
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
                    requested: &key.scopes,
                    client_id: self.inner.credentials.client_id().as_str(),
                    method: self.inner.credentials.method(),
                    grant: "token exchange",
                },
            )
        }
        .instrument(span)
        .await
    }
}

fn digest(token: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0_u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// The `exp` of a JWT access token, read without verification: it only bounds how long the
/// exchanged token is cached (the caller verified the token; Okta verifies it again).
fn subject_expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(claims.get("exp")?.as_u64()?))
}
