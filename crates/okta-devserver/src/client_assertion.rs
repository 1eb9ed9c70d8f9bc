//! JWT client authentication (RFC 7523) as Okta checks it: `client_secret_jwt` (HMAC with the
//! client secret) and `private_key_jwt` (a signature verified with the client's registered
//! keys), the claims `iss`, `sub`, `aud`, `exp`, `iat`, `nbf` and `jti`, and the memory of used
//! `jti`s that makes an assertion single-use.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::client_keys::{AssertionAlg, verify_hmac};
use crate::config::{Client, ClientAuthMethod};

/// The only `client_assertion_type` there is.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An `exp` further ahead than this is refused (Okta: "more than one hour in the future").
const MAX_LIFETIME_SECS: u64 = 3600;

/// How far in the future `iat` and `nbf` may be, for clocks that are slightly off.
const LEEWAY_SECS: u64 = 60;

/// Okta asks at least this many characters of a secret that signs a `client_secret_jwt`.
const MIN_HMAC_SECRET_CHARS: usize = 32;

/// At most this many unexpired `jti`s are remembered.
const JTI_CAPACITY: usize = 100_000;

/// A client assertion as sent, decoded but not yet verified.
#[derive(Clone, Debug)]
pub(crate) struct Assertion {
    /// `header.claims`, the signed part.
    signing_input: String,
    signature: String,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl Assertion {
    /// Splits and decodes a compact JWS; `None` unless it is three base64url parts of which the
    /// first two are JSON objects.
    pub(crate) fn read(jwt: &str) -> Option<Self> {
        let mut parts = jwt.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let object = |segment: &str| -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
            match serde_json::from_slice(&bytes).ok()? {
                Value::Object(object) => Some(object),
                _ => None,
            }
        };
        Some(Self {
            signing_input: format!("{header}.{claims}"),
            signature: signature.to_owned(),
            header: object(header)?,
            claims: object(claims)?,
        })
    }

    /// The header's `alg`, if Okta accepts it for client assertions.
    pub(crate) fn alg(&self) -> Option<AssertionAlg> {
        self.header.get("alg").and_then(Value::as_str).and_then(AssertionAlg::parse)
    }

    /// The method the assertion is for: `client_secret_jwt` for HMAC, `private_key_jwt` for
    /// signatures; `None` for an algorithm Okta does not accept.
    pub(crate) fn method(&self) -> Option<ClientAuthMethod> {
        self.alg().map(|alg| {
            if alg.is_hmac() {
                ClientAuthMethod::ClientSecretJwt
            } else {
                ClientAuthMethod::PrivateKeyJwt
            }
        })
    }

    /// The `iss` claim, which names the client.
    pub(crate) fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }

    /// The client the assertion is from: `iss`, which must equal `sub`.
    pub(crate) fn client_id(&self) -> Result<&str, AssertionFailure> {
        let subject = self.claims.get("sub").and_then(Value::as_str);
        match (self.issuer(), subject) {
            (Some(issuer), Some(subject)) if !issuer.is_empty() && issuer == subject => Ok(issuer),
            _ => Err(AssertionFailure::IssuerSubject),
        }
    }
}

/// What the assertion must match besides the client: the endpoint it is sent to and the time.
pub(crate) struct Expectations<'a> {
    /// The exact URL of the endpoint called, which `aud` must name.
    pub(crate) endpoint_url: &'a str,
    /// Unix seconds, by the server's clock.
    pub(crate) now: u64,
    /// Where used `jti`s are remembered.
    pub(crate) jtis: &'a JtiCache,
}

/// Verifies an assertion of `client`, whose registered method the caller has matched to the
/// assertion's: the signature first, then `aud`, `exp`, `iat`, `nbf`, and last the `jti`,
/// which is consumed only by an assertion that passed every other check.
pub(crate) fn verify(
    assertion: &Assertion,
    client: &Client,
    expect: &Expectations<'_>,
) -> Result<(), AssertionFailure> {
    let alg = assertion.alg().ok_or(AssertionFailure::Algorithm)?;
    let message = assertion.signing_input.as_bytes();
    let signature = assertion.signature.as_str();
    if alg.is_hmac() {
        let secret = client.secret().unwrap_or_default();
        if secret.chars().count() < MIN_HMAC_SECRET_CHARS {
            return Err(AssertionFailure::SecretTooShort);
        }
        if !verify_hmac(alg, secret, message, signature) {
            return Err(AssertionFailure::Signature);
        }
    } else {
        let keys = client.keys();
        let kid = assertion.header.get("kid").map(|kid| kid.as_str().ok_or(AssertionFailure::Kid));
        let key = match kid.transpose()? {
            Some(kid) => keys
                .iter()
                .find(|key| key.kid() == Some(kid))
                .or_else(|| keys.first().filter(|key| keys.len() == 1 && key.kid().is_none())),
            None if keys.len() == 1 => keys.first(),
            None => None,
        };
        let key = key.ok_or(AssertionFailure::Kid)?;
        if !key.verifies(alg, message, signature) {
            return Err(AssertionFailure::Signature);
        }
    }
    check_audience(assertion.claims.get("aud"), expect.endpoint_url)?;
    let now = expect.now;
    let exp = time_claim(&assertion.claims, "exp")?.ok_or(AssertionFailure::MissingExpiry)?;
    if exp <= now {
        return Err(AssertionFailure::Expired);
    }
    if exp > now.saturating_add(MAX_LIFETIME_SECS) {
        return Err(AssertionFailure::ExpiryTooFar);
    }
    if time_claim(&assertion.claims, "iat")?.is_some_and(|iat| iat > now + LEEWAY_SECS) {
        return Err(AssertionFailure::IssuedInFuture);
    }
    if time_claim(&assertion.claims, "nbf")?.is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
        return Err(AssertionFailure::NotYetValid);
    }
    match assertion.claims.get("jti") {
        None => Ok(()),
        Some(Value::String(jti)) if !jti.is_empty() => {
            expect.jtis.consume(client.id(), jti, exp, now)
        }
        Some(_) => Err(AssertionFailure::InvalidClaim("jti")),
    }
}

