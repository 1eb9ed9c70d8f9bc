//! Unit tests of JWK parsing and key selection.

use serde_json::{Value, json};

use crate::JwksError;
use crate::jws::Algorithm;
use crate::keys::{KeySet, Selection};

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A syntactically valid 2048-bit modulus (not a real key: selection never verifies here).
fn modulus(seed: u8) -> Vec<u8> {
    let mut n = vec![0xc0 | seed; 256];
    n[255] |= 1;
    n
}

fn rsa(kid: Option<&str>, seed: u8) -> Value {
    let mut jwk = json!({ "kty": "RSA", "n": b64(&modulus(seed)), "e": "AQAB" });
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    jwk
}

fn set(members: Vec<Value>) -> KeySet {
    #![allow(clippy::needless_pass_by_value, reason = "call sites build the list inline")]
    let document = json!({ "keys": members });
    KeySet::parse(document.to_string().as_bytes(), 100).unwrap()
}

fn select(set: &KeySet, kid: Option<&str>, alg: Algorithm) -> Result<(), Selection> {
    set.select(kid, alg).map(|_| ())
}

#[test]
fn selection_rules() {
    let two = set(vec![rsa(Some("a"), 1), rsa(Some("b"), 2)]);
    assert_eq!(select(&two, Some("a"), Algorithm::Rs256), Ok(()));
    assert_eq!(
        select(&two, Some("a"), Algorithm::Ps512),
        Ok(()),
        "an RSA key without alg serves every RSA alg"
    );
    assert_eq!(
        select(&two, Some("a"), Algorithm::Es256),
        Err(Selection::Unusable("the key type does not match the token's algorithm"))
    );
    assert_eq!(select(&two, Some("c"), Algorithm::Rs256), Err(Selection::NotFound));
    assert_eq!(select(&two, None, Algorithm::Rs256), Err(Selection::Ambiguous));

    let one = set(vec![rsa(None, 1)]);
    assert_eq!(select(&one, None, Algorithm::Rs256), Ok(()));
    assert_eq!(select(&one, Some("a"), Algorithm::Rs256), Err(Selection::NotFound));

    let empty = set(vec![]);
    assert_eq!(select(&empty, None, Algorithm::Rs256), Err(Selection::NotFound));

    let shared = set(vec![rsa(Some("a"), 1), rsa(Some("a"), 2)]);
    assert_eq!(select(&shared, Some("a"), Algorithm::Rs256), Err(Selection::Ambiguous));
    let duplicated = set(vec![rsa(Some("a"), 1), rsa(Some("a"), 1)]);
    assert_eq!(select(&duplicated, Some("a"), Algorithm::Rs256), Ok(()));
}

#[test]
fn jwk_policy() {
    let with = |patch: Value| {
        let mut jwk = rsa(Some("k"), 1);
        for (name, value) in patch.as_object().unwrap() {
            jwk[name] = value.clone();
        }
        set(vec![jwk]).n_usable()
    };
    assert_eq!(with(json!({})), 1);
    assert_eq!(with(json!({ "use": "sig" })), 1);
    assert_eq!(with(json!({ "use": "enc" })), 0);
    assert_eq!(with(json!({ "use": 1 })), 0);
    assert_eq!(with(json!({ "key_ops": ["verify", "sign"] })), 1);
    assert_eq!(with(json!({ "key_ops": ["encrypt"] })), 0);
    assert_eq!(with(json!({ "key_ops": "verify" })), 0);
    assert_eq!(with(json!({ "alg": "RS512" })), 1);
    assert_eq!(with(json!({ "alg": "ES256" })), 0);
    assert_eq!(with(json!({ "alg": "HS256" })), 0);
    assert_eq!(with(json!({ "alg": 1 })), 0);
    assert_eq!(with(json!({ "d": "AQAB" })), 0);
    assert_eq!(with(json!({ "n": "+/==" })), 0);
    assert_eq!(with(json!({ "e": null })), 0);
    assert_eq!(with(json!({ "kty": "oct" })), 0);
    assert_eq!(with(json!({ "kty": null })), 0);
    let ec = json!({ "kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32]) });
    assert_eq!(set(vec![ec]).n_usable(), 0, "not a point on the curve");
    assert_eq!(set(vec![json!("not an object"), json!(3)]).n_usable(), 0);
}

#[test]
fn key_set_documents() {
    let parse = |json: &str| KeySet::parse(json.as_bytes(), 2).map(|keys| keys.n_usable());
    assert!(matches!(parse("[]"), Err(JwksError::InvalidJson)));
    assert!(matches!(parse("{}"), Err(JwksError::NoKeysArray)));
    assert!(matches!(parse(r#"{"keys":null}"#), Err(JwksError::NoKeysArray)));
    assert!(matches!(
        parse(r#"{"keys":[1,2,3]}"#),
        Err(JwksError::TooManyKeys { found: 3, max: 2 })
    ));
    assert!(matches!(parse(r#"{"keys":[],"keys":[]}"#), Err(JwksError::InvalidJson)));
    assert_eq!(parse(r#"{"keys":[],"other":{"x":1}}"#).unwrap(), 0);
}

#[test]
fn same_keys_compares_usable_material() {
    let a = set(vec![rsa(Some("a"), 1)]);
    let a_again = set(vec![rsa(Some("a"), 1), json!({ "kty": "oct", "k": "AA" })]);
    let b = set(vec![rsa(Some("a"), 2)]);
    assert!(a.same_keys(&a_again));
    assert!(!a.same_keys(&b));
}
