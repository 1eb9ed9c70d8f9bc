//! Typed Okta claims, and the remaining claims as a JSON map for what each team adds.

use serde::Serialize;
use serde_json::{Map, Value};

/// The claims of a verified Okta access token (custom authorization server).
///
/// Claims okta-verify does not type are in [`OktaAccessTokenClaims::extra`]: `groups` and the
/// custom claims a team configures in Okta.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OktaAccessTokenClaims {
    /// `iss`: the issuer, equal to the configured one.
    pub iss: String,
    /// `sub`: the subject (the user's login, or the client id for client credentials).
    pub sub: String,
    /// `aud`: the audiences (at least one is accepted by the verifier).
    pub aud: Vec<String>,
    /// `exp`: expiry, seconds since the epoch (a fraction is rounded down).
    pub exp: i64,
    /// `iat`: issue time, seconds since the epoch (a fraction is rounded up).
    pub iat: i64,
    /// `nbf`: not-before, seconds since the epoch, when present.
    pub nbf: Option<i64>,
    /// `cid`: the client the token was issued to.
    pub cid: Option<String>,
    /// `uid`: the Okta user id, when a user is bound.
    pub uid: Option<String>,
    /// `scp`: the granted scopes.
    pub scp: Vec<String>,
    /// `jti`: the token id.
    pub jti: Option<String>,
    /// `auth_time`: when the user authenticated, seconds since the epoch.
    pub auth_time: Option<i64>,
    /// `ver`: Okta's token format version.
    pub ver: Option<i64>,
    /// Every other claim, as JSON.
    pub extra: Map<String, Value>,
}

impl OktaAccessTokenClaims {
    /// Whether `scp` grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scp.iter().any(|granted| granted == scope)
    }

    /// The string values of an array claim among [`OktaAccessTokenClaims::extra`], such as
    /// `groups`; `None` when absent or not an array of strings.
    pub fn string_list(&self, claim: &str) -> Option<Vec<&str>> {
        string_list(&self.extra, claim)
    }
}

/// The claims of a verified Okta ID token.
///
/// Profile claims (`name`, `email`, ...) have accessors that read [`OktaIdTokenClaims::extra`].
/// `Debug` redacts `nonce`, which binds the token to one browser session.
#[derive(Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OktaIdTokenClaims {
    /// `iss`: the issuer, equal to the configured one.
    pub iss: String,
    /// `sub`: the subject, Okta's user id.
    pub sub: String,
    /// `aud`: the audiences; the client id is one of them.
    pub aud: Vec<String>,
    /// `exp`: expiry, seconds since the epoch.
    pub exp: i64,
    /// `iat`: issue time, seconds since the epoch.
    pub iat: i64,
    /// `auth_time`: when the user authenticated, seconds since the epoch.
    pub auth_time: Option<i64>,
    /// `azp`: the authorized party, when present.
    pub azp: Option<String>,
    /// `nonce`: the value sent to `/authorize`, when present.
    pub nonce: Option<String>,
    /// `at_hash`: the hash of the access token issued with it, when present.
    pub at_hash: Option<String>,
    /// `amr`: the authentication methods used.
    pub amr: Vec<String>,
    /// `idp`: the identity provider (Okta's org id for Okta users).
    pub idp: Option<String>,
    /// `acr`: the authentication context class.
    pub acr: Option<String>,
    /// `jti`: the token id.
    pub jti: Option<String>,
    /// `ver`: Okta's token format version.
    pub ver: Option<i64>,
    /// Every other claim, as JSON (profile claims, `groups`, custom claims).
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for OktaIdTokenClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaIdTokenClaims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("auth_time", &self.auth_time)
            .field("azp", &self.azp)
            .field("nonce", &self.nonce.as_ref().map(|_| "[redacted]"))
            .field("at_hash", &self.at_hash)
            .field("amr", &self.amr)
            .field("idp", &self.idp)
            .field("acr", &self.acr)
            .field("jti", &self.jti)
            .field("ver", &self.ver)
            .field("extra", &self.extra)
            .finish()
    }
}

impl OktaIdTokenClaims {
    /// `name`, with the `profile` scope.
    pub fn name(&self) -> Option<&str> {
        self.extra.get("name").and_then(Value::as_str)
    }

    /// `preferred_username` (the Okta login), with the `profile` scope.
    pub fn preferred_username(&self) -> Option<&str> {
        self.extra.get("preferred_username").and_then(Value::as_str)
    }

    /// `email`, with the `email` scope.
    pub fn email(&self) -> Option<&str> {
        self.extra.get("email").and_then(Value::as_str)
    }

    /// `email_verified`, with the `email` scope.
    pub fn email_verified(&self) -> Option<bool> {
        self.extra.get("email_verified").and_then(Value::as_bool)
    }

    /// The string values of an array claim among [`OktaIdTokenClaims::extra`], such as `groups`.
    pub fn string_list(&self, claim: &str) -> Option<Vec<&str>> {
        string_list(&self.extra, claim)
    }
}

fn string_list<'a>(extra: &'a Map<String, Value>, claim: &str) -> Option<Vec<&'a str>> {
    extra.get(claim)?.as_array()?.iter().map(Value::as_str).collect()
}
