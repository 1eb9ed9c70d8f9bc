//! Local validation of Okta access tokens from custom authorization servers.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use okta_config::{Audience, ClientId, Issuer, Scope};

use crate::claims::OktaAccessTokenClaims;
use crate::clock::Clock;
use crate::core::{
    IssuerRule, Precheck, SignedToken, TimeRules, log_rejection, unverified_issuer,
    verify_signed_now,
};
use crate::error::{ConfigError, TokenKind, VerifyError, untrusted};
use crate::json::{Claim, RawClaims, Rounding};
use crate::jwks::{JwksCache, Pending};
use crate::jws::Algorithm;
use crate::telemetry::{self, Verifier};
use crate::token_cache::{NearCache, TokenCacheOptions, VerifiedCache};

/// What an [`AccessTokenVerifier`] accepts.
///
/// Built with [`AccessTokenOptions::new`] from what has no safe default (the issuer and the
/// audiences), or with [`AccessTokenOptions::from_settings`]; every other field has a secure
/// default and may be changed directly. The values are okta-config's validated types, so a wrong
/// issuer, audience, client id or scope fails where it is parsed.
#[derive(Clone)]
#[non_exhaustive]
pub struct AccessTokenOptions {
    /// The issuer, compared exactly with `iss`: `https://{yourOktaDomain}/oauth2/{serverId}`.
    /// An org authorization server (`https://{yourOktaDomain}`) is refused at verification with
    /// [`VerifyError::OrgServerToken`]: use [`IntrospectionVerifier`](crate::IntrospectionVerifier).
    pub issuer: Issuer,
    /// The accepted audiences; a token must name at least one in `aud`.
    pub audiences: Vec<Audience>,
    /// The accepted `cid` values. Defaults to empty, which [`AccessTokenVerifier::new`] refuses
    /// unless [`any_client`](Self::any_client) is set.
    pub client_ids: Vec<ClientId>,
    /// Accept a token of any client of the issuer when `client_ids` is empty: the explicit
    /// alternative to a list (`any_client` in the settings). A list, when given, always
    /// applies. Defaults to `false`.
    pub any_client: bool,
    /// Scopes that `scp` must all grant. Defaults to none.
    pub required_scopes: Vec<Scope>,
    /// Tolerance for clock differences on `exp`, `nbf` and `iat`, at most 300 seconds. Defaults
    /// to 120 seconds, like Okta's own verifiers.
    pub leeway: Duration,
    /// The oldest `iat` accepted, and the longest lifetime (`exp - iat`). Defaults to 24 hours,
    /// the longest access-token lifetime Okta allows.
    pub max_age: Duration,
    /// The algorithm allow-list; nothing in a token or in metadata widens it. Defaults to
    /// `[Algorithm::Rs256]`, the only algorithm Okta uses.
    pub algorithms: Vec<Algorithm>,
    /// Longest token accepted, in bytes, checked before any decoding. Defaults to 16 KiB.
    pub max_token_len: usize,
    /// Which `typ` headers are accepted. Defaults to [`AccessTokenType::OktaCompatible`].
    pub token_type: AccessTokenType,
    /// Checks the service adds (groups, custom claims), run after every built-in check. Defaults
    /// to none.
    pub rules: Vec<Arc<dyn AccessTokenRule>>,
    /// A cache of verified tokens, so that a token seen again costs a hash and a lookup instead
    /// of a signature check. Defaults to `None` (no cache).
    pub token_cache: Option<TokenCacheOptions>,
    /// The clock. Defaults to [`Clock::system`].
    pub clock: Clock,
}

impl AccessTokenOptions {
    /// Options for tokens from `issuer` meant for one of `audiences`, with secure defaults.
    pub fn new(issuer: Issuer, audiences: impl IntoIterator<Item = Audience>) -> Self {
        Self {
            issuer,
            audiences: audiences.into_iter().collect(),
            client_ids: Vec::new(),
            any_client: false,
            required_scopes: Vec::new(),
            leeway: Duration::from_mins(2),
            max_age: Duration::from_hours(24),
            algorithms: vec![Algorithm::Rs256],
            max_token_len: 16 * 1024,
            token_type: AccessTokenType::OktaCompatible,
            rules: Vec::new(),
            token_cache: None,
            clock: Clock::system(),
        }
    }

