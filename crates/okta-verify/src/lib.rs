//! Okta access- and ID-token validation.
//!
//! This crate is not built yet (issue #4). It will validate Okta access tokens and ID tokens
//! locally (algorithm allow-list, signature, `iss`, `aud`, `exp`, `cid`, `scp`, ...) with a JWKS
//! cache, validate org-server tokens through introspection, and offer a tower/axum layer for
//! resource servers.
