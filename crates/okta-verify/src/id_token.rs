//! ID-token verification for the sign-in flow (okta-flow): OIDC Core 3.1.3.7 with Okta's rules.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_config::{Audience, ClientId, Issuer};
use subtle::ConstantTimeEq as _;

use crate::access::strip_application;
use crate::claims::OktaIdTokenClaims;
use crate::clock::Clock;
use crate::core::{IssuerRule, Precheck, TimeRules, log_rejection, seconds, verify_signed};
use crate::error::{ConfigError, TokenKind, VerifyError};
use crate::json::{Claim, Rounding};
use crate::jwks::JwksCache;
use crate::jws::Algorithm;

/// What an [`IdTokenVerifier`] accepts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdTokenOptions {
    /// The issuer, compared exactly with `iss`. Org and custom authorization servers both work.
    pub issuer: Issuer,
    /// The client id: `aud` must contain it, and `azp`, when present, must equal it.
    pub client_id: ClientId,
    /// Other audiences that may appear in `aud` beside the client id. Defaults to none: an ID
    /// token with an audience not listed here is refused.
    pub trusted_audiences: Vec<Audience>,
    /// Tolerance for clock differences, at most 300 seconds. Defaults to 120 seconds.
    pub leeway: Duration,
    /// The oldest `iat` accepted and the longest lifetime (`exp - iat`). Defaults to one hour,
    /// Okta's fixed ID-token lifetime.
    pub max_age: Duration,
    /// The algorithm allow-list. Defaults to `[Algorithm::Rs256]`.
    pub algorithms: Vec<Algorithm>,
    /// Longest token accepted, in bytes. Defaults to 16 KiB.
    pub max_token_len: usize,
    /// The clock. Defaults to [`Clock::system`].
    pub clock: Clock,
}

impl IdTokenOptions {
    /// Options for ID tokens from `issuer` issued to `client_id`, with secure defaults.
    pub fn new(issuer: Issuer, client_id: ClientId) -> Self {
        Self {
            issuer,
            client_id,
            trusted_audiences: Vec::new(),
            leeway: Duration::from_mins(2),
            max_age: Duration::from_hours(1),
            algorithms: vec![Algorithm::Rs256],
            max_token_len: 16 * 1024,
            clock: Clock::system(),
        }
    }
}

/// The checks that depend on one sign-in: what was sent to `/authorize` and what came back with
/// the ID token.
///
/// The nonce is checked unless a `dangerous_` call says otherwise: [`IdTokenChecks::new`] takes
/// the `nonce` sent to `/authorize`, which the ID token must carry (OpenID Connect Core
/// 3.1.3.7 (11)). An ID token from a refresh has no nonce to match (Core 12.2) but must name the
/// session's subject: [`IdTokenChecks::for_refresh`] requires it.
/// [`IdTokenChecks::dangerous_without_nonce`] is the only way to check neither.
#[derive(Clone, Copy)]
pub struct IdTokenChecks<'a> {
    nonce: NonceCheck<'a>,
    access_token: Option<&'a str>,
    max_age: Option<Duration>,
    subject: Option<&'a str>,
}

/// What the `nonce` claim must be.
#[derive(Clone, Copy)]
enum NonceCheck<'a> {
    /// The value sent to `/authorize` (a sign-in).
    Required(&'a str),
    /// None to match: an ID token from a refresh, whose `sub` is checked instead.
    Refresh,
    /// Not checked: [`IdTokenChecks::dangerous_without_nonce`].
    Skipped,
}

impl<'a> IdTokenChecks<'a> {
    /// The checks of a sign-in callback: the ID token must carry `nonce`, the value sent to
    /// `/authorize` (compared in constant time). An empty `nonce` matches no token.
    pub fn new(nonce: &'a str) -> Self {
        Self {
            nonce: NonceCheck::Required(nonce),
            access_token: None,
            max_age: None,
            subject: None,
        }
    }

    /// The checks of an ID token from a refresh (OpenID Connect Core 12.2): it must name
    /// `subject`, the `sub` of the session's earlier ID token. No nonce is required, since the
    /// refresh request sends none.
    pub fn for_refresh(subject: &'a str) -> Self {
        Self {
            nonce: NonceCheck::Refresh,
            access_token: None,
            max_age: None,
            subject: Some(subject),
        }
    }

    /// Checks without a nonce, for an ID token whose sign-in this code did not start (a token
    /// pasted into a tool, say).
    ///
    /// # Security Warning
    ///
    /// The nonce binds an ID token to the sign-in that asked for it. Without it, an ID token
    /// stolen from another sign-in (a leaked log, another application of the same client) is
    /// accepted as long as it is still valid: never use this to sign anyone in.
    pub fn dangerous_without_nonce() -> Self {
        Self { nonce: NonceCheck::Skipped, access_token: None, max_age: None, subject: None }
    }

