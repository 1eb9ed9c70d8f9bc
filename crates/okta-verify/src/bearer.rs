//! One abstraction over every way of checking a bearer token, which the axum layer and its
//! extractors take: local JWT validation, introspection, a chain over several issuers, and the
//! verifiers teams write.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::core::unverified_issuer;
use crate::error::{ConfigError, VerifyError, untrusted};
use crate::jws::Algorithm;
use crate::telemetry::{self, Verifier};
use crate::{
    AccessTokenVerifier, IntrospectedToken, IntrospectionVerifier, OktaAccessTokenClaims,
    VerifiedAccessToken,
};

/// Checks a bearer token (RFC 6750) and says what it grants. The axum layer
/// ([`BearerAuthLayer`](crate::axum::BearerAuthLayer)) takes any implementation and hands the
/// [`Verified`](BearerVerifier::Verified) value to the handler through the request's extensions.
///
/// Implemented by [`AccessTokenVerifier`] (custom-server JWTs, checked locally),
/// [`IntrospectionVerifier`] (the org server or opaque tokens) and [`IssuerChain`] (several
/// issuers); a team's own verifier implements it the same way. A refusal is a [`VerifyError`],
/// whose [`kind`](VerifyError::kind) and classes decide the status (401, 403 or 503).
pub trait BearerVerifier: Clone + Send + Sync + 'static {
    /// What a verified token gives the handler.
    type Verified: Clone + Send + Sync + 'static;

    /// Verifies `token`; never fails open.
    fn verify_bearer(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Self::Verified, VerifyError>> + Send;

    /// The outcome of [`verify_bearer`](Self::verify_bearer) when it is known without waiting (a
    /// cache hit, or a token checked with keys already held), or `None` when only
    /// `verify_bearer` can tell (keys to fetch, an endpoint to call). It must give the outcome
    /// `verify_bearer` would, and `None` must have no effect: the layer then calls
    /// `verify_bearer`. [`BearerAuthLayer`](crate::axum::BearerAuthLayer) asks here first and,
    /// with an answer, serves the request without boxing a future or cloning the inner service.
    /// The default is always `None`.
    fn verify_now(&self, token: &str) -> Option<Result<Self::Verified, VerifyError>> {
        let _ = token;
        None
    }

    /// The scopes every token must grant, named in the `scope` of a 403's challenge. Defaults to
    /// none.
    fn required_scopes(&self) -> Vec<String> {
        Vec::new()
    }

    /// The claims of a token this verifier accepted, as per-route rules
    /// ([`Require`](crate::axum::Require)) and typed claims
    /// ([`VerifiedAccessToken<C>`](VerifiedAccessToken)) read them. Defaults to `None`: a verifier
    /// that exposes no claims, under which every route rule and typed claims extractor fails
    /// closed (500, logged as a misconfiguration).
    fn claims_of(verified: &Self::Verified) -> Option<&dyn BearerClaims> {
        let _ = verified;
        None
    }
}

/// The claims of a verified token, whatever verified it: what per-route rules and typed claims
/// read. Implemented by [`VerifiedAccessToken`] and [`IntrospectedToken`]; a team's verifier
/// implements it for its own `Verified` type and returns it from [`BearerVerifier::claims_of`].
pub trait BearerClaims: Send + Sync {
    /// The scopes the token grants (`scp` of a JWT, `scope` of an introspection answer).
    fn scopes(&self) -> &[String];

    /// Every claim as one flat JSON object, in the names and shapes the token carried (a single
    /// audience as a string), which typed claims are deserialized from.
    fn claims_object(&self) -> Map<String, Value>;

    /// One claim by name, `None` when absent. Defaults to a lookup in
    /// [`claims_object`](BearerClaims::claims_object).
    fn claim(&self, name: &str) -> Option<Value> {
        self.claims_object().remove(name)
    }

    /// The `kid` of the key that verified the token, when it was checked locally. Defaults to
    /// `None`.
    fn kid(&self) -> Option<&str> {
        None
    }

