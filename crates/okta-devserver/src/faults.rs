//! Fault injection: misbehaviour armed for the next requests, through the library or the admin
//! route.
//!
//! A fault is consumed by the event it changes: a token fault by the next token of that kind, an
//! endpoint fault by the next request to that endpoint, and so on. [`Faults::arm_times`] arms it
//! for several events and [`Faults::arm_always`] until [`Faults::clear`]. Two kinds of fault
//! change a *published document* rather than one response, so that a client sees the same
//! document whenever it fetches it: [`Fault::JwksUnusableKeys`] and [`Fault::JwksUriRandomPath`]
//! stay in effect until cleared, and the key-set half of [`TokenFault::KidAbsentSingleKey`] and
//! [`TokenFault::KidAbsentMultipleKeys`] lasts from arming until cleared (the token half counts
//! down as usual).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An endpoint that endpoint-level faults target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /api/v1/authn`.
    Authn,
    /// `GET /v1/authorize` (and the sign-in and consent form posts).
    Authorize,
    /// The discovery documents (`/.well-known/...`).
    Discovery,
    /// `POST /v1/introspect`.
    Introspect,
    /// `GET /v1/keys` (or the random JWKS path).
    Keys,
    /// `GET /v1/logout`.
    Logout,
    /// `POST /v1/revoke`.
    Revoke,
    /// `POST /v1/token`.
    Token,
    /// `GET|POST /v1/userinfo`.
    Userinfo,
}

/// A change made to the next ID or access token (see [`Fault::IdToken`] and
/// [`Fault::AccessToken`]). Each mirrors one OpenID RP conformance condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenFault {
    /// Header `{"alg":"none"}` and an empty signature (`rp-id_token-sig-none`).
    AlgNone,
    /// Every signature byte combined with `0x5A` by exclusive or (`rp-id_token-bad-sig-rs256`).
    BadSignature,
    /// `exp` one hour in the past (and `iat` before it).
    Expired,
    /// `iat` a week in the past, `exp` still in the future (FAPI `iat-is-week-in-past`).
    IssuedWeekAgo,
    /// No `kid` in the header, and the JWKS lists both keys of the server without `kid`
    /// (`rp-id_token-kid-absent-multiple-jwks`).
    KidAbsentMultipleKeys,
    /// No `kid` in the header, and the JWKS lists only the signing key, without `kid`
    /// (`rp-id_token-kid-absent-single-jwks`).
    KidAbsentSingleKey,
    /// No `at_hash` claim (ID tokens only; `rp-id_token-missing-at_hash`).
    MissingAtHash,
    /// No `aud` claim (`oidcc-client-test-missing-aud`).
    MissingAudience,
    /// No `exp` claim.
    MissingExpiry,
    /// No `iat` claim (`rp-id_token-iat`).
    MissingIssuedAt,
    /// No `nonce` claim even though one was sent (ID tokens only).
    MissingNonce,
    /// No `sub` claim (`rp-id_token-sub`).
    MissingSubject,
    /// The server's keys rotate to brand-new kids just before the token is signed
    /// (`rp-key-rotation-op-sign-key-native`).
    RotateKeysBeforeSigning,
    /// Signed with a key the JWKS does not publish, under that key's own `kid`.
    UnpublishedKey,
    /// An `at_hash` that does not match the access token (ID tokens only;
    /// `rp-id_token-bad-at_hash`).
    WrongAtHash,
    /// `aud` with `"1"` appended (`rp-id_token-aud`).
    WrongAudience,
    /// `iss` with `"1"` appended (`rp-id_token-issuer-mismatch`).
    WrongIssuer,
    /// `nonce` with `"1"` appended (ID tokens only; `rp-nonce-invalid`).
    WrongNonce,
}

/// A way to break a successful `/token` response (see [`Fault::TokenResponse`]), for testing
/// how a client handles a token endpoint that answers 200 with something unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenResponseFault {
    /// The JSON without `access_token`.
    MissingAccessToken,
    /// The JSON without `expires_in`.
    MissingExpiresIn,
    /// `Content-Type: application/json` with a body that is not JSON (a proxy's error text).
    NotJson,
    /// `token_type` `N_A` instead of `Bearer` (a type Okta's schema has for some exchanges).
    WrongTokenType,
}

