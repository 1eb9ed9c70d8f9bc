//! Every fault the devserver can inject, and the typed error a service sees for each. When an ID
//! token is refused, no further call is made with the response's tokens.

use std::time::Duration;

use http::Method;
use okta_devserver::{Endpoint, Fault, TokenFault};
use okta_flow::{
    AuthorizeOptions, CallbackError, DiscoveryError, LoginError, SetupError, TokenError,
    UserInfoError,
};
use okta_verify::VerifyError;

use crate::harness::{Harness, settings_for};

fn id_token_error(result: Result<okta_flow::TokenSet, LoginError>) -> VerifyError {
    match result {
        Err(LoginError::Token(TokenError::IdToken(err))) => err,
        other => panic!("expected an ID token refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn each_id_token_fault_is_refused_with_its_own_error() {
    let h = Harness::start().await;
    let cases = [
        (TokenFault::AlgNone, "algorithm_not_allowed"),
        (TokenFault::BadSignature, "invalid_signature"),
        (TokenFault::Expired, "expired"),
        (TokenFault::IssuedWeekAgo, "too_old"),
        (TokenFault::KidAbsentMultipleKeys, "ambiguous_key"),
        (TokenFault::MissingAudience, "missing_claim"),
        (TokenFault::MissingExpiry, "missing_claim"),
        (TokenFault::MissingIssuedAt, "missing_claim"),
        (TokenFault::MissingNonce, "missing_claim"),
        (TokenFault::MissingSubject, "missing_claim"),
        (TokenFault::UnpublishedKey, "key_not_found"),
        (TokenFault::WrongAtHash, "at_hash_mismatch"),
        (TokenFault::WrongAudience, "audience_mismatch"),
        (TokenFault::WrongIssuer, "wrong_issuer"),
        (TokenFault::WrongNonce, "nonce_mismatch"),
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
async fn faults_that_a_careful_client_accepts() {
    let h = Harness::start().await;
    for fault in [
        TokenFault::KidAbsentSingleKey,
        TokenFault::MissingAtHash,
        TokenFault::RotateKeysBeforeSigning,
    ] {
        h.server.faults().arm(Fault::IdToken(fault));
        h.login().await.unwrap_or_else(|err| panic!("{fault:?}: {err}"));
        h.server.faults().clear();
        // Each case changes the published keys; keep them apart by more than the refetch
        // cooldown, as independent events would be.
        h.clock.advance(Duration::from_secs(31));
    }
    h.server.faults().arm(Fault::JwksUnusableKeys);
    h.server.rotate_keys("default").unwrap();
    h.login().await.expect("unusable extra keys are ignored");
}

#[tokio::test]
async fn a_random_jwks_path_is_taken_from_discovery() {
    let h = Harness::with(|b| b, |s| s).await;
    h.server.faults().arm(Fault::JwksUriRandomPath);
    let settings = settings_for(&h.issuer).load().unwrap();
    let client = Harness::client_for(&settings, &h.clock).await.unwrap();
    assert!(client.metadata().jwks_uri().path().contains("/v1/jwks"));
    let (query, pending) = h.sign_in(AuthorizeOptions::new()).await;
    client.finish_login(&query, &pending).await.expect("keys fetched from the discovered path");
}

#[tokio::test]
async fn a_discovery_issuer_mismatch_means_no_client_and_no_authorization_request() {
    let h = Harness::start().await;
    h.server.faults().arm(Fault::DiscoveryIssuerMismatch);
    let settings = settings_for(&h.issuer).load().unwrap();
    let err = Harness::client_for(&settings, &h.clock).await.unwrap_err();
    assert!(matches!(err, SetupError::Discovery(DiscoveryError::IssuerMismatch { .. })), "{err:?}");
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
async fn userinfo_for_another_subject_is_refused() {
    let h = Harness::start().await;
    let tokens = h.login().await.unwrap();
    let sub = &tokens.id_token_claims().unwrap().sub;
    h.server.faults().arm(Fault::UserinfoSubMismatch);
    let err = h.client.userinfo(tokens.access_token(), sub).await.unwrap_err();
    assert!(matches!(err, UserInfoError::SubjectMismatch), "{err:?}");
}

#[tokio::test]
async fn a_refreshed_id_token_for_another_issuer_or_subject_is_refused() {
    let h = Harness::start().await;
    let tokens = h.login().await.unwrap();
    let sub = tokens.id_token_claims().unwrap().sub.clone();
    let refresh_token = tokens.refresh_token().unwrap();
    for (fault, kind) in [
        (Fault::RefreshIdTokenWrongIssuer, "wrong_issuer"),
        (Fault::RefreshIdTokenWrongSubject, "subject_mismatch"),
    ] {
        h.server.faults().arm(fault.clone());
        let err = match h.client.refresh(refresh_token, Some(&sub)).await {
            Err(TokenError::IdToken(err)) => err,
            other => panic!("{fault:?}: {other:?}"),
        };
        assert_eq!(err.kind(), kind);
    }
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