    /// Also checks `at_hash`, when the ID token has one, against the access token from the same
    /// token response (OpenID Connect Core 3.1.3.8).
    #[must_use]
    pub fn with_access_token(mut self, access_token: &'a str) -> Self {
        self.access_token = Some(access_token);
        self
    }

    /// Also checks `auth_time` against the `max_age` sent to `/authorize`: `auth_time` is then
    /// required and must be recent enough.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Also requires this `sub`.
    #[must_use]
    pub fn with_subject(mut self, subject: &'a str) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Whether the `nonce` claim is checked (false only for
    /// [`dangerous_without_nonce`](Self::dangerous_without_nonce) and refreshes).
    pub fn checks_nonce(&self) -> bool {
        matches!(self.nonce, NonceCheck::Required(_))
    }
}

impl fmt::Debug for IdTokenChecks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nonce = match self.nonce {
            NonceCheck::Required(_) => "required ([redacted])",
            NonceCheck::Refresh => "none (refresh)",
            NonceCheck::Skipped => "not checked (dangerous_without_nonce)",
        };
        f.debug_struct("IdTokenChecks")
            .field("nonce", &nonce)
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .field("max_age", &self.max_age)
            .field("subject", &self.subject)
            .finish()
    }
}

/// Verifies ID tokens: signature, `iss`, `aud` (the client id), `azp`, times, `nonce`, `at_hash`,
/// `auth_time` and `max_age`.
#[derive(Clone)]
pub struct IdTokenVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    options: IdTokenOptions,
    issuer: IssuerRule,
    times: TimeRules,
    keys: JwksCache,
}

impl IdTokenVerifier {
    /// A verifier with these options and keys (usually the same [`JwksCache`] as the access-token
    /// verifier of the same issuer).
    pub fn new(options: IdTokenOptions, keys: JwksCache) -> Result<Self, ConfigError> {
        let issuer = IssuerRule::new(&options.issuer);
        if options.algorithms.is_empty() {
            return Err(ConfigError::NoAlgorithm);
        }
        if options.max_token_len == 0 {
            return Err(ConfigError::OutOfRange {
                name: "max_token_len",
                reason: "must be positive",
            });
        }
        let times = TimeRules::new(options.leeway, options.max_age)?;
        Ok(Self { inner: Arc::new(Inner { options, issuer, times, keys }) })
    }

    /// The options the verifier was built with.
    pub fn options(&self) -> &IdTokenOptions {
        &self.inner.options
    }

    /// The key cache the verifier uses.
    pub fn keys(&self) -> &JwksCache {
        &self.inner.keys
    }

    /// Verifies `token` with the sign-in's `checks`.
    pub async fn verify(
        &self,
        token: &str,
        checks: &IdTokenChecks<'_>,
    ) -> Result<VerifiedIdToken, VerifyError> {
        let result = self.verify_inner(token, checks).await;
        if let Err(err) = &result {
            log_rejection(TokenKind::Id, err);
        }
        result
    }

