//! Strict JSON for tokens and key sets: objects with duplicate members are refused at every depth
//! (`serde_json`'s `Value` would silently keep the last one), and claims are read with exact types.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::VerifyError;

/// A `serde_json::Value` parsed without tolerating duplicate object members anywhere.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictValueVisitor).map(StrictValue)
    }
}

struct StrictValueVisitor;

impl<'de> Visitor<'de> for StrictValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(value) = map.next_value()?;
            if object.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate member"));
            }
        }
        Ok(Value::Object(object))
    }
}

/// Parses a JSON document that must be an object without duplicate members.
pub(crate) fn parse_object(json: &[u8]) -> Result<Map<String, Value>, serde_json::Error> {
    match serde_json::from_slice::<StrictValue>(json)?.0 {
        Value::Object(object) => Ok(object),
        _ => Err(de::Error::custom("not a JSON object")),
    }
}

/// The claims okta-verify checks or types, in one place so that one pass over the payload sorts
/// them from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    Acr,
    Amr,
    AtHash,
    Aud,
    AuthTime,
    Azp,
    Cid,
    Exp,
    Iat,
    Idp,
    Iss,
    Jti,
    Nbf,
    Nonce,
    Scp,
    Sub,
    Uid,
    Ver,
}

impl Claim {
    const ALL: [Self; 18] = [
        Self::Acr,
        Self::Amr,
        Self::AtHash,
        Self::Aud,
        Self::AuthTime,
        Self::Azp,
        Self::Cid,
        Self::Exp,
        Self::Iat,
        Self::Idp,
        Self::Iss,
        Self::Jti,
        Self::Nbf,
        Self::Nonce,
        Self::Scp,
        Self::Sub,
        Self::Uid,
        Self::Ver,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Acr => "acr",
            Self::Amr => "amr",
            Self::AtHash => "at_hash",
            Self::Aud => "aud",
            Self::AuthTime => "auth_time",
            Self::Azp => "azp",
            Self::Cid => "cid",
            Self::Exp => "exp",
            Self::Iat => "iat",
            Self::Idp => "idp",
            Self::Iss => "iss",
            Self::Jti => "jti",
            Self::Nbf => "nbf",
            Self::Nonce => "nonce",
            Self::Scp => "scp",
            Self::Sub => "sub",
            Self::Uid => "uid",
            Self::Ver => "ver",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "acr" => Self::Acr,
            "amr" => Self::Amr,
            "at_hash" => Self::AtHash,
            "aud" => Self::Aud,
            "auth_time" => Self::AuthTime,
            "azp" => Self::Azp,
            "cid" => Self::Cid,
            "exp" => Self::Exp,
            "iat" => Self::Iat,
            "idp" => Self::Idp,
            "iss" => Self::Iss,
            "jti" => Self::Jti,
            "nbf" => Self::Nbf,
            "nonce" => Self::Nonce,
            "scp" => Self::Scp,
            "sub" => Self::Sub,
            "uid" => Self::Uid,
            "ver" => Self::Ver,
            _ => return None,
        })
    }
}

/// A known claim's value, typed while parsing so that the common shapes (strings, numbers, lists
/// of strings) cost no intermediate `Value`.
#[derive(Debug)]
enum Slot {
    Text(String),
    Number(Number),
    List(Vec<String>),
    /// Any other JSON value: a wrong type for every known claim, kept for `extra`.
    Other(Value),
}

impl Slot {
    fn into_value(self) -> Value {
        match self {
            Self::Text(text) => Value::String(text),
            Self::Number(number) => Value::Number(number),
            Self::List(items) => Value::Array(items.into_iter().map(Value::String).collect()),
            Self::Other(value) => value,
        }
    }
}

/// A payload sorted in one pass: the known claims in typed slots, every other claim in `extra`.
#[derive(Debug, Default)]
pub(crate) struct RawClaims {
    slots: [Option<Slot>; Claim::ALL.len()],
    pub(crate) extra: Map<String, Value>,
}

