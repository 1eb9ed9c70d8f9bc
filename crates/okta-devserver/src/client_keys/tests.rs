//! Tests of client keys: what Okta accepts as a registered key, and signature checks per
//! algorithm.

use aws_lc_rs::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, ECDSA_P521_SHA512_FIXED_SIGNING};
use serde_json::json;

use super::*;
use crate::testing::{TestSigner, ecdsa_jwk, ecdsa_key, sign_jwt};
use crate::{DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_RSA_KEY_PEM, public_jwk};

fn rsa_jwk(kid: &str) -> Value {
    public_jwk(DEMO_JWT_SERVICE_RSA_KEY_PEM, kid).unwrap()
}

fn ec_jwk(kid: &str) -> Value {
    public_jwk(DEMO_JWT_SERVICE_EC_KEY_PEM, kid).unwrap()
}

/// The problem sentence of one JWK, or `None` when Okta would take it.
fn problem(jwk: &Value) -> Option<String> {
    ClientKey::parse(jwk).err()
}

#[test]
fn rsa_and_ec_public_keys_are_accepted() {
    assert_eq!(problem(&rsa_jwk("rsa")), None);
    assert_eq!(problem(&ec_jwk("ec")), None);
    let p521 = ecdsa_jwk(&ecdsa_key(&ECDSA_P521_SHA512_FIXED_SIGNING), "P-521", "p521");
    assert_eq!(problem(&p521), None);
    let mut with_alg = rsa_jwk("rsa");
    with_alg["alg"] = json!("RS384");
    assert_eq!(problem(&with_alg), None);
    let mut without_kid = rsa_jwk("x");
    without_kid.as_object_mut().unwrap().remove("kid");
    assert_eq!(problem(&without_kid), None, "one key needs no kid");
}

#[test]
fn keys_okta_refuses_are_refused_with_a_reason() {
    let with = |base: Value, name: &str, value: Value| {
        let mut jwk = base;
        jwk[name] = value;
        jwk
    };
    let without = |base: Value, name: &str| {
        let mut jwk = base;
        jwk.as_object_mut().unwrap().remove(name);
        jwk
    };
    // A 1024-bit modulus: 128 bytes, top bit set.
    let short_modulus = b64url_of(&[0xC0; 128]);
    let cases = [
        (json!("not an object"), "is not a JSON object"),
        (with(rsa_jwk("r"), "d", json!("private")), "private member \"d\""),
        (with(ec_jwk("e"), "d", json!("private")), "private member \"d\""),
        (json!({"kty": "oct", "k": "c2VjcmV0"}), "kty \"oct\""),
        (json!({"kty": "OKP", "crv": "Ed25519", "x": "AA"}), "kty \"OKP\""),
        (without(rsa_jwk("r"), "kty"), "no `kty`"),
        (with(rsa_jwk("r"), "n", json!(short_modulus)), "RSA key of 1024 bits"),
        (without(rsa_jwk("r"), "e"), "without `n` and `e`"),
        (with(rsa_jwk("r"), "n", json!("!!")), "not base64url"),
        (with(ec_jwk("e"), "crv", json!("secp256k1")), "has crv Some(\"secp256k1\")"),
        (with(ec_jwk("e"), "x", json!("AAAA")), "32-byte coordinate"),
        (with(rsa_jwk("r"), "use", json!("enc")), "`use` other than"),
        (with(rsa_jwk("r"), "alg", json!("ES256")), "does not fit the key"),
        (with(ec_jwk("e"), "alg", json!("ES384")), "does not fit the key"),
        (with(rsa_jwk("r"), "alg", json!("PS256")), "does not fit the key"),
        (with(rsa_jwk("r"), "kid", json!(7)), "`kid` that is not"),
        (with(rsa_jwk("r"), "kid", json!("")), "`kid` that is not"),
    ];
    for (jwk, expected) in cases {
        let problem = problem(&jwk).unwrap_or_else(|| panic!("accepted: {jwk}"));
        assert!(problem.contains(expected), "{problem:?} should say {expected:?}");
    }
}

#[test]
fn a_key_set_holds_fifty_keys_with_unique_kids() {
    let fifty: Vec<Value> = (0..50).map(|index| rsa_jwk(&format!("k{index}"))).collect();
    assert_eq!(parse_key_set(&fifty).map(|keys| keys.len()), Ok(50));
    let mut fifty_one = fifty.clone();
    fifty_one.push(rsa_jwk("k50"));
    assert!(parse_key_set(&fifty_one).unwrap_err()[0].contains("at most 50"));

    let twice = [rsa_jwk("same"), ec_jwk("same")];
    assert_eq!(parse_key_set(&twice).unwrap_err(), ["has the kid \"same\" twice"]);
    let mut anonymous = ec_jwk("x");
    anonymous.as_object_mut().unwrap().remove("kid");
    let missing = [rsa_jwk("a"), anonymous];
    assert!(parse_key_set(&missing).unwrap_err()[0].contains("every key needs a `kid`"));
    let bad = [rsa_jwk("a"), json!({"kty": "oct"})];
    assert_eq!(parse_key_set(&bad).unwrap_err().len(), 1, "the bad key, numbered");
    assert!(parse_key_set(&bad).unwrap_err()[0].starts_with("key #2 "));
    assert_eq!(parse_key_set(&[]), Ok(Vec::new()));
}

