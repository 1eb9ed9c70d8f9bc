//! A strict compact-JWS parser: length cap first, three base64url segments, a JSON-object header
//! without duplicate members, and the `alg` checked against an allow-list before anything else.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::{VerifyError, untrusted};
use crate::json::StrictValue;

/// A JWS signature algorithm that okta-verify can check.
///
/// Okta signs every token with [`Algorithm::Rs256`], the default allow-list. HMAC algorithms and
/// `none` have no variant: they can never be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA with P-256 and SHA-256.
    Es256,
    /// ECDSA with P-384 and SHA-384.
    Es384,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (what Okta uses).
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
}

impl Algorithm {
    /// Every algorithm, in a fixed order (the index of [`Algorithm::index`]).
    pub const ALL: [Self; 8] = [
        Self::Es256,
        Self::Es384,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
    ];

    /// The JWA name (`"RS256"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
        }
    }

    /// The algorithm with this exact JWA name (case-sensitive, as RFC 7515 requires).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == name)
    }

    /// The position of this algorithm in [`Algorithm::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Whether the algorithm uses an RSA key.
    pub(crate) fn is_rsa(self) -> bool {
        !matches!(self, Self::Es256 | Self::Es384)
    }

    /// The hash used by the algorithm, which is also the hash of `at_hash` (OIDC Core 3.1.3.6).
    pub(crate) fn digest(self) -> &'static aws_lc_rs::digest::Algorithm {
        use aws_lc_rs::digest::{SHA256, SHA384, SHA512};
        match self {
            Self::Es256 | Self::Ps256 | Self::Rs256 => &SHA256,
            Self::Es384 | Self::Ps384 | Self::Rs384 => &SHA384,
            Self::Ps512 | Self::Rs512 => &SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The largest signature accepted: an RSA-8192 signature is 1024 bytes.
const MAX_SIGNATURE_BYTES: usize = 1024;

/// A compact JWS split and checked up to (not including) the signature and the claims.
pub(crate) struct Jws<'a> {
    /// The allowed algorithm named by the header.
    pub(crate) alg: Algorithm,
    /// The header's `kid`, if any.
    pub(crate) kid: Option<String>,
    /// The header's `typ`, if any.
    pub(crate) typ: Option<String>,
    /// `BASE64URL(header) "." BASE64URL(payload)`, the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
    /// The decoded payload (not yet parsed: claims are read only after the signature verifies).
    pub(crate) payload: Vec<u8>,
    /// The decoded signature.
    signature: [u8; MAX_SIGNATURE_BYTES],
    signature_len: usize,
}

impl Jws<'_> {
    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature[..self.signature_len]
    }
}

/// The header members okta-verify reads, borrowed from the decoded header. Every other member is
/// ignored, as RFC 7515 asks, once `crit` has been rejected.
#[derive(Debug, Default)]
struct Header<'a> {
    alg: Option<Cow<'a, str>>,
    kid: Option<Cow<'a, str>>,
    typ: Option<Cow<'a, str>>,
    cty: Option<Cow<'a, str>>,
    /// A member that makes the token something this parser must refuse (`crit`, `b64`, `zip`).
    unsupported: Option<&'static str>,
    /// `enc` is present: the token is a JWE.
    encrypted: bool,
}

/// Splits and checks a compact JWS.
///
/// The order of checks is part of the security design: the length cap comes before any work, the
/// header before the payload, and `alg` against the allow-list before the signature is decoded.
pub(crate) fn parse<'a>(
    token: &'a str,
    allowed: &[Algorithm],
    max_len: usize,
) -> Result<Jws<'a>, VerifyError> {
    if token.len() > max_len {
        return Err(VerifyError::TokenTooLarge { len: token.len(), max: max_len });
    }
    let bytes = token.as_bytes();
    if bytes.first() == Some(&b'{') {
        return Err(VerifyError::malformed("JWS JSON serialization is not supported"));
    }
    let mut dots = [0_usize; 2];
    let mut n_dots = 0_usize;
    for (position, _) in bytes.iter().enumerate().filter(|(_, byte)| **byte == b'.') {
        if n_dots < 2 {
            dots[n_dots] = position;
        }
        n_dots += 1;
    }
    match n_dots {
        2 => {}
        4 => return Err(VerifyError::JweUnsupported),
        _ => return Err(VerifyError::malformed("a compact JWS has exactly three segments")),
    }
    let header_b64 = &bytes[..dots[0]];
    let payload_b64 = &bytes[dots[0] + 1..dots[1]];
    let signature_b64 = &bytes[dots[1] + 1..];
    if header_b64.is_empty() {
        return Err(VerifyError::malformed("empty header segment"));
    }
    if payload_b64.is_empty() {
        return Err(VerifyError::malformed("empty payload segment"));
    }

    let header_json = decode(header_b64, "header is not unpadded base64url")?;
    let header = parse_header(&header_json)?;
    if header.encrypted {
        return Err(VerifyError::JweUnsupported);
    }
    let alg = check_alg(header.alg.as_deref(), allowed)?;
    if let Some(name) = header.unsupported {
        return Err(VerifyError::UnsupportedHeader { name });
    }
    if let Some(cty) = header.cty.as_deref() {
        if cty.eq_ignore_ascii_case("JWT") || cty.eq_ignore_ascii_case("application/jwt") {
            return Err(VerifyError::NestedJwtUnsupported);
        }
        return Err(VerifyError::UnsupportedHeader { name: "cty" });
    }

    if signature_b64.is_empty() {
        return Err(VerifyError::malformed("empty signature segment"));
    }
    // 1024 bytes encode to 1366 characters: anything longer cannot be a signature we accept.
    if signature_b64.len() > MAX_SIGNATURE_BYTES.div_ceil(3) * 4 {
        return Err(VerifyError::malformed("signature too long"));
    }
    let mut signature = [0_u8; MAX_SIGNATURE_BYTES];
    let signature_len = URL_SAFE_NO_PAD
        .decode_slice(signature_b64, &mut signature)
        .map_err(|_| VerifyError::malformed("signature is not unpadded base64url"))?;
    let payload = decode(payload_b64, "payload is not unpadded base64url")?;

    Ok(Jws {
        alg,
        kid: header.kid.map(Cow::into_owned),
        typ: header.typ.map(Cow::into_owned),
        signing_input: &bytes[..dots[1]],
        payload,
        signature,
        signature_len,
    })
}

