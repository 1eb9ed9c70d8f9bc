//! Signing keys: a JWK Set parsed once into ready-to-use `aws-lc-rs` public keys, the unusable
//! keys remembered with the reason, and the rules for choosing the key that verifies a token.

use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ParsedPublicKey,
    RsaPublicKeyComponents,
};
use serde_json::{Map, Value};

use crate::JwksError;
use crate::error::{VerifyError, untrusted};
use crate::jws::{Algorithm, decode};

/// The smallest and largest RSA moduli accepted, in bits (RFC 7518 3.3 asks for at least 2048).
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 8192;

/// A JWK Set, parsed.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    entries: Vec<KeyEntry>,
    n_usable: usize,
}

/// One member of the set: a usable key, or a key kept only to explain why it cannot be used.
#[derive(Debug)]
struct KeyEntry {
    kid: Option<Box<str>>,
    key: Result<VerifyingKey, &'static str>,
}

/// A usable public key, parsed once for each algorithm it may verify.
struct VerifyingKey {
    /// The JWK's `alg`, if it pinned one.
    alg: Option<Algorithm>,
    /// One parsed key per entry of [`Algorithm::ALL`] that this key may verify.
    parsed: [Option<ParsedPublicKey>; Algorithm::ALL.len()],
    /// The key material (`n` and `e`, or `x` and `y`), to tell identical duplicates apart from
    /// different keys that share a `kid`.
    material: Box<[u8]>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithms: Vec<&str> = Algorithm::ALL
            .iter()
            .zip(&self.parsed)
            .filter(|(_, parsed)| parsed.is_some())
            .map(|(alg, _)| alg.as_str())
            .collect();
        f.debug_struct("VerifyingKey").field("algorithms", &algorithms).finish_non_exhaustive()
    }
}

impl KeySet {
    /// Parses a JWK Set document. Members that are not usable signature-verification keys are kept
    /// with the reason (RFC 7517 5: ignore what is not understood) so that a token naming one gets
    /// `KeyUnusable` rather than a refetch.
    pub(crate) fn parse(json: &[u8], max_keys: usize) -> Result<Self, JwksError> {
        let document = crate::json::parse_object(json).map_err(|_| JwksError::InvalidJson)?;
        let Some(Value::Array(members)) = document.get("keys") else {
            return Err(JwksError::NoKeysArray);
        };
        if members.len() > max_keys {
            return Err(JwksError::TooManyKeys { found: members.len(), max: max_keys });
        }
        let entries: Vec<KeyEntry> = members.iter().map(KeyEntry::parse).collect();
        let n_usable = entries.iter().filter(|entry| entry.key.is_ok()).count();
        Ok(Self { entries, n_usable })
    }

    /// The number of usable keys.
    pub(crate) fn n_usable(&self) -> usize {
        self.n_usable
    }

    /// The `kid` of every usable key, in document order.
    pub(crate) fn kids(&self) -> impl Iterator<Item = Option<&str>> {
        self.entries.iter().filter(|entry| entry.key.is_ok()).map(|entry| entry.kid.as_deref())
    }

    /// Whether two sets hold the same usable keys (same kids and material, in the same order).
    pub(crate) fn same_keys(&self, other: &Self) -> bool {
        let usable = |set: &Self| {
            set.entries
                .iter()
                .filter_map(|entry| Some((entry.kid.clone(), entry.key.as_ref().ok()?.material.clone())))
                .collect::<Vec<_>>()
        };
        usable(self) == usable(other)
    }

