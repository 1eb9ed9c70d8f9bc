//! Authenticated requests to Okta's OAuth endpoints: the client's credentials, and the one place
//! that puts them on a request to `/token`, `/introspect` or `/revoke`.
//!
//! Client authentication is not verification, so it lives here, below okta-verify: okta-verify
//! (introspection), okta-flow (code exchange, refresh, revocation) and okta-service (client
//! credentials, token exchange) share it. The method is okta-config's [`ClientAuthMethod`], the
//! one the settings produce.
//!
//! The two JWT methods (RFC 7523) sign a fresh assertion for every request: `iss` = `sub` = the
//! client id, `aud` = the exact URL of the endpoint called, a random `jti` (Okta consumes each
//! `jti`, even on a failed request, so a retry must re-sign), `iat` now and `exp` five minutes
//! later (Okta refuses more than an hour), and the key's `kid` in the header.

// Every client authentication method must be handled here, never by a fallback arm.
#![warn(clippy::wildcard_enum_match_arm)]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{self, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RsaKeyPair};
use aws_lc_rs::{hmac, rand};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Method, Request, header};
use okta_config::{
    ClientAuthMethod, ClientId, ClientSecret, ClientSigningKey, Settings, SigningAlgorithm,
};
use url::Url;
use url::form_urlencoded;

use crate::Clock;

/// How long a client assertion is valid: Okta refuses an `exp` more than an hour ahead; a
/// short life limits what a leaked assertion is worth (it is single-use anyway).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The shortest secret `client_secret_jwt` signs with (HS256 needs 256 bits; Okta requires 32
/// characters).
const MIN_JWT_SECRET_CHARS: usize = 32;

/// The `client_assertion_type` of RFC 7523 §2.2.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's id and what proves it to Okta's OAuth endpoints, for one
/// [authentication method](ClientAuthMethod).
///
/// Build it with [`ClientCredentials::from_settings`], or with the constructor of a method.
/// `Debug` never shows the secret, and there is no `PartialEq`: secrets are not compared.
#[derive(Clone)]
pub struct ClientCredentials {
    client_id: ClientId,
    proof: Proof,
    /// What assertions read `iat` and `exp` from.
    clock: Clock,
}

/// What authenticates the client, per method. Private, so that methods that prove the client
/// otherwise (a signed assertion, or nothing for a public client) can be added with their own
/// constructors without changing this type's API.
#[derive(Clone)]
enum Proof {
    /// `client_secret_basic`.
    BasicSecret(ClientSecret),
    /// `client_secret_post`.
    PostSecret(ClientSecret),
    /// `client_secret_jwt`: an HS256 assertion keyed with the secret.
    SecretJwt(ClientSecret),
    /// `private_key_jwt`: an RS256 or ES256 assertion signed with the private key.
    PrivateKeyJwt(Arc<Signer>),
    /// `none`: a public client, `client_id` in the body.
    Public,
}

/// A parsed private key and the `kid` of its public half at Okta.
struct Signer {
    key: SignerKey,
    key_id: Option<String>,
}

enum SignerKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl Signer {
    fn algorithm(&self) -> &'static str {
        match self.key {
            SignerKey::Rsa(_) => "RS256",
            SignerKey::Ec(_) => "ES256",
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ClientAuthError> {
        let random = rand::SystemRandom::new();
        match &self.key {
            SignerKey::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &random, message, &mut signature)
                    .map_err(|_| ClientAuthError::Signing)?;
                Ok(signature)
            }
            SignerKey::Ec(key) => key
                .sign(&random, message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| ClientAuthError::Signing),
        }
    }
}

/// Why client credentials could not be built, or applied to a request.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientAuthError {
    /// The settings describe no OAuth client (`client_id` is not set).
    #[error("no client_id is configured")]
    MissingClientId,
    /// The settings' authentication method needs a client secret and none is configured.
    #[error("client_auth_method {method} needs a client_secret, and none is configured")]
    MissingClientSecret {
        /// The configured method.
        method: ClientAuthMethod,
    },
    /// `client_secret_jwt` needs a secret of at least 32 characters (HS256 needs 256 bits).
    #[error(
        "client_auth_method client_secret_jwt needs a client_secret of at least {min} characters: \
         generate a new secret in the Okta application's General tab"
    )]
    SecretTooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// `private_key_jwt` needs a private key and none is configured.
    #[error(
        "client_auth_method private_key_jwt needs a private key (client_private_key or \
         client_private_key_file), and none is configured"
    )]
    MissingSigningKey,
    /// The private key cannot be used to sign (okta-config checked it, so this means it was
    /// built by hand from bad bytes).
    #[error("the client's private key cannot sign {algorithm} assertions")]
    InvalidSigningKey {
        /// The algorithm the key was given for.
        algorithm: SigningAlgorithm,
    },
    /// Signing a client assertion failed, or the system's random generator failed.
    #[error("cannot sign the client assertion")]
    Signing,
    /// The endpoint URL cannot be the target of an HTTP request.
    #[error("cannot build the request to the endpoint")]
    Request(#[source] Arc<http::Error>),
}

