//! The steps access- and ID-token verification share: parse, pick the key, check the signature,
//! read the claims, and the time rules.

use std::time::Duration;

use okta_config::Issuer;

use crate::error::{ConfigError, VerifyError, untrusted};
use crate::json::{Claim, RawClaims};
use crate::jwks::{JwksCache, Pending};
use crate::jws::{self, Algorithm};

/// The most leeway a verifier accepts (SC-070).
pub(crate) const MAX_LEEWAY: Duration = Duration::from_mins(5);

/// A token whose signature verified, with its claims read but not yet checked.
pub(crate) struct SignedToken {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) claims: RawClaims,
    /// The generation of the key set whose key verified the signature.
    pub(crate) generation: u64,
}

/// What is checked before any key is looked up.
pub(crate) struct Precheck<'a> {
    /// The `typ` header rule.
    pub(crate) typ: &'a (dyn Fn(Option<&str>) -> Result<(), VerifyError> + Sync),
    /// The configured issuer, compared with the token's unverified `iss`.
    pub(crate) issuer: &'a IssuerRule,
    /// Whether an `iss` of the org server is `org_server_token` (access tokens).
    pub(crate) org_is_error: bool,
}

/// Parses the token, checks its `typ` and its unverified `iss`, verifies its signature with the
/// keys known now, and returns its claims (only once the signature verified). See
/// [`JwksCache::verify_signature_now`] for `after_fetch`.
///
/// A token of another issuer is the most common refusal: its `iss` is compared before any key
/// lookup or fetch, so the refusal names the issuers (`wrong_issuer`) instead of a key
/// (`key_not_found`), and a stranger's tokens cost no key refetch. This only refuses earlier;
/// the verifiers check `iss` again once the signature verified.
pub(crate) fn verify_signed_now(
    token: &str,
    algorithms: &[Algorithm],
    max_len: usize,
    keys: &JwksCache,
    now: i64,
    after_fetch: bool,
    precheck: &Precheck<'_>,
) -> Result<SignedToken, Pending> {
    let mut buffers = jws::Buffers::new();
    let jws = jws::parse(token, algorithms, max_len, &mut buffers)?;
    (precheck.typ)(jws.typ.as_deref())?;
    // A payload that does not parse is refused after the signature check, as before.
    let claims = RawClaims::parse(&jws.payload);
    if let Some(iss) = claims.as_ref().ok().and_then(|claims| claims.peek_string(Claim::Iss)) {
        precheck.issuer.check(iss, precheck.org_is_error)?;
    }
    let generation = keys.verify_signature_now(
        jws.kid.as_deref(),
        jws.alg,
        jws.signing_input,
        jws.signature,
        now,
        after_fetch,
    )?;
    Ok(SignedToken { alg: jws.alg, kid: jws.kid, claims: claims?, generation })
}

/// [`verify_signed_now`], fetching keys once (within the limits) when the `kid` is unknown.
pub(crate) async fn verify_signed(
    token: &str,
    algorithms: &[Algorithm],
    max_len: usize,
    keys: &JwksCache,
    now: i64,
    precheck: &Precheck<'_>,
) -> Result<SignedToken, VerifyError> {
    match verify_signed_now(token, algorithms, max_len, keys, now, false, precheck) {
        Ok(signed) => Ok(signed),
        Err(Pending::Refused(err)) => Err(err),
        Err(Pending::UnknownKid) => {
            keys.refetch_for_unknown_kid(now).await;
            match verify_signed_now(token, algorithms, max_len, keys, now, true, precheck) {
                Ok(signed) => Ok(signed),
                Err(Pending::Refused(err)) => Err(err),
                Err(Pending::UnknownKid) => Err(VerifyError::KeyNotFound { kid: None }),
            }
        }
    }
}

/// The time rules, in whole seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeRules {
    pub(crate) leeway: i64,
    pub(crate) max_age: i64,
}