impl RawClaims {
    /// Parses a payload: a JSON object without duplicate members at any depth.
    pub(crate) fn parse(payload: &[u8]) -> Result<Self, VerifyError> {
        let mut deserializer = serde_json::Deserializer::from_slice(payload);
        let claims = deserializer.deserialize_map(RawClaimsVisitor).map_err(|_| {
            VerifyError::malformed("payload is not a JSON object without duplicate members")
        })?;
        deserializer
            .end()
            .map_err(|_| VerifyError::malformed("payload has trailing characters"))?;
        Ok(claims)
    }

    pub(crate) fn contains(&self, claim: Claim) -> bool {
        self.slots[claim as usize].is_some()
    }

    /// A string claim, left in place; `None` when absent or of another type.
    pub(crate) fn peek_string(&self, claim: Claim) -> Option<&str> {
        match &self.slots[claim as usize] {
            Some(Slot::Text(value)) => Some(value),
            _ => None,
        }
    }

    fn take(&mut self, claim: Claim) -> Option<Slot> {
        self.slots[claim as usize].take()
    }

    /// A string claim; another JSON type is `InvalidClaimType`.
    pub(crate) fn string(&mut self, claim: Claim) -> Result<Option<String>, VerifyError> {
        match self.take(claim) {
            None => Ok(None),
            Some(Slot::Text(value)) => Ok(Some(value)),
            Some(_) => Err(invalid(claim)),
        }
    }

    /// A string claim that must be present.
    pub(crate) fn required_string(&mut self, claim: Claim) -> Result<String, VerifyError> {
        self.string(claim)?.ok_or(VerifyError::MissingClaim { claim: claim.name() })
    }

    /// An array of strings; a lone string or another type is `InvalidClaimType`.
    pub(crate) fn string_array(
        &mut self,
        claim: Claim,
    ) -> Result<Option<Vec<String>>, VerifyError> {
        match self.take(claim) {
            None => Ok(None),
            Some(Slot::List(items)) => Ok(Some(items)),
            Some(_) => Err(invalid(claim)),
        }
    }

    /// `aud`: a string or a non-empty array of strings (RFC 7519 4.1.3).
    pub(crate) fn audience(&mut self) -> Result<Vec<String>, VerifyError> {
        match self.take(Claim::Aud) {
            None => Err(VerifyError::MissingClaim { claim: "aud" }),
            Some(Slot::Text(value)) => Ok(vec![value]),
            Some(Slot::List(items)) if !items.is_empty() => Ok(items),
            Some(_) => Err(invalid(Claim::Aud)),
        }
    }

    /// A `NumericDate` claim, rounded towards refusal: see [`numeric_date`].
    pub(crate) fn date(
        &mut self,
        claim: Claim,
        rounding: Rounding,
    ) -> Result<Option<i64>, VerifyError> {
        match self.take(claim) {
            None => Ok(None),
            Some(Slot::Number(number)) => Ok(Some(numeric_date(&number, rounding))),
            Some(_) => Err(invalid(claim)),
        }
    }

    /// An integer claim such as `ver`.
    pub(crate) fn integer(&mut self, claim: Claim) -> Result<Option<i64>, VerifyError> {
        match self.take(claim) {
            None => Ok(None),
            Some(Slot::Number(number)) => number.as_i64().map(Some).ok_or(invalid(claim)),
            Some(_) => Err(invalid(claim)),
        }
    }

    /// Puts the known claims a token kind does not type back among the extra claims.
    pub(crate) fn into_extra(mut self) -> Map<String, Value> {
        for claim in Claim::ALL {
            if let Some(slot) = self.slots[claim as usize].take() {
                self.extra.insert(claim.name().to_owned(), slot.into_value());
            }
        }
        self.extra
    }
}

