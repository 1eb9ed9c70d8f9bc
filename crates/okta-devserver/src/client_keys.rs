//! The public keys a client registers for `private_key_jwt`, read from JWKs and held to Okta's
//! rules (RSA of at least 2048 bits or EC on P-256, P-384 or P-521; at most 50 keys, each with
//! its own `kid` when there are several), and the signature check of client assertions.

use aws_lc_rs::signature::{ECDSA_P521_SHA512_FIXED, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// The most keys an Okta app holds.
pub(crate) const MAX_KEYS: usize = 50;

/// Okta refuses RSA keys shorter than this.
const MIN_RSA_BITS: usize = 2048;

/// The members only a private JWK has.
const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

/// A JWS algorithm Okta accepts for client assertions: HMAC for `client_secret_jwt`, RSA and
/// ECDSA for `private_key_jwt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AssertionAlg {
    Es256,
    Es384,
    Es512,
    Hs256,
    Hs384,
    Hs512,
    Rs256,
    Rs384,
    Rs512,
}

impl AssertionAlg {
    /// The algorithm of a JWS header's `alg`; `None` for anything Okta does not accept for
    /// client assertions (`none`, `PS256`, `EdDSA`, ...).
    pub(crate) fn parse(alg: &str) -> Option<Self> {
        Some(match alg {
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "ES512" => Self::Es512,
            "HS256" => Self::Hs256,
            "HS384" => Self::Hs384,
            "HS512" => Self::Hs512,
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            _ => return None,
        })
    }

    /// Whether the algorithm is an HMAC (`client_secret_jwt`) rather than a signature
    /// (`private_key_jwt`).
    pub(crate) fn is_hmac(self) -> bool {
        matches!(self, Self::Hs256 | Self::Hs384 | Self::Hs512)
    }

    /// `jsonwebtoken`'s algorithm; `None` for ES512, which it does not implement.
    fn jsonwebtoken(self) -> Option<Algorithm> {
        Some(match self {
            Self::Es256 => Algorithm::ES256,
            Self::Es384 => Algorithm::ES384,
            Self::Es512 => return None,
            Self::Hs256 => Algorithm::HS256,
            Self::Hs384 => Algorithm::HS384,
            Self::Hs512 => Algorithm::HS512,
            Self::Rs256 => Algorithm::RS256,
            Self::Rs384 => Algorithm::RS384,
            Self::Rs512 => Algorithm::RS512,
        })
    }
}

/// Checks an HMAC client assertion (`client_secret_jwt`): `signature` (base64url) over
/// `message` with the client secret as key.
pub(crate) fn verify_hmac(
    alg: AssertionAlg,
    secret: &str,
    message: &[u8],
    signature: &str,
) -> bool {
    let Some(algorithm) = alg.jsonwebtoken().filter(|_| alg.is_hmac()) else { return false };
    let key = DecodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::crypto::verify(signature, message, &key, algorithm).unwrap_or(false)
}

/// An elliptic curve of the JOSE registry that Okta accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn parse(crv: &str) -> Option<Self> {
        match crv {
            "P-256" => Some(Self::P256),
            "P-384" => Some(Self::P384),
            "P-521" => Some(Self::P521),
            _ => None,
        }
    }

    /// The length of one coordinate, in bytes.
    fn coordinate_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// The only algorithm that uses the curve.
    fn algorithm(self) -> AssertionAlg {
        match self {
            Self::P256 => AssertionAlg::Es256,
            Self::P384 => AssertionAlg::Es384,
            Self::P521 => AssertionAlg::Es512,
        }
    }
}

/// The public part of a key, as its JWK gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Material {
    Ec { curve: Curve, x: String, y: String },
    Rsa { n: String, e: String },
}

/// One public key of a client, checked as Okta checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientKey {
    kid: Option<String>,
    alg: Option<AssertionAlg>,
    material: Material,
}

impl ClientKey {
    /// Reads a public JWK; the error is a sentence saying what is wrong with it.
    pub(crate) fn parse(jwk: &Value) -> Result<Self, String> {
        let Some(object) = jwk.as_object() else {
            return Err("is not a JSON object".to_owned());
        };
        let text = |name: &str| object.get(name).and_then(Value::as_str);
        if let Some(member) = PRIVATE_MEMBERS.iter().find(|member| object.contains_key(**member)) {
            return Err(format!("has the private member {member:?}: register the public key only"));
        }
        let kid = match object.get("kid") {
            None => None,
            Some(Value::String(kid)) if !kid.is_empty() => Some(kid.clone()),
            Some(_) => return Err("has a `kid` that is not a non-empty string".to_owned()),
        };
        if object.get("use").is_some_and(|usage| usage != "sig") {
            return Err("has a `use` other than \"sig\"".to_owned());
        }
        let material = match text("kty") {
            Some("RSA") => rsa_material(text("n"), text("e"))?,
            Some("EC") => ec_material(text("crv"), text("x"), text("y"))?,
            Some(other) => {
                return Err(format!("has kty {other:?}: private_key_jwt keys are RSA or EC"));
            }
            None => return Err("has no `kty`".to_owned()),
        };
        let alg = match object.get("alg") {
            None => None,
            Some(alg) => {
                let parsed = alg.as_str().and_then(AssertionAlg::parse);
                match parsed {
                    Some(alg) if fits(alg, &material) => Some(alg),
                    _ => return Err(format!("has alg {alg} that does not fit the key")),
                }
            }
        };
        Ok(Self { kid, alg, material })
    }

