//! The committed fixtures in `tests/data/`: regenerated with `UPDATE_FIXTURES=1`, checked otherwise.
//!
//! Keys are random, so they are generated only when missing (delete a `.pem` to rotate it). The
//! key set and the tokens are derived from the keys deterministically (RS256 signatures are), so
//! the check fails as soon as one drifts from the keys or from the claims in `support.rs`.

use std::fs;
use std::path::Path;

use aws_lc_rs::encoding::AsDer as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::support::{Key, access_token, data_dir, id_claims, jwks_of, token};

#[test]
fn fixtures_are_current() {
    #[allow(
        clippy::disallowed_methods,
        reason = "test-only switch, like expect-test's UPDATE_EXPECT"
    )]
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let dir = data_dir();
    if update {
        for key in [Key::RsaA, Key::RsaB, Key::Ec, Key::Attacker] {
            let path = dir.join(key.file());
            if !path.exists() {
                fs::write(&path, generate_key(key)).unwrap();
            }
        }
    }
    let mut stale = Vec::new();
    for (name, contents) in derived_files() {
        let path = dir.join(name);
        if update {
            fs::write(&path, &contents).unwrap();
        } else if fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "fixtures out of date: {stale:?}; run `UPDATE_FIXTURES=1 cargo test -p okta-verify --test it fixtures` \
         (see tests/data/README.md)"
    );
}

/// The files computed from the keys.
fn derived_files() -> Vec<(&'static str, String)> {
    let mut jwks: serde_json::Value = serde_json::from_str(&jwks_of([
        Key::RsaA.public_jwk(),
        Key::RsaB.public_jwk(),
        Key::Ec.public_jwk(),
    ]))
    .unwrap();
    let mut pretty = serde_json::to_string_pretty(&jwks.take()).unwrap();
    pretty.push('\n');
    vec![
        ("jwks.json", pretty),
        ("access-token.jwt", format!("{}\n", access_token())),
        ("id-token.jwt", format!("{}\n", token(Key::RsaA, &id_claims()))),
    ]
}

/// A fresh private key in PKCS#8 PEM.
fn generate_key(key: Key) -> String {
    let der = if key.is_ec() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .unwrap()
        .as_ref()
        .to_vec()
    } else {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair.as_der().unwrap();
        der.as_ref().to_vec()
    };
    let body = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

#[test]
fn committed_tokens_verify() {
    let token = fs::read_to_string(Path::new(&data_dir()).join("access-token.jwt")).unwrap();
    let verifier = crate::support::access_verifier();
    let verified = crate::support::block_on(verifier.verify(token.trim())).unwrap();
    assert_eq!(verified.claims().sub, "alice@example.com");
    assert_eq!(verified.kid(), Some("key-a"));
}
