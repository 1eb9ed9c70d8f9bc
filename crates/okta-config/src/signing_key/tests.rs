//! Every key format that reads, and every wrong key that does not, with the reason.

use crate::{ClientSigningKey, SigningAlgorithm};

macro_rules! key {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/", $name))
    };
}

fn problem(text: &str, algorithm: Option<SigningAlgorithm>) -> String {
    match ClientSigningKey::parse(text, algorithm, None) {
        Ok(key) => panic!("expected a problem, read {key:?}"),
        Err(err) => err.message().to_owned(),
    }
}

#[test]
fn every_private_key_format_reads_with_its_algorithm() {
    for (text, algorithm, kid) in [
        (key!("rsa-2048-pkcs8.pem"), SigningAlgorithm::Rs256, None),
        (key!("rsa-2048-pkcs1.pem"), SigningAlgorithm::Rs256, None),
        (key!("rsa-2048.jwk.json"), SigningAlgorithm::Rs256, Some("rsa-jwk-kid")),
        (key!("ec-p256-pkcs8.pem"), SigningAlgorithm::Es256, None),
        (key!("ec-p256-sec1.pem"), SigningAlgorithm::Es256, None),
        (key!("ec-p256.jwk.json"), SigningAlgorithm::Es256, Some("ec-jwk-kid")),
    ] {
        let key = ClientSigningKey::parse(text, None, None).unwrap();
        assert_eq!(key.algorithm(), algorithm);
        assert_eq!(key.key_id(), kid);
        // Normalised to PKCS#8, which okta-http signs with.
        let again = ClientSigningKey::parse(
            &pem::encode(&pem::Pem::new("PRIVATE KEY", key.pkcs8_der())),
            Some(algorithm),
            Some("configured".to_owned()),
        )
        .unwrap();
        assert_eq!(again.key_id(), Some("configured"), "the configured kid wins");
        assert_eq!(again.pkcs8_der(), key.pkcs8_der());
    }
    // The same RSA key in every format gives the same PKCS#8.
    let pkcs8 = ClientSigningKey::parse(key!("rsa-2048-pkcs8.pem"), None, None).unwrap();
    for other in [key!("rsa-2048-pkcs1.pem"), key!("rsa-2048.jwk.json")] {
        let other = ClientSigningKey::parse(other, None, None).unwrap();
        assert_eq!(other.pkcs8_der(), pkcs8.pkcs8_der());
    }
}

#[test]
fn wrong_keys_are_refused_with_the_reason() {
    for (text, algorithm, expected) in [
        ("hello", None, "is neither a PEM private key"),
        ("", None, "is neither a PEM private key"),
        (
            "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
            None,
            "not a readable PEM",
        ),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", None, "damaged RSA"),
        (key!("rsa-2048-public.pem"), None, "is a public key, not a private key"),
        (key!("rsa-2048-public.jwk.json"), None, "a public JWK"),
        (key!("ec-p256-encrypted.pem"), None, "is an encrypted private key"),
        (key!("rsa-1024-pkcs8.pem"), None, "shorter than 2048 bits"),
        (key!("ec-p384-pkcs8.pem"), None, "neither RSA nor EC on P-256"),
        (
            key!("rsa-2048-pkcs8.pem"),
            Some(SigningAlgorithm::Es256),
            "is an RSA key but the signing algorithm is ES256",
        ),
        (
            key!("ec-p256-sec1.pem"),
            Some(SigningAlgorithm::Rs256),
            "is an EC P-256 key but the signing algorithm is RS256",
        ),
        (key!("ec-p256.jwk.json"), Some(SigningAlgorithm::Rs256), "is an EC P-256 key but"),
        ("{\"keys\": []}", None, "is a JWK Set"),
        ("{\"kty\": \"oct\", \"k\": \"AAAA\", \"d\": \"x\"}", None, "neither kty RSA nor kty EC"),
        ("{\"kty\": \"RSA\", \"alg\": \"PS256\", \"d\": \"x\"}", None, "is a JWK for \"PS256\""),
        ("{not json", None, "not valid JSON"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            None,
            "is a certificate",
        ),
    ] {
        let message = problem(text, algorithm);
        assert!(message.contains(expected), "expected {expected:?} in {message:?}");
    }
}

#[test]
fn a_key_never_prints() {
    let key =
        ClientSigningKey::parse(key!("ec-p256-pkcs8.pem"), None, Some("k1".to_owned())).unwrap();
    let debug = format!("{key:?}");
    assert_eq!(debug, "ClientSigningKey { algorithm: Es256, key_id: Some(\"k1\"), .. }");
    // A problem never echoes key material either.
    let damaged = key!("rsa-2048-pkcs8.pem").replace("MII", "MIJ");
    let message = problem(&damaged, None);
    assert!(!message.contains("MIJ"), "{message}");
}

#[test]
fn algorithm_names() {
    assert_eq!(SigningAlgorithm::parse("RS256").unwrap(), SigningAlgorithm::Rs256);
    assert_eq!(SigningAlgorithm::parse("ES256").unwrap().to_string(), "ES256");
    assert!(SigningAlgorithm::parse("HS256").unwrap_err().message().contains("use RS256"));
}
