//! The documented login, start to end, and the life of its tokens.

use std::time::Duration;

use http::Method;
use okta_flow::{
    AuthorizeOptions, CallbackError, PendingLogin, Prompt, Revocable, TokenError, TokenErrorCode,
    UnsealError,
};
use okta_verify::VerifyError;

use crate::harness::{Harness, follow_authorize, http_client};

#[tokio::test]
async fn a_user_signs_in_and_the_tokens_live_their_whole_life() {
    let h = Harness::start().await;
    let tokens = h.login().await.expect("login succeeds");

    let claims = tokens.id_token_claims().expect("verified ID token");
    assert_eq!(claims.iss, h.issuer);
    assert_eq!(claims.aud, [okta_devserver::DEMO_CLIENT_ID]);
    assert!(claims.at_hash.is_some());
    assert_eq!(tokens.token_type().to_ascii_lowercase(), "bearer");
    assert!(tokens.expires_at().unwrap() > h.now());
    assert!(tokens.scopes().iter().any(|scope| scope == "offline_access"));
    let refresh_token =
        tokens.refresh_token().expect("offline_access gives a refresh token").clone();

    // The token request was HTTP Basic, with PKCE, and the discovery came first.
    let requests = h.server.requests();
    let token_request = requests.iter().find(|r| r.path().ends_with("/v1/token")).unwrap();
    assert!(matches!(
        token_request.client_auth(),
        okta_devserver::ClientAuthentication::ClientSecretBasic { client_id } if client_id == okta_devserver::DEMO_CLIENT_ID
    ));
    assert!(token_request.form("code_verifier").is_some());
    assert!(requests[0].path().ends_with("/.well-known/openid-configuration"));

    let userinfo = h.client.userinfo(tokens.access_token(), &claims.sub).await.expect("userinfo");
    assert_eq!(userinfo.subject(), claims.sub);
    assert_eq!(userinfo.email(), Some(okta_devserver::DEMO_USERNAME));

    let refreshed = h.client.refresh(&refresh_token, &claims.sub).await.expect("refresh");
    assert_ne!(refreshed.access_token().secret(), tokens.access_token().secret());
    assert_eq!(refreshed.id_token_claims().unwrap().sub, claims.sub);

    let introspected =
        h.client.introspect(refreshed.access_token().secret()).await.expect("active");
    // As at Okta: an access token's `sub` is the login, its `uid` the user id (the ID token's `sub`).
    assert_eq!(introspected.claims().uid.as_deref(), Some(claims.sub.as_str()));
    assert_eq!(introspected.claims().sub.as_deref(), Some(okta_devserver::DEMO_USERNAME));

    h.client.revoke(Revocable::AccessToken(refreshed.access_token())).await.expect("revoke");
    let err = h.client.introspect(refreshed.access_token().secret()).await.unwrap_err();
    assert!(matches!(err, VerifyError::IntrospectionInactive), "{err:?}");

    let state = okta_flow::OktaClient::new_logout_state();
    let logout = h.client.logout_url(tokens.id_token().unwrap(), None, Some(&state)).unwrap();
    let response = http_client().get(logout.as_str()).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("http://127.0.0.1:8080/"), "{location}");
    assert!(location.contains(&format!("state={state}")), "{location}");
}