    async fn verify_inner(
        &self,
        token: &str,
        checks: &IdTokenChecks<'_>,
    ) -> Result<VerifiedIdToken, VerifyError> {
        let inner = &*self.inner;
        let options = &inner.options;
        let now = options.clock.unix_seconds();
        let signed = verify_signed(
            token,
            &options.algorithms,
            options.max_token_len,
            &inner.keys,
            now,
            &Precheck { typ: &check_typ, issuer: &inner.issuer, org_is_error: false },
        )
        .await?;
        let mut raw = signed.claims;
        if raw.contains(Claim::Scp) || raw.contains(Claim::Cid) {
            return Err(VerifyError::WrongTokenKind {
                expected: TokenKind::Id,
                reason: "it carries access-token claims (scp, cid)",
            });
        }
        let iss = raw.required_string(Claim::Iss)?;
        inner.issuer.check(&iss, false)?;
        let aud = raw.audience()?;
        check_audience(&aud, options)?;
        let azp = raw.string(Claim::Azp)?;
        match &azp {
            Some(azp) if azp != options.client_id.as_str() => return Err(VerifyError::AzpMismatch),
            None if aud.len() > 1 => return Err(VerifyError::AzpMismatch),
            _ => {}
        }
        let exp = raw
            .date(Claim::Exp, Rounding::Down)?
            .ok_or(VerifyError::MissingClaim { claim: "exp" })?;
        let nbf = raw.date(Claim::Nbf, Rounding::Up)?;
        let iat = raw
            .date(Claim::Iat, Rounding::Up)?
            .ok_or(VerifyError::MissingClaim { claim: "iat" })?;
        inner.times.check(exp, nbf, iat, now)?;
        let sub = raw.required_string(Claim::Sub)?;
        if sub.is_empty() || sub.len() > 255 || !sub.is_ascii() {
            return Err(VerifyError::InvalidClaimType { claim: "sub" });
        }
        if let Some(expected) = checks.subject
            && sub != expected
        {
            return Err(VerifyError::SubjectMismatch);
        }
        let nonce = raw.string(Claim::Nonce)?;
        if let NonceCheck::Required(expected) = checks.nonce {
            check_nonce(nonce.as_deref(), expected)?;
        }
        let at_hash = raw.string(Claim::AtHash)?;
        check_at_hash(at_hash.as_deref(), checks.access_token, signed.alg)?;
        let auth_time = raw.date(Claim::AuthTime, Rounding::Down)?;
        if let Some(max_age) = checks.max_age {
            let auth_time = auth_time.ok_or(VerifyError::MissingClaim { claim: "auth_time" })?;
            let latest =
                auth_time.saturating_add(seconds(max_age)).saturating_add(inner.times.leeway);
            if now > latest {
                return Err(VerifyError::TooOld {
                    claim: "auth_time",
                    max_age: max_age.as_secs(),
                    now,
                });
            }
        }
        let claims = OktaIdTokenClaims {
            iss,
            sub,
            aud,
            exp,
            iat,
            auth_time,
            azp,
            nonce,
            at_hash,
            amr: raw.string_array(Claim::Amr)?.unwrap_or_default(),
            idp: raw.string(Claim::Idp)?,
            acr: raw.string(Claim::Acr)?,
            jti: raw.string(Claim::Jti)?,
            ver: raw.integer(Claim::Ver)?,
            extra: raw.into_extra(),
        };
        Ok(VerifiedIdToken { claims, alg: signed.alg, kid: signed.kid })
    }
}

impl fmt::Debug for IdTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenVerifier")
            .field("options", &self.inner.options)
            .field("keys", &self.inner.keys)
            .finish()
    }
}

/// A verified ID token.
#[derive(Debug, Clone)]
pub struct VerifiedIdToken {
    claims: OktaIdTokenClaims,
    alg: Algorithm,
    kid: Option<String>,
}

impl VerifiedIdToken {
    /// The claims.
    pub fn claims(&self) -> &OktaIdTokenClaims {
        &self.claims
    }

    /// Takes the claims.
    pub fn into_claims(self) -> OktaIdTokenClaims {
        self.claims
    }

    /// The algorithm that verified the signature.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The `kid` of the key that verified the signature.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// ID tokens carry no `typ` or `JWT`; an access-token `typ` gives a confused token away.
fn check_typ(typ: Option<&str>) -> Result<(), VerifyError> {
    match typ {
        None => Ok(()),
        Some(typ) if strip_application(typ).eq_ignore_ascii_case("jwt") => Ok(()),
        Some(_) => Err(VerifyError::WrongTokenKind {
            expected: TokenKind::Id,
            reason: "its typ names another kind of token",
        }),
    }
}

/// OIDC Core 3.1.3.7 (3): `aud` contains the client id; every other value must be trusted.
fn check_audience(aud: &[String], options: &IdTokenOptions) -> Result<(), VerifyError> {
    let client_id = options.client_id.as_str();
    if !aud.iter().any(|value| value == client_id) {
        return Err(VerifyError::AudienceMismatch);
    }
    let untrusted = aud.iter().any(|value| {
        value != client_id
            && !options.trusted_audiences.iter().any(|trusted| trusted.as_str() == value)
    });
    if untrusted {
        return Err(VerifyError::AudienceMismatch);
    }
    Ok(())
}

fn check_nonce(nonce: Option<&str>, expected: &str) -> Result<(), VerifyError> {
    if expected.is_empty() {
        // An empty nonce was never sent: nothing can match it.
        return Err(VerifyError::NonceMismatch);
    }
    let nonce = nonce.ok_or(VerifyError::MissingClaim { claim: "nonce" })?;
    if bool::from(nonce.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(VerifyError::NonceMismatch)
    }
}

/// `at_hash`: the left half of the hash of the access token, base64url (OIDC Core 3.1.3.6).
fn check_at_hash(
    at_hash: Option<&str>,
    access_token: Option<&str>,
    alg: Algorithm,
) -> Result<(), VerifyError> {
    let (Some(at_hash), Some(access_token)) = (at_hash, access_token) else {
        return Ok(());
    };
    let expected = at_hash_of(access_token, alg);
    if bool::from(at_hash.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(VerifyError::AtHashMismatch)
    }
}

/// The `at_hash` value of `access_token` for a token signed with `alg`.
pub fn at_hash_of(access_token: &str, alg: Algorithm) -> String {
    let digest = aws_lc_rs::digest::digest(alg.digest(), access_token.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests;
