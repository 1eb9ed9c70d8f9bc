//! The `Display` text and the stable `kind` of every error: scripts rely on both.

use std::borrow::Cow;
use std::fmt::Write as _;

use expect_test::expect;
use okta_http::TransportError;

use crate::error::untrusted;
use crate::{JwksError, TokenKind, VerifyError};

fn every_variant() -> Vec<VerifyError> {
    vec![
        VerifyError::Malformed { reason: "a compact JWS has exactly three segments" },
        VerifyError::TokenTooLarge { len: 20_000, max: 16_384 },
        VerifyError::JweUnsupported,
        VerifyError::NestedJwtUnsupported,
        VerifyError::UnsupportedHeader { name: "crit" },
        VerifyError::AlgorithmNotAllowed { alg: "HS256".to_owned() },
        VerifyError::KeyNotFound { kid: Some("k1".to_owned()) },
        VerifyError::AmbiguousKey { kid: None },
        VerifyError::KeyUnusable {
            kid: Some("k1".to_owned()),
            reason: "the RSA key is shorter than 2048 bits",
        },
        VerifyError::InvalidSignature,
        VerifyError::JwksUnavailable { source: JwksError::Status { status: 503 } },
        VerifyError::Expired { exp: 10, now: 200, leeway: 120 },
        VerifyError::NotYetValid { nbf: 400, now: 200, leeway: 120 },
        VerifyError::IssuedInFuture { iat: 400, now: 200, leeway: 120 },
        VerifyError::TooOld { claim: "iat", max_age: 86_400, now: 200 },
        VerifyError::WrongIssuer {
            expected: "https://a".to_owned(),
            found: "https://b".to_owned(),
        },
        VerifyError::AudienceMismatch,
        VerifyError::AzpMismatch,
        VerifyError::ClientIdNotAllowed { found: "0oa2".to_owned() },
        VerifyError::InsufficientScope { missing: vec!["a".to_owned(), "b".to_owned()] },
        VerifyError::MissingClaim { claim: "exp" },
        VerifyError::InvalidClaimType { claim: "exp" },
        VerifyError::WrongTokenKind {
            expected: TokenKind::Access,
            reason: "it has neither cid nor scp",
        },
        VerifyError::NonceMismatch,
        VerifyError::AtHashMismatch,
        VerifyError::SubjectMismatch,
        VerifyError::OrgServerToken,
        VerifyError::RuleViolation { reason: Cow::Borrowed("not a member of group admins") },
        VerifyError::IntrospectionInactive,
        VerifyError::IntrospectionFailed {
            reason: Cow::Borrowed("the request failed"),
            source: Some(TransportError::other("offline")),
        },
    ]
}

#[test]
fn display_and_kind_of_every_variant() {
    let mut lines = String::new();
    for err in every_variant() {
        writeln!(lines, "{:<24} {err}", err.kind()).unwrap();
    }
    expect![[r#"
        malformed                malformed token: a compact JWS has exactly three segments
        token_too_large          token too large: 20000 bytes, at most 16384 accepted
        jwe_unsupported          encrypted tokens (JWE) are not supported
        nested_jwt_unsupported   nested tokens (cty: JWT) are not supported
        unsupported_header       unsupported header parameter `crit`
        algorithm_not_allowed    algorithm HS256 is not allowed
        key_not_found            no key found for kid "k1"
        ambiguous_key            ambiguous key: the key set has several candidate keys for kid (none)
        key_unusable             key "k1" is unusable: the RSA key is shorter than 2048 bits
        invalid_signature        invalid signature
        jwks_unavailable         signing keys unavailable: the key set endpoint answered status 503
        expired                  token expired at 10 (now 200, leeway 120 s)
        not_yet_valid            token not valid before 400 (now 200, leeway 120 s)
        issued_in_future         token issued in the future at 400 (now 200, leeway 120 s)
        too_old                  token issued too long ago (more than 86400 s; now 200)
        wrong_issuer             wrong issuer https://b, expected https://a
        audience_mismatch        audience mismatch: the token is not meant for this service
        azp_mismatch             azp mismatch: the authorized party is not this client
        client_id_not_allowed    client id 0oa2 is not allowed
        insufficient_scope       insufficient scope: missing a b
        missing_claim            missing claim `exp`
        invalid_claim_type       claim `exp` has an invalid type or value
        wrong_token_kind         wrong token kind: expected an access token, it has neither cid nor scp
        nonce_mismatch           nonce mismatch
        at_hash_mismatch         at_hash does not match the access token
        subject_mismatch         subject mismatch
        org_server_token         org authorization server access tokens cannot be validated locally; use introspection (IntrospectionVerifier)
        rule_violation           rule refused the token: not a member of group admins
        introspection_inactive   token is not active (introspection)
        introspection_failed     introspection failed: the request failed
    "#]]
    .assert_eq(&lines);
}

#[test]
fn kinds_are_unique_snake_case() {
    let mut kinds: Vec<&str> = every_variant().iter().map(VerifyError::kind).collect();
    assert!(
        kinds.iter().all(|kind| kind.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'_'))
    );
    kinds.sort_unstable();
    let before = kinds.len();
    kinds.dedup();
    assert_eq!(kinds.len(), before, "two variants share a kind");
}

#[test]
fn status_classes() {
    let classes: Vec<(&str, bool, bool)> = every_variant()
        .iter()
        .map(|err| (err.kind(), err.is_forbidden(), err.is_unavailable()))
        .collect();
    let forbidden: Vec<&str> =
        classes.iter().filter(|class| class.1).map(|class| class.0).collect();
    let unavailable: Vec<&str> =
        classes.iter().filter(|class| class.2).map(|class| class.0).collect();
    assert_eq!(forbidden, ["insufficient_scope", "rule_violation"]);
    assert_eq!(unavailable, ["jwks_unavailable", "introspection_failed"]);
}

#[test]
fn untrusted_values_are_escaped_and_truncated() {
    assert_eq!(untrusted("a\nb\"c\u{0}"), "a\\nb\\\"c\\0");
    let long = "x".repeat(100);
    let shown = untrusted(&long);
    assert_eq!(shown.chars().count(), 65);
    assert!(shown.ends_with('…'));
}