#[tokio::test]
async fn keys_are_fetched_once_and_again_only_after_rotation() {
    let h = Harness::start().await;
    h.login().await.expect("first login");
    h.login().await.expect("second login, warm keys");
    assert_eq!(h.count(&Method::GET, "/v1/keys"), 1);
    h.server.rotate_keys("default").unwrap();
    h.login().await.expect("login after rotation");
    assert_eq!(h.count(&Method::GET, "/v1/keys"), 2, "exactly one extra fetch after rotation");
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let h = Harness::start().await;
    let (query, pending) = h.sign_in(AuthorizeOptions::new()).await;
    h.client.finish_login(&query, &pending).await.expect("first use");
    let err = h.client.finish_login(&query, &pending).await.unwrap_err();
    assert!(
        matches!(
            &err,
            okta_flow::LoginError::Token(TokenError::Rejected {
                code: TokenErrorCode::InvalidGrant,
                ..
            })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let h = Harness::start().await;
    let (query, pending) = h.sign_in(AuthorizeOptions::new()).await;
    h.clock.advance(Duration::from_secs(301));
    let err = h.client.finish_login(&query, &pending).await.unwrap_err();
    assert!(
        matches!(
            &err,
            okta_flow::LoginError::Token(TokenError::Rejected {
                code: TokenErrorCode::InvalidGrant,
                ..
            })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_login_sealed_on_one_replica_finishes_on_another() {
    let h = Harness::start().await;
    let (query, pending) = h.sign_in(AuthorizeOptions::new()).await;
    let sealed = pending.seal(h.client.sealing_key()).unwrap();

    // Another replica: same settings (same cookie_secret), its own discovery.
    let settings = crate::harness::settings_for(&h.issuer).load().unwrap();
    let replica = Harness::client_for(&settings, &h.clock).await.unwrap();
    let pending =
        PendingLogin::unseal(replica.sealing_key(), &sealed, h.now(), replica.leeway()).unwrap();
    replica.finish_login(&query, &pending).await.expect("the other replica finishes the login");
}

#[tokio::test]
async fn a_tampered_foreign_or_stale_sealed_login_is_refused() {
    let h = Harness::start().await;
    let (_, pending) = h.sign_in(AuthorizeOptions::new()).await;
    let sealed = pending.seal(h.client.sealing_key()).unwrap();
    // A character in the middle: the last one also carries padding bits, whose change would be
    // a malformed encoding rather than a tampered ciphertext.
    let mut tampered = sealed.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let key = h.client.sealing_key();
    assert_eq!(
        PendingLogin::unseal(key, &tampered, h.now(), h.client.leeway()).unwrap_err(),
        UnsealError::Tampered
    );

    let foreign = okta_flow::SealingKey::generate().unwrap();
    assert_eq!(
        PendingLogin::unseal(&foreign, &sealed, h.now(), h.client.leeway()).unwrap_err(),
        UnsealError::Tampered
    );

    let late = h.now() + Duration::from_secs(300) + h.client.leeway() + Duration::from_secs(1);
    assert_eq!(
        PendingLogin::unseal(key, &sealed, late, h.client.leeway()).unwrap_err(),
        UnsealError::Expired
    );
}

#[tokio::test]
async fn a_callback_for_another_login_is_refused_before_any_token_request() {
    let h = Harness::start().await;
    let (query, _) = h.sign_in(AuthorizeOptions::new()).await;
    let (_, other) = h.sign_in(AuthorizeOptions::new()).await;
    let err = h.client.finish_login(&query, &other).await.unwrap_err();
    assert!(matches!(err, okta_flow::LoginError::Callback(CallbackError::StateMismatch)));
    assert_eq!(h.count(&Method::POST, "/v1/token"), 0);
}

#[tokio::test]
async fn prompt_none_without_a_session_comes_back_as_login_required() {
    let h = Harness::start().await;
    let (url, pending) = h.client.authorize(&AuthorizeOptions::new().prompt(Prompt::None)).unwrap();
    let location = follow_authorize(url.as_str()).await;
    let query = location.split_once('?').unwrap().1;
    let err = h.client.handle_callback(query, &pending).unwrap_err();
    assert!(
        matches!(
            &err,
            CallbackError::Authorization {
                code: okta_flow::AuthorizationErrorCode::LoginRequired,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn max_age_is_enforced_through_auth_time() {
    let h = Harness::start().await;
    let (query, pending) =
        h.sign_in(AuthorizeOptions::new().max_age(Duration::from_secs(60))).await;
    h.client.finish_login(&query, &pending).await.expect("a fresh sign-in satisfies max_age");
}

#[tokio::test]
async fn a_refresh_keeps_the_refresh_token_without_rotation_and_takes_the_new_one_with_it() {
    let h = Harness::start().await;
    let tokens = h.login().await.unwrap();
    let refresh_token = tokens.refresh_token().unwrap();
    let subject = &tokens.id_token_claims().unwrap().sub;
    let refreshed = h.client.refresh(refresh_token, subject).await.unwrap();
    assert_eq!(refreshed.refresh_token().unwrap().secret(), refresh_token.secret());
}

#[tokio::test]
async fn sc037_an_injected_code_fails_pkce_at_the_token_endpoint() {
    let h = Harness::start().await;
    // The attacker runs a login of their own (their own state and PKCE challenge) and keeps the
    // code instead of redeeming it.
    let (attacker_query, _) = h.sign_in(AuthorizeOptions::new()).await;
    let code = url::form_urlencoded::parse(attacker_query.as_bytes())
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .unwrap();
    // The victim starts a login, and the attacker's code reaches the victim's callback together
    // with the victim's valid state.
    let (url, victim) = h.client.authorize(&AuthorizeOptions::new()).unwrap();
    let state = url.query_pairs().find(|(name, _)| name == "state").unwrap().1.into_owned();
    let injected = format!("code={code}&state={state}");
    let err = h.client.finish_login(&injected, &victim).await.unwrap_err();
    assert!(
        matches!(
            &err,
            okta_flow::LoginError::Token(TokenError::Rejected {
                code: TokenErrorCode::InvalidGrant,
                ..
            })
        ),
        "the victim's PKCE verifier does not match the attacker's code: {err:?}"
    );
}