/// Checks `alg` against the allow-list. A missing or non-string `alg` was refused by the header
/// parser; here a name with characters no JWA name has is malformed, and anything else that is
/// not allowed (including every spelling of `none` and the HMAC names) is refused as such.
fn check_alg(alg: Option<&str>, allowed: &[Algorithm]) -> Result<Algorithm, VerifyError> {
    let Some(name) = alg else {
        return Err(VerifyError::malformed("header has no `alg`"));
    };
    if name.is_empty() || !name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-') {
        return Err(VerifyError::malformed("header `alg` is not an algorithm name"));
    }
    match Algorithm::from_name(name) {
        Some(alg) if allowed.contains(&alg) => Ok(alg),
        _ => Err(VerifyError::AlgorithmNotAllowed { alg: untrusted(name) }),
    }
}

/// Decodes strict unpadded base64url (no `+`, `/`, `=`, whitespace or non-zero trailing bits).
pub(crate) fn decode(input: &[u8], reason: &'static str) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD.decode(input).map_err(|_| VerifyError::malformed(reason))
}

/// Parses the header JSON: an object, no duplicate members, string `alg`/`kid`/`typ`/`cty`.
fn parse_header(json: &[u8]) -> Result<Header<'_>, VerifyError> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let header = deserializer
        .deserialize_map(HeaderVisitor)
        .map_err(|_| VerifyError::malformed("header is not a JSON object without duplicate members"))?;
    deserializer
        .end()
        .map_err(|_| VerifyError::malformed("header has trailing characters"))?;
    Ok(header)
}

struct HeaderVisitor;

/// The header members with a meaning here.
enum HeaderMember<'de> {
    Alg,
    B64,
    Crit,
    Cty,
    Enc,
    Kid,
    Typ,
    Zip,
    Other(Cow<'de, str>),
}

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = Header::default();
        let mut seen = 0_u8;
        let mut others: Vec<String> = Vec::new();
        while let Some(MemberName(name)) = map.next_key()? {
            let member = match &*name {
                "alg" => HeaderMember::Alg,
                "b64" => HeaderMember::B64,
                "crit" => HeaderMember::Crit,
                "cty" => HeaderMember::Cty,
                "enc" => HeaderMember::Enc,
                "kid" => HeaderMember::Kid,
                "typ" => HeaderMember::Typ,
                "zip" => HeaderMember::Zip,
                _ => HeaderMember::Other(name),
            };
            let bit = match &member {
                HeaderMember::Alg => 1,
                HeaderMember::B64 => 2,
                HeaderMember::Crit => 4,
                HeaderMember::Cty => 8,
                HeaderMember::Enc => 16,
                HeaderMember::Kid => 32,
                HeaderMember::Typ => 64,
                HeaderMember::Zip => 128,
                HeaderMember::Other(_) => 0,
            };
            if bit != 0 {
                if seen & bit != 0 {
                    return Err(de::Error::custom("duplicate member"));
                }
                seen |= bit;
            }
            match member {
                HeaderMember::Alg => header.alg = Some(map.next_value::<StrField<'de>>()?.0),
                HeaderMember::Kid => header.kid = Some(map.next_value::<StrField<'de>>()?.0),
                HeaderMember::Typ => header.typ = Some(map.next_value::<StrField<'de>>()?.0),
                HeaderMember::Cty => header.cty = Some(map.next_value::<StrField<'de>>()?.0),
                HeaderMember::Enc => {
                    map.next_value::<StrictValue>()?;
                    header.encrypted = true;
                }
                HeaderMember::Crit | HeaderMember::B64 | HeaderMember::Zip => {
                    map.next_value::<StrictValue>()?;
                    let name = match member {
                        HeaderMember::Crit => "crit",
                        HeaderMember::B64 => "b64",
                        _ => "zip",
                    };
                    header.unsupported.get_or_insert(name);
                }
                HeaderMember::Other(name) => {
                    // Ignored members (`jwk`, `jku`, `x5u`, `x5c`, ...) still may not repeat.
                    if others.iter().any(|seen| *seen == name) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    others.push(name.into_owned());
                    map.next_value::<StrictValue>()?;
                }
            }
        }
        Ok(header)
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct MemberName<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CowStrVisitor).map(MemberName)
    }
}

/// A string member value, borrowed when possible; any other JSON type is an error.
struct StrField<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for StrField<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CowStrVisitor).map(StrField)
    }
}

struct CowStrVisitor;

impl<'de> Visitor<'de> for CowStrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value))
    }
}

#[cfg(test)]
mod tests;