    /// Adds a rule (a closure or an [`AccessTokenRule`]).
    #[must_use]
    pub fn with_rule(mut self, rule: impl AccessTokenRule + 'static) -> Self {
        self.rules.push(Arc::new(rule));
        self
    }
}

impl fmt::Debug for AccessTokenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenOptions")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("client_ids", &self.client_ids)
            .field("any_client", &self.any_client)
            .field("required_scopes", &self.required_scopes)
            .field("leeway", &self.leeway)
            .field("max_age", &self.max_age)
            .field("algorithms", &self.algorithms)
            .field("max_token_len", &self.max_token_len)
            .field("token_type", &self.token_type)
            .field("rules", &self.rules.len())
            .field("token_cache", &self.token_cache)
            .finish_non_exhaustive()
    }
}

/// Which `typ` header values an access token may carry (RFC 9068 4, RFC 8725 3.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessTokenType {
    /// What Okta custom authorization servers send: `typ` absent, `JWT`, `at+jwt` or
    /// `application/at+jwt`. ID tokens are still told apart by their claims.
    OktaCompatible,
    /// RFC 9068 strictly: `typ` must be `at+jwt` or `application/at+jwt`.
    Rfc9068,
}

/// A check a service adds to access-token verification, for example on `groups` or a custom
/// claim. Implemented for closures `Fn(&OktaAccessTokenClaims) -> Result<(), RuleViolation>`.
pub trait AccessTokenRule: Send + Sync {
    /// Accepts the claims, or says why not.
    fn check(&self, claims: &OktaAccessTokenClaims) -> Result<(), RuleViolation>;
}

impl<F> AccessTokenRule for F
where
    F: Fn(&OktaAccessTokenClaims) -> Result<(), RuleViolation> + Send + Sync,
{
    fn check(&self, claims: &OktaAccessTokenClaims) -> Result<(), RuleViolation> {
        self(claims)
    }
}

/// Why a service rule refused a token; becomes [`VerifyError::RuleViolation`] (HTTP 403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    reason: Cow<'static, str>,
}

impl RuleViolation {
    /// A refusal with this explanation (it appears in logs and error messages: no secrets).
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Self { reason: reason.into() }
    }

    /// The explanation.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A rule that requires membership of `group` in the `groups` claim.
pub fn require_group(group: impl Into<String>) -> impl AccessTokenRule {
    let group = group.into();
    move |claims: &OktaAccessTokenClaims| {
        let member =
            claims.string_list("groups").is_some_and(|groups| groups.contains(&group.as_str()));
        if member {
            Ok(())
        } else {
            Err(RuleViolation::new(format!("not a member of group {group}")))
        }
    }
}

/// Verifies Okta access tokens locally: signature, algorithm, issuer, audience, times, client id,
/// scopes and the service's rules.
///
/// Share one verifier (it is cheap to clone) and one [`JwksCache`] per issuer across a service.
#[derive(Clone)]
pub struct AccessTokenVerifier {
    inner: Arc<Inner>,
}

/// The id of the next verifier built, for the per-thread caches (never reused).
static NEXT_VERIFIER_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Each thread's cache hits, in front of the verifiers' shared caches (see [`NearCache`]).
    static NEAR: RefCell<NearCache<VerifiedAccessToken>> = RefCell::new(NearCache::new());
}

struct Inner {
    /// This verifier's id in the per-thread caches.
    id: u64,
    options: AccessTokenOptions,
    issuer: IssuerRule,
    times: TimeRules,
    keys: JwksCache,
    cache: Option<VerifiedCache<VerifiedAccessToken>>,
}

