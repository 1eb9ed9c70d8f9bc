//! Access tokens for a service's own identity at Okta: the `client_credentials` grant with the
//! caching, refresh and retry rules a fleet of replicas needs.
//!
//! A [`TokenSource`] gets and caches tokens per set of scopes from one authorization server,
//! authenticating with any method of [`okta_http::ClientCredentials`] (`client_secret_basic`,
//! `client_secret_post`, `client_secret_jwt`, `private_key_jwt`). A [`TokenExchanger`] trades a
//! signed-in user's access token for a downstream API's token on the user's behalf (RFC 8693),
//! cached by (SHA-256 of the user's token, audience, scopes), bounded, and never beyond either
//! token's expiry.
//!
//! [`BearerAuth`] puts a source's tokens on outgoing calls (a `reqwest-middleware` middleware
//! through [`upstream::BearerMiddleware`], feature `reqwest`; [`BearerLayer`], a tower layer, feature `tower`; both on by default): only
//! to the origins it is configured for (anything else is [`OutgoingError::ForeignOrigin`], and
//! nothing is sent), with one refresh-and-retry of idempotent requests on a `401` with
//! `error="invalid_token"`. reqwest also drops `Authorization` when it follows a redirect to
//! another host; build the client with `redirect::Policy::none()` to follow none at all.
//!
//! # Rules
//!
//! - **Cache and single flight.** A token is reused until its refresh time; any number of
//!   concurrent callers without a usable token cause one `/token` request.
//! - **Refresh ahead, with jitter.** A token is refreshed from 5 minutes (at most half its life)
//!   plus a random jitter of up to half that before it expires, by the first caller in that
//!   window; the others keep the current token meanwhile, so replicas do not refresh in the same
//!   second and callers never wait for a refresh.
//! - **Failing refreshes.** While refreshes fail, the current token is handed out until it
//!   expires (less a margin of 10 s), and the failure is logged once, not once per call.
//!   Refreshes are tried again after a backoff, never on every call.
//! - **Retries.** Network errors, 5xx and 429 are retried with exponential backoff and jitter
//!   ([`RetryPolicy`]); a 429 waits at least what Okta announces (`Retry-After`, else the
//!   earliest `X-Rate-Limit-Reset` minus the response's `Date`, as Okta's SDKs compute it), so no
//!   request is made before the reset. `invalid_client`, `invalid_scope` and
//!   `unauthorized_client` are never retried: the [`TokenError`] says which setting and which
//!   Okta admin setting to fix.
//! - **Default scopes.** A request without scopes gets the server's default scopes, as Okta
//!   grants them.
//! - **The org server** (issuer `https://{domain}`) gives client-credentials tokens only to
//!   `private_key_jwt` apps, for Okta's API scopes (`okta.*`), for one hour: anything else is a
//!   [`TokenError::OrgServer`] before any request.
//! - **Malformed responses** (not JSON, no `access_token`, a `token_type` other than `Bearer`,
//!   no `expires_in`) are [`TokenError::MalformedResponse`]. Okta always sends `expires_in`; a
//!   response without it is refused rather than cached with a guessed life.
//! - **Secrets.** Tokens, secrets and assertions never reach a log, an error or `Debug`; each
//!   request has a `tracing` span (`okta_service.token`: issuer, grant, scopes, method, status).
//! - **Time** comes from the injected [`Clock`](okta_http::Clock), jitter and waiting from
//!   [`TokenSourceBuilder::jitter`] and [`TokenSourceBuilder::sleep`], so tests control expiry
//!   and retries without sleeping.
//!
//! # Example
//!
//! ```no_run
//! use okta_config::{Role, Scope, SettingsLoader};
//! use okta_service::TokenSourceBuilder;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // OKTA_ISSUER, OKTA_CLIENT_ID, OKTA_CLIENT_AUTH_METHOD=private_key_jwt and
//! // OKTA_CLIENT_PRIVATE_KEY (or OKTA_CLIENT_SECRET) from the environment.
//! let settings = SettingsLoader::new().role(Role::Service).load()?;
//! let tokens = TokenSourceBuilder::from_settings(&settings)?.build();
//! let token = tokens.token(&[Scope::parse("orders:read")?]).await?;
//! // Send it with any HTTP client; never log it.
//! let request = http::Request::get("https://orders.internal.example.com/v1/orders")
//!     .header(http::header::AUTHORIZATION, format!("Bearer {}", token.secret()))
//!     .body(())?;
//! # drop(request);
//! # Ok(())
//! # }
//! ```

mod error;
#[cfg(test)]
mod error_chains;
mod exchange;
mod outgoing;
mod response;
mod source;
mod token;

// The public interface:
pub use crate::error::TokenError;
pub use crate::exchange::{TokenExchanger, TokenExchangerBuilder};
pub use crate::outgoing::{BearerAuth, OutgoingError};
#[cfg(feature = "tower")]
pub use crate::outgoing::{BearerLayer, BearerService, BoxError};
pub use crate::source::{Jitter, RetryPolicy, SetupError, Sleep, TokenSource, TokenSourceBuilder};
pub use crate::token::ServiceToken;

/// The upstream crates whose types okta-service's API names, at the versions it is built with,
/// and what implements their traits: `reqwest_middleware` (0.4, on reqwest 0.12) and
/// [`BearerMiddleware`](upstream::BearerMiddleware), with feature `reqwest`.
pub mod upstream {
    #[cfg(feature = "reqwest")]
    pub use crate::outgoing::reqwest_middleware_impl::BearerMiddleware;
    #[cfg(feature = "reqwest")]
    pub use reqwest_middleware;
}

/// `docs/guides/service-to-service.md`, whose code blocks compile as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/guides/service-to-service.md")]
struct ServiceToServiceGuide;
