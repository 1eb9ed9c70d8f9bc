//! The OpenID Connect Authorization Code flow against Okta, built on `openidconnect`, safe by
//! construction.
//!
//! A web application signs a user in with three calls: [`OktaClient::authorize`] when the user
//! clicks "sign in", [`OktaClient::handle_callback`] and [`OktaClient::exchange_code`] (or both
//! at once, [`OktaClient::finish_login`]) when Okta redirects back. This crate wraps the
//! `openidconnect` crate's discovery, authorization-request and token APIs, and fills in what
//! that crate leaves to the application:
//!
//! - **Discovery you can trust**: the metadata's `issuer` must equal the configured one byte for
//!   byte, and every endpoint must be `https` on the issuer's host; until then no authorization
//!   URL exists ([`discover`], [`DiscoveryError`]).
//! - **State, nonce and PKCE**: fresh 256-bit values per login, PKCE S256 always; the callback's
//!   `state` is compared in constant time before anything else, and the RFC 9207 `iss` parameter
//!   is checked ([`CallbackError`]).
//! - **Stateless replicas**: a [`PendingLogin`] can be [sealed](PendingLogin::seal) (AES-256-GCM,
//!   key from the `cookie_secret` setting) into a cookie, so any replica finishes the login.
//! - **ID tokens checked like access tokens**: through `okta-verify`'s live key cache (which
//!   follows key rotation) with leeway, an `iat` bound, `nonce`, `at_hash`, `azp` and `max_age`.
//!   If the ID token fails, every token of the response is dropped.
//! - **Errors that say who failed**: the server said no ([`TokenError::Rejected`]), the transport
//!   failed ([`TokenError::Transport`]), or the answer is unusable; a code exchange is never
//!   retried. Secrets, codes, verifiers and tokens never reach logs, `Debug` or errors.
//! - **A hardened transport**: every call goes through `okta-verify`'s HTTP client: no redirects
//!   followed, response size cap, timeouts, `https` except for loopback, a `tracing` span per
//!   request with Okta's rate-limit headers.
//!
//! # A complete login
//!
//! This example runs as written: it starts the local Okta-compatible server from
//! `okta-devserver`, signs its demo user in headlessly (Okta's `/api/v1/authn` and
//! `sessionToken`, as a browser would after the sign-in page), and finishes the login. A web
//! application does the same with the browser in the middle; see `docs/guides/web-app.md`.
//!
//! ```
//! use okta_config::{Role, SettingsLoader};
//! use okta_flow::{AuthorizeOptions, OktaClient, PendingLogin};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = okta_devserver::DevServer::builder().start().await?;
//! # let issuer = server.issuer("default");
//! // At start-up: settings (okta.toml, OKTA_* ...) and discovery.
//! let settings = SettingsLoader::isolated() // a service would use SettingsLoader::new()
//!     .set("issuer", issuer.as_str())
//!     .set("client_id", okta_devserver::DEMO_CLIENT_ID)
//!     .set("client_secret", okta_devserver::DEMO_CLIENT_SECRET)
//!     .set("redirect_uri", okta_devserver::DEMO_REDIRECT_URI)
//!     .role(Role::Client)
//!     .load()?;
//! let client = OktaClient::discover(&settings).await?;
//!
//! // GET /login: redirect the browser to `url`, keep `pending` (here: sealed in a cookie).
//! # let session_token = sign_in(&server).await?;
//! let (url, pending) = client.authorize(&AuthorizeOptions::new())?;
//! # let url = format!("{url}&sessionToken={session_token}");
//! let cookie = pending.seal(client.sealing_key())?;
//!
//! // ... the user signs in at Okta, which redirects to the callback with `code` and `state` ...
//! # let query = callback_query(&url).await?;
//!
//! // GET /authorization-code/callback?code=...&state=...
//! let pending = PendingLogin::unseal(client.sealing_key(), &cookie, client.clock().now(), client.leeway())?;
//! let tokens = client.finish_login(&query, &pending).await?;
//! let claims = tokens.id_token_claims().expect("a code exchange always verifies an ID token");
//! // Okta's code-flow ID tokens are thin (name, preferred_username, email): the rest of the
//! // profile comes from /userinfo.
//! assert_eq!(claims.email(), Some(okta_devserver::DEMO_USERNAME));
//! let user = client.userinfo(tokens.access_token(), &claims.sub).await?;
//! assert_eq!(user.email(), Some(okta_devserver::DEMO_USERNAME));
//! # Ok(())
//! # }
//! # async fn sign_in(server: &okta_devserver::DevServer) -> Result<String, Box<dyn std::error::Error>> {
//! #     okta_http::install_default_crypto_provider(); // reqwest brings no provider (no `ring`)
//! #     let body = serde_json::json!({"username": okta_devserver::DEMO_USERNAME, "password": okta_devserver::DEMO_PASSWORD});
//! #     let response: serde_json::Value = reqwest::Client::new()
//! #         .post(format!("{}/api/v1/authn", server.base_url())).json(&body).send().await?.json().await?;
//! #     Ok(response["sessionToken"].as_str().unwrap_or_default().to_owned())
//! # }
//! # async fn callback_query(url: &str) -> Result<String, Box<dyn std::error::Error>> {
//! #     okta_http::install_default_crypto_provider();
//! #     let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
//! #     let response = browser.get(url).send().await?;
//! #     let location = response.headers()["location"].to_str()?;
//! #     Ok(location.split_once('?').map(|(_, query)| query.to_owned()).unwrap_or_default())
//! # }
//! ```
//!
//! # Ready-made routes for axum
//!
//! With the `axum` feature, `okta_flow::axum` gives an axum service the login, callback and
//! logout routes, server-side sessions (`tower-sessions`; Redis with the `redis` feature) and an
//! `AuthenticatedUser` extractor, in a few lines. `examples/webapp.rs` is a complete application:
//! `cargo run -p okta-flow --example webapp --features axum`.
//!
//! # A loopback listener for command-line tools
//!
//! With the `loopback` feature, `okta_flow::loopback::LoopbackListener` receives the redirect on
//! `127.0.0.1` for a command-line tool or native application (RFC 8252 §7.3) and answers the
//! browser with a page saying whether the sign-in worked; `okta login` is built on it.
//!
//! # Devices without a browser, and a preflight
//!
//! [`OktaClient::start_device_authorization`] and [`OktaClient::poll_device_authorization`] run
//! the device authorization grant (RFC 8628) for SSH sessions and devices without a browser:
//! show the user code and verification URI, then poll with your runtime's sleep function until
//! the user approves ([`DeviceError`] says why not). [`OktaClient::preflight`] asks `/authorize`
//! whether it accepts the client and redirect URI before a browser is sent there
//! ([`PreflightError::likely_causes`]); `okta login` and the doctor run it.
//!
//! # Choices documented elsewhere
//!
//! `docs/architecture.md` explains why ID tokens are verified by `okta-verify` rather than by
//! `openidconnect`'s verifier (a key set frozen at discovery, no leeway, a slower RSA backend),
//! and why discovery fetches the metadata itself (so that `/keys` is fetched once, by the key
//! cache).