/// What [`AccessTokenVerifier::lookup`] found.
enum Lookup {
    /// The answer, without signature work.
    Done(Result<VerifiedAccessToken, VerifyError>),
    /// The token must be verified, at this time.
    Verify { now: i64 },
}

impl AccessTokenVerifier {
    /// A verifier with these options and keys.
    pub fn new(options: AccessTokenOptions, keys: JwksCache) -> Result<Self, ConfigError> {
        let issuer = IssuerRule::new(&options.issuer);
        if options.audiences.is_empty() {
            return Err(ConfigError::NoAudience);
        }
        if options.client_ids.is_empty() && !options.any_client {
            return Err(ConfigError::NoClientChoice);
        }
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
        if issuer.is_org() {
            tracing::warn!(
                issuer = issuer.as_str(),
                "access tokens of an org authorization server cannot be validated locally; \
                 every token will be refused with org_server_token (use IntrospectionVerifier)"
            );
        }
        let cache = options.token_cache.as_ref().map(VerifiedCache::new);
        let id = NEXT_VERIFIER_ID.fetch_add(1, Ordering::Relaxed);
        Ok(Self { inner: Arc::new(Inner { id, options, issuer, times, keys, cache }) })
    }

    /// The options the verifier was built with.
    pub fn options(&self) -> &AccessTokenOptions {
        &self.inner.options
    }

    /// The key cache the verifier uses.
    pub fn keys(&self) -> &JwksCache {
        &self.inner.keys
    }

    /// Verifies `token` (the bearer value, without `Bearer `).
    ///
    /// Checks, in order: the length cap, the compact-JWS syntax, `alg` against the allow-list, the
    /// header (`crit`, `cty`, `typ`), the unverified `iss` (a token of another issuer is
    /// [`VerifyError::WrongIssuer`] before any key lookup or fetch), the key and the signature; then that it is an access token
    /// and not an ID token; then `iss`, `aud`, `exp`/`nbf`/`iat` and the maximum age, `cid`,
    /// `scp` and the service's rules. The first failure is returned.
    pub async fn verify(&self, token: &str) -> Result<VerifiedAccessToken, VerifyError> {
        let now = match self.lookup(token) {
            Lookup::Done(result) => return result,
            Lookup::Verify { now } => now,
        };
        let started = Instant::now();
        let outcome = match self.verify_uncached_now(token, now, false) {
            Err(Pending::UnknownKid) => {
                self.inner.keys.refetch_for_unknown_kid(now).await;
                match self.verify_uncached_now(token, now, true) {
                    Err(Pending::UnknownKid) => Err(VerifyError::KeyNotFound { kid: None }),
                    Err(Pending::Refused(err)) => Err(err),
                    Ok(verified) => Ok(verified),
                }
            }
            Err(Pending::Refused(err)) => Err(err),
            Ok(verified) => Ok(verified),
        };
        self.finish(token, outcome, started)
    }

    /// [`verify`](Self::verify) when it needs no wait: a cache hit, or a token checked with the
    /// keys held now. `None` when the token names a key not held, which only `verify` can fetch
    /// (and which it then verifies from the start: nothing has been counted or cached).
    pub(crate) fn verify_now(
        &self,
        token: &str,
    ) -> Option<Result<VerifiedAccessToken, VerifyError>> {
        let now = match self.lookup(token) {
            Lookup::Done(result) => return Some(result),
            Lookup::Verify { now } => now,
        };
        let started = Instant::now();
        match self.verify_uncached_now(token, now, false) {
            Err(Pending::UnknownKid) => None,
            Err(Pending::Refused(err)) => Some(self.finish(token, Err(err), started)),
            Ok(verified) => Some(self.finish(token, Ok(verified), started)),
        }
    }