    /// The algorithm that verified the token, when it was checked locally. Defaults to `None`.
    fn algorithm(&self) -> Option<Algorithm> {
        None
    }
}

impl BearerClaims for VerifiedAccessToken {
    fn scopes(&self) -> &[String] {
        &self.claims().scp
    }

    fn claims_object(&self) -> Map<String, Value> {
        let claims = self.claims();
        let mut object = claims.extra.clone();
        for name in ACCESS_CLAIMS {
            if let Some(value) = access_claim(claims, name) {
                object.insert((*name).to_owned(), value);
            }
        }
        object
    }

    fn claim(&self, name: &str) -> Option<Value> {
        let claims = self.claims();
        if ACCESS_CLAIMS.contains(&name) {
            access_claim(claims, name)
        } else {
            claims.extra.get(name).cloned()
        }
    }

    fn kid(&self) -> Option<&str> {
        VerifiedAccessToken::kid(self)
    }

    fn algorithm(&self) -> Option<Algorithm> {
        self.signature_algorithm()
    }
}

impl BearerClaims for IntrospectedToken {
    fn scopes(&self) -> &[String] {
        &self.claims().scope
    }

    fn claims_object(&self) -> Map<String, Value> {
        let claims = self.claims();
        let mut object = claims.extra.clone();
        let strings = [
            ("sub", &claims.sub),
            ("username", &claims.username),
            ("uid", &claims.uid),
            ("client_id", &claims.client_id),
            ("iss", &claims.iss),
            ("token_type", &claims.token_type),
            ("jti", &claims.jti),
        ];
        for (name, value) in strings {
            if let Some(value) = value {
                object.insert(name.to_owned(), Value::from(value.as_str()));
            }
        }
        for (name, value) in [("exp", claims.exp), ("iat", claims.iat), ("nbf", claims.nbf)] {
            if let Some(value) = value {
                object.insert(name.to_owned(), Value::from(value));
            }
        }
        object.insert("scope".to_owned(), Value::from(claims.scope.join(" ")));
        if let Some(aud) = audience(&claims.aud) {
            object.insert("aud".to_owned(), aud);
        }
        object
    }
}

/// The typed members of [`OktaAccessTokenClaims`], by their claim names.
const ACCESS_CLAIMS: &[&str] =
    &["iss", "sub", "aud", "exp", "iat", "nbf", "cid", "uid", "scp", "jti", "auth_time", "ver"];

fn access_claim(claims: &OktaAccessTokenClaims, name: &str) -> Option<Value> {
    let string = |value: &Option<String>| value.as_deref().map(Value::from);
    match name {
        "iss" => Some(Value::from(claims.iss.as_str())),
        "sub" => Some(Value::from(claims.sub.as_str())),
        "aud" => audience(&claims.aud),
        "exp" => Some(Value::from(claims.exp)),
        "iat" => Some(Value::from(claims.iat)),
        "nbf" => claims.nbf.map(Value::from),
        "cid" => string(&claims.cid),
        "uid" => string(&claims.uid),
        "scp" => Some(Value::from(claims.scp.clone())),
        "jti" => string(&claims.jti),
        "auth_time" => claims.auth_time.map(Value::from),
        "ver" => claims.ver.map(Value::from),
        _ => None,
    }
}

/// `aud` as tokens carry it: a string for one audience, an array for several.
fn audience(aud: &[String]) -> Option<Value> {
    match aud {
        [] => None,
        [one] => Some(Value::from(one.as_str())),
        several => Some(Value::from(several.to_vec())),
    }
}

impl BearerVerifier for AccessTokenVerifier {
    type Verified = VerifiedAccessToken;

    fn verify_bearer(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<VerifiedAccessToken, VerifyError>> + Send {
        self.verify(token)
    }

    fn verify_now(&self, token: &str) -> Option<Result<VerifiedAccessToken, VerifyError>> {
        AccessTokenVerifier::verify_now(self, token)
    }

    fn required_scopes(&self) -> Vec<String> {
        self.options().required_scopes.iter().map(|scope| scope.as_str().to_owned()).collect()
    }

    fn claims_of(verified: &VerifiedAccessToken) -> Option<&dyn BearerClaims> {
        Some(verified)
    }
}

impl BearerVerifier for IntrospectionVerifier {
    type Verified = IntrospectedToken;

