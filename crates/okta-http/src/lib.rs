//! The one hardened HTTP transport of okta-oidc: every call to Okta goes through it.
//!
//! okta-verify (keys, introspection), okta-flow (discovery, tokens, userinfo, revocation) and
//! service-to-service code take an [`HttpClient`]: tests pass closures, production passes a
//! [`ReqwestHttpClient`].
//!
//! # Contents
//!
//! - [The transport](#the-transport): what the production client guarantees.
//! - [Proxies](#proxies): a setting, never an accident of the environment.
//! - [TLS](#tls): rustls on aws-lc-rs, the crypto backend of the whole workspace.
//! - [Testing](#testing): closures instead of servers.
//! - [Client authentication](ClientCredentials): authenticated requests to Okta's OAuth
//!   endpoints (`/token`, `/introspect`, `/revoke`), with the method of the settings.
//! - The URL rules every caller shares: [`check_url`], [`same_origin`], [`is_loopback`],
//!   [`redacted_url`].
//! - [`Clock`]: the injected clock of the whole workspace (okta-verify and okta-flow re-export
//!   it), which client assertions read their `iat` and `exp` from.
//!
//! # The transport
//!
//! [`ReqwestHttpClient`] follows no redirects (a 3xx is [`TransportError::Redirect`]), caps
//! response sizes while streaming, enforces a connect and a total timeout, refuses plain `http`
//! except to loopback hosts, does no automatic decompression, and records one `tracing` span
//! per request (`okta_http`: method, host, path, status, duration, and Okta's
//! `X-Rate-Limit-*` headers, with a warning when less than a tenth of the limit is left). Query
//! strings, header values and credentials never reach a span, a log line or an error.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use okta_config::{Role, Settings};
//! use okta_http::{HttpClient, ReqwestHttpClient};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::load(Role::ResourceServer)?;
//! // Timeouts, size cap and proxy from the `[http]` settings; share one client per service.
//! let http: Arc<dyn HttpClient> = Arc::new(ReqwestHttpClient::from_settings(&settings)?);
//! let request = http::Request::get(settings.issuer().discovery_url().as_str()).body(Vec::new())?;
//! let response = http.execute(request).await?;
//! println!("discovery answered {}", response.status());
//! # Ok(())
//! # }
//! ```
//!
//! # Proxies
//!
//! The client never reads `HTTPS_PROXY` and its siblings itself. The proxy is
//! [`HttpClientOptions::proxy`], which [`HttpClientOptions::from_settings`] takes from
//! `http.proxy`: `none` (the default), `environment` (okta-config reads the standard variables
//! when it loads the settings) or a proxy URL, with `http.no_proxy` for the hosts reached
//! directly. `docs/configuration.md` in the repository lists the rules.
//!
//! # TLS
//!
//! TLS is rustls with the aws-lc-rs provider (the library okta-verify already uses for
//! signatures) and the bundled Mozilla root certificates, so a service links one crypto library
//! and no `ring`. The client names its provider, so it works whatever rustls features the rest
//! of a program enables; [`install_default_crypto_provider`] helps the program's other rustls
//! users.
//!
//! # Testing
//!
//! Any closure returning a future of `Result<http::Response<Vec<u8>>, TransportError>` is an
//! [`HttpClient`]:
//!
//! ```
//! use okta_http::{HttpClient, TransportError};
//!
//! let canned = |request: http::Request<Vec<u8>>| async move {
//!     assert_eq!(request.uri().path(), "/oauth2/default/v1/keys");
//!     Ok::<_, TransportError>(http::Response::new(br#"{"keys":[]}"#.to_vec()))
//! };
//! let request = http::Request::get("https://example.okta.com/oauth2/default/v1/keys")
//!     .body(Vec::new())
//!     .unwrap();
//! let response = block_on(canned.execute(request)).unwrap();
//! assert_eq!(response.body(), br#"{"keys":[]}"#);
//! # fn block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     let mut future = std::pin::pin!(future);
//! #     let mut context = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop {
//! #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
//! #             return output;
//! #         }
//! #     }
//! # }
//! ```
//!
//! # Upstream types
//!
//! No `reqwest`, `rustls` or `hyper` type appears in this crate's API: the transport's own
//! errors are reachable only as opaque [`source`](std::error::Error::source)s, so the HTTP
//! stack can change without breaking callers. The request and response types are `http` 1's,
//! the vocabulary crate of the Rust HTTP ecosystem; the proxy types are okta-config's.

mod client;
mod client_auth;
mod clock;
mod error;
#[cfg(test)]
mod error_chains;
mod proxy;
mod rate_limit;
mod settings;
mod tls;
mod transport;
mod urls;

// The public interface:
pub use crate::client::{BoxFuture, HttpClient};
pub use crate::client_auth::{ASSERTION_LIFETIME, ClientAuthError, ClientCredentials};
pub use crate::clock::Clock;
pub use crate::error::{BuildError, TransportError};
pub use crate::tls::install_default_crypto_provider;
pub use crate::transport::{HttpClientOptions, ReqwestHttpClient};
pub use crate::urls::{check_url, is_loopback, redacted_url, same_origin};