    /// What is answered before any signature work: an org server's token, a token over the size
    /// cap, a cache hit. Otherwise the time the verification runs at.
    fn lookup(&self, token: &str) -> Lookup {
        let inner = &*self.inner;
        if inner.issuer.is_org() {
            // A token of another issuer says so (its unverified `iss`, no key work); the org
            // server's own tokens cannot be validated locally.
            let err = match unverified_issuer(token, inner.options.max_token_len) {
                Ok(iss) if iss != inner.issuer.as_str() => VerifyError::WrongIssuer {
                    expected: inner.issuer.as_str().to_owned(),
                    found: untrusted(&iss),
                },
                _ => VerifyError::OrgServerToken,
            };
            log_rejection(TokenKind::Access, &err);
            return Lookup::Done(Err(err));
        }
        // The cap comes before hashing for the cache, not only before decoding.
        if token.len() > inner.options.max_token_len {
            let err =
                VerifyError::TokenTooLarge { len: token.len(), max: inner.options.max_token_len };
            log_rejection(TokenKind::Access, &err);
            let result = Err(err);
            telemetry::verification(Verifier::Access, &result);
            return Lookup::Done(result);
        }
        let now = inner.options.clock.unix_seconds();
        // Looked up under the current generation; a new entry is filed under the generation of
        // the key set that verified it, which a key fetch during the verification may change.
        if let Some(cache) = &inner.cache {
            let generation = inner.keys.generation();
            // This thread's own hits first: they write no memory another thread reads.
            let near = NEAR
                .try_with(|near| near.borrow().get(inner.id, token, now, generation))
                .ok()
                .flatten();
            if let Some(hit) = near {
                telemetry::token_cache(Verifier::Access, true);
                let result = Ok(hit);
                telemetry::verification(Verifier::Access, &result);
                return Lookup::Done(result);
            }
            if let Some((hit, exp)) = cache.get_entry(token, now, generation) {
                let own = hit.thread_copy();
                let _ = NEAR.try_with(|near| {
                    near.borrow_mut().insert(inner.id, token, own.clone(), exp, generation);
                });
                telemetry::token_cache(Verifier::Access, true);
                let result = Ok(own);
                telemetry::verification(Verifier::Access, &result);
                return Lookup::Done(result);
            }
        }
        Lookup::Verify { now }
    }

    /// Counts, logs and caches a verification that did the work (started at `started`).
    fn finish(
        &self,
        token: &str,
        outcome: Result<(VerifiedAccessToken, u64), VerifyError>,
        started: Instant,
    ) -> Result<VerifiedAccessToken, VerifyError> {
        let inner = &*self.inner;
        if inner.cache.is_some() {
            telemetry::token_cache(Verifier::Access, false);
        }
        let (result, generation) = match outcome {
            Ok((verified, generation)) => (Ok(verified), generation),
            Err(err) => (Err(err), 0),
        };
        telemetry::verification_time(Verifier::Access, started.elapsed());
        telemetry::verification(Verifier::Access, &result);
        match &result {
            Ok(verified) => {
                if let Some(cache) = &inner.cache {
                    let exp = verified.claims().exp;
                    cache.insert(token, verified.clone(), exp, generation);
                    let _ = NEAR.try_with(|near| {
                        near.borrow_mut().insert(
                            inner.id,
                            token,
                            verified.clone(),
                            exp,
                            generation,
                        );
                    });
                }
            }
            Err(err) => log_rejection(TokenKind::Access, err),
        }
        result
    }

    /// The signature and claims checks with the keys held now; `after_fetch` as in
    /// [`JwksCache::verify_signature_now`].
    fn verify_uncached_now(
        &self,
        token: &str,
        now: i64,
        after_fetch: bool,
    ) -> Result<(VerifiedAccessToken, u64), Pending> {
        let inner = &*self.inner;
        let options = &inner.options;
        let signed = verify_signed_now(
            token,
            &options.algorithms,
            options.max_token_len,
            &inner.keys,
            now,
            after_fetch,
            &Precheck {
                typ: &|typ| check_typ(typ, options.token_type),
                issuer: &inner.issuer,
                org_is_error: true,
            },
        )?;
        Ok(self.check_claims(signed, now)?)
    }

