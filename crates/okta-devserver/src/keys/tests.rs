//! Tests of key generation, the JWKS shapes and JWS signing.

use jsonwebtoken::{DecodingKey, Validation, decode};

use super::*;

fn store() -> KeyStore {
    KeyStore::new([AuthServerId::Org, AuthServerId::from("default")], BTreeMap::new())
}

fn decoding_key(jwk: &Value) -> DecodingKey {
    DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
        .unwrap()
}

fn verifies(jwt: &str, jwk: &Value) -> bool {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    decode::<Value>(jwt, &decoding_key(jwk), &validation).is_ok()
}

#[test]
fn each_server_publishes_two_distinct_rsa_keys_and_signs_with_the_first() {
    let keys = store();
    let server = AuthServerId::from("default");
    let jwks = keys.jwks(&server, JwksShape::default()).unwrap();
    let published = jwks["keys"].as_array().unwrap();
    assert_eq!(published.len(), 2);
    assert_ne!(published[0]["kid"], published[1]["kid"]);
    for jwk in published {
        assert_eq!(
            (jwk["kty"].as_str(), jwk["alg"].as_str(), jwk["use"].as_str()),
            (Some("RSA"), Some("RS256"), Some("sig"))
        );
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap().len(), 256);
    }
    let active = keys.active(&server).unwrap();
    assert_eq!(published[0]["kid"], active.kid());
    let jwt = compact(&json!({"sub": "x"}), &Signer::Key { key: &active, with_kid: true }).unwrap();
    assert!(verifies(&jwt, &published[0]));
    assert!(!verifies(&jwt, &published[1]));
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.kid.as_deref(), Some(active.kid()));
    assert_eq!(header.typ, None, "Okta sends no typ");
}

#[test]
fn servers_have_independent_keys_and_unknown_servers_fail() {
    let keys = store();
    let org = keys.active(&AuthServerId::Org).unwrap();
    let default = keys.active(&AuthServerId::from("default")).unwrap();
    assert_ne!(org.kid(), default.kid());
    assert!(matches!(keys.active(&AuthServerId::from("nope")), Err(KeyError::UnknownServer(_))));
}

#[test]
fn rotation_adds_a_new_signing_key_and_keeps_the_previous_one() {
    let keys = store();
    let server = AuthServerId::Org;
    let before = keys.active(&server).unwrap().kid().to_owned();
    let new_kid = keys.rotate(&server).unwrap();
    assert_ne!(new_kid, before);
    let jwks = keys.jwks(&server, JwksShape::default()).unwrap();
    let kids: Vec<_> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|jwk| jwk["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids, [new_kid, before]);
}

#[test]
fn the_unpublished_key_is_stable_and_absent_from_the_jwks() {
    let keys = store();
    let server = AuthServerId::Org;
    let hidden = keys.unpublished(&server).unwrap();
    assert_eq!(hidden.kid(), keys.unpublished(&server).unwrap().kid());
    let jwks = keys.jwks(&server, JwksShape::default()).unwrap().to_string();
    assert!(!jwks.contains(hidden.kid()));
}

#[test]
fn jwks_shapes_follow_the_faults() {
    let keys = store();
    let server = AuthServerId::from("default");
    let single =
        keys.jwks(&server, JwksShape { single_without_kid: true, ..JwksShape::default() }).unwrap();
    assert_eq!(single["keys"].as_array().unwrap().len(), 1);
    assert!(single["keys"][0].get("kid").is_none());
    let all =
        keys.jwks(&server, JwksShape { all_without_kid: true, ..JwksShape::default() }).unwrap();
    assert_eq!(all["keys"].as_array().unwrap().len(), 2);
    assert!(all["keys"].as_array().unwrap().iter().all(|jwk| jwk.get("kid").is_none()));
    let extras =
        keys.jwks(&server, JwksShape { unusable_extras: true, ..JwksShape::default() }).unwrap();
    let kinds: Vec<_> =
        extras["keys"].as_array().unwrap().iter().map(|jwk| jwk["kty"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["RSA", "RSA", "AKP", "DEVSERVER-UNKNOWN"]);
    assert!(extras["keys"].as_array().unwrap().iter().all(|jwk| jwk["kid"].is_string()));
}

#[test]
fn alg_none_and_corrupted_signatures_are_shaped_like_the_conformance_suite() {
    let keys = store();
    let key = keys.active(&AuthServerId::Org).unwrap();
    let none = compact(&json!({"a": 1}), &Signer::AlgNone).unwrap();
    assert!(none.ends_with('.'));
    assert_eq!(
        URL_SAFE_NO_PAD.decode(none.split('.').next().unwrap()).unwrap(),
        br#"{"alg":"none"}"#
    );

    let good = compact(&json!({"a": 1}), &Signer::Key { key: &key, with_kid: false }).unwrap();
    let bad = corrupt_signature(&good);
    let jwk = &keys.jwks(&AuthServerId::Org, JwksShape::default()).unwrap()["keys"][0];
    assert!(verifies(&good, jwk));
    assert!(!verifies(&bad, jwk));
    let original = URL_SAFE_NO_PAD.decode(good.rsplit('.').next().unwrap()).unwrap();
    let flipped = URL_SAFE_NO_PAD.decode(bad.rsplit('.').next().unwrap()).unwrap();
    assert!(original.iter().zip(&flipped).all(|(a, b)| a ^ b == 0x5A));
    assert!(jsonwebtoken::decode_header(&good).unwrap().kid.is_none());
}

#[test]
fn loaded_pem_keys_are_published_first() {
    let generated = SigningKey::generate().unwrap();
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let pem_text = pem("PRIVATE KEY", pair.as_der().unwrap().as_ref());
    let loaded = SigningKey::from_pem(&pem_text).unwrap();
    let modulus = loaded.modulus.clone();
    let keys =
        KeyStore::new([AuthServerId::Org], BTreeMap::from([(AuthServerId::Org, vec![loaded])]));
    let jwks = keys.jwks(&AuthServerId::Org, JwksShape::default()).unwrap();
    assert_eq!(jwks["keys"][0]["n"], modulus.as_str());
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "a second key is generated");
    assert_ne!(generated.modulus, modulus);
    assert!(matches!(SigningKey::from_pem("not a key"), Err(KeyError::InvalidPem(_))));
}
