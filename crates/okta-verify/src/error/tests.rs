//! The `Display` text and the stable `kind` of every error: scripts rely on both.

use std::borrow::Cow;
use std::error::Error;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use expect_test::expect;
use okta_http::TransportError;

use crate::error::untrusted;
use crate::{ConfigError, JwksError, TokenKind, VerifyError};

/// The samples of an enum, one per variant. The same list also builds a `match` without `_`, so
/// a new variant does not compile until it has a sample here.
macro_rules! every_variant {
    ($enum:ident: $($variant:ident $({ $($named:tt)* })? $(( $($positional:tt)* ))?),+ $(,)?) => {{
        let samples: Vec<$enum> =
            vec![$($enum::$variant $({ $($named)* })? $(( $($positional)* ))?),+];
        for sample in &samples {
            match sample {
                $($enum::$variant { .. } => {})+
            }
        }
        samples
    }};
}

fn every_variant() -> Vec<VerifyError> {
    every_variant![VerifyError:
        Malformed { reason: "a compact JWS has exactly three segments" },
        TokenTooLarge { len: 20_000, max: 16_384 },
        JweUnsupported,
        NestedJwtUnsupported,
        UnsupportedHeader { name: "crit" },
        AlgorithmNotAllowed { alg: "HS256".to_owned() },
        KeyNotFound { kid: Some("k1".to_owned()) },
        AmbiguousKey { kid: None },
        KeyUnusable {
            kid: Some("k1".to_owned()),
            reason: "the RSA key is shorter than 2048 bits",
        },
        InvalidSignature,
        JwksUnavailable { source: JwksError::Transport(connect_failure()) },
        Expired { exp: 10, now: 200, leeway: 120 },
        NotYetValid { nbf: 400, now: 200, leeway: 120 },
        IssuedInFuture { iat: 400, now: 200, leeway: 120 },
        TooOld { claim: "iat", max_age: 86_400, now: 200 },
        WrongIssuer {
            expected: "https://a".to_owned(),
            found: "https://b".to_owned(),
        },
        AudienceMismatch,
        AzpMismatch,
        ClientIdNotAllowed { found: "0oa2".to_owned() },
        InsufficientScope { missing: vec!["a".to_owned(), "b".to_owned()] },
        MissingClaim { claim: "exp" },
        InvalidClaimType { claim: "exp" },
        WrongTokenKind {
            expected: TokenKind::Access,
            reason: "it has neither cid nor scp",
        },
        NonceMismatch,
        AtHashMismatch,
        SubjectMismatch,
        OrgServerToken,
        RuleViolation { reason: Cow::Borrowed("not a member of group admins") },
        IntrospectionBusy { limit: 32 },
        IntrospectionInactive,
        IntrospectionFailed {
            reason: Cow::Borrowed("the request failed"),
            source: Some(connect_failure()),
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
        jwks_unavailable         signing keys unavailable
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
        introspection_busy       introspection busy: 32 calls already in flight
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
    assert_eq!(unavailable, ["jwks_unavailable", "introspection_busy", "introspection_failed"]);
}

#[test]
fn untrusted_values_are_escaped_and_truncated() {
    assert_eq!(untrusted("a\nb\"c\u{0}"), "a\\nb\\\"c\\0");
    let long = "x".repeat(100);
    let shown = untrusted(&long);
    assert_eq!(shown.chars().count(), 65);
    assert!(shown.ends_with('…'));
}

/// A transport failure with an operating-system cause, two links deep.
fn connect_failure() -> TransportError {
    TransportError::Connect {
        url: "https://example.okta.com/oauth2/default/v1/keys".to_owned(),
        source: Arc::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused by the sample peer",
        )),
    }
}

fn every_config_error() -> Vec<ConfigError> {
    every_variant![ConfigError:
        NoAudience,
        NoClientChoice,
        NoAlgorithm,
        LeewayTooLarge { seconds: 600 },
        OutOfRange { name: "max_ttl", reason: "must be at least min_ttl" },
        InsecureUrl { url: "http://example.com/keys".to_owned() },
        MissingClient { what: "client_secret" },
        ClientCredentials(okta_http::ClientAuthError::MissingClientId),
    ]
}

fn every_jwks_error() -> Vec<JwksError> {
    every_variant![JwksError:
        Transport(connect_failure()),
        Status { status: 503 },
        InvalidJson,
        NoKeysArray,
        TooManyKeys { found: 101, max: 100 },
        CoolingDown,
    ]
}

/// Every public error of okta-verify, with causes where a variant has one.
fn every_error() -> Vec<Box<dyn Error>> {
    let mut errors: Vec<Box<dyn Error>> = Vec::new();
    errors.extend(every_variant().into_iter().map(|err| Box::new(err) as Box<dyn Error>));
    errors.extend(every_config_error().into_iter().map(|err| Box::new(err) as Box<dyn Error>));
    errors.extend(every_jwks_error().into_iter().map(|err| Box::new(err) as Box<dyn Error>));
    // `TransportError` lives in `http.rs`; its variants with a cause are checked here too.
    errors.push(Box::new(connect_failure()));
    errors.push(Box::new(TransportError::Other {
        message: "exchange with https://example.okta.com/oauth2/default/v1/keys failed".to_owned(),
        source: Some(Arc::new(std::io::Error::other("the connection was reset"))),
    }));
    errors.push(Box::new(TransportError::Timeout {
        after: Duration::from_secs(10),
        url: "https://example.okta.com/oauth2/default/v1/keys".to_owned(),
    }));
    #[cfg(feature = "axum")]
    errors.extend(
        [
            crate::axum::BearerError::Missing,
            crate::axum::BearerError::Duplicate,
            crate::axum::BearerError::Malformed,
            crate::axum::BearerError::InQuery,
        ]
        .map(|err| Box::new(err) as Box<dyn Error>),
    );
    errors
}

/// The first link of the chain that says again what one of its sources says, if any: `{:#}` in
/// anyhow, or a log line with `error.sources`, would print that cause twice.
fn repeated_cause(err: &(dyn Error + 'static)) -> Option<String> {
    let mut link: &(dyn Error + 'static) = err;
    while let Some(next) = link.source() {
        let text = link.to_string();
        let mut cause = Some(next);
        while let Some(current) = cause {
            let cause_text = current.to_string();
            if cause_text.is_empty() || text.contains(&cause_text) {
                return Some(format!("{text:?} repeats its cause {cause_text:?}"));
            }
            cause = current.source();
        }
        link = next;
    }
    None
}

#[test]
fn every_error_states_each_cause_once() {
    let errors = every_error();
    assert!(errors.iter().filter(|err| err.source().is_some()).count() >= 4);
    for err in &errors {
        assert_eq!(repeated_cause(err.as_ref()), None);
    }
}

#[test]
fn the_cause_check_catches_a_repeated_cause() {
    #[derive(Debug, thiserror::Error)]
    #[error("fetching failed: {0}")]
    struct SaysItsCauseTwice(#[source] std::io::Error);

    let err = SaysItsCauseTwice(std::io::Error::other("refused"));
    assert_eq!(
        repeated_cause(&err).as_deref(),
        Some(r#""fetching failed: refused" repeats its cause "refused""#)
    );
}
