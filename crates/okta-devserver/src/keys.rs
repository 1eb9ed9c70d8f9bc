//! Signing keys: RSA-2048 keys per authorization server, generated on first use (or loaded),
//! published as a JWKS, rotated on demand; plus the JWS compact serialization.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::authorization_servers::AuthServerId;
use crate::crypto::{b64url, random_token};

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No authorization server has this id.
    #[error("no authorization server {0:?}")]
    UnknownServer(String),
    /// aws-lc could not generate an RSA key.
    #[error("RSA key generation failed")]
    Generation,
    /// A loaded key is not a PEM-encoded RSA private key (PKCS#1 or PKCS#8).
    #[error("not a PEM RSA private key: {0}")]
    InvalidPem(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// One RSA signing key and its public JWK parameters.
pub(crate) struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    modulus: String,
    exponent: String,
}

impl SigningKey {
    /// A fresh RSA-2048 key with a random `kid` (Okta's kids are 43 base64url characters).
    pub(crate) fn generate() -> Result<Self, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generation)?;
        let der = pair.as_der().map_err(|_| KeyError::Generation)?;
        let pem = pem("PRIVATE KEY", der.as_ref());
        Self::from_pem(&pem).map_err(|_| KeyError::Generation)
    }

    /// Loads a PEM RSA private key (`BEGIN RSA PRIVATE KEY` or `BEGIN PRIVATE KEY`).
    pub(crate) fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let invalid = |error: jsonwebtoken::errors::Error| KeyError::InvalidPem(error.to_string());
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(invalid)?;
        let jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).map_err(invalid)?;
        let AlgorithmParameters::RSA(rsa) = jwk.algorithm else {
            return Err(KeyError::InvalidPem("not an RSA key".to_owned()));
        };
        Ok(Self { kid: random_token(32), encoding, modulus: rsa.n, exponent: rsa.e })
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK, with or without its `kid`.
    fn jwk(&self, with_kid: bool) -> Value {
        let mut jwk = json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "e": self.exponent,
            "n": self.modulus,
        });
        if with_kid {
            jwk["kid"] = json!(self.kid);
        }
        jwk
    }

    /// An RS256 signature of `message`, base64url-encoded.
    fn sign(&self, message: &[u8]) -> Result<String, KeyError> {
        jsonwebtoken::crypto::sign(message, &self.encoding, Algorithm::RS256)
            .map_err(|error| KeyError::Signing(error.to_string()))
    }
}

/// How the JWKS is bent by the faults in effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct JwksShape {
    /// Only the signing key, without `kid`.
    pub(crate) single_without_kid: bool,
    /// Every key without `kid`.
    pub(crate) all_without_kid: bool,
    /// Extra keys no client can use (`kty` `AKP` and a made-up one).
    pub(crate) unusable_extras: bool,
}

/// How a token is signed.
pub(crate) enum Signer<'a> {
    /// `alg: none`, empty signature.
    AlgNone,
    /// RS256 with this key; `kid` in the header or not.
    Key { key: &'a SigningKey, with_kid: bool },
}