    fn verify_bearer(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<IntrospectedToken, VerifyError>> + Send {
        self.verify(token)
    }

    fn required_scopes(&self) -> Vec<String> {
        self.options().required_scopes.iter().map(|scope| scope.as_str().to_owned()).collect()
    }

    fn claims_of(verified: &IntrospectedToken) -> Option<&dyn BearerClaims> {
        Some(verified)
    }
}

/// Access-token verifiers for several issuers behind one guard (a service trusting two
/// authorization servers). The token's `iss` is read before any signature work, and picks the
/// verifier configured for exactly that issuer; a token of any other issuer is refused with
/// `wrong_issuer`, without a key lookup or a network call.
#[derive(Debug, Clone)]
pub struct IssuerChain {
    verifiers: Arc<[AccessTokenVerifier]>,
}

impl IssuerChain {
    /// A chain over `verifiers`, one per issuer: at least one, and no issuer twice.
    pub fn new(
        verifiers: impl IntoIterator<Item = AccessTokenVerifier>,
    ) -> Result<Self, ConfigError> {
        let verifiers: Vec<AccessTokenVerifier> = verifiers.into_iter().collect();
        if verifiers.is_empty() {
            return Err(ConfigError::OutOfRange {
                name: "verifiers",
                reason: "at least one verifier is required",
            });
        }
        for (index, verifier) in verifiers.iter().enumerate() {
            let issuer = &verifier.options().issuer;
            if verifiers[..index].iter().any(|earlier| earlier.options().issuer == *issuer) {
                return Err(ConfigError::OutOfRange {
                    name: "verifiers",
                    reason: "two verifiers for one issuer",
                });
            }
        }
        Ok(Self { verifiers: verifiers.into() })
    }

    /// Verifies `token` with the verifier of its issuer.
    pub async fn verify(&self, token: &str) -> Result<VerifiedAccessToken, VerifyError> {
        self.choose(token)?.verify(token).await
    }

    /// [`verify`](Self::verify) when it needs no wait (see [`BearerVerifier::verify_now`]).
    fn verify_now(&self, token: &str) -> Option<Result<VerifiedAccessToken, VerifyError>> {
        match self.choose(token) {
            Ok(verifier) => verifier.verify_now(token),
            Err(err) => Some(Err(err)),
        }
    }

    /// The verifier of the token's unverified `iss`, or the refusal.
    fn choose(&self, token: &str) -> Result<&AccessTokenVerifier, VerifyError> {
        let refused = |err: VerifyError| {
            // The chosen verifier counts its own verifications; these never reach one.
            telemetry::refusal(Verifier::Access, &err);
            err
        };
        let issuer = unverified_issuer(token, self.max_token_len()).map_err(refused)?;
        match self.verifiers.iter().find(|verifier| verifier.options().issuer == issuer.as_str()) {
            Some(verifier) => Ok(verifier),
            None => Err(refused(VerifyError::WrongIssuer {
                expected: self
                    .verifiers
                    .iter()
                    .map(|verifier| verifier.options().issuer.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                found: untrusted(&issuer),
            })),
        }
    }

    /// The verifiers, in the order given.
    pub fn verifiers(&self) -> &[AccessTokenVerifier] {
        &self.verifiers
    }

    fn max_token_len(&self) -> usize {
        self.verifiers.iter().map(|verifier| verifier.options().max_token_len).max().unwrap_or(0)
    }
}

impl BearerVerifier for IssuerChain {
    type Verified = VerifiedAccessToken;

    fn verify_bearer(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<VerifiedAccessToken, VerifyError>> + Send {
        self.verify(token)
    }

    fn verify_now(&self, token: &str) -> Option<Result<VerifiedAccessToken, VerifyError>> {
        IssuerChain::verify_now(self, token)
    }

    fn claims_of(verified: &VerifiedAccessToken) -> Option<&dyn BearerClaims> {
        Some(verified)
    }
}
