//! One abstraction over every way of checking a bearer token, which the axum layer and its
//! extractors take: local JWT validation, introspection, a chain over several issuers, and the
//! verifiers teams write.

use std::sync::Arc;

use crate::core::unverified_issuer;
use crate::error::{ConfigError, VerifyError, untrusted};
use crate::{AccessTokenVerifier, IntrospectedToken, IntrospectionVerifier, VerifiedAccessToken};

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

    /// The scopes every token must grant, named in the `scope` of a 403's challenge. Defaults to
    /// none.
    fn required_scopes(&self) -> Vec<String> {
        Vec::new()
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

    fn required_scopes(&self) -> Vec<String> {
        self.options().required_scopes.iter().map(|scope| scope.as_str().to_owned()).collect()
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
        let issuer = unverified_issuer(token, self.max_token_len())?;
        match self.verifiers.iter().find(|verifier| verifier.options().issuer == issuer.as_str()) {
            Some(verifier) => verifier.verify(token).await,
            None => Err(VerifyError::WrongIssuer {
                expected: self
                    .verifiers
                    .iter()
                    .map(|verifier| verifier.options().issuer.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                found: untrusted(&issuer),
            }),
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
}
