//! The OpenID Foundation relying-party conformance tests (Basic RP and Config RP, plus the useful
//! extra ones), reproduced with okta-devserver's fault injection. Each test is named after its
//! conformance id, drives the real flow, and asserts what the suite judges: the error kind, and
//! that nothing more happens. `docs/conformance.md` maps each test to the server's fault and our
//! answer.

use http::Method;
use okta_devserver::{Fault, TokenFault};
use okta_flow::{
    AuthorizeOptions, DiscoveryError, LoginError, SetupError, TokenError, UserInfoError,
};

use crate::harness::{Harness, settings_for};

const USERINFO: &str = "/v1/userinfo";
const KEYS: &str = "/v1/keys";

/// A login whose ID token carries `fault` must fail with `kind`, drop every token of the response
/// and call nothing else: no userinfo (the suite's `ExpectingNothingInvalidIdToken`).
async fn expect_id_token_refused(fault: TokenFault, kind: &str) {
    let h = Harness::start().await;
    h.server.faults().arm(Fault::IdToken(fault));
    let result = h.login().await;
    let Err(LoginError::Token(TokenError::IdToken(err))) = result else {
        panic!("{fault:?}: expected an ID-token refusal, got {result:?}");
    };
    assert_eq!(err.kind(), kind, "{fault:?}: {err}");
    assert_eq!(
        h.count(&Method::GET, USERINFO) + h.count(&Method::POST, USERINFO),
        0,
        "no userinfo call"
    );
    assert_eq!(h.count(&Method::POST, "/v1/token"), 1, "one code exchange, no retry");
}

/// A complete login followed by userinfo, as the suite's happy-path modules expect.
async fn expect_login_with_userinfo(h: &Harness) -> okta_flow::UserInfo {
    let tokens = h.login().await.expect("login succeeds");
    let sub = tokens.id_token_claims().expect("verified").sub.clone();
    h.client.userinfo(tokens.access_token(), &sub).await.expect("userinfo")
}

// Basic RP profile.

#[tokio::test]
async fn rp_response_type_code() {
    let h = Harness::start().await;
    let (url, _) = h.client.authorize(&AuthorizeOptions::new()).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let param = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(param("response_type").as_deref(), Some("code"));
    assert!(param("scope").unwrap().split(' ').any(|scope| scope == "openid"));
    assert_eq!(param("redirect_uri").as_deref(), Some(okta_devserver::DEMO_REDIRECT_URI));
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    expect_login_with_userinfo(&h).await;
}

#[tokio::test]
async fn rp_scope_userinfo_claims() {
    let h = Harness::start().await;
    let info = expect_login_with_userinfo(&h).await;
    assert_eq!(info.email(), Some(okta_devserver::DEMO_USERNAME));
    assert!(info.name().is_some(), "the profile scope gives the name: {:?}", info.to_json());
}

#[tokio::test]
async fn rp_nonce_invalid() {
    expect_id_token_refused(TokenFault::WrongNonce, "nonce_mismatch").await;
    expect_id_token_refused(TokenFault::MissingNonce, "missing_claim").await;
}

#[tokio::test]
async fn rp_token_endpoint_client_secret_basic() {
    let h = Harness::start().await;
    h.login().await.expect("login succeeds");
    let requests = h.server.requests();
    let token = requests.iter().find(|r| r.path().ends_with("/v1/token")).expect("a token request");
    assert!(matches!(
        token.client_auth(),
        okta_devserver::ClientAuthentication::ClientSecretBasic { .. }
    ));
    assert!(token.form("client_secret").is_none());
    // The redirect URI at /token is the one sent to /authorize.
    assert_eq!(token.form("redirect_uri"), Some(okta_devserver::DEMO_REDIRECT_URI));
}

#[tokio::test]
async fn rp_id_token_aud() {
    expect_id_token_refused(TokenFault::WrongAudience, "audience_mismatch").await;
    expect_id_token_refused(TokenFault::MissingAudience, "missing_claim").await;
}

