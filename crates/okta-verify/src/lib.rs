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
//! - HTTP: keys and introspection are fetched through an [`okta_http::HttpClient`], the hardened
//!   transport of the `okta-http` crate (shared with okta-flow); tests pass closures.
//! - With the `axum` feature, `okta_verify::axum`: a tower layer and extractor (RFC 6750).
//! - The design, its security choices and the benchmarks: `docs/verify.md` and
//!   `docs/performance.md` in the repository.
//!
//! # Resource server
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use okta_config::{Audience, Issuer, Scope};
//! use okta_http::{HttpClientOptions, ReqwestHttpClient};
//! use okta_verify::{
//!     AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache, JwksCacheOptions, TokenCacheOptions,
//! };
//!
//! # async fn run(authorization_header_value: &str) -> Result<(), Box<dyn std::error::Error>> {
//! // okta-config's validated types: a wrong issuer or audience fails here, not at the first token.
//! let issuer = Issuer::parse("https://example.okta.com/oauth2/default")?;
//! let http = Arc::new(ReqwestHttpClient::new(HttpClientOptions::default())?);
//! // One key cache per issuer, shared by every verifier of the service.
//! let keys = JwksCache::for_issuer(&issuer, http, JwksCacheOptions::default(), Clock::system())?;
//! keys.refresh().await?; // optional: the first request would fetch the keys anyway
//!
//! let mut options = AccessTokenOptions::new(issuer, [Audience::parse("api://default")?]);
//! options.required_scopes = vec![Scope::parse("orders:read")?];
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
//! The same from `okta-config` settings (`okta.toml`, `OKTA_*` variables), the usual way:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use okta_config::{Role, Settings};
//! use okta_http::ReqwestHttpClient;
//! use okta_verify::{AccessTokenVerifier, IntrospectionVerifier, JwksCache};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::load(Role::ResourceServer)?;
//! let http = Arc::new(ReqwestHttpClient::from_settings(&settings)?);
//! if settings.issuer().is_org() {
//!     // Org authorization server tokens can only be checked by Okta.
//!     let verifier = IntrospectionVerifier::from_settings(&settings, http)?;
//! #   let _ = verifier;
//! } else {
//!     let keys = JwksCache::from_settings(&settings, http)?;
//!     let verifier = AccessTokenVerifier::from_settings(&settings, keys)?;
//! #   let _ = verifier;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A runnable version with keys and a token made on the spot:
//!
//! ```
//! # use okta_config::{Audience, Issuer};
//! # use okta_verify::{AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A fixed key set (for tests and air-gapped services) that does not hold the token's key.
//! let keys = JwksCache::from_json(br#"{"keys":[]}"#)?;
//! let issuer = Issuer::parse("https://example.okta.com/oauth2/default")?;
//! let mut options = AccessTokenOptions::new(issuer, [Audience::parse("api://default")?]);
//! // Which clients' tokens are accepted is a choice: a list in `client_ids`, or any client.
//! options.any_client = true;
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
mod audit;
#[cfg(feature = "axum")]
pub mod axum;
mod bearer;
mod claims;
mod clock;
mod core;
mod error;
mod id_token;
mod introspection;
mod json;
mod jwks;
mod jws;
mod keys;
mod settings;
mod telemetry;
mod token_cache;

// The public interface:
pub use crate::access::{
    AccessTokenOptions, AccessTokenRule, AccessTokenType, AccessTokenVerifier, RuleViolation,
    VerifiedAccessToken, require_group,
};
pub use crate::audit::{AuditEvent, AuditHook, AuditOutcome, DEFAULT_REFUSAL_LOG_LIMIT};
pub use crate::bearer::{BearerClaims, BearerVerifier, IssuerChain};
pub use crate::claims::{OktaAccessTokenClaims, OktaIdTokenClaims};
pub use crate::clock::Clock;
pub use crate::error::{ConfigError, JwksError, TokenKind, VerifyError};
pub use crate::id_token::{
    IdTokenChecks, IdTokenOptions, IdTokenVerifier, VerifiedIdToken, at_hash_of,
};
pub use crate::introspection::{
    IntrospectedToken, IntrospectionClaims, IntrospectionOptions, IntrospectionPurpose,
    IntrospectionVerifier,
};
pub use crate::jwks::{JwksCache, JwksCacheOptions};
pub use crate::jws::Algorithm;
pub use crate::telemetry::metric_names;
pub use crate::token_cache::TokenCacheOptions;

/// Entry points for fuzz targets and conformance vectors. Not a stable API: do not use.
#[doc(hidden)]
pub mod internal {
    use crate::jws::{self, Algorithm};
    use crate::{JwksCache, JwksError, VerifyError};

    /// Splits and checks a compact JWS up to the signature (every algorithm allowed).
    pub fn parse_compact(token: &str) -> Result<(), VerifyError> {
        jws::parse(token, &Algorithm::ALL, 16 * 1024, &mut jws::Buffers::new()).map(|_| ())
    }

    /// Parses a JWK Set and returns the number of usable keys.
    pub fn parse_jwks(json: &[u8]) -> Result<usize, JwksError> {
        crate::keys::KeySet::parse(json, 1000).map(|keys| keys.n_usable())
    }

    /// Parses a JWT payload with the strict claim reader.
    pub fn parse_claims(payload: &[u8]) -> Result<(), VerifyError> {
        crate::json::RawClaims::parse(payload).map(|_| ())
    }

    /// Verifies a compact JWS at the signature level only (no claims) and returns its payload.
    pub async fn verify_jws(
        token: &str,
        keys: &JwksCache,
        algorithms: &[Algorithm],
    ) -> Result<Vec<u8>, VerifyError> {
        let mut buffers = jws::Buffers::new();
        let jws = jws::parse(token, algorithms, 16 * 1024, &mut buffers)?;
        let verify = |after_fetch| {
            keys.verify_signature_now(
                jws.kid.as_deref(),
                jws.alg,
                jws.signing_input,
                jws.signature,
                0,
                after_fetch,
            )
        };
        match verify(false) {
            Ok(_) => Ok(jws.payload.into_owned()),
            Err(crate::jwks::Pending::Refused(err)) => Err(err),
            Err(crate::jwks::Pending::UnknownKid) => {
                keys.refetch_for_unknown_kid(0).await;
                match verify(true) {
                    Ok(_) => Ok(jws.payload.into_owned()),
                    Err(crate::jwks::Pending::Refused(err)) => Err(err),
                    Err(crate::jwks::Pending::UnknownKid) => {
                        Err(VerifyError::KeyNotFound { kid: None })
                    }
                }
            }
        }
    }
}