    /// The claim checks of a token whose signature verified.
    fn check_claims(
        &self,
        signed: SignedToken,
        now: i64,
    ) -> Result<(VerifiedAccessToken, u64), VerifyError> {
        let inner = &*self.inner;
        let options = &inner.options;
        let mut raw = signed.claims;
        check_kind(&raw)?;
        let iss = raw.required_string(Claim::Iss)?;
        inner.issuer.check(&iss, true)?;
        let aud = raw.audience()?;
        if !aud
            .iter()
            .any(|value| options.audiences.iter().any(|accepted| accepted.as_str() == value))
        {
            return Err(VerifyError::AudienceMismatch);
        }
        let exp = raw
            .date(Claim::Exp, Rounding::Down)?
            .ok_or(VerifyError::MissingClaim { claim: "exp" })?;
        let nbf = raw.date(Claim::Nbf, Rounding::Up)?;
        let iat = raw
            .date(Claim::Iat, Rounding::Up)?
            .ok_or(VerifyError::MissingClaim { claim: "iat" })?;
        inner.times.check(exp, nbf, iat, now)?;
        let cid = raw.string(Claim::Cid)?;
        if !options.client_ids.is_empty() {
            match &cid {
                Some(cid) if options.client_ids.iter().any(|id| id.as_str() == cid) => {}
                Some(cid) => return Err(VerifyError::ClientIdNotAllowed { found: untrusted(cid) }),
                None => return Err(VerifyError::MissingClaim { claim: "cid" }),
            }
        }
        let scp = raw.string_array(Claim::Scp)?.unwrap_or_default();
        let missing: Vec<String> = options
            .required_scopes
            .iter()
            .filter(|scope| !scp.iter().any(|granted| granted == scope.as_str()))
            .map(|scope| scope.as_str().to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(VerifyError::InsufficientScope { missing });
        }
        let sub = raw.required_string(Claim::Sub)?;
        let claims = OktaAccessTokenClaims {
            iss,
            sub,
            aud,
            exp,
            iat,
            nbf,
            cid,
            uid: raw.string(Claim::Uid)?,
            scp,
            jti: raw.string(Claim::Jti)?,
            auth_time: raw.date(Claim::AuthTime, Rounding::Up)?,
            ver: raw.integer(Claim::Ver)?,
            extra: raw.into_extra(),
        };
        for rule in &options.rules {
            rule.check(&claims)
                .map_err(|violation| VerifyError::RuleViolation { reason: violation.reason })?;
        }
        Ok((
            VerifiedAccessToken::from_parts(claims, Some(signed.alg), signed.kid),
            signed.generation,
        ))
    }
}

impl fmt::Debug for AccessTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenVerifier")
            .field("options", &self.inner.options)
            .field("keys", &self.inner.keys)
            .field("cache", &self.inner.cache)
            .finish()
    }
}

/// A verified access token: its claims, and the algorithm and key that verified it.
///
/// `C` is the claims type. The default, [`OktaAccessTokenClaims`], is what
/// [`AccessTokenVerifier`] gives. With the `axum` feature, a handler may instead take
/// `VerifiedAccessToken<MyClaims>` for any `MyClaims: serde::de::DeserializeOwned`: the claims of
/// the token (whatever [`BearerVerifier`](crate::BearerVerifier) verified it: local JWT,
/// introspection or an [`IssuerChain`](crate::IssuerChain)) are deserialized into it before the
/// handler runs, and a token whose claims do not fit is refused with 401 `invalid_claims`.
///
/// Cheap to clone (an `Arc`); it holds no copy of the token itself.
pub struct VerifiedAccessToken<C = OktaAccessTokenClaims> {
    inner: Arc<Verified<C>>,
}

struct Verified<C> {
    claims: C,
    alg: Option<Algorithm>,
    kid: Option<String>,
}

