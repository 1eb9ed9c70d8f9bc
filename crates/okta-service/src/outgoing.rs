//! Tokens on outgoing calls: the bearer token of a [`TokenSource`] on requests to the origins it
//! is meant for, and nowhere else; one refresh-and-retry when the API says the token is invalid.
//!
//! [`BearerAuth`] is a `reqwest-middleware` middleware through `upstream::BearerMiddleware`
//! (feature `reqwest`), and [`BearerLayer`] a
//! tower layer for hyper or tonic-style clients (feature `tower`).

// Without either feature only the shared rules are compiled (and nothing uses them).
#![cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]

use std::fmt;
use std::sync::Arc;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use okta_config::Scope;
use url::{Origin, Url};

use crate::token::ServiceToken;
use crate::{TokenError, TokenSource};

/// Why an outgoing request was not sent.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum OutgoingError {
    /// The request goes to an origin the token is not for (a URL built from user input, a
    /// misconfiguration): it was refused before anything was sent.
    #[error("refused to send a service token to {origin}: not one of the origins it is for")]
    ForeignOrigin {
        /// The request's origin (scheme, host, port).
        origin: String,
    },
    /// No token could be had.
    #[error("no service token for the request")]
    Token(#[source] TokenError),
}

/// Attaches `Authorization: Bearer` from a [`TokenSource`] to requests for the allowed origins.
///
/// A request to any other origin fails with [`OutgoingError::ForeignOrigin`] and is never sent.
/// When the API answers `401` with `WWW-Authenticate: Bearer error="invalid_token"`, the token is
/// refreshed once and an idempotent request (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) with a
/// replayable body is sent again; other requests return the 401.
#[derive(Clone)]
pub struct BearerAuth {
    source: TokenSource,
    scopes: Arc<[Scope]>,
    origins: Arc<[Origin]>,
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("scopes", &self.scopes)
            .field(
                "origins",
                &self.origins.iter().map(Origin::ascii_serialization).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl BearerAuth {
    /// Tokens for `scopes` from `source`, sent only to the origin of `api` (add more with
    /// [`BearerAuth::allow_origin`]).
    pub fn new(source: TokenSource, scopes: impl IntoIterator<Item = Scope>, api: &Url) -> Self {
        Self { source, scopes: scopes.into_iter().collect(), origins: Arc::from([api.origin()]) }
    }

    /// Also sends the token to the origin of `url`.
    #[must_use]
    pub fn allow_origin(mut self, url: &Url) -> Self {
        let mut origins = self.origins.to_vec();
        origins.push(url.origin());
        self.origins = origins.into();
        self
    }

    /// Whether a request to `url` may carry the token.
    fn check(&self, url: &Url) -> Result<(), OutgoingError> {
        let origin = url.origin();
        if origin.is_tuple() && self.origins.contains(&origin) {
            Ok(())
        } else {
            Err(OutgoingError::ForeignOrigin { origin: origin.ascii_serialization() })
        }
    }

    async fn token(&self) -> Result<ServiceToken, OutgoingError> {
        self.source.token(&self.scopes).await.map_err(OutgoingError::Token)
    }

    async fn refreshed(&self, rejected: &ServiceToken) -> Result<ServiceToken, OutgoingError> {
        self.source.token_replacing(&self.scopes, rejected).await.map_err(OutgoingError::Token)
    }
}

/// Puts the token on `headers`, marked sensitive (never printed by `http`'s `Debug`).
fn set_bearer(headers: &mut HeaderMap, token: &ServiceToken) -> Result<(), OutgoingError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret())).map_err(|_| {
        OutgoingError::Token(TokenError::MalformedResponse {
            reason: "its access_token cannot be sent in a header",
        })
    })?;
    value.set_sensitive(true);
    headers.insert(AUTHORIZATION, value);
    Ok(())
}

/// RFC 9110's idempotent methods: a retry cannot do twice what once would.
fn idempotent(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::OPTIONS, Method::PUT, Method::DELETE, Method::TRACE]
        .contains(method)
}

/// A 401 whose challenge says the token is invalid (RFC 6750 §3.1), such as an expired one.
fn invalid_token(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::UNAUTHORIZED
        && headers.get_all(WWW_AUTHENTICATE).iter().any(|value| {
            value.to_str().is_ok_and(|text| {
                let text = text.to_ascii_lowercase();
                text.starts_with("bearer") && text.contains("error=\"invalid_token\"")
            })
        })
}

#[cfg(feature = "reqwest")]
pub(crate) mod reqwest_middleware_impl {
    use super::{BearerAuth, OutgoingError, idempotent, invalid_token, set_bearer};

