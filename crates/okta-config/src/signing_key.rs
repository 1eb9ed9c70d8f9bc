//! The private key of a `private_key_jwt` client, read and checked when the settings load.
//!
//! The key is given as text (PEM or a JWK), either in `client_private_key` (usually
//! `OKTA_CLIENT_PRIVATE_KEY`, so no key file sits on disk) or in the file named by
//! `client_private_key_file`. Every format Okta's admin console and `openssl` produce reads
//! here: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 RSA (`BEGIN RSA PRIVATE KEY`), SEC1 EC
//! (`BEGIN EC PRIVATE KEY`), and a private JWK. It is normalised to PKCS#8 DER, which
//! `okta_http::ClientCredentials` signs with.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::InvalidValue;

/// The largest key text read (a 4096-bit RSA JWK is about 3.3 KiB).
pub(crate) const MAX_KEY_BYTES: usize = 64 * 1024;

/// The JWS algorithm a `private_key_jwt` client signs its assertions with. Okta accepts RS256,
/// RS384, RS512, ES256, ES384 and ES512; okta-oidc signs with the two every Okta org accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, with an RSA key of at least 2048 bits.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl SigningAlgorithm {
    /// Parses the JOSE name (`RS256`, `ES256`).
    pub fn parse(name: &str) -> Result<Self, InvalidValue> {
        match name {
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            _ => Err(InvalidValue::new(format!(
                "{name:?} is not a signing algorithm okta-oidc signs with: use RS256 (an RSA key) \
                 or ES256 (an EC P-256 key)"
            ))),
        }
    }

    /// The JOSE name, as in a JWT header's `alg`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    fn key_type(self) -> &'static str {
        match self {
            Self::Rs256 => "an RSA key",
            Self::Es256 => "an EC P-256 key",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated private key for `private_key_jwt` client assertions: an RSA key of at least
/// 2048 bits (RS256) or an EC P-256 key (ES256), with the `kid` Okta knows it by.
///
/// `Debug` shows the algorithm and key id only; there is no `Display` and no `PartialEq`.
#[derive(Clone)]
pub struct ClientSigningKey {
    algorithm: SigningAlgorithm,
    key_id: Option<String>,
    pkcs8: Arc<[u8]>,
}

impl ClientSigningKey {
    /// Reads a private key from PEM (PKCS#8, PKCS#1 RSA or SEC1 EC) or a private JWK.
    ///
    /// `algorithm` is the one configured, if any: the key must be of its type; without it, an
    /// RSA key signs RS256 and an EC P-256 key ES256 (or the JWK's `alg`). `key_id` is the
    /// configured `kid`; without it, a JWK's own `kid` is used. Errors say what is wrong with the
    /// key (a public key, an encrypted key, the wrong type, too short) and never contain it.
    pub fn parse(
        text: &str,
        algorithm: Option<SigningAlgorithm>,
        key_id: Option<String>,
    ) -> Result<Self, InvalidValue> {
        if text.len() > MAX_KEY_BYTES {
            return Err(InvalidValue::new(format!(
                "is longer than {MAX_KEY_BYTES} bytes: not a private key"
            )));
        }
        let trimmed = text.trim();
        let (kind, pkcs8, jwk_alg, jwk_kid) = if trimmed.starts_with('{') {
            read_jwk(trimmed)?
        } else if trimmed.starts_with("-----BEGIN") {
            let (kind, pkcs8) = read_pem(trimmed)?;
            (kind, pkcs8, None, None)
        } else {
            return Err(InvalidValue::new(
                "is neither a PEM private key (-----BEGIN PRIVATE KEY-----) nor a private JWK \
                 ({\"kty\": ...})",
            ));
        };
        let algorithm = algorithm.or(jwk_alg).unwrap_or(match kind {
            KeyKind::Rsa => SigningAlgorithm::Rs256,
            KeyKind::EcP256 => SigningAlgorithm::Es256,
        });
        let matches = matches!(
            (algorithm, kind),
            (SigningAlgorithm::Rs256, KeyKind::Rsa) | (SigningAlgorithm::Es256, KeyKind::EcP256)
        );
        if !matches {
            return Err(InvalidValue::new(format!(
                "is {} but the signing algorithm is {algorithm}, which needs {}: set \
                 client_signing_alg to match the key, or give {}",
                kind.describe(),
                algorithm.key_type(),
                algorithm.key_type(),
            )));
        }
        Ok(Self { algorithm, key_id: key_id.or(jwk_kid), pkcs8: Arc::from(pkcs8) })
    }

    /// The algorithm assertions are signed with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The `kid` put in each assertion's header, if one is configured (or came with the JWK).
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// The key as PKCS#8 DER. Secret: call this only to sign.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }
}

impl fmt::Debug for ClientSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSigningKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy)]
enum KeyKind {
    Rsa,
    EcP256,
}

impl KeyKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Rsa => "an RSA key",
            Self::EcP256 => "an EC P-256 key",
        }
    }
}

type Read = (KeyKind, Vec<u8>, Option<SigningAlgorithm>, Option<String>);

fn public_key_problem(what: &str) -> InvalidValue {
    InvalidValue::new(format!(
        "is {what}, not a private key: private_key_jwt signs with the PRIVATE key (Okta holds the \
         public half in the app's JWKS)"
    ))
}

