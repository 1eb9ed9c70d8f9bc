//! The errors of okta-verify: why a token was refused, why a verifier could not be built, and
//! why a key set could not be fetched.

use std::borrow::Cow;
use std::fmt;

use okta_http::{TransportError, check_url, redacted_url};
use url::Url;

/// Why a token was refused.
///
/// Each check has its own variant, and [`VerifyError::kind`] names it with a stable `snake_case`
/// string that scripts and dashboards can rely on (the `okta verify` command prints it).
/// The `Display` text never contains the token or a secret; values copied from an untrusted token
/// (an issuer, a `kid`, an algorithm name) are escaped and truncated.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The text is not a well-formed compact JWS whose header and payload are JSON objects
    /// (wrong number of segments, bad base64url, bad JSON, duplicate members, ...).
    #[error("malformed token: {reason}")]
    Malformed {
        /// What was wrong, in a few words.
        reason: &'static str,
    },
    /// The token is longer than the configured cap; it was refused before any decoding.
    #[error("token too large: {len} bytes, at most {max} accepted")]
    TokenTooLarge {
        /// The length of the token in bytes.
        len: usize,
        /// The configured cap.
        max: usize,
    },
    /// The token is an encrypted JWT (JWE, five segments or an `enc` header); only signed tokens
    /// are accepted.
    #[error("encrypted tokens (JWE) are not supported")]
    JweUnsupported,
    /// The token's header says it wraps another JWT (`cty: JWT`); nested tokens are refused.
    #[error("nested tokens (cty: JWT) are not supported")]
    NestedJwtUnsupported,
    /// The header carries a parameter that changes how the token must be processed (`crit`, `b64`,
    /// `zip`, `cty`); such tokens are refused rather than half-understood.
    #[error("unsupported header parameter `{name}`")]
    UnsupportedHeader {
        /// The header parameter.
        name: &'static str,
    },
    /// The header's `alg` is not in the verifier's allow-list (`none` and HMAC never are).
    #[error("algorithm {alg} is not allowed")]
    AlgorithmNotAllowed {
        /// The algorithm the token names (escaped, truncated).
        alg: String,
    },
    /// No key in the key set matches the token's `kid` (after at most one rate-limited refetch).
    #[error("no key found for kid {}", display_kid(kid.as_deref()))]
    KeyNotFound {
        /// The token's key id (escaped, truncated), if it had one.
        kid: Option<String>,
    },
    /// Several keys could verify the token: it has no `kid` and the set holds more than one key,
    /// or two different keys share its `kid`.
    #[error("ambiguous key: the key set has several candidate keys for kid {}", display_kid(kid.as_deref()))]
    AmbiguousKey {
        /// The token's key id (escaped, truncated), if it had one.
        kid: Option<String>,
    },
    /// The key named by the token exists but cannot verify it (wrong type or algorithm, `use: enc`,
    /// RSA shorter than 2048 bits, an unsafe exponent, ...).
    #[error("key {} is unusable: {reason}", display_kid(kid.as_deref()))]
    KeyUnusable {
        /// The token's key id (escaped, truncated), if it had one.
        kid: Option<String>,
        /// Why the key cannot be used.
        reason: &'static str,
    },
    /// The signature does not verify with the selected key.
    #[error("invalid signature")]
    InvalidSignature,
    /// The key set could not be fetched and no keys are known.
    #[error("signing keys unavailable")]
    JwksUnavailable {
        /// What went wrong while fetching them.
        #[source]
        source: JwksError,
    },
    /// `exp` has passed (beyond the leeway).
    #[error("token expired at {exp} (now {now}, leeway {leeway} s)")]
    Expired {
        /// The token's `exp`, seconds since the epoch.
        exp: i64,
        /// The verifier's current time, seconds since the epoch.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `nbf` is still in the future (beyond the leeway).
    #[error("token not valid before {nbf} (now {now}, leeway {leeway} s)")]
    NotYetValid {
        /// The token's `nbf`, seconds since the epoch.
        nbf: i64,
        /// The verifier's current time, seconds since the epoch.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future at {iat} (now {now}, leeway {leeway} s)")]
    IssuedInFuture {
        /// The token's `iat`, seconds since the epoch.
        iat: i64,
        /// The verifier's current time, seconds since the epoch.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// The token, or the authentication it records, is older than the configured maximum age, or
    /// its lifetime (`exp - iat`) is longer than that maximum.
    #[error("{} (more than {max_age} s; now {now})", too_old(claim))]
    TooOld {
        /// The claim that was checked (`iat`, `exp` or `auth_time`).
        claim: &'static str,
        /// The maximum in seconds.
        max_age: u64,
        /// The verifier's current time, seconds since the epoch.
        now: i64,
    },
    /// `iss` is not exactly the configured issuer.
    #[error("wrong issuer {found}, expected {expected}")]
    WrongIssuer {
        /// The configured issuer.
        expected: String,
        /// The token's issuer (escaped, truncated).
        found: String,
    },
    /// No value of `aud` is an accepted audience, or (ID tokens) one is not trusted.
    #[error("audience mismatch: the token is not meant for this service")]
    AudienceMismatch,
    /// (ID tokens) `azp` is missing although `aud` has several values, or differs from the
    /// client id.
    #[error("azp mismatch: the authorized party is not this client")]
    AzpMismatch,
    /// (Access tokens) `cid` is not one of the accepted client ids.
    #[error("client id {found} is not allowed")]
    ClientIdNotAllowed {
        /// The token's `cid` (escaped, truncated).
        found: String,
    },
    /// A required scope is missing from `scp` (access tokens) or `scope` (introspection).
    #[error("insufficient scope: missing {}", missing.join(" "))]
    InsufficientScope {
        /// The required scopes the token does not grant.
        missing: Vec<String>,
    },
    /// A claim the check needs is absent.
    #[error("missing claim `{claim}`")]
    MissingClaim {
        /// The claim's name.
        claim: &'static str,
    },
    /// A claim has the wrong JSON type (a string `exp`, a string `scp`, a numeric `sub`, ...) or
    /// an impossible value; it is never treated as absent.
    #[error("claim `{claim}` has an invalid type or value")]
    InvalidClaimType {
        /// The claim's name.
        claim: &'static str,
    },
    /// The token is of another kind than expected: for example an ID token presented as an access
    /// token, or a `typ` that names another kind of JWT.
    #[error("wrong token kind: expected {expected}, {reason}")]
    WrongTokenKind {
        /// The kind the verifier expects.
        expected: TokenKind,
        /// What gave the token away.
        reason: &'static str,
    },
    /// (ID tokens) `nonce` differs from the one sent (compared in constant time).
    #[error("nonce mismatch")]
    NonceMismatch,
    /// (ID tokens) `at_hash` does not match the access token issued with it.
    #[error("at_hash does not match the access token")]
    AtHashMismatch,
    /// (ID tokens) `sub` differs from the subject of an earlier ID token of the same session.
    #[error("subject mismatch")]
    SubjectMismatch,
    /// The token comes from Okta's org authorization server, whose access tokens are meant for Okta
    /// only and whose signing keys are not published: validate it with
    /// [`IntrospectionVerifier`](crate::IntrospectionVerifier) instead.
    #[error(
        "org authorization server access tokens cannot be validated locally; use introspection (IntrospectionVerifier)"
    )]
    OrgServerToken,
    /// A rule plugged in by the service refused the token.
    #[error("rule refused the token: {reason}")]
    RuleViolation {
        /// The rule's explanation.
        reason: Cow<'static, str>,
    },
    /// The introspection endpoint says the token is not active.
    #[error("token is not active (introspection)")]
    IntrospectionInactive,
    /// As many introspection calls as allowed
    /// ([`IntrospectionOptions::max_concurrent_calls`](crate::IntrospectionOptions::max_concurrent_calls))
    /// are in flight: refused at once rather than queued. A resource server answers 503 with
    /// `Retry-After` ([`VerifyError::retry_after`]).
    #[error("introspection busy: {limit} calls already in flight")]
    IntrospectionBusy {
        /// The configured cap.
        limit: usize,
    },
    /// Introspection did not give a trustworthy answer (transport error, non-200 status, invalid
    /// JSON, `active` missing or not a boolean); the verifier fails closed.
    #[error("introspection failed: {reason}")]
    IntrospectionFailed {
        /// What went wrong.
        reason: Cow<'static, str>,
        /// The transport error, if the request itself failed.
        #[source]
        source: Option<TransportError>,
    },
}