    /// Chooses the key that verifies a token with this `kid` and `alg`.
    ///
    /// With a `kid`: the usable keys with that `kid` that accept `alg`; none at all is `NotFound`
    /// (the caller may refetch), only unusable ones is `KeyUnusable`, two different ones is
    /// `AmbiguousKey`. Without a `kid`: the set must hold exactly one usable key (RFC 7515 4.1.4
    /// lets a sender omit `kid` only when there is no doubt).
    pub(crate) fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&ParsedPublicKey, Selection> {
        let Some(kid) = kid else {
            let mut usable = self.entries.iter().filter_map(|entry| entry.key.as_ref().ok());
            return match (usable.next(), usable.next()) {
                (None, _) => Err(Selection::NotFound),
                (Some(key), None) => key.parsed[alg.index()]
                    .as_ref()
                    .ok_or(Selection::Unusable("the key does not accept the token's algorithm")),
                (Some(_), Some(_)) => Err(Selection::Ambiguous),
            };
        };
        let mut found: Option<&VerifyingKey> = None;
        let mut unusable: Option<&'static str> = None;
        for entry in self.entries.iter().filter(|entry| entry.kid.as_deref() == Some(kid)) {
            match &entry.key {
                Err(reason) => {
                    unusable.get_or_insert(reason);
                }
                Ok(key) if key.parsed[alg.index()].is_none() => {
                    unusable.get_or_insert(if key.alg.is_some() {
                        "the key's `alg` differs from the token's"
                    } else {
                        "the key type does not match the token's algorithm"
                    });
                }
                Ok(key) => match found {
                    Some(previous) if previous.material != key.material => {
                        return Err(Selection::Ambiguous);
                    }
                    _ => found = Some(key),
                },
            }
        }
        match (found, unusable) {
            (Some(key), _) => key.parsed[alg.index()].as_ref().ok_or(Selection::NotFound),
            (None, Some(reason)) => Err(Selection::Unusable(reason)),
            (None, None) => Err(Selection::NotFound),
        }
    }
}

/// Why no key was selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selection {
    /// Several keys could verify the token.
    Ambiguous,
    /// No key has the token's `kid` (or the set is empty).
    NotFound,
    /// The key exists but cannot verify this token.
    Unusable(&'static str),
}

impl Selection {
    pub(crate) fn into_error(self, kid: Option<&str>) -> VerifyError {
        let kid = kid.map(untrusted);
        match self {
            Self::Ambiguous => VerifyError::AmbiguousKey { kid },
            Self::NotFound => VerifyError::KeyNotFound { kid },
            Self::Unusable(reason) => VerifyError::KeyUnusable { kid, reason },
        }
    }
}

impl KeyEntry {
    fn parse(member: &Value) -> Self {
        let Value::Object(jwk) = member else {
            return Self { kid: None, key: Err("the JWK is not a JSON object") };
        };
        let kid = match jwk.get("kid") {
            Some(Value::String(kid)) => Some(kid.as_str().into()),
            _ => None,
        };
        Self { kid, key: VerifyingKey::parse(jwk) }
    }
}