/// Serializes and signs a JWS (compact form). The header is `{"kid":…,"alg":…}` like Okta's.
pub(crate) fn compact(claims: &Value, signer: &Signer<'_>) -> Result<String, KeyError> {
    let header = match signer {
        Signer::AlgNone => r#"{"alg":"none"}"#.to_owned(),
        Signer::Key { key, with_kid: true } => {
            format!(r#"{{"kid":{},"alg":"RS256"}}"#, json!(key.kid()))
        }
        Signer::Key { with_kid: false, .. } => r#"{"alg":"RS256"}"#.to_owned(),
    };
    let signing_input =
        format!("{}.{}", b64url(header.as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = match signer {
        Signer::AlgNone => String::new(),
        Signer::Key { key, .. } => key.sign(signing_input.as_bytes())?,
    };
    Ok(format!("{signing_input}.{signature}"))
}

/// XORs every byte of the signature with `0x5A`, as the conformance suite does.
pub(crate) fn corrupt_signature(jwt: &str) -> String {
    let Some((signing_input, signature)) = jwt.rsplit_once('.') else {
        return jwt.to_owned();
    };
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    for byte in &mut bytes {
        *byte ^= 0x5A;
    }
    format!("{signing_input}.{}", b64url(&bytes))
}

/// The keys of every authorization server.
pub(crate) struct KeyStore {
    servers: Mutex<HashMap<AuthServerId, ServerKeys>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyStore { .. }")
    }
}

#[derive(Default)]
struct ServerKeys {
    /// Published keys, the signing (active) key first. Filled on first use.
    published: Vec<Arc<SigningKey>>,
    /// A key never published: the org server's access-token key, and the key of
    /// [`crate::TokenFault::UnpublishedKey`].
    unpublished: Option<Arc<SigningKey>>,
}

/// Every server publishes this many keys.
const PUBLISHED_KEYS: usize = 2;

impl KeyStore {
    /// A store for these servers, with the keys loaded for some of them.
    pub(crate) fn new(
        servers: impl IntoIterator<Item = AuthServerId>,
        mut loaded: BTreeMap<AuthServerId, Vec<SigningKey>>,
    ) -> Self {
        let servers = servers
            .into_iter()
            .map(|id| {
                let published = loaded.remove(&id).unwrap_or_default();
                let published = published.into_iter().map(Arc::new).collect();
                (id, ServerKeys { published, unpublished: None })
            })
            .collect();
        Self { servers: Mutex::new(servers) }
    }

    /// The key that signs ID tokens (and custom-server access tokens).
    pub(crate) fn active(&self, server: &AuthServerId) -> Result<Arc<SigningKey>, KeyError> {
        self.with_server(server, |keys| Ok(Arc::clone(&keys.published[0])))
    }

    /// The server's unpublished key, generated on first use.
    pub(crate) fn unpublished(&self, server: &AuthServerId) -> Result<Arc<SigningKey>, KeyError> {
        self.with_server(server, |keys| {
            if keys.unpublished.is_none() {
                keys.unpublished = Some(Arc::new(SigningKey::generate()?));
            }
            keys.unpublished.clone().ok_or(KeyError::Generation)
        })
    }

    /// Replaces the signing key by a brand-new one; the previous signing key stays published
    /// so tokens it signed still verify. Returns the new `kid`.
    pub(crate) fn rotate(&self, server: &AuthServerId) -> Result<String, KeyError> {
        self.with_server(server, |keys| {
            let fresh = Arc::new(SigningKey::generate()?);
            let kid = fresh.kid().to_owned();
            keys.published.insert(0, fresh);
            keys.published.truncate(PUBLISHED_KEYS);
            Ok(kid)
        })
    }

    /// The JWKS document.
    pub(crate) fn jwks(&self, server: &AuthServerId, shape: JwksShape) -> Result<Value, KeyError> {
        self.with_server(server, |keys| {
            let mut jwks: Vec<Value> = if shape.single_without_kid {
                vec![keys.published[0].jwk(false)]
            } else {
                keys.published.iter().map(|key| key.jwk(!shape.all_without_kid)).collect()
            };
            if shape.unusable_extras {
                jwks.push(json!({
                    "kty": "AKP",
                    "alg": "ML-DSA-65",
                    "kid": format!("akp-{}", random_token(8)),
                    "pub": "bm90LWEtcmVhbC1tbC1kc2Eta2V5",
                    "priv_unexpected": 7,
                }));
                jwks.push(json!({
                    "kty": "DEVSERVER-UNKNOWN",
                    "kid": format!("unknown-{}", random_token(8)),
                    "alg": "XY999",
                    "q": "c29tZXRoaW5nLWVsc2U",
                }));
            }
            Ok(json!({ "keys": jwks }))
        })
    }

    /// Generates the keys of `server` now rather than on first use.
    pub(crate) fn warm_up(&self, server: &AuthServerId) -> Result<(), KeyError> {
        self.with_server(server, |_| Ok(()))
    }

    fn with_server<T>(
        &self,
        server: &AuthServerId,
        action: impl FnOnce(&mut ServerKeys) -> Result<T, KeyError>,
    ) -> Result<T, KeyError> {
        let mut servers = self.servers.lock().unwrap_or_else(PoisonError::into_inner);
        let keys =
            servers.get_mut(server).ok_or_else(|| KeyError::UnknownServer(server.to_string()))?;
        let missing = PUBLISHED_KEYS.saturating_sub(keys.published.len());
        if missing > 0 {
            for key in generate_in_parallel(missing)? {
                keys.published.push(Arc::new(key));
            }
        }
        action(keys)
    }
}

/// Generates `count` keys on up to `count` threads (RSA generation takes ~50 ms each).
fn generate_in_parallel(count: usize) -> Result<Vec<SigningKey>, KeyError> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count).map(|_| scope.spawn(SigningKey::generate)).collect();
        handles.into_iter().map(|handle| handle.join().map_err(|_| KeyError::Generation)?).collect()
    })
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

#[cfg(test)]
mod tests;
