//! Tests of the cryptographic helpers.

use super::*;

#[test]
fn random_tokens_are_distinct_and_url_safe() {
    let first = random_token(32);
    assert_eq!(first.len(), 43);
    assert_ne!(first, random_token(32));
    assert!(first.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'));
    assert!(random_letters(10).bytes().all(|byte| byte.is_ascii_lowercase()));
}

#[test]
fn secrets_compare_by_content() {
    assert!(secrets_equal("s3cret", "s3cret"));
    assert!(!secrets_equal("s3cret", "s3creT"));
    assert!(!secrets_equal("s3cret", "s3cret "));
}

#[test]
fn sha256_and_b64url_match_rfc_7636_appendix_b() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(b64url(&sha256(verifier.as_bytes())), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}