impl TimeRules {
    pub(crate) fn new(leeway: Duration, max_age: Duration) -> Result<Self, ConfigError> {
        if leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge { seconds: leeway.as_secs() });
        }
        if max_age.is_zero() {
            return Err(ConfigError::OutOfRange { name: "max_age", reason: "must be positive" });
        }
        Ok(Self { leeway: seconds(leeway), max_age: seconds(max_age) })
    }

    fn leeway_u64(self) -> u64 {
        self.leeway.unsigned_abs()
    }

    /// `exp`, `nbf`, `iat` and the maximum age.
    ///
    /// - `exp`: valid while `now < exp + leeway` (RFC 7519 4.1.4: now must be before `exp`).
    /// - `nbf`: valid once `now + leeway >= nbf`.
    /// - `iat`: not after `now + leeway`, not older than `max_age` (plus leeway), and `exp - iat`
    ///   at most `max_age`, which also refuses a far-future `exp`.
    pub(crate) fn check(
        self,
        exp: i64,
        nbf: Option<i64>,
        iat: i64,
        now: i64,
    ) -> Result<(), VerifyError> {
        if now >= exp.saturating_add(self.leeway) {
            return Err(VerifyError::Expired { exp, now, leeway: self.leeway_u64() });
        }
        if let Some(nbf) = nbf
            && nbf > now.saturating_add(self.leeway)
        {
            return Err(VerifyError::NotYetValid { nbf, now, leeway: self.leeway_u64() });
        }
        if iat > now.saturating_add(self.leeway) {
            return Err(VerifyError::IssuedInFuture { iat, now, leeway: self.leeway_u64() });
        }
        let max_age = self.max_age.unsigned_abs();
        if now.saturating_sub(self.leeway) > iat.saturating_add(self.max_age) {
            return Err(VerifyError::TooOld { claim: "iat", max_age, now });
        }
        if exp.saturating_sub(iat) > self.max_age {
            return Err(VerifyError::TooOld { claim: "exp", max_age, now });
        }
        Ok(())
    }
}

/// Whole seconds of a duration, saturating.
pub(crate) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// How a configured issuer is compared with `iss`.
#[derive(Debug, Clone)]
pub(crate) struct IssuerRule {
    issuer: String,
    /// The org authorization server of the same Okta org (`https://{domain}`), which a custom
    /// server's tokens are sometimes confused with.
    org_issuer: String,
    /// Whether the configured issuer is itself an org authorization server.
    is_org: bool,
}

impl IssuerRule {
    /// The rule for `issuer`, already checked by okta-config (absolute, `https` except on
    /// loopback, no query or fragment).
    pub(crate) fn new(issuer: &Issuer) -> Self {
        let url = issuer.url();
        let mut org_issuer = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
        if let Some(port) = url.port() {
            org_issuer.push(':');
            org_issuer.push_str(&port.to_string());
        }
        Self { issuer: issuer.as_str().to_owned(), org_issuer, is_org: issuer.is_org() }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.issuer
    }

    pub(crate) fn is_org(&self) -> bool {
        self.is_org
    }

    /// Exact, case-sensitive comparison (OIDC Core 3.1.3.7: "MUST exactly match").
    pub(crate) fn check(&self, iss: &str, org_is_error: bool) -> Result<(), VerifyError> {
        if iss == self.issuer {
            return Ok(());
        }
        if org_is_error
            && (iss == self.org_issuer || iss.strip_suffix('/') == Some(&self.org_issuer))
        {
            return Err(VerifyError::OrgServerToken);
        }
        Err(VerifyError::WrongIssuer { expected: self.issuer.clone(), found: untrusted(iss) })
    }
}

/// The `iss` of a compact JWS, read without any signature work (the JWS is only split and
/// decoded): used only to choose a verifier or a refusal, never to accept a token.
pub(crate) fn unverified_issuer(token: &str, max_len: usize) -> Result<String, VerifyError> {
    let mut buffers = jws::Buffers::new();
    let jws = jws::parse(token, &Algorithm::ALL, max_len, &mut buffers)?;
    RawClaims::parse(&jws.payload)?.required_string(Claim::Iss)
}

/// Logs a refusal: the reason, never the token.
pub(crate) fn log_rejection(kind: crate::TokenKind, err: &VerifyError) {
    tracing::debug!(token_kind = ?kind, reason = err.kind(), error = err as &dyn std::error::Error, "token refused");
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 2.1): the
/// only text a bearer token can be. Every guarded request scans its kilobyte token with this, so
/// the scan has no early exit inside a 64-byte chunk: a branch-free fold the compiler vectorises
/// (about 6 times faster than testing a byte at a time on a 1.2 KB token; `docs/performance.md`,
/// "HTTP level").
pub(crate) fn is_b64token(token: &[u8]) -> bool {
    let end = token.iter().rposition(|&byte| byte != b'=').map_or(0, |last| last + 1);
    let body = &token[..end];
    !body.is_empty()
        && body
            .chunks(64)
            .all(|chunk| chunk.iter().fold(true, |ok, &byte| ok & is_b64token_byte(byte)))
}

/// One character of the `b64token` body.
fn is_b64token_byte(byte: u8) -> bool {
    matches!(byte, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}
