//! Okta access- and ID-token validation at the speed of the signature check.
//!
//! Every request to a resource server carries an access token; this crate decides, with a
//! precise reason, whether to accept it. It validates Okta access tokens from custom
//! authorization servers locally ([`AccessTokenVerifier`]), ID tokens for the sign-in flow
//! ([`IdTokenVerifier`]), and any token through Okta's introspection endpoint
//! ([`IntrospectionVerifier`]), which is the only way for org-authorization-server tokens.
//!
//! # Contents
//!
//! - [Resource server](#resource-server): verify bearer tokens with a shared key cache.
//! - [What is checked](#what-is-checked), and the [errors](VerifyError) (each with a stable
//!   [`kind`](VerifyError::kind)).
//! - [Keys](JwksCache): a lock-free key cache with single-flight refetch and background refresh.
//! - [HTTP](http): the hardened transport, reused by okta-flow.
//! - With the `axum` feature, `okta_verify::axum`: a tower layer and extractor (RFC 6750).
//! - The design, its security choices and the benchmarks: `docs/verify.md` and
//!   `docs/performance.md` in the repository.
//!
//! # Resource server
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use okta_verify::http::{HttpClientOptions, ReqwestHttpClient};
//! use okta_verify::{
//!     AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache, JwksCacheOptions, TokenCacheOptions,
//! };
//!
//! # async fn run(authorization_header_value: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = "https://example.okta.com/oauth2/default";
//! let http = Arc::new(ReqwestHttpClient::new(HttpClientOptions::default())?);
//! // One key cache per issuer, shared by every verifier of the service.
//! let keys = JwksCache::remote(
//!     format!("{issuer}/v1/keys").parse()?,
//!     http,
//!     JwksCacheOptions::default(),
//!     Clock::system(),
//! )?;
//! keys.refresh().await?; // optional: the first request would fetch the keys anyway
//!
//! let mut options = AccessTokenOptions::new(issuer, ["api://default"]);
//! options.required_scopes = vec!["orders:read".to_owned()];
//! options.token_cache = Some(TokenCacheOptions::default());
//! let verifier = AccessTokenVerifier::new(options, keys)?;
//!
//! let token = authorization_header_value.strip_prefix("Bearer ").unwrap_or_default();
//! match verifier.verify(token).await {
//!     Ok(verified) => println!("hello {}", verified.claims().sub),
//!     Err(err) if err.is_forbidden() => println!("403: {}", err.kind()),
//!     Err(err) => println!("401: {}", err.kind()),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A runnable version with keys and a token made on the spot:
//!
//! ```
//! # use okta_verify::{AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A fixed key set (for tests and air-gapped services) that does not hold the token's key.
//! let keys = JwksCache::from_json(br#"{"keys":[]}"#)?;
//! let mut options = AccessTokenOptions::new("https://example.okta.com/oauth2/default", ["api://default"]);
//! options.clock = Clock::fixed_unix(1_700_000_000);
//! let verifier = AccessTokenVerifier::new(options, keys)?;
//! // {"alg":"RS256","kid":"k1"}.{"sub":"a"}.signature
//! let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
//! let err = block_on(verifier.verify(token)).unwrap_err();
//! assert_eq!(err.kind(), "key_not_found");
//! # Ok(())
//! # }
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
//! # What is checked
//!
//! For access tokens, in order: the length cap (before any decoding); exactly three unpadded
//! base64url segments (five is a JWE, refused); a JSON-object header without duplicate members;
//! `alg` against the allow-list (RS256 by default; `none` and HMAC never); `crit`, `b64`, `zip`
//! and `cty` refused (`jwk`, `jku`, `x5u`, `x5c` ignored); `typ`; the key (`kid` required when
//! the set holds several keys) and the signature; only then the claims: not an ID token, `iss`
//! exactly, `aud`, `exp`/`nbf`/`iat` as JSON numbers with leeway and a maximum age, `cid`,
//! `scp`, and the service's [rules](AccessTokenRule).

mod access;
#[cfg(feature = "axum")]
pub mod axum;
mod claims;
mod clock;
mod core;
mod error;
pub mod http;
mod id_token;
mod introspection;
mod json;
mod jwks;
mod jws;
mod keys;
mod token_cache;

// The public interface:
pub use crate::access::{
    AccessTokenOptions, AccessTokenRule, AccessTokenType, AccessTokenVerifier, RuleViolation,
    VerifiedAccessToken, require_group,
};
pub use crate::claims::{OktaAccessTokenClaims, OktaIdTokenClaims};
pub use crate::clock::Clock;
pub use crate::error::{ConfigError, TokenKind, VerifyError};
pub use crate::id_token::{IdTokenChecks, IdTokenOptions, IdTokenVerifier, VerifiedIdToken, at_hash_of};
pub use crate::introspection::{
    ClientAuthentication, ClientCredentials, IntrospectedToken, IntrospectionClaims,
    IntrospectionOptions, IntrospectionVerifier,
};
pub use crate::jwks::{JwksCache, JwksCacheOptions, JwksError};
pub use crate::jws::Algorithm;
pub use crate::token_cache::TokenCacheOptions;
