//! A tower layer and an axum extractor that protect routes with Okta access tokens (RFC 6750).
//!
//! [`BearerAuthLayer`] reads `Authorization: Bearer <token>`, verifies it with any
//! [`BearerVerifier`]: an [`AccessTokenVerifier`] (the default), an
//! [`IntrospectionVerifier`](crate::IntrospectionVerifier), an [`IssuerChain`](crate::IssuerChain)
//! over several issuers, or a team's own; and hands what it verified to the handler through the
//! request's extensions: [`VerifiedAccessToken`] and
//! [`IntrospectedToken`] are extractors, a team's own type is
//! `axum::Extension<T>`. Refusals follow RFC 6750 section 3 and never echo the token:
//!
//! | situation | status | `WWW-Authenticate` |
//! | --- | --- | --- |
//! | no bearer credentials | 401 | `Bearer` |
//! | duplicate or malformed `Authorization`, or a token in the query string | 400 | `Bearer error="invalid_request"` |
//! | the token is refused | 401 | `Bearer error="invalid_token", error_description="<kind>"` |
//! | its claims do not fit a handler's [`VerifiedAccessToken<C>`](VerifiedAccessToken) | 401 | `Bearer error="invalid_token", error_description="invalid_claims"` |
//! | a required scope is missing, or a service rule says no | 403 | `Bearer error="insufficient_scope"` (with `scope`) |
//! | keys or introspection unreachable | 503 | none |
//! | too many introspection calls in flight | 503, with `Retry-After` | none |
//!
//! Per-route rules (scopes, groups, claims) under the one verifier of the layer are [`Require`]
//! layers; refusals are logged at INFO within a rate limit, and
//! [`BearerAuthLayer::audit`] hands every decision to a team's hook.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use okta_verify::axum::BearerAuthLayer;
//! use okta_verify::{AccessTokenOptions, AccessTokenVerifier, JwksCache, VerifiedAccessToken};
//!
//! async fn me(token: VerifiedAccessToken) -> String {
//!     format!("hello {}", token.claims().sub)
//! }
//!
//! # fn app(keys: JwksCache) -> Result<Router, Box<dyn std::error::Error>> {
//! let issuer = okta_config::Issuer::parse("https://example.okta.com/oauth2/default")?;
//! let mut options =
//!     AccessTokenOptions::new(issuer, [okta_config::Audience::parse("api://default")?]);
//! options.client_ids = vec![okta_config::ClientId::parse("0oa1serviceclient")?];
//! let verifier = AccessTokenVerifier::new(options, keys)?;
//! Ok(Router::new().route("/me", get(me)).layer(BearerAuthLayer::new(verifier)))
//! # }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Extensions, HeaderMap, HeaderValue, Request, StatusCode, Uri, header};
use okta_http::BoxFuture;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use crate::audit::{AuditHook, DEFAULT_REFUSAL_LOG_LIMIT, Observer};
use crate::core::is_b64token;
use crate::{
    AccessTokenVerifier, BearerClaims, BearerVerifier, Clock, IntrospectedToken,
    VerifiedAccessToken, VerifyError,
};

mod rules;

pub use crate::axum::rules::{Require, RequireService};

/// A layer that verifies the bearer token of every request (see the [module docs](self)).
///
/// Every refusal is logged at INFO (`bearer token refused`, with the reason, status, and the
/// issuer, `kid` and client id read from the token, never the token), at most
/// [`DEFAULT_REFUSAL_LOG_LIMIT`] lines per second
/// ([`refusal_log_limit`](Self::refusal_log_limit)); the lines beyond are counted and reported in
/// one `suppressed` line. [`audit`](Self::audit) attaches a team's hook, which sees every
/// decision.
#[derive(Clone)]
pub struct BearerAuthLayer<V = AccessTokenVerifier> {
    verifier: V,
    observer: Observer,
    limit: u32,
    clock: Clock,
    hook: Option<Arc<dyn AuditHook>>,
}