impl VerifyError {
    /// A stable `snake_case` name for the failed check, for logs, metrics and scripts.
    ///
    /// The names never change once released; new checks get new names.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::TokenTooLarge { .. } => "token_too_large",
            Self::JweUnsupported => "jwe_unsupported",
            Self::NestedJwtUnsupported => "nested_jwt_unsupported",
            Self::UnsupportedHeader { .. } => "unsupported_header",
            Self::AlgorithmNotAllowed { .. } => "algorithm_not_allowed",
            Self::KeyNotFound { .. } => "key_not_found",
            Self::AmbiguousKey { .. } => "ambiguous_key",
            Self::KeyUnusable { .. } => "key_unusable",
            Self::InvalidSignature => "invalid_signature",
            Self::JwksUnavailable { .. } => "jwks_unavailable",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::IssuedInFuture { .. } => "issued_in_future",
            Self::TooOld { .. } => "too_old",
            Self::WrongIssuer { .. } => "wrong_issuer",
            Self::AudienceMismatch => "audience_mismatch",
            Self::AzpMismatch => "azp_mismatch",
            Self::ClientIdNotAllowed { .. } => "client_id_not_allowed",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::MissingClaim { .. } => "missing_claim",
            Self::InvalidClaimType { .. } => "invalid_claim_type",
            Self::WrongTokenKind { .. } => "wrong_token_kind",
            Self::NonceMismatch => "nonce_mismatch",
            Self::AtHashMismatch => "at_hash_mismatch",
            Self::SubjectMismatch => "subject_mismatch",
            Self::OrgServerToken => "org_server_token",
            Self::RuleViolation { .. } => "rule_violation",
            Self::IntrospectionBusy { .. } => "introspection_busy",
            Self::IntrospectionInactive => "introspection_inactive",
            Self::IntrospectionFailed { .. } => "introspection_failed",
        }
    }

    /// Whether the failure lies with our side or Okta's availability rather than with the token
    /// (keys or introspection unreachable): a resource server answers 503, not 401.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::JwksUnavailable { .. }
                | Self::IntrospectionBusy { .. }
                | Self::IntrospectionFailed { source: Some(_), .. }
        )
    }

    /// When the refusal is momentary (too many introspection calls in flight), how long a client
    /// should wait before it retries: the `Retry-After` of the 503.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::IntrospectionBusy { .. } => Some(std::time::Duration::from_secs(1)),
            _ => None,
        }
    }

    /// Whether the token is genuine and current but does not grant what is asked (missing scope,
    /// or a service rule said no): a resource server answers 403, not 401.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::InsufficientScope { .. } | Self::RuleViolation { .. })
    }

    pub(crate) fn malformed(reason: &'static str) -> Self {
        Self::Malformed { reason }
    }
}