/// Why an assertion was refused. Every one is a 401 `invalid_client`; [`Self::description`] is
/// the `error_description`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AssertionFailure {
    /// `alg` is not one Okta accepts for assertions (`none`, `PS256`, `EdDSA`, ...).
    Algorithm,
    /// `aud` is not the exact URL of the endpoint called.
    Audience,
    /// No client has the id the assertion names, or the client is registered for another
    /// authentication method (Okta's generic text: which one is not told).
    Client,
    /// `exp` is not in the future.
    Expired,
    /// `exp` is more than an hour ahead.
    ExpiryTooFar,
    /// A time claim is not a number, or `jti` is not a string.
    InvalidClaim(&'static str),
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// `iss` and `sub` are not both the client id.
    IssuerSubject,
    /// No key of the client matches the header's `kid` (or there is no `kid` and several keys).
    Kid,
    /// Not a JWS of three base64url parts with JSON header and claims.
    Malformed,
    /// No `exp`.
    MissingExpiry,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// The `jti` was used before (and its assertion has not expired).
    Replayed,
    /// The client secret is too short to be an HMAC key.
    SecretTooShort,
    /// The signature does not verify.
    Signature,
    /// The server remembers too many unexpired `jti`s to accept another one.
    TooManyJtis,
}

impl AssertionFailure {
    /// The `error_description`: Okta's own text where one is known (see `docs/devserver.md`).
    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::Algorithm => {
                "The client_assertion token is signed with an unsupported algorithm."
            }
            Self::Audience => {
                "The audience claim for client_assertion must be the endpoint invoked for the request."
            }
            Self::Client => {
                "Client authentication failed. Either the client or the client credentials are \
                 invalid."
            }
            Self::Expired => "The client_assertion token is expired.",
            Self::ExpiryTooFar => {
                "The client_assertion token has an expiration too far into the future."
            }
            Self::InvalidClaim("jti") => "The client_assertion token has an invalid 'jti' claim.",
            Self::InvalidClaim("iat") => "The client_assertion token has an invalid 'iat' claim.",
            Self::InvalidClaim("nbf") => "The client_assertion token has an invalid 'nbf' claim.",
            Self::InvalidClaim(_) => "The client_assertion token has an invalid 'exp' claim.",
            Self::IssuedInFuture => "The client_assertion token was issued in the future.",
            Self::IssuerSubject => {
                "The client_assertion token must have 'iss' and 'sub' claims equal to the client_id."
            }
            Self::Kid => "The client_assertion JWT kid is invalid.",
            Self::Malformed => "The client_assertion is not a well-formed JWT.",
            Self::MissingExpiry => "The client_assertion token must have an 'exp' claim.",
            Self::NotYetValid => "The client_assertion token is not valid yet.",
            Self::Replayed => "The client_assertion token has already been used.",
            Self::SecretTooShort => "The client secret is too short to verify a JWT HMAC.",
            Self::Signature => "The client_assertion signature is invalid.",
            Self::TooManyJtis => {
                "okta-devserver remembers too many unexpired client_assertion jti values; retry \
                 once some have expired."
            }
        }
    }
}

/// The `jti`s of accepted assertions, per client, each until its assertion's `exp`.
#[derive(Debug)]
pub(crate) struct JtiCache {
    seen: Mutex<HashMap<(String, String), u64>>,
    capacity: usize,
}

impl Default for JtiCache {
    fn default() -> Self {
        Self::with_capacity(JTI_CAPACITY)
    }
}

impl JtiCache {
    /// A cache that holds at most `capacity` unexpired `jti`s.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self { seen: Mutex::new(HashMap::new()), capacity }
    }

    /// Marks `jti` of `client_id` used until `exp`; refuses it if it is in use. When full, the
    /// expired entries go first; if none has expired the assertion is refused rather than an
    /// entry forgotten, so that a replay can never slip through.
    pub(crate) fn consume(
        &self,
        client_id: &str,
        jti: &str,
        exp: u64,
        now: u64,
    ) -> Result<(), AssertionFailure> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (client_id.to_owned(), jti.to_owned());
        if seen.get(&key).is_some_and(|until| *until > now) {
            return Err(AssertionFailure::Replayed);
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, until| *until > now);
        }
        if seen.len() >= self.capacity {
            return Err(AssertionFailure::TooManyJtis);
        }
        seen.insert(key, exp);
        Ok(())
    }
}

fn check_audience(aud: Option<&Value>, endpoint_url: &str) -> Result<(), AssertionFailure> {
    let matches = match aud {
        Some(Value::String(aud)) => aud == endpoint_url,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud == endpoint_url),
        _ => false,
    };
    if matches { Ok(()) } else { Err(AssertionFailure::Audience) }
}

/// A `NumericDate` claim in whole seconds (fractions dropped); `Ok(None)` when absent.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a non-negative number of seconds: the fraction is dropped on purpose, and `as` \
              saturates the absurdly large"
)]
fn time_claim(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<u64>, AssertionFailure> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .or_else(|| value.as_f64().filter(|secs| *secs >= 0.0).map(|secs| secs as u64))
            .map(Some)
            .ok_or(AssertionFailure::InvalidClaim(name)),
    }
}

#[cfg(test)]
mod tests;
