//! Why a token could not be had: each error says what to fix, in the settings and at Okta.

use std::time::Duration;

use okta_config::ClientAuthMethod;
use okta_http::{ClientAuthError, TransportError};

/// Why [`TokenSource::token`](crate::TokenSource::token) returned no token.
///
/// Never contains a token, a secret or a client assertion. The three refusals Okta gives for a
/// misconfigured client (`invalid_client`, `invalid_scope`, `unauthorized_client`) are never
/// retried and name the setting and the Okta admin setting to fix.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Okta does not accept the client's credentials (`invalid_client`).
    #[error(
        "Okta refused the credentials of client {client_id} (invalid_client): check client_id, \
         client_auth_method ({method}) and client_secret or client_private_key/client_key_id \
         against the Okta app's General tab (Client authentication, client secret, public keys)"
    )]
    InvalidClient {
        /// The client id sent.
        client_id: String,
        /// The client authentication method used.
        method: ClientAuthMethod,
    },
    /// A requested scope does not exist at the authorization server, or no access policy rule
    /// grants it to this client (`invalid_scope`).
    #[error(
        "Okta refused the scopes [{scopes}] (invalid_scope): request scopes the authorization \
         server defines, and grant them to the app in a rule of the server's Access Policies \
         (Security > API > Authorization Servers)"
    )]
    InvalidScope {
        /// The scopes requested, space-separated (empty: the server's default scopes).
        scopes: String,
    },
    /// The client may not use the grant (`unauthorized_client`).
    #[error(
        "Okta does not allow client {client_id} the {grant} grant (unauthorized_client): enable it \
         in the app's General Settings (Grant type) and in a rule of the authorization server's \
         Access Policies"
    )]
    UnauthorizedClient {
        /// The client id.
        client_id: String,
        /// The grant type asked for.
        grant: &'static str,
    },
    /// Okta refused the request with another OAuth error.
    #[error("Okta refused the token request (HTTP {status}{})", code.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code, if the body had one.
        code: Option<String>,
    },
    /// Okta kept answering 429 and no retry was left (or the announced wait was longer than
    /// [`RetryPolicy::max_wait`](crate::RetryPolicy::max_wait)).
    #[error("Okta's rate limit for /token is exhausted{}", retry_after.map(|d| format!(" (reset in {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long Okta said to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// Okta kept failing with a 5xx status and no retry was left.
    #[error("Okta's token endpoint kept failing (HTTP {status})")]
    Unavailable {
        /// The last status.
        status: u16,
    },
    /// The request did not complete (network, timeout, TLS), after the retries.
    #[error("the token request failed")]
    Transport(#[source] TransportError),
    /// The token response is not a usable token response.
    #[error("Okta's token response is unusable: {reason}")]
    MalformedResponse {
        /// What is wrong (never the body).
        reason: &'static str,
    },
    /// The request cannot be made against the org authorization server.
    #[error("{reason}")]
    OrgServer {
        /// What Okta's org server allows, and what to change.
        reason: &'static str,
    },
    /// The client's credentials could not authenticate the request.
    #[error("cannot authenticate the token request")]
    ClientAuth(#[source] ClientAuthError),
}