/// A `429 Too Many Requests` as Okta sends it, with its headers under the test's control (see
/// [`Fault::RateLimitedWith`]).
///
/// The body is Okta's `E0000047` error; `X-Rate-Limit-Limit` is the announced limit,
/// `X-Rate-Limit-Remaining` is `0`, `X-Rate-Limit-Reset` is in UTC epoch seconds by the server's
/// clock, and `Date` comes from the same clock, so `Reset - Date` is the wait Okta's SDKs compute.
///
/// ```
/// use std::time::Duration;
/// use okta_devserver::{Endpoint, Fault, RateLimitFault};
///
/// let fault = Fault::RateLimitedWith(
///     RateLimitFault::new(Endpoint::Token)
///         .reset_in(Duration::from_secs(5))
///         .duplicate_reset_in(Duration::from_secs(30))
///         .retry_after(Duration::from_secs(3)),
/// );
/// # let _ = fault;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitFault {
    endpoint: Endpoint,
    /// Seconds from now to `X-Rate-Limit-Reset`; absent: the start of the next minute.
    #[serde(default)]
    reset_in: Option<u64>,
    /// A second `X-Rate-Limit-Reset` header this many seconds from now, as live Okta 429s
    /// have carried (okta/okta-sdk-java #259).
    #[serde(default)]
    duplicate_reset_in: Option<u64>,
    /// `Retry-After` in seconds (Okta does not document one; absent by default).
    #[serde(default)]
    retry_after: Option<u64>,
}

impl RateLimitFault {
    /// A 429 on `endpoint` whose window resets at the start of the next minute, with one
    /// `X-Rate-Limit-Reset` and no `Retry-After`, like the plain [`Fault::RateLimited`].
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint, reset_in: None, duplicate_reset_in: None, retry_after: None }
    }

    /// `X-Rate-Limit-Reset` this long from now (whole seconds, by the server's clock).
    #[must_use]
    pub fn reset_in(mut self, after: Duration) -> Self {
        self.reset_in = Some(after.as_secs());
        self
    }

    /// Adds a second `X-Rate-Limit-Reset` header this long from now.
    #[must_use]
    pub fn duplicate_reset_in(mut self, after: Duration) -> Self {
        self.duplicate_reset_in = Some(after.as_secs());
        self
    }

    /// Adds `Retry-After` (whole seconds).
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after.as_secs());
        self
    }

    /// The endpoint that answers 429.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }

    /// `X-Rate-Limit-Reset` relative to now; `None` for the start of the next minute.
    pub fn reset_after(&self) -> Option<Duration> {
        self.reset_in.map(Duration::from_secs)
    }

    /// The second `X-Rate-Limit-Reset`, relative to now.
    pub fn duplicate_reset_after(&self) -> Option<Duration> {
        self.duplicate_reset_in.map(Duration::from_secs)
    }

    /// `Retry-After`.
    pub fn retry_after_value(&self) -> Option<Duration> {
        self.retry_after.map(Duration::from_secs)
    }
}

