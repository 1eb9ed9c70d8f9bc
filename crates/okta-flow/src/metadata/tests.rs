//! Tests of discovery: what makes metadata untrustworthy, and that nothing else is fetched.

use std::sync::Arc;

use okta_config::Issuer;
use okta_http::TransportError;
use serde_json::json;

use super::*;
use crate::test_support::{Answer, FakeOp, ISSUER, discovery_json};

const PATH: &str = "/oauth2/default/.well-known/openid-configuration";

async fn run(op: &Arc<FakeOp>) -> Result<Metadata, DiscoveryError> {
    discover(&Issuer::parse(ISSUER).unwrap(), &**op).await
}

async fn with_document(
    change: impl FnOnce(&mut serde_json::Value),
) -> Result<Metadata, DiscoveryError> {
    let op = FakeOp::new();
    let mut document = discovery_json();
    change(&mut document);
    op.json(200, PATH, &document);
    run(&op).await
}

#[tokio::test]
async fn okta_metadata_is_accepted_and_only_discovery_is_fetched() {
    let op = FakeOp::new();
    let metadata = run(&op).await.unwrap();
    assert_eq!(metadata.issuer(), ISSUER);
    assert_eq!(metadata.token_endpoint().as_str(), format!("{ISSUER}/v1/token"));
    assert_eq!(metadata.jwks_uri().as_str(), format!("{ISSUER}/v1/keys"));
    assert_eq!(metadata.introspection_endpoint().as_str(), format!("{ISSUER}/v1/introspect"));
    assert_eq!(metadata.end_session_endpoint().unwrap().as_str(), format!("{ISSUER}/v1/logout"));
    assert_eq!(
        metadata.token_endpoint_auth_methods(),
        ["client_secret_basic", "client_secret_post"]
    );
    assert_eq!(metadata.code_challenge_methods(), ["S256"]);
    assert_eq!(metadata.id_token_signing_algs(), ["RS256"]);
    assert!(!metadata.authorization_response_iss_parameter_supported());
    // SC-015: discovery first; the keys are the key cache's business, fetched when needed.
    assert_eq!(op.paths(), [PATH]);
    let request = &op.requests.lock().unwrap()[0];
    assert_eq!(request.headers()["accept"], "application/json");
}

#[tokio::test]
async fn sc016_an_issuer_mismatch_stops_everything() {
    for wrong in [format!("{ISSUER}INVALID"), format!("{ISSUER}/"), ISSUER.to_uppercase()] {
        let err = with_document(|doc| doc["issuer"] = json!(wrong)).await.unwrap_err();
        assert!(matches!(&err, DiscoveryError::IssuerMismatch { .. }), "{wrong}: {err:?}");
        assert_eq!(err.kind(), "discovery_issuer_mismatch");
    }
}

#[tokio::test]
async fn sc101_missing_members_and_insecure_endpoints_are_refused() {
    for member in ["token_endpoint", "introspection_endpoint", "revocation_endpoint"] {
        let err = with_document(|doc| {
            doc.as_object_mut().unwrap().remove(member);
        })
        .await
        .unwrap_err();
        assert!(
            matches!(err, DiscoveryError::MissingEndpoint { name } if name == member),
            "{member}"
        );
    }
    for member in [
        "authorization_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        let err = with_document(|doc| {
            doc.as_object_mut().unwrap().remove(member);
        })
        .await
        .unwrap_err();
        assert!(
            matches!(&err, DiscoveryError::Malformed { reason } if reason.contains("missing")),
            "{member}: {err}"
        );
    }
    for (member, url) in [
        ("token_endpoint", "http://dev-1.okta.com/oauth2/default/v1/token"),
        ("jwks_uri", "https://evil.example/keys"),
        ("jwks_uri", "https://10.0.0.1/keys"),
        ("userinfo_endpoint", "https://dev-1.okta.com:8443/oauth2/default/v1/userinfo"),
        ("end_session_endpoint", "http://127.0.0.1/logout"),
        ("authorization_endpoint", "file:///etc/passwd"),
    ] {
        let err = with_document(|doc| doc[member] = json!(url)).await.unwrap_err();
        assert!(
            matches!(err, DiscoveryError::UntrustedEndpoint { name, .. } if name == member),
            "{member} {url}"
        );
    }
}

#[tokio::test]
async fn sc023_pkce_s256_and_the_code_response_type_are_required() {
    let err = with_document(|doc| doc["code_challenge_methods_supported"] = json!(["plain"]))
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::Unsupported(_)));
    let err = with_document(|doc| doc["response_types_supported"] = json!(["id_token"]))
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::Unsupported(_)));
    // Absent means unknown, not unsupported: Okta always supports S256.
    assert!(
        with_document(|doc| {
            doc.as_object_mut().unwrap().remove("code_challenge_methods_supported");
        })
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn sc102_metadata_cannot_widen_the_algorithms() {
    let metadata = with_document(|doc| {
        doc["id_token_signing_alg_values_supported"] = json!(["none", "HS256", "RS256"]);
    })
    .await
    .unwrap();
    // Reported, but the ID-token verifier's allow-list stays RS256 (tested in client tests).
    assert_eq!(metadata.id_token_signing_algs(), ["none", "HS256", "RS256"]);
}

#[tokio::test]
async fn sc103_bad_answers_are_errors() {
    let op = FakeOp::new();
    op.answer(PATH, Answer::Respond(200, "text/html", b"<html>login</html>".to_vec()));
    assert!(
        matches!(run(&op).await, Err(DiscoveryError::Malformed { reason }) if reason.contains("text/html"))
    );
    op.answer(PATH, Answer::Respond(503, "application/json", b"{}".to_vec()));
    assert!(matches!(run(&op).await, Err(DiscoveryError::Status { status: 503 })));
    op.answer(PATH, Answer::Respond(200, "application/json", b"[1,2]".to_vec()));
    assert!(matches!(run(&op).await, Err(DiscoveryError::Malformed { .. })));
    op.answer(PATH, Answer::Respond(200, "application/json", b"{\"issuer\":".to_vec()));
    assert!(matches!(run(&op).await, Err(DiscoveryError::Malformed { .. })));
    for failure in [
        TransportError::Redirect { status: 302, url: "x".into() },
        TransportError::TooLarge { limit: 1024, url: "x".into() },
        TransportError::Timeout { after: std::time::Duration::from_secs(1), url: "x".into() },
    ] {
        op.answer(PATH, Answer::Fail(failure));
        assert!(matches!(run(&op).await, Err(DiscoveryError::Transport(_))));
    }
}

#[tokio::test]
async fn the_rfc_9207_promise_is_read() {
    let metadata =
        with_document(|doc| doc["authorization_response_iss_parameter_supported"] = json!(true))
            .await
            .unwrap();
    assert!(metadata.authorization_response_iss_parameter_supported());
}