/// How to round a non-integer `NumericDate`: always in the direction that refuses sooner.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rounding {
    /// For `exp`: the token expires at the whole second before.
    Down,
    /// For `nbf`, `iat`, `auth_time`: the token becomes valid at the whole second after.
    Up,
}

/// Converts a JSON number to whole seconds: integers exactly, values past `i64` saturated (a far
/// future date is then refused by the maximum-age rule), fractions rounded per `rounding`.
pub(crate) fn numeric_date(number: &Number, rounding: Rounding) -> i64 {
    if let Some(value) = number.as_i64() {
        return value;
    }
    if number.as_u64().is_some() {
        return i64::MAX;
    }
    let value = number.as_f64().unwrap_or(0.0);
    let rounded = match rounding {
        Rounding::Down => value.floor(),
        Rounding::Up => value.ceil(),
    };
    // `as` saturates at the bounds of i64, which is the behaviour wanted here.
    #[allow(clippy::cast_possible_truncation, reason = "saturating conversion is intended")]
    let seconds = rounded as i64;
    seconds
}

pub(crate) fn invalid(claim: Claim) -> VerifyError {
    VerifyError::InvalidClaimType { claim: claim.name() }
}

struct RawClaimsVisitor;

impl<'de> Visitor<'de> for RawClaimsVisitor {
    type Value = RawClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims, A::Error> {
        let mut claims = RawClaims::default();
        while let Some(name) = map.next_key::<ClaimName<'de>>()? {
            let duplicate = if let Some(claim) = Claim::from_name(&name.0) {
                let SlotValue(slot) = map.next_value()?;
                claims.slots[claim as usize].replace(slot).is_some()
            } else {
                let StrictValue(value) = map.next_value()?;
                claims.extra.insert(name.0.into_owned(), value).is_some()
            };
            if duplicate {
                return Err(de::Error::custom("duplicate member"));
            }
        }
        Ok(claims)
    }
}

/// A known claim's value: strings, numbers and string lists directly, anything else as a strict
/// `Value`.
struct SlotValue(Slot);

impl<'de> Deserialize<'de> for SlotValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SlotVisitor).map(SlotValue)
    }
}

struct SlotVisitor;

impl<'de> Visitor<'de> for SlotVisitor {
    type Value = Slot;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, value: &str) -> Result<Slot, E> {
        Ok(Slot::Text(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Slot, E> {
        Ok(Slot::Text(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Slot, E> {
        Ok(Slot::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Slot, E> {
        Ok(Slot::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Slot, E> {
        Ok(Number::from_f64(value).map_or(Slot::Other(Value::Null), Slot::Number))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Slot, E> {
        Ok(Slot::Other(Value::Bool(value)))
    }

    fn visit_unit<E>(self) -> Result<Slot, E> {
        Ok(Slot::Other(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Slot, E> {
        Ok(Slot::Other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Slot, A::Error> {
        let mut texts: Vec<String> = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        while let Some(element) = seq.next_element::<Element>()? {
            match element {
                Element::Text(text) => texts.push(text),
                Element::Other(value) => {
                    // Not a list of strings: keep everything as a strict `Value`.
                    let mut values: Vec<Value> = texts.into_iter().map(Value::String).collect();
                    values.push(value);
                    while let Some(StrictValue(value)) = seq.next_element()? {
                        values.push(value);
                    }
                    return Ok(Slot::Other(Value::Array(values)));
                }
            }
        }
        Ok(Slot::List(texts))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot, A::Error> {
        StrictValueVisitor.visit_map(map).map(Slot::Other)
    }
}

/// An array element of a known claim.
enum Element {
    Text(String),
    Other(Value),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(SlotVisitor)? {
            Slot::Text(text) => Ok(Self::Text(text)),
            slot => Ok(Self::Other(slot.into_value())),
        }
    }
}

/// A member name, borrowed from the payload when it has no escapes.
struct ClaimName<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for ClaimName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = ClaimName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(ClaimName(value.into()))
            }
            fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
                Ok(ClaimName(value.to_owned().into()))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests;
