//! The device authorization grant (RFC 8628) for devices without a browser, or on another
//! machine than the user's browser: start it, show the user code, poll until the user decides.

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use okta_http::TransportError;
use okta_verify::IdTokenChecks;
use serde::Deserialize;
use tracing::Instrument as _;
use url::Url;

use crate::client::{Discovered, OktaClient};
use crate::metadata::{describe_json_error, truncate};
use crate::token::{OktaTokenResponse, TokenError, TokenSet};

/// The grant type of the polling requests (RFC 8628 §3.4).
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The polling interval when the server names none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN: Duration = Duration::from_secs(5);

/// The longest `expires_in` and `interval` accepted: a day (Okta's example says 600 s).
const MAX_SECONDS: u64 = 86_400;

/// A started device authorization: what to show the user, and what the device polls with.
///
/// Show [`user_code`](Self::user_code) and [`verification_uri`](Self::verification_uri) (or
/// [`verification_uri_complete`](Self::verification_uri_complete), which carries the code),
/// then call [`OktaClient::poll_device_authorization`]. `Debug` redacts the device code.
#[derive(Clone)]
pub struct DeviceAuthorization {
    device_code: String,
    user_code: String,
    verification_uri: Url,
    verification_uri_complete: Option<Url>,
    expires_at: SystemTime,
    interval: Duration,
}

impl DeviceAuthorization {
    /// The code the user types on the verification page. Short-lived and single-use; show it
    /// to the user, do not log it.
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// The page where the user enters the code (`https://{yourOktaDomain}/activate` at Okta).
    pub fn verification_uri(&self) -> &Url {
        &self.verification_uri
    }

    /// The page with the code already filled in, when the server sends one (for a QR code or a
    /// link).
    pub fn verification_uri_complete(&self) -> Option<&Url> {
        self.verification_uri_complete.as_ref()
    }

    /// When the device code expires, by the client's clock (`expires_in` after the answer).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The polling interval the server asked for (5 s when it named none).
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &"[redacted]")
            .field("verification_uri", &self.verification_uri.as_str())
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Why a device authorization could not start or did not end with tokens.
///
/// The variants keep apart "the user said no or took too long" ([`AccessDenied`](Self::AccessDenied),
/// [`Expired`](Self::Expired): start again), "the server refused the client"
/// ([`Rejected`](Self::Rejected), [`NotSupported`](Self::NotSupported): a configuration
/// problem), and "the transport or the answer failed" (the rest).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The user denied the request on the verification page (`access_denied`).
    #[error("the sign-in was denied on the verification page")]
    AccessDenied,
    /// The client cannot authenticate its requests.
    #[error("the client cannot start a device authorization: {0}")]
    Configuration(String),
    /// The device code expired before the user approved (`expired_token`, or its `expires_in`
    /// passed by the client's clock).
    #[error("the device code expired before the sign-in was approved")]
    Expired,
    /// An answer of the device authorization endpoint or of `/token` is not what RFC 8628
    /// describes (not JSON, a member missing or of the wrong type, an insecure verification
    /// URI).
    #[error("the device authorization response is malformed: {0}")]
    MalformedResponse(String),
    /// The authorization server advertises no `device_authorization_endpoint`.
    #[error("the authorization server does not offer the device authorization grant")]
    NotSupported,
    /// Okta's rate limit was hit (HTTP 429).
    #[error("rate limited by Okta (HTTP 429){}", reset.map(|r| format!("; the limit resets at {r} (epoch seconds)")).unwrap_or_default())]
    RateLimited {
        /// `X-Rate-Limit-Reset`, when sent: the epoch second at which the limit resets.
        reset: Option<u64>,
    },
    /// The server refused the request with an OAuth error other than the polling ones
    /// (`invalid_client`, `unauthorized_client` when the app lacks the grant, `invalid_scope`,
    /// `invalid_grant`).
    #[error("Okta refused the device authorization: {code}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        /// The `error` code, escaped and truncated.
        code: String,
        /// `error_description`, escaped and truncated.
        description: Option<String>,
        /// The HTTP status.
        status: u16,
    },
    /// The server failed (HTTP 5xx without an OAuth error body).
    #[error("Okta failed to answer the device authorization (HTTP {status})")]
    ServerFailure {
        /// The HTTP status.
        status: u16,
    },
    /// The tokens of the approved authorization were refused (the ID token failed
    /// verification, say). Every token of the response has been dropped.
    #[error(transparent)]
    Token(TokenError),
    /// A request never got a usable HTTP response (connection, timeout, redirect, size cap).
    #[error("the device authorization request failed")]
    Transport(#[source] TransportError),
}

