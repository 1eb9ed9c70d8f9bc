//! The OpenID Connect Authorization Code flow against Okta.
//!
//! This crate is not built yet (issue #5). It will wrap the `openidconnect` crate's discovery,
//! authorization-request and token APIs and fill in what that crate leaves to the application:
//! a constant-time `state` check, PKCE, sealed pending logins, ID-token verification through
//! `okta-verify`'s key cache, refresh, revocation, introspection, userinfo and logout.