impl VerifyingKey {
    fn parse(jwk: &Map<String, Value>) -> Result<Self, &'static str> {
        match jwk.get("use") {
            None => {}
            Some(Value::String(usage)) if usage == "sig" => {}
            Some(_) => return Err("the key is not for signatures (`use`)"),
        }
        match jwk.get("key_ops") {
            None => {}
            Some(Value::Array(ops)) if ops.iter().any(|op| op.as_str() == Some("verify")) => {}
            Some(_) => return Err("the key's `key_ops` does not allow `verify`"),
        }
        if jwk.contains_key("d") {
            return Err("the key carries private material (`d`)");
        }
        let alg = match jwk.get("alg") {
            None => None,
            Some(Value::String(name)) => {
                Some(Algorithm::from_name(name).ok_or("the key's `alg` is not supported")?)
            }
            Some(_) => return Err("the key's `alg` is not a string"),
        };
        match jwk.get("kty").and_then(Value::as_str) {
            Some("RSA") => Self::rsa(jwk, alg),
            Some("EC") => Self::ec(jwk, alg),
            Some(_) => Err("unsupported key type (`kty`)"),
            None => Err("the key has no `kty`"),
        }
    }

    fn rsa(jwk: &Map<String, Value>, alg: Option<Algorithm>) -> Result<Self, &'static str> {
        if alg.is_some_and(|alg| !alg.is_rsa()) {
            return Err("the key's `alg` is not an RSA algorithm");
        }
        let modulus = member_bytes(jwk, "n")?;
        let exponent = member_bytes(jwk, "e")?;
        check_rsa(&modulus, &exponent)?;
        let components = RsaPublicKeyComponents { n: &modulus[..], e: &exponent[..] };
        let mut parsed: [Option<ParsedPublicKey>; Algorithm::ALL.len()] = Default::default();
        for candidate in Algorithm::ALL.into_iter().filter(|candidate| candidate.is_rsa()) {
            if alg.is_some_and(|alg| alg != candidate) {
                continue;
            }
            let key = components
                .to_parsed_public_key(rsa_parameters(candidate))
                .map_err(|_| "the RSA key is invalid")?;
            parsed[candidate.index()] = Some(key);
        }
        let mut material = modulus;
        material.extend_from_slice(&exponent);
        Ok(Self { alg, parsed, material: material.into_boxed_slice() })
    }

    fn ec(jwk: &Map<String, Value>, alg: Option<Algorithm>) -> Result<Self, &'static str> {
        let (curve_alg, coordinate_len) = match jwk.get("crv").and_then(Value::as_str) {
            Some("P-256") => (Algorithm::Es256, 32),
            Some("P-384") => (Algorithm::Es384, 48),
            _ => return Err("unsupported elliptic curve (`crv`)"),
        };
        if alg.is_some_and(|alg| alg != curve_alg) {
            return Err("the key's `alg` does not match its curve");
        }
        let x = member_bytes(jwk, "x")?;
        let y = member_bytes(jwk, "y")?;
        if x.len() != coordinate_len || y.len() != coordinate_len {
            return Err("the EC key's coordinates have the wrong length");
        }
        let mut point = Vec::with_capacity(1 + 2 * coordinate_len);
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        let verification: &'static dyn signature::VerificationAlgorithm = match curve_alg {
            Algorithm::Es256 => &ECDSA_P256_SHA256_FIXED,
            _ => &ECDSA_P384_SHA384_FIXED,
        };
        let key = ParsedPublicKey::new(verification, &point)
            .map_err(|_| "the EC key is not a point on its curve")?;
        let mut parsed: [Option<ParsedPublicKey>; Algorithm::ALL.len()] = Default::default();
        parsed[curve_alg.index()] = Some(key);
        Ok(Self { alg, parsed, material: point.into_boxed_slice() })
    }
}

/// The RSA policy: a modulus of 2048 to 8192 bits without leading zero octets, and an odd public
/// exponent from 65537 up to 2^32 - 1 (small exponents invite forgery bugs such as CVE-2006-4339).
fn check_rsa(modulus: &[u8], exponent: &[u8]) -> Result<(), &'static str> {
    let Some(&first) = modulus.first() else {
        return Err("the RSA modulus is empty");
    };
    if first == 0 {
        return Err("the RSA modulus has leading zero octets");
    }
    let bits = modulus.len() * 8 - first.leading_zeros() as usize;
    if bits < RSA_MIN_BITS {
        return Err("the RSA key is shorter than 2048 bits");
    }
    if bits > RSA_MAX_BITS {
        return Err("the RSA key is longer than 8192 bits");
    }
    if exponent.is_empty() || exponent[0] == 0 || exponent.len() > 4 {
        return Err("the RSA exponent is not a minimal integer below 2^32");
    }
    let value = exponent.iter().fold(0_u64, |value, byte| (value << 8) | u64::from(*byte));
    if value < 65_537 || value % 2 == 0 {
        return Err("the RSA exponent is not odd and at least 65537");
    }
    Ok(())
}

fn rsa_parameters(alg: Algorithm) -> &'static signature::RsaParameters {
    match alg {
        Algorithm::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
        Algorithm::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::Rs256 | Algorithm::Es256 | Algorithm::Es384 => &signature::RSA_PKCS1_2048_8192_SHA256,
    }
}

fn member_bytes(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, &'static str> {
    let Some(Value::String(encoded)) = jwk.get(name) else {
        return Err("a key parameter is missing or not a string");
    };
    decode(encoded.as_bytes(), "").map_err(|_| "a key parameter is not unpadded base64url")
}

#[cfg(test)]
mod tests;