impl DeviceError {
    /// A stable `snake_case` name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::Configuration(_) => "configuration",
            Self::Expired => "expired_token",
            Self::MalformedResponse(_) => "malformed_response",
            Self::NotSupported => "device_grant_not_supported",
            Self::RateLimited { .. } => "rate_limited",
            Self::Rejected { .. } => "device_authorization_refused",
            Self::ServerFailure { .. } => "server_failure",
            Self::Token(err) => err.kind(),
            Self::Transport(_) => "transport",
        }
    }
}

/// The answer of the device authorization endpoint (RFC 8628 §3.2).
#[derive(Deserialize)]
struct DeviceAuthorizationResponse {
    device_code: String,
    user_code: String,
    /// Some servers (Google) spell it `verification_url`.
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    expires_in: u64,
    #[serde(default)]
    interval: Option<u64>,
}

/// An OAuth error body.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// One poll's outcome, besides tokens.
enum Pending {
    /// `authorization_pending`: ask again after the interval.
    Wait,
    /// `slow_down`: ask again after the interval plus 5 s.
    SlowDown,
}

impl OktaClient {
    /// Starts the device authorization grant (RFC 8628 §3.1) with the configured scopes: the
    /// user code and verification URI to show the user. Then call
    /// [`poll_device_authorization`](Self::poll_device_authorization).
    ///
    /// The request is authenticated like every `/token` request (a public client sends its
    /// `client_id` alone). At Okta the grant exists for native apps with "Device Authorization"
    /// enabled; others get [`DeviceError::Rejected`] with `unauthorized_client`.
    pub async fn start_device_authorization(&self) -> Result<DeviceAuthorization, DeviceError> {
        self.refresh_stale_metadata().await;
        let discovered = self.inner.discovered.load_full();
        let endpoint = discovered
            .metadata
            .device_authorization_endpoint()
            .cloned()
            .ok_or(DeviceError::NotSupported)?;
        async {
            let scope = self.device_scope();
            let request = self
                .inner
                .config
                .credentials
                .form_request(&endpoint, &[("scope", scope.as_str())])
                .map_err(|err| DeviceError::Configuration(err.to_string()))?;
            let response =
                self.inner.config.http.execute(request).await.map_err(DeviceError::Transport)?;
            if response.status() != http::StatusCode::OK {
                return Err(refusal(&response));
            }
            let body: DeviceAuthorizationResponse = serde_path_to_error::deserialize(
                &mut serde_json::Deserializer::from_slice(response.body()),
            )
            .map_err(|err| DeviceError::MalformedResponse(describe_json_error(&err)))?;
            self.device_authorization(body)
        }
        .instrument(
            tracing::info_span!("okta.device.authorize", issuer = %self.inner.config.issuer),
        )
        .await
        .inspect(|authorization| {
            tracing::info!(
                expires_in_s = authorization
                    .expires_at
                    .duration_since(self.inner.config.clock.now())
                    .unwrap_or_default()
                    .as_secs(),
                interval_s = authorization.interval.as_secs(),
                "device authorization started"
            );
        })
        .inspect_err(|err: &DeviceError| {
            tracing::warn!(
                kind = err.kind(),
                error = err as &dyn std::error::Error,
                "device authorization refused"
            );
        })
    }