/// One way for the server to misbehave, armed through [`Faults`] or `POST /devserver/faults`.
///
/// The JSON form (admin route) is `{"fault": "<variant in snake_case>", "with": <fields>}`, for
/// example `{"fault":"invalid_grant"}`, `{"fault":"id_token","with":"alg_none"}` or
/// `{"fault":"server_error","with":{"endpoint":"keys","status":503}}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "fault", content = "with", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// The next access token (from any grant) gets this fault.
    AccessToken(TokenFault),
    /// The next redirect back from `/authorize` carries no `iss` even though the server
    /// advertises RFC 9207 support (FAPI `remove-authorization-response-iss`).
    AuthorizationResponseMissingIss,
    /// The next redirect back from `/authorize` carries `iss` = issuer + `"1"` (FAPI
    /// `invalid-authorization-response-iss`), whether or not RFC 9207 is advertised.
    AuthorizationResponseWrongIss,
    /// The next request to `endpoint` is answered normally after `duration`.
    Delay {
        /// The endpoint to slow down.
        endpoint: Endpoint,
        /// How long to wait (milliseconds in JSON, field `millis`).
        #[serde(rename = "millis", serialize_with = "millis_out", deserialize_with = "millis_in")]
        duration: Duration,
    },
    /// The next discovery document has `issuer` + `"INVALID"`
    /// (`rp-discovery-issuer-not-matching-config`).
    DiscoveryIssuerMismatch,
    /// The next request to the endpoint gets `200 OK` with an HTML body.
    HtmlBody(Endpoint),
    /// The next ID token gets this fault.
    IdToken(TokenFault),
    /// The next `/token` request fails with `400 invalid_grant`.
    InvalidGrant,
    /// Until cleared, the JWKS also lists a `kty: "AKP"` key with bogus parameters and a key of
    /// a made-up `kty`, each with its own `kid` (`oidcc-client-test-ignores-unparseable-key-in-jwks`).
    JwksUnusableKeys,
    /// Until cleared, discovery advertises `jwks_uri` at a random path (`.../v1/jwks` + 10
    /// letters), which serves the keys, while the usual `/v1/keys` answers 404
    /// (`rp-discovery-jwks_uri-keys`).
    JwksUriRandomPath,
    /// The next request to `endpoint` gets `200 OK` with a JSON-looking body of `bytes` bytes
    /// (10 MiB is a good test of a client's response cap).
    OversizedBody {
        /// The endpoint whose response is oversized.
        endpoint: Endpoint,
        /// The body length in bytes.
        bytes: usize,
    },
    /// The next request to the endpoint gets `429 Too Many Requests` with Okta's `E0000047` body
    /// and `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining: 0` and `X-Rate-Limit-Reset`.
    RateLimited(Endpoint),
    /// The next request to the fault's endpoint gets a 429 whose reset time, second reset
    /// header and `Retry-After` the [`RateLimitFault`] sets. JSON:
    /// `{"fault":"rate_limited_with","with":{"endpoint":"token","reset_in":5,"duplicate_reset_in":30,"retry_after":3}}`.
    RateLimitedWith(RateLimitFault),
    /// The next request to `endpoint` gets a redirect (`status` 301, 302, 303, 307 or 308) to
    /// `/devserver/redirected` on this server, which records whether the client followed it.
    Redirect {
        /// The endpoint that redirects.
        endpoint: Endpoint,
        /// The redirect status.
        status: u16,
    },
    /// The next ID token from a `refresh_token` grant has `iss` + `"1"`
    /// (`oidcc-client-test-refresh-token-invalid-issuer`).
    RefreshIdTokenWrongIssuer,
    /// The next ID token from a `refresh_token` grant has `sub` + `"1"`
    /// (`oidcc-client-test-refresh-token-invalid-sub`).
    RefreshIdTokenWrongSubject,
    /// The next request to `endpoint` gets `status` (a 5xx, for example 503 to make `/keys`
    /// fail) with Okta's `E0000009` error body.
    ServerError {
        /// The endpoint that fails.
        endpoint: Endpoint,
        /// The status code (anything from 400 to 599 is accepted; use 5xx).
        status: u16,
    },
    /// The next successful `/token` response is broken this way (the tokens are minted and
    /// valid; the client just cannot use the response).
    TokenResponse(TokenResponseFault),
    /// The next `/userinfo` response has `sub` + `"invalid"` (`rp-userinfo-bad-sub-claim`).
    UserinfoSubMismatch,
}

impl Fault {
    /// Whether the fault stays in effect until cleared instead of counting down.
    fn is_sticky(&self) -> bool {
        matches!(self, Self::JwksUnusableKeys | Self::JwksUriRandomPath)
    }
}

/// A fault waiting to fire, as listed by [`Faults::armed`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArmedFault {
    #[serde(flatten)]
    fault: Fault,
    remaining: Option<u32>,
}