    /// [`BearerAuth`] as a `reqwest-middleware` 0.4 middleware (reqwest 0.12):
    /// `ClientBuilder::new(client).with(BearerMiddleware::from(auth))`. Refusals come back as
    /// `reqwest_middleware::Error::Middleware` holding an [`OutgoingError`]
    /// (`err.downcast::<OutgoingError>()`).
    #[derive(Clone, Debug)]
    pub struct BearerMiddleware {
        auth: BearerAuth,
    }

    impl From<BearerAuth> for BearerMiddleware {
        fn from(auth: BearerAuth) -> Self {
            Self { auth }
        }
    }

    #[async_trait::async_trait]
    impl reqwest_middleware::Middleware for BearerMiddleware {
        async fn handle(
            &self,
            mut request: reqwest::Request,
            extensions: &mut http::Extensions,
            next: reqwest_middleware::Next<'_>,
        ) -> reqwest_middleware::Result<reqwest::Response> {
            let auth = &self.auth;
            let refuse = |err: OutgoingError| reqwest_middleware::Error::Middleware(err.into());
            auth.check(request.url()).map_err(refuse)?;
            let token = auth.token().await.map_err(refuse)?;
            let replay = if idempotent(request.method()) { request.try_clone() } else { None };
            set_bearer(request.headers_mut(), &token).map_err(refuse)?;
            let response = next.clone().run(request, extensions).await?;
            match replay {
                Some(mut again) if invalid_token(response.status(), response.headers()) => {
                    let fresh = auth.refreshed(&token).await.map_err(refuse)?;
                    set_bearer(again.headers_mut(), &fresh).map_err(refuse)?;
                    tracing::info!(
                        url = %okta_http::redacted_url(again.url()),
                        "the API refused the service token as invalid; sending again with a new one"
                    );
                    next.run(again, extensions).await
                }
                _ => Ok(response),
            }
        }
    }
}

#[cfg(feature = "tower")]
mod tower_impl {
    use std::future::poll_fn;
    use std::task::{Context, Poll};

    use okta_http::BoxFuture;
    use url::Url;

    use super::{BearerAuth, OutgoingError, idempotent, invalid_token, set_bearer};

    /// The error of a [`BearerService`]: the inner service's, or an [`OutgoingError`].
    pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

    /// A tower layer that attaches the token of a [`BearerAuth`] to each request (see its rules);
    /// the retry needs a request body that is `Clone` (a replayable body, such as `Full<Bytes>`
    /// or `String`).
    #[derive(Clone, Debug)]
    pub struct BearerLayer {
        auth: BearerAuth,
    }

    impl BearerLayer {
        /// The layer of `auth`.
        pub fn new(auth: BearerAuth) -> Self {
            Self { auth }
        }
    }

    impl<S> tower_layer::Layer<S> for BearerLayer {
        type Service = BearerService<S>;

        fn layer(&self, inner: S) -> Self::Service {
            BearerService { inner, auth: self.auth.clone() }
        }
    }

    /// The service of a [`BearerLayer`].
    #[derive(Clone, Debug)]
    pub struct BearerService<S> {
        inner: S,
        auth: BearerAuth,
    }

    impl<S, B, RB> tower_service::Service<http::Request<B>> for BearerService<S>
    where
        S: tower_service::Service<http::Request<B>, Response = http::Response<RB>>
            + Clone
            + Send
            + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
        B: Clone + Send + 'static,
        RB: Send + 'static,
    {
        type Response = http::Response<RB>;
        type Error = BoxError;
        type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.inner.poll_ready(cx).map_err(Into::into)
        }

        fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
            // The ready service answers this call; a clone waits for the next one.
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            let auth = self.auth.clone();
            Box::pin(async move {
                let url = Url::parse(&request.uri().to_string()).map_err(|_| {
                    OutgoingError::ForeignOrigin {
                        origin: "a request URI without an origin".to_owned(),
                    }
                })?;
                auth.check(&url)?;
                let token = auth.token().await?;
                let replay = idempotent(request.method()).then(|| request.clone());
                set_bearer(request.headers_mut(), &token)?;
                let response = inner.call(request).await.map_err(Into::into)?;
                match replay {
                    Some(mut again) if invalid_token(response.status(), response.headers()) => {
                        let fresh = auth.refreshed(&token).await?;
                        set_bearer(again.headers_mut(), &fresh)?;
                        poll_fn(|cx| inner.poll_ready(cx)).await.map_err(Into::into)?;
                        inner.call(again).await.map_err(Into::into)
                    }
                    _ => Ok(response),
                }
            })
        }
    }
}

#[cfg(feature = "tower")]
pub use tower_impl::{BearerLayer, BearerService, BoxError};
