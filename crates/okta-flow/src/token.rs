//! Token responses: the `openidconnect` response type we plug in, the verified [`TokenSet`]
//! handed to applications, and the errors of `/token`.

use std::fmt;
use std::time::{Duration, SystemTime};

use okta_http::TransportError;
use okta_verify::OktaIdTokenClaims;
use okta_verify::VerifyError;
use openidconnect::core::{
    CoreErrorResponseType, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreTokenType,
};
use openidconnect::{
    EmptyAdditionalClaims, ExtraTokenFields, IdToken as OidcIdToken, StandardErrorResponse,
    StandardTokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::http::ResponseMeta;

/// Defines a secret string type: `secret()` to read it, a redacted `Debug`, no `Display` and no
/// `PartialEq` (secrets are compared in constant time, or not at all). It serializes as the
/// plain string, so stored sessions keep their format.
macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Deserialize, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value received from Okta (or kept from an earlier response).
            pub fn new(secret: String) -> Self {
                Self(secret)
            }

            /// The value itself, to send where it belongs (and nowhere else: not to a log).
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Takes the value.
            pub fn into_secret(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// An OAuth access token, to send as `Authorization: Bearer` to APIs.
    AccessToken
);

secret_type!(
    /// An OAuth refresh token (with the `offline_access` scope), for
    /// [`OktaClient::refresh`](crate::OktaClient::refresh).
    RefreshToken
);

secret_type!(
    /// The authorization code of a callback, redeemed once by
    /// [`OktaClient::exchange_code`](crate::OktaClient::exchange_code).
    AuthorizationCode
);

/// An ID token as received (a compact JWS). `Debug` redacts it; it is verified before any
/// [`TokenSet`] holds it.
#[derive(Clone)]
pub struct IdToken(pub(crate) String);

impl IdToken {
    /// The compact JWS, for `id_token_hint` at logout or to hand to another service.
    ///
    /// # Security Warning
    ///
    /// Leaking this value leaks the user's identity claims.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken([redacted])")
    }
}

/// The tokens of one successful exchange or refresh, with the ID token already verified.
#[derive(Clone, Debug)]
pub struct TokenSet {
    pub(crate) access_token: AccessToken,
    pub(crate) token_type: String,
    pub(crate) expires_at: Option<SystemTime>,
    pub(crate) scopes: Vec<String>,
    pub(crate) refresh_token: Option<RefreshToken>,
    pub(crate) id_token: Option<IdToken>,
    pub(crate) id_token_claims: Option<OktaIdTokenClaims>,
}

impl TokenSet {
    /// The access token, to send as `Authorization: Bearer` to APIs.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The token type as sent (always a case variant of `Bearer`).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// When the access token expires, from `expires_in` (absent if the server did not say).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// The granted scopes, from `scope` (empty if the server did not say, which means the
    /// requested ones, RFC 6749 §5.1).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The refresh token, when `offline_access` was granted. After a refresh without rotation it
    /// is the one that was used.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// The ID token as received. Always present after a code exchange; present after a refresh
    /// when the server sent a new one.
    pub fn id_token(&self) -> Option<&IdToken> {
        self.id_token.as_ref()
    }

    /// The verified claims of [`id_token`](Self::id_token).
    pub fn id_token_claims(&self) -> Option<&OktaIdTokenClaims> {
        self.id_token_claims.as_ref()
    }
}

/// The `error` of a refused token request (RFC 6749 §5.2, Okta's `/token` errors).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenErrorCode {
    /// Client authentication failed (unknown client, wrong secret, two methods at once).
    InvalidClient,
    /// The code or refresh token is invalid, expired, revoked, already used, or was issued for
    /// another redirect URI or PKCE challenge. Start the sign-in again.
    InvalidGrant,
    /// The request is malformed.
    InvalidRequest,
    /// A requested scope is invalid.
    InvalidScope,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// Any other code, kept as sent.
    Other(String),
}

impl TokenErrorCode {
    fn from_response(error: &CoreErrorResponseType) -> Self {
        match error {
            CoreErrorResponseType::InvalidClient => Self::InvalidClient,
            CoreErrorResponseType::InvalidGrant => Self::InvalidGrant,
            CoreErrorResponseType::InvalidRequest => Self::InvalidRequest,
            CoreErrorResponseType::InvalidScope => Self::InvalidScope,
            CoreErrorResponseType::UnauthorizedClient => Self::UnauthorizedClient,
            CoreErrorResponseType::UnsupportedGrantType => Self::UnsupportedGrantType,
            CoreErrorResponseType::Extension(code) => Self::Other(crate::metadata::truncate(code)),
        }
    }