mod authorize;
#[cfg(feature = "axum")]
pub mod axum;
mod callback;
mod client;
#[cfg(test)]
mod error_chains;
#[cfg(any(feature = "axum", feature = "loopback"))]
mod html;
mod http;
#[cfg(feature = "loopback")]
pub mod loopback;
mod metadata;
mod pending;
mod percent;
mod session_keys;
#[cfg(test)]
mod test_support;
mod text;
mod token;
mod userinfo;

/// The upstream crates whose types appear in okta-flow's API, at the versions okta-flow is built
/// with, so a service names them through okta-flow instead of pinning the same versions itself.
///
/// This module follows its crates' major versions: when okta-flow moves to a new major version
/// of one of them, this module changes with it (in a minor 0.x release, listed in
/// `CHANGELOG.md`). Everything outside it is okta-flow's own, so such a move breaks nothing
/// else. `openidconnect`, which the flow is built on, is not here: none of its types is in
/// okta-flow's API (tokens, codes and user info are okta-flow's own types).
///
/// - `tower_sessions` (0.14, feature `axum`): the session stores that `axum::OktaAuth::layer`
///   takes (the `SessionStore` trait for your own; `axum::MemoryStore` is the bounded one).
/// - `fred` (10, feature `redis`) and `RedisStore` (tower-sessions-redis-store 0.16): the Redis
///   client, and the upstream store (`axum::RedisSessionStore` is the one to use: it never
///   writes back a session that ended).
pub mod upstream {
    #[cfg(feature = "axum")]
    pub use tower_sessions;
    #[cfg(feature = "redis")]
    pub use tower_sessions_redis_store::{RedisStore, fred};
}

/// Entry points for the fuzz targets in `fuzz/` (outside the workspace). Not a stable API.
#[doc(hidden)]
pub mod internal {
    use std::time::{Duration, UNIX_EPOCH};

    use okta_config::Issuer;

    use crate::{CallbackError, PendingLogin};

    /// The issuer the fuzz targets use.
    pub const ISSUER: &str = "https://dev-1.okta.com/oauth2/default";

    /// Checks a discovery document as `discover` does, from the bytes of a 200 JSON answer.
    pub fn check_metadata(body: &[u8]) -> bool {
        let Ok(issuer) = Issuer::parse(ISSUER) else { return false };
        let Ok(response) = http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(body.to_vec())
        else {
            return false;
        };
        crate::metadata::check(&issuer, &response).is_ok()
    }

    /// Parses a token response as the code exchange does (before the ID token is verified).
    pub fn parse_token_response(body: &[u8]) -> bool {
        serde_path_to_error::deserialize::<_, crate::token::OktaTokenResponse>(
            &mut serde_json::Deserializer::from_slice(body),
        )
        .is_ok()
    }

    /// A pending login started at the epoch + 1000 s, for the callback target.
    pub fn pending_login() -> PendingLogin {
        PendingLogin::start(
            "https://app.example.com/cb",
            UNIX_EPOCH + Duration::from_secs(1000),
            None,
        )
        .0
    }

    /// Checks a callback query against `pending`.
    pub fn check_callback(query: &str, pending: &PendingLogin) -> Result<(), CallbackError> {
        crate::callback::check(query, pending, ISSUER, false).map(|_| ())
    }
}

// The public interface.
pub use crate::authorize::{AuthorizeError, AuthorizeOptions, Prompt};
pub use crate::callback::{
    AuthorizationErrorCode, CallbackError, MAX_CODE_LEN, MAX_DESCRIPTION_LEN, MAX_QUERY_LEN,
};
pub use crate::client::device::{DeviceAuthorization, DeviceError};
pub use crate::client::preflight::PreflightError;
pub use crate::client::{
    LoginError, LogoutError, OktaClient, OktaClientBuilder, Revocable, RevokeError, SetupError,
};
pub use crate::metadata::{DiscoveryError, Metadata, discover};
pub use crate::pending::{
    MAX_RETURN_TO_LEN, MAX_SEALED_LEN, PENDING_LOGIN_LIFETIME, PendingLogin, SealError, SealingKey,
    UnsealError,
};
pub use crate::session_keys::SessionKeys;
pub use crate::token::{
    AccessToken, AuthorizationCode, IdToken, RefreshToken, TokenError, TokenErrorCode, TokenSet,
};
pub use crate::userinfo::{UserInfo, UserInfoError};