impl<V: BearerVerifier> BearerAuthLayer<V> {
    /// A layer that verifies with `verifier` (its required scopes and rules apply to every route
    /// under the layer).
    pub fn new(verifier: V) -> Self {
        let limit = DEFAULT_REFUSAL_LOG_LIMIT;
        let clock = Clock::system();
        Self {
            verifier,
            observer: Observer::new(limit, clock.clone(), None),
            limit,
            clock,
            hook: None,
        }
    }

    /// Hands every decision of the guard (acceptances and refusals, by the layer, the route
    /// rules of [`Require`] and typed claims) to `hook`, as an
    /// [`AuditEvent`](crate::AuditEvent) without the token.
    #[must_use]
    pub fn audit(mut self, hook: impl AuditHook + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self.rebuild()
    }

    /// At most `lines_per_second` refusal lines per second. Defaults to
    /// [`DEFAULT_REFUSAL_LOG_LIMIT`].
    #[must_use]
    pub fn refusal_log_limit(mut self, lines_per_second: u32) -> Self {
        self.limit = lines_per_second;
        self.rebuild()
    }

    /// The clock whose seconds the refusal log's limit counts. Defaults to [`Clock::system`].
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self.rebuild()
    }

    fn rebuild(mut self) -> Self {
        self.observer = Observer::new(self.limit, self.clock.clone(), self.hook.clone());
        self
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for BearerAuthLayer<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerAuthLayer")
            .field("verifier", &self.verifier)
            .field("observer", &self.observer)
            .finish_non_exhaustive()
    }
}

impl<S, V: BearerVerifier> Layer<S> for BearerAuthLayer<V> {
    type Service = BearerAuthService<S, V>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuthService {
            inner,
            verifier: self.verifier.clone(),
            observer: self.observer.clone(),
        }
    }
}

/// The service made by [`BearerAuthLayer`]: verifies the bearer token, then calls the inner
/// service with what the verifier gives ([`BearerVerifier::Verified`]) in the request's
/// extensions.
#[derive(Debug, Clone)]
pub struct BearerAuthService<S, V = AccessTokenVerifier> {
    inner: S,
    verifier: V,
    observer: Observer,
}

impl<S, B, V: BearerVerifier> Service<Request<B>> for BearerAuthService<S, V>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BearerAuthFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // Most requests are decided without waiting (a cache hit, or keys already held): then
        // the inner service driven to readiness serves the request at once, with no boxed future
        // and no clone of it.
        let token = bearer_token(request.headers(), request.uri());
        let decided = match token {
            Ok(token) => {
                self.verifier.verify_now(token).map(|result| result.map_err(BearerRejection::Token))
            }
            Err(err) => Some(Err(BearerRejection::Request(err))),
        };
        match decided {
            Some(Ok(verified)) => {
                admit::<B, V>(&mut request, verified, &self.observer);
                BearerAuthFuture::inner(self.inner.call(request))
            }
            Some(Err(rejection)) => BearerAuthFuture::ready(refuse(
                rejection,
                &self.verifier,
                &self.observer,
                token.ok(),
            )),
            None => self.call_later(request),
        }
    }
}

impl<S, V: BearerVerifier> BearerAuthService<S, V> {
    /// The verification that has to wait (keys to fetch, an endpoint to call), in a boxed
    /// future that owns what it needs.
    fn call_later<B>(&mut self, mut request: Request<B>) -> BearerAuthFuture<S::Future>
    where
        S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send + 'static,
        B: Send + 'static,
    {
        let verifier = self.verifier.clone();
        let observer = self.observer.clone();
        // The clone that was driven to readiness serves this request (tower's usual pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        BearerAuthFuture::boxed(Box::pin(async move {
            let token = bearer_token(request.headers(), request.uri());
            let verified = match token {
                Ok(token) => verifier.verify_bearer(token).await.map_err(BearerRejection::Token),
                Err(err) => Err(BearerRejection::Request(err)),
            };
            match verified {
                Ok(verified) => {
                    admit::<B, V>(&mut request, verified, &observer);
                    inner.call(request).await
                }
                Err(rejection) => Ok(refuse(rejection, &verifier, &observer, token.ok())),
            }
        }))
    }
}