    /// The key id.
    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether `signature` (base64url) over `message` verifies under this key with `alg`. An
    /// algorithm the key does not fit (an EC key with `RS256`, a P-384 key with `ES256`, a key
    /// registered with another `alg`) never verifies.
    pub(crate) fn verifies(&self, alg: AssertionAlg, message: &[u8], signature: &str) -> bool {
        if !fits(alg, &self.material) || self.alg.is_some_and(|registered| registered != alg) {
            return false;
        }
        match (&self.material, alg.jsonwebtoken()) {
            (Material::Rsa { n, e }, Some(algorithm)) => DecodingKey::from_rsa_components(n, e)
                .and_then(|key| jsonwebtoken::crypto::verify(signature, message, &key, algorithm))
                .unwrap_or(false),
            (Material::Ec { x, y, .. }, Some(algorithm)) => DecodingKey::from_ec_components(x, y)
                .and_then(|key| jsonwebtoken::crypto::verify(signature, message, &key, algorithm))
                .unwrap_or(false),
            // ES512: jsonwebtoken has no P-521, aws-lc has.
            (Material::Ec { x, y, .. }, None) => verify_p521(x, y, message, signature),
            (Material::Rsa { .. }, None) => false,
        }
    }
}

/// Reads a client's whole key set, checking what Okta checks of it: at most 50 keys, and a
/// unique `kid` on every key when there is more than one. Every problem is a sentence.
pub(crate) fn parse_key_set(jwks: &[Value]) -> Result<Vec<ClientKey>, Vec<String>> {
    let mut problems = Vec::new();
    if jwks.len() > MAX_KEYS {
        problems.push(format!("has {} keys; Okta holds at most {MAX_KEYS}", jwks.len()));
    }
    let mut keys = Vec::new();
    for (index, jwk) in jwks.iter().enumerate() {
        match ClientKey::parse(jwk) {
            Ok(key) => keys.push(key),
            Err(problem) => problems.push(format!("key #{} {problem}", index + 1)),
        }
    }
    if keys.len() > 1 {
        let mut kids: Vec<&str> = Vec::new();
        for key in &keys {
            match key.kid() {
                None => {
                    problems.push("has several keys, so every key needs a `kid`".to_owned());
                    break;
                }
                Some(kid) if kids.contains(&kid) => {
                    problems.push(format!("has the kid {kid:?} twice"));
                }
                Some(kid) => kids.push(kid),
            }
        }
    }
    if problems.is_empty() { Ok(keys) } else { Err(problems) }
}

fn rsa_material(n: Option<&str>, e: Option<&str>) -> Result<Material, String> {
    let (Some(n), Some(e)) = (n, e) else {
        return Err("is an RSA key without `n` and `e`".to_owned());
    };
    let modulus =
        URL_SAFE_NO_PAD.decode(n).map_err(|_| "has an `n` that is not base64url".to_owned())?;
    if URL_SAFE_NO_PAD.decode(e).map_or(true, |exponent| exponent.is_empty()) {
        return Err("has an `e` that is not base64url".to_owned());
    }
    let bits = bit_length(&modulus);
    if bits < MIN_RSA_BITS {
        return Err(format!("is an RSA key of {bits} bits; Okta needs at least {MIN_RSA_BITS}"));
    }
    Ok(Material::Rsa { n: n.to_owned(), e: e.to_owned() })
}

fn ec_material(crv: Option<&str>, x: Option<&str>, y: Option<&str>) -> Result<Material, String> {
    let Some(curve) = crv.and_then(Curve::parse) else {
        return Err(format!("has crv {crv:?}: Okta's EC keys are P-256, P-384 or P-521"));
    };
    for (name, coordinate) in [("x", x), ("y", y)] {
        let decoded = coordinate.and_then(|value| URL_SAFE_NO_PAD.decode(value).ok());
        if decoded.is_none_or(|bytes| bytes.len() != curve.coordinate_len()) {
            return Err(format!(
                "has a `{name}` that is not a base64url {}-byte coordinate",
                curve.coordinate_len()
            ));
        }
    }
    let (Some(x), Some(y)) = (x, y) else {
        return Err("is an EC key without `x` and `y`".to_owned());
    };
    Ok(Material::Ec { curve, x: x.to_owned(), y: y.to_owned() })
}

/// Whether `alg` is an algorithm of this kind of key.
fn fits(alg: AssertionAlg, material: &Material) -> bool {
    match material {
        Material::Rsa { .. } => {
            matches!(alg, AssertionAlg::Rs256 | AssertionAlg::Rs384 | AssertionAlg::Rs512)
        }
        Material::Ec { curve, .. } => curve.algorithm() == alg,
    }
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    let significant: &[u8] = match bytes.iter().position(|byte| *byte != 0) {
        Some(first) => &bytes[first..],
        None => &[],
    };
    match significant.first() {
        Some(first) => (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

fn verify_p521(x: &str, y: &str, message: &[u8], signature: &str) -> bool {
    let (Ok(x), Ok(y), Ok(signature)) =
        (URL_SAFE_NO_PAD.decode(x), URL_SAFE_NO_PAD.decode(y), URL_SAFE_NO_PAD.decode(signature))
    else {
        return false;
    };
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    UnparsedPublicKey::new(&ECDSA_P521_SHA512_FIXED, point).verify(message, &signature).is_ok()
}

#[cfg(test)]
mod tests;