/// The two kinds of tokens okta-verify validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// An OAuth 2.0 access token (a JWT from a custom authorization server).
    Access,
    /// An OpenID Connect ID token.
    Id,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Access => "an access token",
            Self::Id => "an ID token",
        })
    }
}

/// Why a verifier or key cache could not be built from the options given.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No audience was given; a verifier must know which audience it accepts.
    #[error("at least one audience is required")]
    NoAudience,
    /// No accepted client was chosen: `client_ids` is empty and `any_client` is not set.
    #[error(
        "no accepted client: list the client ids in `client_ids`, or set `any_client` to accept \
         every client of the issuer"
    )]
    NoClientChoice,
    /// The algorithm allow-list is empty.
    #[error("at least one algorithm must be allowed")]
    NoAlgorithm,
    /// The leeway is larger than the 300 seconds allowed.
    #[error("leeway of {seconds} s is larger than the 300 s allowed")]
    LeewayTooLarge {
        /// The leeway asked for, in seconds.
        seconds: u64,
    },
    /// A duration or size option is out of its allowed range.
    #[error("option `{name}` is out of range: {reason}")]
    OutOfRange {
        /// The option.
        name: &'static str,
        /// Its allowed range.
        reason: &'static str,
    },
    /// A URL is not `https` (plain `http` is allowed only for loopback hosts).
    #[error("insecure URL {url}: https is required except for loopback hosts")]
    InsecureUrl {
        /// The URL without its query string.
        url: String,
    },
    /// The settings lack the client this verifier needs (`client_id`).
    #[error("missing client settings: {what}")]
    MissingClient {
        /// What is missing.
        what: &'static str,
    },
    /// The settings' client credentials are unusable (no `client_secret` for a method that
    /// needs one, for example), so introspection requests cannot be authenticated.
    #[error("cannot authenticate the client")]
    ClientCredentials(#[source] okta_http::ClientAuthError),
}

/// Like [`okta_http::check_url`] with loopback `http` allowed, as a configuration error.
pub(crate) fn check_config_url(url: &Url) -> Result<(), ConfigError> {
    check_url(url, true).map_err(|_| ConfigError::InsecureUrl { url: redacted_url(url) })
}

/// Says what a `TooOld` is about.
fn too_old(claim: &str) -> &'static str {
    match claim {
        "iat" => "token issued too long ago",
        "exp" => "token lifetime (exp - iat) too long",
        "auth_time" => "authentication too long ago (auth_time, max_age)",
        _ => "too old",
    }
}

/// Quotes a `kid` for an error message, or says there was none.
fn display_kid(kid: Option<&str>) -> String {
    kid.map_or_else(|| "(none)".to_owned(), |kid| format!("\"{kid}\""))
}

/// Why a key set could not be fetched or used.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The HTTP exchange failed (timeout, connect error, redirect, body too large, ...).
    #[error("fetching the key set failed")]
    Transport(#[source] TransportError),
    /// The server answered with a status other than 200.
    #[error("the key set endpoint answered status {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The document is not a JSON object without duplicate members.
    #[error("the key set is not a JSON object without duplicate members")]
    InvalidJson,
    /// The document has no `keys` array.
    #[error("the key set has no `keys` array")]
    NoKeysArray,
    /// The document lists more keys than allowed.
    #[error("the key set lists {found} keys, more than the {max} allowed")]
    TooManyKeys {
        /// The number of keys listed.
        found: usize,
        /// The cap.
        max: usize,
    },
    /// No fetch has succeeded yet and the last attempt was too recent to try again.
    #[error("no key set fetched yet; retrying after the cooldown")]
    CoolingDown,
}

/// Escapes and truncates a value copied from an untrusted token for messages and logs.
pub(crate) fn untrusted(value: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut out = String::with_capacity(value.len().min(MAX_CHARS + 8));
    for (count, character) in value.chars().enumerate() {
        if count == MAX_CHARS {
            out.push('…');
            break;
        }
        out.extend(character.escape_debug());
    }
    out
}

#[cfg(test)]
mod tests;