/// Signs `header.claims` with `signer` and checks it with `jwk` under `alg`.
fn verifies(jwk: &Value, alg: &str, signer: &TestSigner<'_>) -> bool {
    let jwt = sign_jwt(&json!({"alg": alg}), &json!({"sub": "x"}), signer);
    let (message, signature) = jwt.rsplit_once('.').unwrap();
    let key = ClientKey::parse(jwk).unwrap();
    key.verifies(AssertionAlg::parse(alg).unwrap(), message.as_bytes(), signature)
}

#[test]
fn signatures_verify_with_every_algorithm_okta_accepts() {
    let rsa = rsa_jwk("rsa");
    for (alg, algorithm) in
        [("RS256", Algorithm::RS256), ("RS384", Algorithm::RS384), ("RS512", Algorithm::RS512)]
    {
        assert!(
            verifies(&rsa, alg, &TestSigner::Pem(DEMO_JWT_SERVICE_RSA_KEY_PEM, algorithm)),
            "{alg}"
        );
    }
    let es256 = TestSigner::Pem(DEMO_JWT_SERVICE_EC_KEY_PEM, Algorithm::ES256);
    assert!(verifies(&ec_jwk("ec"), "ES256", &es256));
    let p384 = ecdsa_key(&ECDSA_P384_SHA384_FIXED_SIGNING);
    assert!(verifies(&ecdsa_jwk(&p384, "P-384", "p384"), "ES384", &TestSigner::Ecdsa(&p384)));
    let p521 = ecdsa_key(&ECDSA_P521_SHA512_FIXED_SIGNING);
    assert!(verifies(&ecdsa_jwk(&p521, "P-521", "p521"), "ES512", &TestSigner::Ecdsa(&p521)));
}

#[test]
fn a_signature_never_verifies_with_the_wrong_key_or_algorithm() {
    let rs256 = TestSigner::Pem(DEMO_JWT_SERVICE_RSA_KEY_PEM, Algorithm::RS256);
    let es256 = TestSigner::Pem(DEMO_JWT_SERVICE_EC_KEY_PEM, Algorithm::ES256);
    let p521 = ecdsa_key(&ECDSA_P521_SHA512_FIXED_SIGNING);
    let other_p521 = ecdsa_jwk(&ecdsa_key(&ECDSA_P521_SHA512_FIXED_SIGNING), "P-521", "other");
    assert!(!verifies(&ec_jwk("ec"), "RS256", &rs256), "an RS256 signature against an EC key");
    assert!(!verifies(&rsa_jwk("rsa"), "ES256", &es256), "an ES256 signature against an RSA key");
    assert!(!verifies(&other_p521, "ES512", &TestSigner::Ecdsa(&p521)), "another P-521 key");
    assert!(!verifies(&rsa_jwk("rsa"), "RS384", &rs256), "signed RS256, checked as RS384");
    let mut registered_rs512 = rsa_jwk("rsa");
    registered_rs512["alg"] = json!("RS512");
    assert!(!verifies(&registered_rs512, "RS256", &rs256), "the key is registered for RS512");

    let jwt = sign_jwt(&json!({"alg": "RS256"}), &json!({"sub": "x"}), &rs256);
    let (message, signature) = jwt.rsplit_once('.').unwrap();
    let key = ClientKey::parse(&rsa_jwk("rsa")).unwrap();
    let tampered = format!("{message}x");
    assert!(!key.verifies(AssertionAlg::Rs256, tampered.as_bytes(), signature));
    assert!(!key.verifies(AssertionAlg::Rs256, message.as_bytes(), "not base64!"));
}

#[test]
fn hmac_assertions_verify_with_the_secret_only() {
    let secret = "a-client-secret-of-at-least-32-characters";
    for (alg, algorithm) in [
        (AssertionAlg::Hs256, Algorithm::HS256),
        (AssertionAlg::Hs384, Algorithm::HS384),
        (AssertionAlg::Hs512, Algorithm::HS512),
    ] {
        let jwt = sign_jwt(&json!({}), &json!({}), &TestSigner::Hmac(secret, algorithm));
        let (message, signature) = jwt.rsplit_once('.').unwrap();
        assert!(verify_hmac(alg, secret, message.as_bytes(), signature), "{alg:?}");
        assert!(!verify_hmac(
            alg,
            "another-secret-of-at-least-32-chars!",
            message.as_bytes(),
            signature
        ));
        assert!(!verify_hmac(AssertionAlg::Rs256, secret, message.as_bytes(), signature));
    }
}

#[test]
fn algorithms_are_okta_s_list() {
    for alg in ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512"] {
        assert!(AssertionAlg::parse(alg).is_some(), "{alg}");
    }
    for alg in ["none", "None", "PS256", "EdDSA", "HS1", "rs256", ""] {
        assert_eq!(AssertionAlg::parse(alg), None, "{alg}");
    }
    assert!(AssertionAlg::Hs384.is_hmac() && !AssertionAlg::Es512.is_hmac());
}

#[test]
fn bit_lengths_ignore_leading_zero_bytes() {
    assert_eq!(bit_length(&[]), 0);
    assert_eq!(bit_length(&[0, 0]), 0);
    assert_eq!(bit_length(&[0, 1]), 1);
    assert_eq!(bit_length(&[0, 0x80, 0]), 16);
    assert_eq!(bit_length(&[0xFF; 256]), 2048);
    assert_eq!(bit_length(&[0x7F; 256]), 2047);
}

fn b64url_of(bytes: &[u8]) -> String {
    crate::crypto::b64url(bytes)
}