    /// Polls `/token` with the device code until the user approves (the tokens, with the ID
    /// token verified), denies ([`DeviceError::AccessDenied`]) or lets the code expire
    /// ([`DeviceError::Expired`]).
    ///
    /// Waits `sleep(interval)` before each request: pass your runtime's timer, such as
    /// `tokio::time::sleep` (a test passes a closure that moves a manual clock). Follows RFC
    /// 8628 §3.5: `authorization_pending` polls again after the interval, `slow_down` adds 5 s
    /// to it for this and every later request. Expiry is checked by the client's clock before
    /// each request, so the loop ends even when the server never says `expired_token`. Any
    /// other error ends the loop (a transport failure is not retried).
    pub async fn poll_device_authorization<S, F>(
        &self,
        authorization: &DeviceAuthorization,
        mut sleep: S,
    ) -> Result<TokenSet, DeviceError>
    where
        S: FnMut(Duration) -> F,
        F: Future<Output = ()>,
    {
        let mut interval = authorization.interval;
        let mut attempt: u32 = 0;
        let result = loop {
            sleep(interval).await;
            if self.inner.config.clock.now() >= authorization.expires_at {
                break Err(DeviceError::Expired);
            }
            attempt = attempt.saturating_add(1);
            let poll = self
                .poll_once(authorization)
                .instrument(tracing::info_span!(
                    "okta.device.poll",
                    issuer = %self.inner.config.issuer,
                    attempt,
                    interval_s = interval.as_secs()
                ))
                .await;
            match poll {
                Ok(Ok(tokens)) => break Ok(tokens),
                Ok(Err(Pending::Wait)) => tracing::debug!(attempt, "authorization pending"),
                Ok(Err(Pending::SlowDown)) => {
                    interval = interval.saturating_add(SLOW_DOWN);
                    tracing::info!(
                        attempt,
                        interval_s = interval.as_secs(),
                        "slow_down: polling less often"
                    );
                }
                Err(err) => break Err(err),
            }
        };
        match &result {
            Ok(_) => tracing::info!(attempts = attempt, "device authorization approved"),
            Err(err) => tracing::warn!(
                attempts = attempt,
                kind = err.kind(),
                error = err as &dyn std::error::Error,
                "device authorization ended without tokens"
            ),
        }
        result
    }

    /// One `/token` request with the device code.
    async fn poll_once(
        &self,
        authorization: &DeviceAuthorization,
    ) -> Result<Result<TokenSet, Pending>, DeviceError> {
        let discovered = self.inner.discovered.load_full();
        let params = [
            ("grant_type", DEVICE_CODE_GRANT),
            ("device_code", authorization.device_code.as_str()),
        ];
        let request = self
            .inner
            .config
            .credentials
            .form_request(discovered.metadata.token_endpoint(), &params)
            .map_err(|err| DeviceError::Configuration(err.to_string()))?;
        let response =
            self.inner.config.http.execute(request).await.map_err(DeviceError::Transport)?;
        if response.status() == http::StatusCode::OK {
            return self.device_tokens(&discovered, response.body()).await.map(Ok);
        }
        match serde_json::from_slice::<ErrorBody>(response.body()) {
            Ok(body) if body.error == "authorization_pending" => Ok(Err(Pending::Wait)),
            Ok(body) if body.error == "slow_down" => Ok(Err(Pending::SlowDown)),
            Ok(body) if body.error == "access_denied" => Err(DeviceError::AccessDenied),
            Ok(body) if body.error == "expired_token" => Err(DeviceError::Expired),
            _ => Err(refusal(&response)),
        }
    }

