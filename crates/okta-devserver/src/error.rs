//! Errors turned into responses at the edge: OAuth error JSON, Okta API error JSON and
//! internal failures, each with fixed bodies that leak nothing.

use std::borrow::Cow;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::authorization_servers::AuthServerId;
use crate::crypto::random_token;
use crate::keys::KeyError;

/// Why a request was refused (`error: description`), attached to the response as an extension
/// so that the request record, and the console, can say it.
#[derive(Clone, Debug)]
pub(crate) struct Refusal(pub(crate) String);

impl Refusal {
    /// Attaches `error: description` to `response`.
    pub(crate) fn attach(response: &mut Response, error: &str, description: &str) {
        let text = if description.is_empty() {
            error.to_owned()
        } else {
            format!("{error}: {description}")
        };
        response.extensions_mut().insert(Self(text));
    }
}

/// The `Cache-Control` of Okta's `/token` responses: the one example that shows them (the
/// `DPoP` `use_dpop_nonce` 400) has `Cache-Control: no-cache, no-store` and `Pragma: no-cache`.
/// RFC 6749 §5.1 asks for `no-store`; this has it.
pub(crate) const TOKEN_CACHE_CONTROL: &str = "no-cache, no-store";

/// An OAuth 2.0 error response: `{"error": ..., "error_description": ...}`, with `/token`'s
/// caching headers.
#[derive(Debug)]
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: Cow<'static, str>,
    basic_challenge: bool,
}

impl OAuthError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self { status, error, description: description.into(), basic_challenge: false }
    }

    pub(crate) fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub(crate) fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub(crate) fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    pub(crate) fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// Adds `WWW-Authenticate: Basic`, for a failed Basic authentication (RFC 6749 §5.2).
    pub(crate) fn with_basic_challenge(mut self) -> Self {
        self.basic_challenge = true;
        self
    }

    #[cfg(test)]
    pub(crate) fn error(&self) -> &'static str {
        self.error
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        Refusal::attach(&mut response, self.error, &self.description);
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(TOKEN_CACHE_CONTROL));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.basic_challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="okta-devserver""#),
            );
        }
        response
    }
}

/// An Okta management/authentication API error (`errorCode`, `errorSummary`, ...).
#[derive(Debug)]
pub(crate) struct OktaApiError {
    status: StatusCode,
    code: &'static str,
    summary: Cow<'static, str>,
}

impl OktaApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        summary: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self { status, code, summary: summary.into() }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {what}"),
        )
    }

    /// The 404 for an authorization server id that does not exist.
    pub(crate) fn unknown_server(id: &AuthServerId) -> Self {
        Self::not_found(&format!("{id} (AuthorizationServer)"))
    }
}

impl IntoResponse for OktaApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": format!("oae{}", random_token(16)),
            "errorCauses": [],
        });
        let mut response = (self.status, Json(body)).into_response();
        Refusal::attach(&mut response, self.code, &self.summary);
        response
    }
}

/// A failure inside the server (signing, key generation): logged, answered with a fixed 500.
#[derive(Debug)]
pub(crate) struct AppError(Box<dyn std::error::Error + Send + Sync>);

impl<E: std::error::Error + Send + Sync + 'static> From<E> for AppError {
    fn from(error: E) -> Self {
        Self(Box::new(error))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self.0, "internal error");
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The authorization server encountered an unexpected condition.",
        )
        .into_response()
    }
}

/// What a handler that can fail in several ways returns.
#[derive(Debug)]
pub(crate) enum Failure {
    OAuth(OAuthError),
    Internal(AppError),
}

impl From<OAuthError> for Failure {
    fn from(error: OAuthError) -> Self {
        Self::OAuth(error)
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Self::Internal(error)
    }
}

impl From<KeyError> for Failure {
    fn from(error: KeyError) -> Self {
        Self::Internal(error.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Self::OAuth(error) => error.into_response(),
            Self::Internal(error) => error.into_response(),
        }
    }
}
