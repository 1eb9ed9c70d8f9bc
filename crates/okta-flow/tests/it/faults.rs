//! Every fault the devserver can inject, and the typed error a service sees for each. When an ID
//! token is refused, no further call is made with the response's tokens.

use std::time::Duration;

use http::Method;
use okta_devserver::{Endpoint, Fault, TokenFault};
use okta_flow::{AuthorizeOptions, CallbackError, LoginError, TokenError};
use okta_verify::VerifyError;

use crate::harness::Harness;

fn id_token_error(result: Result<okta_flow::TokenSet, LoginError>) -> VerifyError {
    match result {
        Err(LoginError::Token(TokenError::IdToken(err))) => err,
        other => panic!("expected an ID token refusal, got {other:?}"),
    }
}

/// The ID-token faults no conformance module names (those are in `conformance.rs`).
#[tokio::test]
async fn other_id_token_faults_are_refused_with_their_own_error() {
    let h = Harness::start().await;
    let cases = [
        (TokenFault::Expired, "expired"),
        (TokenFault::IssuedWeekAgo, "too_old"),
        (TokenFault::MissingExpiry, "missing_claim"),
        (TokenFault::UnpublishedKey, "key_not_found"),
    ];
    for (fault, kind) in cases {
        h.server.faults().arm(Fault::IdToken(fault));
        let userinfo_before = h.count(&Method::GET, "/v1/userinfo");
        let err = id_token_error(h.login().await);
        assert_eq!(err.kind(), kind, "{fault:?}: {err}");
        assert_eq!(
            h.count(&Method::GET, "/v1/userinfo"),
            userinfo_before,
            "{fault:?}: no userinfo call"
        );
        h.server.faults().clear();
    }
}

#[tokio::test]
async fn an_id_token_without_at_hash_is_accepted() {
    // `at_hash` is optional in the code flow (OpenID Connect Core 3.1.3.8); a wrong one is not.
    let h = Harness::start().await;
    h.server.faults().arm(Fault::IdToken(TokenFault::MissingAtHash));
    h.login().await.expect("accepted");
}

#[tokio::test]
async fn token_endpoint_faults_are_typed_and_never_retried() {
    let h = Harness::with(|b| b, |s| s.set("http.timeout_secs", 1_i64)).await;
    let cases: Vec<(Fault, &str)> = vec![
        (Fault::InvalidGrant, "token_endpoint_error"),
        (Fault::RateLimited(Endpoint::Token), "rate_limited"),
        (Fault::ServerError { endpoint: Endpoint::Token, status: 503 }, "server_failure"),
        (Fault::HtmlBody(Endpoint::Token), "malformed_response"),
        (Fault::Redirect { endpoint: Endpoint::Token, status: 307 }, "transport"),
        (Fault::OversizedBody { endpoint: Endpoint::Token, bytes: 10 * 1024 * 1024 }, "transport"),
        (Fault::Delay { endpoint: Endpoint::Token, duration: Duration::from_secs(3) }, "transport"),
    ];
    for (fault, kind) in cases {
        let (query, pending) = h.sign_in(AuthorizeOptions::new()).await;
        let before = h.count(&Method::POST, "/v1/token");
        h.server.faults().arm(fault.clone());
        let err = match h.client.finish_login(&query, &pending).await {
            Err(LoginError::Token(err)) => err,
            other => panic!("{fault:?}: {other:?}"),
        };
        assert_eq!(err.kind(), kind, "{fault:?}: {err}");
        assert_eq!(h.count(&Method::POST, "/v1/token"), before + 1, "{fault:?}: never retried");
        h.server.faults().clear();
    }
    assert_eq!(
        h.count(&Method::GET, "/devserver/redirected")
            + h.count(&Method::POST, "/devserver/redirected"),
        0,
        "redirects are never followed"
    );
}

#[tokio::test]
async fn the_rfc_9207_iss_parameter() {
    let h = Harness::with(|b| b.authorization_response_iss(true), |s| s).await;
    assert!(h.client.metadata().authorization_response_iss_parameter_supported());
    h.login().await.expect("a correct iss is accepted");

    h.server.faults().arm(Fault::AuthorizationResponseWrongIss);
    let err = h.login().await.unwrap_err();
    assert!(matches!(err, LoginError::Callback(CallbackError::IssuerMismatch)), "{err:?}");

    h.server.faults().arm(Fault::AuthorizationResponseMissingIss);
    let err = h.login().await.unwrap_err();
    assert!(matches!(err, LoginError::Callback(CallbackError::IssuerMismatch)), "{err:?}");
    assert_eq!(h.count(&Method::POST, "/v1/token"), 1, "no code redeemed after a mix-up");
}

#[tokio::test]
async fn keys_unavailable_means_a_typed_refusal_not_a_hang() {
    let h = Harness::start().await;
    h.server.faults().arm_times(Fault::ServerError { endpoint: Endpoint::Keys, status: 503 }, 5);
    let err = id_token_error(h.login().await);
    assert!(matches!(err.kind(), "jwks_unavailable" | "key_not_found"), "{err}");
}