#[tokio::test]
async fn rp_id_token_kid_absent_single_jwks() {
    let h = Harness::start().await;
    h.server.faults().arm(Fault::IdToken(TokenFault::KidAbsentSingleKey));
    expect_login_with_userinfo(&h).await;
}

#[tokio::test]
async fn rp_id_token_kid_absent_multiple_jwks() {
    // The suite allows rejecting (no key can be chosen) or trying every key; we reject.
    expect_id_token_refused(TokenFault::KidAbsentMultipleKeys, "ambiguous_key").await;
}

#[tokio::test]
async fn rp_id_token_sig_none() {
    expect_id_token_refused(TokenFault::AlgNone, "algorithm_not_allowed").await;
}

#[tokio::test]
async fn rp_id_token_sig_rs256() {
    let h = Harness::start().await;
    let tokens = h.login().await.expect("login succeeds");
    assert!(tokens.id_token().unwrap().secret().starts_with("eyJ"));
    let header = tokens.id_token().unwrap().secret().split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
}

#[tokio::test]
async fn rp_id_token_bad_sig_rs256() {
    // The suite lets an RP skip this check for ID tokens from /token; we always verify.
    expect_id_token_refused(TokenFault::BadSignature, "invalid_signature").await;
}

#[tokio::test]
async fn rp_id_token_iat() {
    expect_id_token_refused(TokenFault::MissingIssuedAt, "missing_claim").await;
}

#[tokio::test]
async fn rp_id_token_sub() {
    expect_id_token_refused(TokenFault::MissingSubject, "missing_claim").await;
}

#[tokio::test]
async fn rp_id_token_issuer_mismatch() {
    expect_id_token_refused(TokenFault::WrongIssuer, "wrong_issuer").await;
}

#[tokio::test]
async fn rp_userinfo_bad_sub_claim() {
    let h = Harness::start().await;
    let tokens = h.login().await.unwrap();
    let sub = &tokens.id_token_claims().unwrap().sub;
    h.server.faults().arm(Fault::UserinfoSubMismatch);
    let err = h.client.userinfo(tokens.access_token(), sub).await.unwrap_err();
    assert!(matches!(err, UserInfoError::SubjectMismatch), "{err:?}");
}

#[tokio::test]
async fn rp_userinfo_bearer_header() {
    let h = Harness::start().await;
    expect_login_with_userinfo(&h).await;
    let requests = h.server.requests();
    let userinfo = requests.iter().find(|r| r.path().ends_with(USERINFO)).unwrap();
    assert!(userinfo.has_bearer_token(), "the access token goes in the Authorization header");
    assert!(userinfo.query("access_token").is_none(), "never in the query");
    assert!(userinfo.form("access_token").is_none(), "nor in the body");
}

// Config RP profile.

#[tokio::test]
async fn rp_discovery_openid_configuration() {
    let h = Harness::start().await;
    h.login().await.unwrap();
    let requests = h.server.requests();
    assert!(
        requests[0].path().ends_with("/.well-known/openid-configuration"),
        "discovery comes first"
    );
}

#[tokio::test]
async fn rp_discovery_jwks_uri_keys() {
    let h = Harness::start().await;
    h.server.faults().arm(Fault::JwksUriRandomPath);
    h.server.clear_requests();
    let settings = settings_for(&h.issuer).load().unwrap();
    let client = Harness::client_for(&settings, &h.clock).await.unwrap();
    let jwks_path = client.metadata().jwks_uri().path().to_owned();
    assert!(jwks_path.contains("/v1/jwks"), "{jwks_path}");
    let (query, pending) = h.sign_in(AuthorizeOptions::new()).await;
    client.finish_login(&query, &pending).await.expect("keys from the discovered jwks_uri");
    // Discovery first, then the discovered JWKS; /v1/keys (hard-coded) is never asked.
    let client_requests: Vec<String> = h
        .server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .filter(|path| {
            path.contains(".well-known") || path.contains("/v1/jwks") || path.ends_with(KEYS)
        })
        .collect();
    assert_eq!(
        client_requests,
        ["/oauth2/default/.well-known/openid-configuration".to_owned(), jwks_path]
    );
}