fn read_pem(text: &str) -> Result<(KeyKind, Vec<u8>), InvalidValue> {
    let block = pem::parse(text).map_err(|_| {
        InvalidValue::new("is not a readable PEM block (check the BEGIN/END lines and the base64)")
    })?;
    let der = block.contents();
    match block.tag() {
        "PRIVATE KEY" => {
            match RsaKeyPair::from_pkcs8(der) {
                Ok(key) => return Ok((KeyKind::Rsa, rsa_pkcs8(&key)?)),
                Err(err) if err.description_() != "WrongAlgorithm" => {
                    return Err(rsa_rejected(err.description_()));
                }
                Err(_) => {}
            }
            match EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
                Ok(_) => Ok((KeyKind::EcP256, der.to_vec())),
                Err(_) => Err(InvalidValue::new(
                    "is a PKCS#8 key that is neither RSA nor EC on P-256: okta-oidc signs with \
                     RS256 (RSA, 2048 bits or more) or ES256 (EC P-256)",
                )),
            }
        }
        "RSA PRIVATE KEY" => {
            let key = RsaKeyPair::from_der(der).map_err(|err| rsa_rejected(err.description_()))?;
            Ok((KeyKind::Rsa, rsa_pkcs8(&key)?))
        }
        "EC PRIVATE KEY" => {
            let key = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map_err(|_| {
                    InvalidValue::new(
                        "is an EC key that is not on P-256 (or is damaged): ES256 needs a P-256 key",
                    )
                })?;
            Ok((KeyKind::EcP256, ec_pkcs8(&key)?))
        }
        "ENCRYPTED PRIVATE KEY" => Err(InvalidValue::new(
            "is an encrypted private key: give it unencrypted (openssl pkcs8 -topk8 -nocrypt), \
             from a secret store rather than a file where you can",
        )),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "EC PUBLIC KEY" => {
            Err(public_key_problem("a public key"))
        }
        "CERTIFICATE" => Err(public_key_problem("a certificate")),
        other => Err(InvalidValue::new(format!(
            "is a PEM {other:?} block, not a private key (PRIVATE KEY, RSA PRIVATE KEY or EC \
             PRIVATE KEY)"
        ))),
    }
}

fn rsa_rejected(reason: &str) -> InvalidValue {
    match reason {
        "TooSmall" => InvalidValue::new(
            "is an RSA key shorter than 2048 bits: Okta and okta-oidc need 2048 bits or more \
             (generate one with openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)",
        ),
        "TooLarge" => InvalidValue::new("is an RSA key longer than 8192 bits"),
        _ => InvalidValue::new("is a damaged RSA private key"),
    }
}

fn rsa_pkcs8(key: &RsaKeyPair) -> Result<Vec<u8>, InvalidValue> {
    key.as_der()
        .map(|der| der.as_ref().to_vec())
        .map_err(|_| InvalidValue::new("is an RSA key that cannot be re-encoded as PKCS#8"))
}

fn ec_pkcs8(key: &EcdsaKeyPair) -> Result<Vec<u8>, InvalidValue> {
    key.to_pkcs8v1()
        .map(|der| der.as_ref().to_vec())
        .map_err(|_| InvalidValue::new("is an EC key that cannot be re-encoded as PKCS#8"))
}

fn read_jwk(text: &str) -> Result<Read, InvalidValue> {
    let jwk: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| InvalidValue::new("starts like a JWK but is not valid JSON"))?;
    let Some(object) = jwk.as_object() else {
        return Err(InvalidValue::new("is not a JWK (a JSON object)"));
    };
    if object.contains_key("keys") {
        return Err(InvalidValue::new(
            "is a JWK Set: give the one private JWK of this client, not the set",
        ));
    }
    let field = |name: &str| -> Result<Vec<u8>, InvalidValue> {
        let value = object
            .get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| InvalidValue::new(format!("is a JWK without {name:?}")))?;
        URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| InvalidValue::new(format!("is a JWK whose {name:?} is not base64url")))
    };
    let alg = match object.get("alg").and_then(serde_json::Value::as_str) {
        Some(alg) => Some(SigningAlgorithm::parse(alg).map_err(|_| {
            InvalidValue::new(format!("is a JWK for {alg:?}: okta-oidc signs with RS256 or ES256"))
        })?),
        None => None,
    };
    let kid = object.get("kid").and_then(serde_json::Value::as_str).map(str::to_owned);
    if !object.contains_key("d") {
        return Err(public_key_problem("a public JWK (it has no \"d\")"));
    }
    match object.get("kty").and_then(serde_json::Value::as_str) {
        Some("RSA") => {
            let components = KeyPairComponents {
                public_key: PublicKeyComponents { n: field("n")?, e: field("e")? },
                d: field("d")?,
                p: field("p")?,
                q: field("q")?,
                dP: field("dp")?,
                dQ: field("dq")?,
                qInv: field("qi")?,
            };
            let key = RsaKeyPair::from_components(&components)
                .map_err(|err| rsa_rejected(err.description_()))?;
            Ok((KeyKind::Rsa, rsa_pkcs8(&key)?, alg, kid))
        }
        Some("EC") => {
            if object.get("crv").and_then(serde_json::Value::as_str) != Some("P-256") {
                return Err(InvalidValue::new(
                    "is an EC JWK not on P-256: ES256 needs a P-256 key",
                ));
            }
            let mut point = vec![0x04];
            point.extend(field("x")?);
            point.extend(field("y")?);
            let key = EcdsaKeyPair::from_private_key_and_public_key(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &field("d")?,
                &point,
            )
            .map_err(|_| InvalidValue::new("is an EC JWK whose d, x and y do not form a key"))?;
            Ok((KeyKind::EcP256, ec_pkcs8(&key)?, alg, kid))
        }
        _ => Err(InvalidValue::new(
            "is a JWK that is neither kty RSA nor kty EC: okta-oidc signs with RS256 or ES256",
        )),
    }
}

#[cfg(test)]
mod tests;