/// Hands what the verifier gave to the handler, through the request's extensions.
fn admit<B, V: BearerVerifier>(
    request: &mut Request<B>,
    verified: V::Verified,
    observer: &Observer,
) {
    observer.accepted(V::claims_of(&verified));
    let extensions = request.extensions_mut();
    extensions.insert(verified);
    extensions.insert(Guarded { view: claims_view::<V>, observer: observer.clone() });
}

/// The response to a refused request, logged and audited (without the token).
fn refuse<V: BearerVerifier>(
    rejection: BearerRejection,
    verifier: &V,
    observer: &Observer,
    token: Option<&str>,
) -> Response {
    let reason = rejection.reason();
    let response = rejection.into_response_for(verifier);
    observer.refused(reason, response.status().as_u16(), token);
    response
}

pin_project_lite::pin_project! {
    /// The future of [`BearerAuthService`]: the inner service's own future when the verification
    /// was decided at once, the refusal, or the verification that had to wait.
    pub struct BearerAuthFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProjection]
    enum State<F> {
        Inner { #[pin] future: F },
        Refused { response: Option<Response> },
        Waiting { future: BoxFuture<'static, Result<Response, Infallible>> },
    }
}

impl<F> BearerAuthFuture<F> {
    fn inner(future: F) -> Self {
        Self { state: State::Inner { future } }
    }

    fn ready(response: Response) -> Self {
        Self { state: State::Refused { response: Some(response) } }
    }

    fn boxed(future: BoxFuture<'static, Result<Response, Infallible>>) -> Self {
        Self { state: State::Waiting { future } }
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for BearerAuthFuture<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner { future } => future.poll(cx),
            StateProjection::Refused { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                // Polled again after it finished: a bug of the caller, answered without a panic.
                None => Poll::Ready(Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response())),
            },
            StateProjection::Waiting { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F> std::fmt::Debug for BearerAuthFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Inner { .. } => "inner",
            State::Refused { .. } => "refused",
            State::Waiting { .. } => "waiting",
        };
        f.debug_struct("BearerAuthFuture").field("state", &state).finish()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedAccessToken {
    type Rejection = BearerRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<VerifiedAccessToken>().cloned().ok_or(BearerRejection::LayerMissing)
    }
}

/// Typed claims: the claims of the verified token (from any [`BearerVerifier`] that exposes them
/// through [`BearerVerifier::claims_of`]) deserialized into `C` before the handler runs. Claims
/// that do not fit `C` are refused with 401 `invalid_token` and
/// `error_description="invalid_claims"`; the handler never runs.
impl<S, C> FromRequestParts<S> for VerifiedAccessToken<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + Sync + 'static,
{
    type Rejection = BearerRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let claims = verified_claims(&parts.extensions)?;
        let typed = serde_json::from_value::<C>(serde_json::Value::Object(claims.claims_object()))
            .map_err(|err| {
                if let Some(guarded) = parts.extensions.get::<Guarded>() {
                    let token = bearer_token(&parts.headers, &parts.uri).ok();
                    guarded.observer.refused("invalid_claims", 401, token);
                }
                BearerRejection::Claims(ClaimsError {
                    type_name: std::any::type_name::<C>(),
                    reason: err.to_string(),
                })
            })?;
        Ok(VerifiedAccessToken::from_parts(
            typed,
            claims.algorithm(),
            claims.kid().map(str::to_owned),
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IntrospectedToken {
    type Rejection = BearerRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<IntrospectedToken>().cloned().ok_or(BearerRejection::LayerMissing)
    }
}

/// What [`BearerAuthService`] leaves beside the verified value in the request's extensions, for
/// extractors and route rules that do not know the verifier's type: a function pointer to the
/// claims (so reading them costs no clone), and the guard's log and audit.
#[derive(Clone)]
struct Guarded {
    view: for<'a> fn(&'a Extensions) -> Option<&'a dyn BearerClaims>,
    observer: Observer,
}

fn claims_view<V: BearerVerifier>(extensions: &Extensions) -> Option<&dyn BearerClaims> {
    extensions.get::<V::Verified>().and_then(V::claims_of)
}

/// The claims of the request's verified token: [`BearerRejection::LayerMissing`] without
/// [`BearerAuthLayer`], [`BearerRejection::ClaimsUnavailable`] when its verifier exposes none.
fn verified_claims(extensions: &Extensions) -> Result<&dyn BearerClaims, BearerRejection> {
    let guarded = extensions.get::<Guarded>().ok_or(BearerRejection::LayerMissing)?;
    (guarded.view)(extensions).ok_or(BearerRejection::ClaimsUnavailable)
}

/// Why the claims of a verified token do not fit the claims type a handler asked for
/// ([`VerifiedAccessToken<C>`](VerifiedAccessToken)).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the token's claims do not fit {type_name}: {reason}")]
pub struct ClaimsError {
    type_name: &'static str,
    reason: String,
}

impl ClaimsError {
    /// The Rust type the claims were deserialized into.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// What did not fit (a missing or mistyped claim), as serde says it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Why the `Authorization` header could not give a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BearerError {
    /// No `Authorization` header, or one with another scheme.
    #[error("no bearer credentials")]
    Missing,
    /// More than one `Authorization` header.
    #[error("several Authorization headers")]
    Duplicate,
    /// The header is not `Bearer` followed by one space and a token of RFC 6750 characters.
    #[error("malformed Authorization header")]
    Malformed,
    /// The request carries an `access_token` query parameter, which must never be used
    /// (RFC 9700 4.3.2: tokens in URLs leak through logs and referrers).
    #[error("access token in the query string")]
    InQuery,
}

/// Reads the bearer token of a request: one `Authorization` header, scheme `Bearer` in any case,
/// one space, then an RFC 6750 `b64token`. A token in the query string is refused outright.
pub fn bearer_token<'a>(headers: &'a HeaderMap, uri: &Uri) -> Result<&'a str, BearerError> {
    if uri.query().is_some_and(|query| {
        url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "access_token")
    }) {
        return Err(BearerError::InQuery);
    }
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next().ok_or(BearerError::Missing)?;
    if values.next().is_some() {
        return Err(BearerError::Duplicate);
    }
    // Bytes, not `HeaderValue::to_str`: the `b64token` check below admits only ASCII, so the
    // visible-ASCII scan of `to_str`, a byte at a time over a kilobyte, would be paid twice.
    let value = value.as_bytes();
    let space = value.iter().position(|&byte| byte == b' ').ok_or(BearerError::Malformed)?;
    let (scheme, token) = (&value[..space], &value[space + 1..]);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return if scheme.iter().all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')
            && !scheme.is_empty()
        {
            Err(BearerError::Missing)
        } else {
            Err(BearerError::Malformed)
        };
    }
    if !is_b64token(token) {
        return Err(BearerError::Malformed);
    }
    // Always ASCII by now; `from_utf8` is the safe way to say so.
    std::str::from_utf8(token).map_err(|_| BearerError::Malformed)
}