#[tokio::test]
async fn rp_discovery_issuer_not_matching_config() {
    let h = Harness::start().await;
    h.server.faults().arm(Fault::DiscoveryIssuerMismatch);
    h.server.clear_requests();
    let settings = settings_for(&h.issuer).load().unwrap();
    let err = Harness::client_for(&settings, &h.clock).await.unwrap_err();
    assert!(matches!(err, SetupError::Discovery(DiscoveryError::IssuerMismatch { .. })), "{err:?}");
    // No client, so no authorization URL: nothing but discovery was requested.
    let paths: Vec<String> = h.server.requests().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(paths, ["/oauth2/default/.well-known/openid-configuration"]);
}

#[tokio::test]
async fn rp_id_token_sig_none_config_profile() {
    // The same module belongs to both profiles; here after a discovery-built client, as Config RP.
    expect_id_token_refused(TokenFault::AlgNone, "algorithm_not_allowed").await;
}

#[tokio::test]
async fn rp_key_rotation_op_sign_key_native() {
    let h = Harness::start().await;
    h.login().await.expect("first login loads the keys");
    assert_eq!(h.count(&Method::GET, KEYS), 1);
    h.server.faults().arm(Fault::IdToken(TokenFault::RotateKeysBeforeSigning));
    expect_login_with_userinfo(&h).await;
    assert_eq!(h.count(&Method::GET, KEYS), 2, "one refetch for the new kid, then accepted");
}

#[tokio::test]
async fn rp_key_rotation_op_sign_key() {
    let h = Harness::start().await;
    expect_login_with_userinfo(&h).await;
    h.server.rotate_keys("default").unwrap();
    expect_login_with_userinfo(&h).await;
    assert_eq!(h.count(&Method::GET, KEYS), 2, "a second JWKS fetch");
    assert_eq!(
        h.count(&Method::GET, USERINFO) + h.count(&Method::POST, USERINFO),
        2,
        "a second userinfo call"
    );
}

// Extra modules of the new suite (§1.4).

#[tokio::test]
async fn oidcc_client_test_ignores_unparseable_key_in_jwks() {
    let h = Harness::start().await;
    h.server.faults().arm(Fault::JwksUnusableKeys);
    expect_login_with_userinfo(&h).await;
}

#[tokio::test]
async fn oidcc_client_test_refresh_token_invalid_issuer() {
    let h = Harness::start().await;
    let tokens = h.login().await.unwrap();
    let sub = tokens.id_token_claims().unwrap().sub.clone();
    h.server.faults().arm(Fault::RefreshIdTokenWrongIssuer);
    let result = h.client.refresh(tokens.refresh_token().unwrap(), &sub).await;
    let Err(TokenError::IdToken(err)) = result else { panic!("{result:?}") };
    assert_eq!(err.kind(), "wrong_issuer");
}

#[tokio::test]
async fn oidcc_client_test_refresh_token_invalid_sub() {
    let h = Harness::start().await;
    let tokens = h.login().await.unwrap();
    let sub = tokens.id_token_claims().unwrap().sub.clone();
    h.server.faults().arm(Fault::RefreshIdTokenWrongSubject);
    let result = h.client.refresh(tokens.refresh_token().unwrap(), &sub).await;
    let Err(TokenError::IdToken(err)) = result else { panic!("{result:?}") };
    assert_eq!(err.kind(), "subject_mismatch");
}

#[tokio::test]
async fn rp_id_token_bad_at_hash() {
    expect_id_token_refused(TokenFault::WrongAtHash, "at_hash_mismatch").await;
}