    /// The tokens of an approved authorization; the ID token is verified like a code
    /// exchange's, without a nonce (RFC 8628 has none).
    async fn device_tokens(
        &self,
        discovered: &Discovered,
        body: &[u8],
    ) -> Result<TokenSet, DeviceError> {
        let response: OktaTokenResponse =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body))
                .map_err(|err| {
                    DeviceError::Token(TokenError::MalformedResponse(describe_json_error(&err)))
                })?;
        // No nonce exists in this grant: the ID token answers the device code this client just
        // sent, over the authenticated back channel, so no front channel could have injected
        // it. Signature, issuer, audience, times and `at_hash` are still checked.
        let checks = IdTokenChecks::dangerous_without_nonce();
        let requested_openid =
            self.inner.config.scopes.iter().any(|scope| scope.as_str() == "openid");
        self.token_set(discovered, &response, checks, requested_openid)
            .await
            .map_err(DeviceError::Token)
    }

    /// The scopes to request: the configured ones, `openid` first.
    fn device_scope(&self) -> String {
        let scopes = &self.inner.config.scopes;
        let others =
            scopes.iter().map(okta_config::Scope::as_str).filter(|scope| *scope != "openid");
        std::iter::once("openid").chain(others).collect::<Vec<_>>().join(" ")
    }

    /// Checks the answer of the device authorization endpoint.
    fn device_authorization(
        &self,
        body: DeviceAuthorizationResponse,
    ) -> Result<DeviceAuthorization, DeviceError> {
        let uri = |name: &str, value: &str| -> Result<Url, DeviceError> {
            let url = Url::parse(value).map_err(|_| {
                DeviceError::MalformedResponse(format!("{name} is not an absolute URL"))
            })?;
            okta_http::check_url(&url, true).map_err(|_| {
                DeviceError::MalformedResponse(format!(
                    "{name} must use https ({})",
                    okta_http::redacted_url(&url)
                ))
            })?;
            Ok(url)
        };
        if body.device_code.is_empty() || body.user_code.is_empty() {
            return Err(DeviceError::MalformedResponse(
                "the device_code or user_code is empty".to_owned(),
            ));
        }
        if body.user_code.chars().count() > 64 || body.user_code.chars().any(char::is_control) {
            return Err(DeviceError::MalformedResponse(format!(
                "the user_code {} is not something a person can type",
                truncate(&body.user_code)
            )));
        }
        if body.expires_in == 0 || body.expires_in > MAX_SECONDS {
            return Err(DeviceError::MalformedResponse(format!(
                "expires_in {} is out of range (1 to {MAX_SECONDS})",
                body.expires_in
            )));
        }
        let interval = match body.interval {
            None => DEFAULT_INTERVAL,
            Some(seconds) if seconds <= MAX_SECONDS => Duration::from_secs(seconds),
            Some(seconds) => {
                return Err(DeviceError::MalformedResponse(format!(
                    "interval {seconds} is out of range (0 to {MAX_SECONDS})"
                )));
            }
        };
        let verification_uri = uri("verification_uri", &body.verification_uri)?;
        let verification_uri_complete = body
            .verification_uri_complete
            .as_deref()
            .map(|value| uri("verification_uri_complete", value))
            .transpose()?;
        let expires_at = self.inner.config.clock.now() + Duration::from_secs(body.expires_in);
        Ok(DeviceAuthorization {
            device_code: body.device_code,
            user_code: body.user_code,
            verification_uri,
            verification_uri_complete,
            expires_at,
            interval,
        })
    }
}

/// The error of a refused request: the OAuth error when the body has one, else what the status
/// says.
fn refusal(response: &http::Response<Vec<u8>>) -> DeviceError {
    let status = response.status().as_u16();
    if let Ok(body) = serde_json::from_slice::<ErrorBody>(response.body()) {
        return DeviceError::Rejected {
            code: truncate(&body.error),
            description: body.error_description.as_deref().map(truncate),
            status,
        };
    }
    match status {
        429 => DeviceError::RateLimited {
            reset: response
                .headers()
                .get("x-rate-limit-reset")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse().ok()),
        },
        500..=599 => DeviceError::ServerFailure { status },
        _ => DeviceError::MalformedResponse(format!("HTTP {status} without an OAuth error")),
    }
}