/// Why a request was refused; becomes a response with the status and `WWW-Authenticate` of the
/// [module docs](self), and an empty body.
#[derive(Debug)]
#[non_exhaustive]
pub enum BearerRejection {
    /// The request did not carry a usable bearer token.
    Request(BearerError),
    /// The token was refused.
    Token(VerifyError),
    /// A handler asked for [`VerifiedAccessToken`] on a route without [`BearerAuthLayer`].
    LayerMissing,
    /// The token was verified, but its claims do not fit the handler's claims type (401
    /// `invalid_token`, `error_description="invalid_claims"`).
    Claims(ClaimsError),
    /// A route rule or typed claims need the token's claims, but the layer's verifier exposes
    /// none ([`BearerVerifier::claims_of`]): a misconfiguration, answered with 500.
    ClaimsUnavailable,
}

impl BearerRejection {
    /// The stable reason, for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Request(BearerError::Missing) => "missing",
            Self::Request(BearerError::Duplicate) => "duplicate_authorization",
            Self::Request(BearerError::Malformed) => "malformed_authorization",
            Self::Request(BearerError::InQuery) => "token_in_query",
            Self::Token(err) => err.kind(),
            Self::LayerMissing => "layer_missing",
            Self::Claims(_) => "invalid_claims",
            Self::ClaimsUnavailable => "claims_unavailable",
        }
    }

    fn into_response_for(self, verifier: &impl BearerVerifier) -> Response {
        self.response(&verifier.required_scopes().join(" "))
    }

    fn response(self, required_scope: &str) -> Response {
        let (status, challenge) = match &self {
            Self::Request(BearerError::Missing) => {
                (StatusCode::UNAUTHORIZED, Some("Bearer".to_owned()))
            }
            Self::Request(_) => {
                (StatusCode::BAD_REQUEST, Some(r#"Bearer error="invalid_request""#.to_owned()))
            }
            Self::Token(err) if err.is_unavailable() => {
                let mut response = StatusCode::SERVICE_UNAVAILABLE.into_response();
                if let Some(after) = err.retry_after() {
                    response.headers_mut().insert(header::RETRY_AFTER, after.as_secs().into());
                }
                return response;
            }
            Self::Token(err) if err.is_forbidden() => {
                let mut challenge = r#"Bearer error="insufficient_scope""#.to_owned();
                if !required_scope.is_empty() && required_scope.bytes().all(is_scope_char) {
                    challenge.push_str(", scope=\"");
                    challenge.push_str(required_scope);
                    challenge.push('"');
                }
                (StatusCode::FORBIDDEN, Some(challenge))
            }
            Self::Token(err) => (
                StatusCode::UNAUTHORIZED,
                Some(format!(
                    r#"Bearer error="invalid_token", error_description="{}""#,
                    err.kind()
                )),
            ),
            Self::LayerMissing => {
                tracing::error!("VerifiedAccessToken extracted on a route without BearerAuthLayer");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
            Self::Claims(err) => {
                tracing::debug!(reason = "invalid_claims", error = %err, "bearer token refused");
                (
                    StatusCode::UNAUTHORIZED,
                    Some(
                        r#"Bearer error="invalid_token", error_description="invalid_claims""#
                            .to_owned(),
                    ),
                )
            }
            Self::ClaimsUnavailable => {
                tracing::error!(
                    "a route rule or typed claims need the token's claims, but the verifier of \
                     BearerAuthLayer exposes none (BearerVerifier::claims_of)"
                );
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        };
        let mut response = status.into_response();
        if let Some(value) = challenge.and_then(|challenge| HeaderValue::from_str(&challenge).ok())
        {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl IntoResponse for BearerRejection {
    fn into_response(self) -> Response {
        self.response("")
    }
}

/// The former name of [`BearerAuthLayer`], kept for one minor release (`docs/versioning.md`).
#[deprecated(since = "0.2.0", note = "renamed to `BearerAuthLayer`")]
pub type OktaAuthLayer = BearerAuthLayer;

/// The former name of [`BearerAuthService`], kept for one minor release.
#[deprecated(
    since = "0.2.0",
    note = "renamed to `BearerAuthService`: `okta_flow::axum::OktaAuth` is the sign-in routes"
)]
pub type OktaAuth<S> = BearerAuthService<S>;

/// The former name of [`BearerRejection`], kept for one minor release.
#[deprecated(since = "0.2.0", note = "renamed to `BearerRejection`")]
pub type AuthRejection = BearerRejection;

/// Characters allowed in a `scope` value and its separators (RFC 6750 3: %x21 / %x23-5B / %x5D-7E
/// and spaces between scopes).
fn is_scope_char(byte: u8) -> bool {
    byte == b' ' || byte == 0x21 || (0x23..=0x5b).contains(&byte) || (0x5d..=0x7e).contains(&byte)
}

#[cfg(test)]
mod tests;
