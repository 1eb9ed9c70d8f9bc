//! Unit tests of token splitting and decoding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::decode::{clean_token, decode, read_token};

fn segment(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn token(header: &serde_json::Value, claims: &serde_json::Value, signature: &[u8]) -> String {
    format!("{}.{}.{}", segment(header), segment(claims), URL_SAFE_NO_PAD.encode(signature))
}

#[test]
fn a_signed_token_decodes_into_header_claims_and_signature_length() {
    let text =
        token(&json!({"alg": "RS256", "kid": "k1"}), &json!({"sub": "alice", "exp": 5}), &[7; 256]);
    let report = decode(&text).expect("decodes");
    assert!(!report.verified);
    assert!(!report.encrypted);
    assert_eq!(report.header["kid"], "k1");
    assert_eq!(report.claims.expect("claims")["sub"], "alice");
    assert_eq!(report.signature_bytes, 256);
}

#[test]
fn padding_is_tolerated_when_decoding() {
    let text = token(&json!({"alg": "RS256"}), &json!({"a": 1}), b"sig");
    let padded = text.split('.').map(|part| format!("{part}==")).collect::<Vec<_>>().join(".");
    assert!(decode(&padded).is_ok());
}

#[test]
fn an_encrypted_token_shows_only_its_header() {
    let header = segment(&json!({"alg": "RSA-OAEP", "enc": "A256GCM"}));
    let report = decode(&format!("{header}.a.b.c.d")).expect("decodes");
    assert!(report.encrypted);
    assert!(report.claims.is_none());
    assert_eq!(report.header["enc"], "A256GCM");
}

#[test]
fn broken_tokens_say_what_is_wrong_without_quoting_the_token() {
    let claims = segment(&json!({"sub": "a"}));
    let cases = [
        (
            "secret-looking-text",
            "a JWT has three parts separated by dots (five for an encrypted one)",
        ),
        ("a.b", "a JWT has three parts separated by dots (five for an encrypted one)"),
        (&format!("!!.{claims}.c2ln") as &str, "the header is not base64url"),
        (&format!("{}.{claims}.c2ln", segment(&json!([1]))), "the header is not a JSON object"),
        (
            &format!("{}.bm90IGpzb24.c2ln", segment(&json!({"alg": "RS256"}))),
            "the payload is not a JSON object",
        ),
        (
            &format!("{}.{claims}.*", segment(&json!({"alg": "RS256"}))),
            "the signature is not base64url",
        ),
    ];
    for (text, expected) in cases {
        let reason = decode(text).err().expect("refused");
        assert_eq!(reason, expected, "for {text}");
        assert!(!reason.contains(text));
    }
}

#[test]
fn tokens_are_trimmed_and_lose_a_bearer_prefix() {
    assert_eq!(read_token("  abc.def.ghi \n").expect("token"), "abc.def.ghi");
    assert_eq!(read_token("Bearer abc.def.ghi").expect("token"), "abc.def.ghi");
    assert_eq!(read_token("bearer   abc").expect("token"), "abc");
    assert_eq!(read_token("Bearerabc").expect("token"), "Bearerabc");
    assert!(read_token("   ").is_err());
    assert!(read_token("Bearer ").is_err());
}

#[test]
fn a_pasted_header_or_a_quoted_token_is_the_token() {
    for pasted in [
        "a.b.c",
        "  a.b.c\n",
        "Bearer a.b.c",
        "bearer a.b.c",
        "Authorization: Bearer a.b.c",
        "authorization:Bearer  a.b.c\r\n",
        "\"a.b.c\"",
        "'a.b.c'",
        "\"Bearer a.b.c\"\n",
        "'Authorization: Bearer a.b.c'",
    ] {
        assert_eq!(clean_token(pasted).as_deref(), Ok("a.b.c"), "{pasted:?}");
    }
}

#[test]
fn two_tokens_are_more_than_one_token_never_a_jwe() {
    for pasted in ["a.b.c\nd.e.f", "\"a.b.c\"\n\"d.e.f\"\n", "a.b.c d.e.f"] {
        let err = clean_token(pasted).expect_err(pasted);
        assert!(err.starts_with("more than one token"), "{pasted:?}: {err}");
    }
    assert_eq!(clean_token("  ").expect_err("empty"), "the token is empty");
    assert_eq!(clean_token("\"\"").expect_err("empty"), "the token is empty");
}