impl VerifiedAccessToken {
    /// A copy that shares nothing with `self`, for one thread's cache.
    fn thread_copy(&self) -> Self {
        let Verified { claims, alg, kid } = &*self.inner;
        Self { inner: Arc::new(Verified { claims: claims.clone(), alg: *alg, kid: kid.clone() }) }
    }
}

impl<C> VerifiedAccessToken<C> {
    /// A verified token with `claims`, and the algorithm and `kid` that verified its signature
    /// when it was checked locally (`None` for an introspected token).
    pub(crate) fn from_parts(claims: C, alg: Option<Algorithm>, kid: Option<String>) -> Self {
        Self { inner: Arc::new(Verified { claims, alg, kid }) }
    }

    /// The claims.
    pub fn claims(&self) -> &C {
        &self.inner.claims
    }

    /// The `kid` of the key that verified the signature (`None` for an introspected token).
    pub fn kid(&self) -> Option<&str> {
        self.inner.kid.as_deref()
    }

    /// The algorithm that verified the signature, when the token was checked locally (`None`
    /// for an introspected token).
    pub fn signature_algorithm(&self) -> Option<Algorithm> {
        self.inner.alg
    }
}

impl VerifiedAccessToken {
    /// The algorithm that verified the signature.
    pub fn algorithm(&self) -> Algorithm {
        // Only `AccessTokenVerifier` makes a `VerifiedAccessToken<OktaAccessTokenClaims>`, always
        // with the algorithm of the signature it checked; typed claims need `Deserialize`, which
        // `OktaAccessTokenClaims` does not implement.
        self.inner.alg.unwrap_or(Algorithm::Rs256)
    }
}

impl<C> Clone for VerifiedAccessToken<C> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<C: fmt::Debug> fmt::Debug for VerifiedAccessToken<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedAccessToken")
            .field("claims", &self.inner.claims)
            .field("alg", &self.inner.alg)
            .field("kid", &self.inner.kid)
            .finish()
    }
}

/// The `typ` header rule.
fn check_typ(typ: Option<&str>, policy: AccessTokenType) -> Result<(), VerifyError> {
    let Some(typ) = typ else {
        return match policy {
            AccessTokenType::OktaCompatible => Ok(()),
            AccessTokenType::Rfc9068 => Err(VerifyError::WrongTokenKind {
                expected: TokenKind::Access,
                reason: "RFC 9068 requires typ at+jwt",
            }),
        };
    };
    let bare = strip_application(typ);
    if bare.eq_ignore_ascii_case("at+jwt") {
        return Ok(());
    }
    if bare.eq_ignore_ascii_case("okta-internal-at+jwt") {
        return Err(VerifyError::OrgServerToken);
    }
    if bare.eq_ignore_ascii_case("jwt") && policy == AccessTokenType::OktaCompatible {
        return Ok(());
    }
    Err(VerifyError::WrongTokenKind {
        expected: TokenKind::Access,
        reason: "its typ names another kind of token",
    })
}

/// `typ` is a media type whose `application/` prefix may be left out (RFC 7515 4.1.9).
pub(crate) fn strip_application(typ: &str) -> &str {
    match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    }
}

/// Token confusion (RFC 8725 3.12): an ID token carries `nonce` or hashes of other tokens, and has
/// neither `cid` nor `scp`; an Okta access token always has both.
pub(crate) fn check_kind(raw: &RawClaims) -> Result<(), VerifyError> {
    if raw.contains(Claim::Nonce) || raw.contains(Claim::AtHash) || raw.extra.contains_key("c_hash")
    {
        return Err(VerifyError::WrongTokenKind {
            expected: TokenKind::Access,
            reason: "it carries ID-token claims (nonce, at_hash, c_hash)",
        });
    }
    if !raw.contains(Claim::Cid) && !raw.contains(Claim::Scp) {
        return Err(VerifyError::WrongTokenKind {
            expected: TokenKind::Access,
            reason: "it has neither cid nor scp",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