    /// The code as the server sent it, such as `invalid_grant`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidScope => "invalid_scope",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for TokenErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a code exchange or a refresh failed. When this is returned, every token of the response
/// has been dropped.
///
/// The variants keep apart "the server said no" ([`Rejected`](Self::Rejected), never worth
/// retrying), "the transport failed" ([`Transport`](Self::Transport),
/// [`RateLimited`](Self::RateLimited), [`ServerFailure`](Self::ServerFailure): a refresh may be
/// retried, a code exchange never) and "the response is unusable" (the rest).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The client is not set up for this call (no client secret, missing endpoint).
    #[error("the client is not configured for this request: {0}")]
    Configuration(String),
    /// The ID token failed verification.
    #[error("the ID token was refused")]
    IdToken(#[source] VerifyError),
    /// The response is not a usable token response (not JSON, wrong content type, a member of the
    /// wrong type, no access token, no ID token although `openid` was requested).
    #[error("the token response is malformed: {0}")]
    MalformedResponse(String),
    /// Okta's rate limit was hit (HTTP 429).
    #[error("rate limited by Okta (HTTP 429){}", reset.map(|r| format!("; the limit resets at {r} (epoch seconds)")).unwrap_or_default())]
    RateLimited {
        /// `X-Rate-Limit-Reset`, when sent: the epoch second at which the limit resets.
        reset: Option<u64>,
    },
    /// The server refused the request with an OAuth error.
    #[error("Okta refused the token request: {code}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        /// The `error` code.
        code: TokenErrorCode,
        /// `error_description`, escaped and truncated.
        description: Option<String>,
        /// The HTTP status.
        status: u16,
    },
    /// The server failed (HTTP 5xx without an OAuth error body).
    #[error("Okta failed to answer the token request (HTTP {status})")]
    ServerFailure {
        /// The HTTP status.
        status: u16,
    },
    /// The request never got a usable HTTP response (connection, timeout, redirect, size cap).
    #[error("the token request failed")]
    Transport(#[source] TransportError),
    /// `token_type` is not `Bearer` (in any case).
    #[error("unsupported token type {0:?}")]
    UnsupportedTokenType(String),
}

impl TokenError {
    /// A stable `snake_case` name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Configuration(_) => "configuration",
            Self::IdToken(_) => "id_token_invalid",
            Self::MalformedResponse(_) => "malformed_response",
            Self::RateLimited { .. } => "rate_limited",
            Self::Rejected { code: TokenErrorCode::InvalidClient, .. } => "invalid_client",
            Self::Rejected { .. } => "token_endpoint_error",
            Self::ServerFailure { .. } => "server_failure",
            Self::Transport(_) => "transport",
            Self::UnsupportedTokenType(_) => "unsupported_token_type",
        }
    }

    pub(crate) fn from_request(
        err: openidconnect::RequestTokenError<
            TransportError,
            StandardErrorResponse<CoreErrorResponseType>,
        >,
        meta: Option<ResponseMeta>,
    ) -> Self {
        use openidconnect::RequestTokenError;
        let status = meta.as_ref().map(|meta| meta.status);
        match err {
            RequestTokenError::ServerResponse(response) => Self::Rejected {
                code: TokenErrorCode::from_response(response.error()),
                description: response.error_description().map(|d| crate::metadata::truncate(d)),
                status: status.unwrap_or(400),
            },
            RequestTokenError::Request(err) => Self::Transport(err),
            RequestTokenError::Parse(err, _body) => Self::from_status(meta).unwrap_or_else(|| {
                Self::MalformedResponse(crate::metadata::describe_json_error(&err))
            }),
            RequestTokenError::Other(message) => {
                Self::from_status(meta).unwrap_or(Self::MalformedResponse(message))
            }
        }
    }

    /// Statuses that explain an unparsable body better than the parse error does.
    fn from_status(meta: Option<ResponseMeta>) -> Option<Self> {
        let meta = meta?;
        match meta.status {
            429 => Some(Self::RateLimited { reset: meta.rate_limit_reset }),
            500..=599 => Some(Self::ServerFailure { status: meta.status }),
            _ => None,
        }
    }
}

/// `openidconnect`'s token response, with the ID token kept as the raw string: okta-verify
/// checks it (signature from the live key cache, leeway, `at_hash`, typed errors), so
/// `openidconnect` must not parse it first (a malformed ID token would fail the whole response
/// with an untyped parse error).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(transparent)]
pub(crate) struct OktaTokenResponse(StandardTokenResponse<RawIdTokenField, CoreTokenType>);

/// The `id_token` member, kept raw. Its `Debug` is redacted.
#[derive(Clone, Deserialize, Serialize)]
pub(crate) struct RawIdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
}

impl fmt::Debug for RawIdTokenField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawIdTokenField")
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl ExtraTokenFields for RawIdTokenField {}

impl OktaTokenResponse {
    pub(crate) fn raw_id_token(&self) -> Option<&str> {
        self.0.extra_fields().id_token.as_deref()
    }
}

impl openidconnect::OAuth2TokenResponse for OktaTokenResponse {
    type TokenType = CoreTokenType;

    fn access_token(&self) -> &openidconnect::AccessToken {
        self.0.access_token()
    }

    fn token_type(&self) -> &CoreTokenType {
        self.0.token_type()
    }

    fn expires_in(&self) -> Option<Duration> {
        self.0.expires_in()
    }

    fn refresh_token(&self) -> Option<&openidconnect::RefreshToken> {
        self.0.refresh_token()
    }

    fn scopes(&self) -> Option<&Vec<openidconnect::Scope>> {
        self.0.scopes()
    }
}

impl
    openidconnect::TokenResponse<
        EmptyAdditionalClaims,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    > for OktaTokenResponse
{
    /// Always `None`: the raw ID token is verified by okta-verify instead (see the type's docs).
    fn id_token(
        &self,
    ) -> Option<
        &OidcIdToken<
            EmptyAdditionalClaims,
            CoreGenderClaim,
            CoreJweContentEncryptionAlgorithm,
            CoreJwsSigningAlgorithm,
        >,
    > {
        None
    }
}

#[cfg(test)]
mod tests;