impl ClientCredentials {
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1), Okta's default.
    pub fn client_secret_basic(client_id: ClientId, secret: ClientSecret) -> Self {
        Self::new(client_id, Proof::BasicSecret(secret))
    }

    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    pub fn client_secret_post(client_id: ClientId, secret: ClientSecret) -> Self {
        Self::new(client_id, Proof::PostSecret(secret))
    }

    /// A client assertion (RFC 7523) signed with HS256 under the secret, which must be at least
    /// 32 characters.
    pub fn client_secret_jwt(
        client_id: ClientId,
        secret: ClientSecret,
    ) -> Result<Self, ClientAuthError> {
        if secret.secret().chars().count() < MIN_JWT_SECRET_CHARS {
            return Err(ClientAuthError::SecretTooShort { min: MIN_JWT_SECRET_CHARS });
        }
        Ok(Self::new(client_id, Proof::SecretJwt(secret)))
    }

    /// A client assertion (RFC 7523) signed with the private key (RS256 or ES256, as the key
    /// says), with the key's `kid` in the header.
    pub fn private_key_jwt(
        client_id: ClientId,
        key: &ClientSigningKey,
    ) -> Result<Self, ClientAuthError> {
        let algorithm = key.algorithm();
        let invalid = |_| ClientAuthError::InvalidSigningKey { algorithm };
        let parsed = match algorithm {
            SigningAlgorithm::Rs256 => {
                SignerKey::Rsa(RsaKeyPair::from_pkcs8(key.pkcs8_der()).map_err(invalid)?)
            }
            SigningAlgorithm::Es256 => SignerKey::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.pkcs8_der())
                    .map_err(invalid)?,
            ),
        };
        let signer = Signer { key: parsed, key_id: key.key_id().map(str::to_owned) };
        Ok(Self::new(client_id, Proof::PrivateKeyJwt(Arc::new(signer))))
    }

    /// A public client (`none`): requests carry `client_id` in the body and nothing else; the
    /// code exchange is protected by PKCE.
    pub fn none(client_id: ClientId) -> Self {
        Self::new(client_id, Proof::Public)
    }

    fn new(client_id: ClientId, proof: Proof) -> Self {
        Self { client_id, proof, clock: Clock::system() }
    }

    /// Reads the time of client assertions (`iat`, `exp`) from `clock` instead of the system
    /// clock: for tests, and for services that inject one clock everywhere.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The client of the settings: `client_id`, `client_auth_method` and what that method needs
    /// (`client_secret` for the secret methods, the private key for `private_key_jwt`).
    pub fn from_settings(settings: &Settings) -> Result<Self, ClientAuthError> {
        let client = settings.client().ok_or(ClientAuthError::MissingClientId)?;
        let method = client.auth_method();
        let secret =
            || client.secret().cloned().ok_or(ClientAuthError::MissingClientSecret { method });
        let id = client.id().clone();
        match method {
            ClientAuthMethod::ClientSecretBasic => Ok(Self::client_secret_basic(id, secret()?)),
            ClientAuthMethod::ClientSecretPost => Ok(Self::client_secret_post(id, secret()?)),
            ClientAuthMethod::ClientSecretJwt => Self::client_secret_jwt(id, secret()?),
            ClientAuthMethod::PrivateKeyJwt => {
                let key = client.signing_key().ok_or(ClientAuthError::MissingSigningKey)?;
                Self::private_key_jwt(id, key)
            }
            ClientAuthMethod::None => Ok(Self::none(id)),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The authentication method.
    pub fn method(&self) -> ClientAuthMethod {
        match self.proof {
            Proof::BasicSecret(_) => ClientAuthMethod::ClientSecretBasic,
            Proof::PostSecret(_) => ClientAuthMethod::ClientSecretPost,
            Proof::SecretJwt(_) => ClientAuthMethod::ClientSecretJwt,
            Proof::PrivateKeyJwt(_) => ClientAuthMethod::PrivateKeyJwt,
            Proof::Public => ClientAuthMethod::None,
        }
    }

    /// The client secret, for the methods that use one (basic, post, and the HS256 key of
    /// `client_secret_jwt`); `None` for the others.
    pub fn client_secret(&self) -> Option<&ClientSecret> {
        match &self.proof {
            Proof::BasicSecret(secret) | Proof::PostSecret(secret) | Proof::SecretJwt(secret) => {
                Some(secret)
            }
            Proof::PrivateKeyJwt(_) | Proof::Public => None,
        }
    }

    /// A client assertion for a request to `audience` (RFC 7523 §3), signed now; `None` for the
    /// methods that do not use one.
    fn assertion(&self, audience: &str) -> Result<Option<String>, ClientAuthError> {
        let (algorithm, key_id) = match &self.proof {
            Proof::SecretJwt(_) => ("HS256", None),
            Proof::PrivateKeyJwt(signer) => (signer.algorithm(), signer.key_id.as_deref()),
            Proof::BasicSecret(_) | Proof::PostSecret(_) | Proof::Public => return Ok(None),
        };
        let mut jti = [0_u8; 16];
        rand::fill(&mut jti).map_err(|_| ClientAuthError::Signing)?;
        let iat = self.clock.unix_seconds();
        let lifetime = i64::try_from(ASSERTION_LIFETIME.as_secs()).unwrap_or(300);
        let mut header = serde_json::json!({ "alg": algorithm, "typ": "JWT" });
        if let Some(key_id) = key_id {
            header["kid"] = serde_json::Value::from(key_id);
        }
        let claims = serde_json::json!({
            "iss": self.client_id.as_str(),
            "sub": self.client_id.as_str(),
            "aud": audience,
            "iat": iat,
            "exp": iat.saturating_add(lifetime),
            "jti": URL_SAFE_NO_PAD.encode(jti),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match &self.proof {
            Proof::SecretJwt(secret) => {
                let key = hmac::Key::new(hmac::HMAC_SHA256, secret.secret().as_bytes());
                hmac::sign(&key, signing_input.as_bytes()).as_ref().to_vec()
            }
            Proof::PrivateKeyJwt(signer) => signer.sign(signing_input.as_bytes())?,
            Proof::BasicSecret(_) | Proof::PostSecret(_) | Proof::Public => return Ok(None),
        };
        Ok(Some(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))))
    }

    /// A form `POST` of `params` to `url`, authenticated with these credentials: for
    /// `client_secret_basic`, an `Authorization: Basic` header with the form-urlencoded id and
    /// secret; for `client_secret_post`, `client_id` and `client_secret` appended to the body;
    /// for the JWT methods, `client_assertion_type` and a `client_assertion` signed for this
    /// request with `aud` = `url`; for `none`, `client_id` alone. Never two of them.
    /// `Accept: application/json`, as Okta's endpoints answer.
    ///
    /// Each call signs a new assertion: call it again for a retry, never resend a request.
    pub fn form_request(
        &self,
        url: &Url,
        params: &[(&str, &str)],
    ) -> Result<Request<Vec<u8>>, ClientAuthError> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(params);
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(url.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        match &self.proof {
            Proof::BasicSecret(secret) => {
                let encode = |value: &str| {
                    form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
                };
                let pair =
                    format!("{}:{}", encode(self.client_id.as_str()), encode(secret.secret()));
                builder = builder
                    .header(header::AUTHORIZATION, format!("Basic {}", STANDARD.encode(pair)));
            }
            Proof::PostSecret(secret) => {
                form.append_pair("client_id", self.client_id.as_str())
                    .append_pair("client_secret", secret.secret());
            }
            Proof::SecretJwt(_) | Proof::PrivateKeyJwt(_) => {
                let mut audience = url.clone();
                audience.set_fragment(None);
                if let Some(assertion) = self.assertion(audience.as_str())? {
                    form.append_pair("client_assertion_type", JWT_BEARER)
                        .append_pair("client_assertion", &assertion);
                }
            }
            Proof::Public => {
                form.append_pair("client_id", self.client_id.as_str());
            }
        }
        builder
            .body(form.finish().into_bytes())
            .map_err(|err| ClientAuthError::Request(Arc::new(err)))
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key_id = match &self.proof {
            Proof::PrivateKeyJwt(signer) => signer.key_id.as_deref(),
            Proof::BasicSecret(_) | Proof::PostSecret(_) | Proof::SecretJwt(_) | Proof::Public => {
                None
            }
        };
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("method", &self.method())
            .field("key_id", &key_id)
            .field("secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