impl ArmedFault {
    /// The fault.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// How many more times it fires; `None` until cleared.
    pub fn remaining(&self) -> Option<u32> {
        self.remaining
    }
}

/// The handle to arm, list and clear faults (cheap to clone; clones share state).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    state: Arc<Mutex<FaultState>>,
}

#[derive(Debug, Default)]
struct FaultState {
    armed: Vec<ArmedFault>,
    fired: Vec<Fault>,
}

/// At most this many fired faults are remembered (the oldest are dropped).
const FIRED_HISTORY: usize = 10_000;

impl Faults {
    /// Arms `fault` for the next event it applies to.
    pub fn arm(&self, fault: Fault) {
        self.arm_times(fault, 1);
    }

    /// Arms `fault` for the next `times` events (0 does nothing).
    pub fn arm_times(&self, fault: Fault, times: u32) {
        if times > 0 {
            self.lock().armed.push(ArmedFault { fault, remaining: Some(times) });
        }
    }

    /// Arms `fault` until [`Faults::clear`].
    pub fn arm_always(&self, fault: Fault) {
        self.lock().armed.push(ArmedFault { fault, remaining: None });
    }

    /// Disarms every fault and forgets the ones that fired.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.armed.clear();
        state.fired.clear();
    }

    /// The faults still armed, oldest first.
    pub fn armed(&self) -> Vec<ArmedFault> {
        self.lock().armed.clone()
    }

    /// The faults that fired since the last [`Faults::clear`], in order.
    pub fn fired(&self) -> Vec<Fault> {
        self.lock().fired.clone()
    }

    /// Consumes one arming of the first armed fault that `select` accepts.
    pub(crate) fn take<T>(&self, select: impl Fn(&Fault) -> Option<T>) -> Option<T> {
        let mut state = self.lock();
        let index = state
            .armed
            .iter()
            .position(|armed| !armed.fault.is_sticky() && select(&armed.fault).is_some())?;
        let fault = state.armed[index].fault.clone();
        match &mut state.armed[index].remaining {
            Some(1) => {
                state.armed.remove(index);
            }
            Some(remaining) => *remaining -= 1,
            None => {}
        }
        record_fired(&mut state, fault.clone());
        select(&fault)
    }

    /// Consumes one arming of every armed fault that `select` accepts (each fault once).
    pub(crate) fn take_all<T>(&self, select: impl Fn(&Fault) -> Option<T>) -> Vec<T> {
        let mut taken = Vec::new();
        let mut state = self.lock();
        let mut index = 0;
        while index < state.armed.len() {
            let armed = &mut state.armed[index];
            let selected = if armed.fault.is_sticky() { None } else { select(&armed.fault) };
            let Some(value) = selected else {
                index += 1;
                continue;
            };
            taken.push(value);
            let fault = armed.fault.clone();
            match &mut armed.remaining {
                Some(1) => {
                    state.armed.remove(index);
                }
                Some(remaining) => {
                    *remaining -= 1;
                    index += 1;
                }
                None => index += 1,
            }
            record_fired(&mut state, fault);
        }
        taken
    }

    /// Whether `fault` is armed (sticky faults) and records that it took effect.
    pub(crate) fn sticky_in_effect(&self, fault: &Fault) -> bool {
        let mut state = self.lock();
        let in_effect = state.armed.iter().any(|armed| &armed.fault == fault);
        if in_effect {
            record_fired(&mut state, fault.clone());
        }
        in_effect
    }

    /// Whether a fault that `select` accepts is armed or fired since the last clear.
    pub(crate) fn armed_or_fired(&self, select: impl Fn(&Fault) -> bool) -> bool {
        let state = self.lock();
        state.armed.iter().any(|armed| select(&armed.fault)) || state.fired.iter().any(select)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn record_fired(state: &mut FaultState, fault: Fault) {
    if state.fired.len() >= FIRED_HISTORY {
        state.fired.remove(0);
    }
    state.fired.push(fault);
}

fn millis_out<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

fn millis_in<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

#[cfg(test)]
mod tests;
