//! Device authorization (RFC 8628) over HTTP: `/v1/device/authorize`, the activation page, and
//! the device-code grant's answers at `/v1/token`, with time moved by a manual clock.

use std::time::Duration;

use http::StatusCode;
use okta_devserver::{
    Client, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, DevServer, GrantType,
    ManualClock,
};
use serde_json::Value;

use crate::client;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn server(clock: &ManualClock) -> DevServer {
    DevServer::builder()
        .clock(clock.clone())
        .client(Client::public("tv-app").with_grant_types([GrantType::DeviceCode]))
        .start()
        .await
        .expect("the server starts")
}

/// `POST /v1/device/authorize` for the demo client.
async fn start(server: &DevServer, scope: &str) -> Value {
    let response = client()
        .post(format!("{}/v1/device/authorize", server.issuer("default")))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("scope", scope)])
        .send()
        .await
        .expect("device/authorize answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-cache, no-store");
    response.json().await.expect("JSON")
}

/// One poll of `/v1/token` with the device code: the status and the body.
async fn poll(server: &DevServer, device_code: &str) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", DEVICE_GRANT), ("device_code", device_code)])
        .send()
        .await
        .expect("token answers");
    (response.status(), response.json().await.expect("JSON"))
}

/// The activation page's form post, signing in with the demo user's password.
async fn decide(server: &DevServer, user_code: &str, decision: &str) -> (StatusCode, String) {
    let response = client()
        .post(format!("{}/activate", server.base_url()))
        .form(&[
            ("user_code", user_code),
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
            ("decision", decision),
        ])
        .send()
        .await
        .expect("activate answers");
    (response.status(), response.text().await.expect("page"))
}

#[tokio::test]
async fn discovery_advertises_the_device_authorization_endpoint() {
    let clock = ManualClock::starting_now();
    let server = server(&clock).await;
    let issuer = server.issuer("default");
    let metadata: Value = client()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["device_authorization_endpoint"], format!("{issuer}/v1/device/authorize"));
    let grants = metadata["grant_types_supported"].as_array().expect("grant types");
    assert!(grants.iter().any(|grant| grant == DEVICE_GRANT), "{grants:?}");
}

#[tokio::test]
async fn pending_then_approved_on_the_activation_page_gives_tokens_once() {
    let clock = ManualClock::starting_now();
    let server = server(&clock).await;
    let started = start(&server, "openid profile offline_access").await;
    let user_code = started["user_code"].as_str().expect("user_code");
    assert_eq!(user_code.len(), 8);
    assert!(user_code.bytes().all(|byte| b"BCDFGHJKLMNPQRSTVWXZ".contains(&byte)), "{user_code}");
    let verification_uri = format!("{}/activate", server.base_url());
    assert_eq!(started["verification_uri"], verification_uri.as_str());
    assert_eq!(
        started["verification_uri_complete"],
        format!("{verification_uri}?user_code={user_code}")
    );
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);
    let device_code = started["device_code"].as_str().expect("device_code");

    let (status, body) = poll(&server, device_code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("authorization_pending"))
    );

    // The page of `verification_uri_complete` has the code filled in and asks for a password.
    let page = client()
        .get(started["verification_uri_complete"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!(r#"value="{user_code}""#)), "{page}");
    assert!(page.contains(r#"id="password""#), "{page}");

    // Typed in lower case with a hyphen, as people do.
    let typed = format!("{}-{}", &user_code[..4], &user_code[4..]).to_ascii_lowercase();
    let (status, page) = decide(&server, &typed, "allow").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(r#"data-result="approved""#), "{page}");

    clock.advance(Duration::from_secs(5));
    let (status, tokens) = poll(&server, device_code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile offline_access");
    for name in ["access_token", "id_token", "refresh_token"] {
        assert!(tokens[name].as_str().is_some_and(|token| !token.is_empty()), "{name}: {tokens}");
    }
    // The device code answers once.
    clock.advance(Duration::from_secs(5));
    let (status, body) = poll(&server, device_code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn polling_sooner_than_the_interval_gets_slow_down_and_five_more_seconds() {
    let clock = ManualClock::starting_now();
    let server = server(&clock).await;
    let started = start(&server, "openid").await;
    let device_code = started["device_code"].as_str().unwrap();
    assert_eq!(poll(&server, device_code).await.1["error"], "authorization_pending");
    clock.advance(Duration::from_secs(4));
    assert_eq!(poll(&server, device_code).await.1["error"], "slow_down");
    // The interval is now 10 s from the last poll.
    clock.advance(Duration::from_secs(9));
    assert_eq!(poll(&server, device_code).await.1["error"], "slow_down");
    clock.advance(Duration::from_secs(15));
    assert_eq!(poll(&server, device_code).await.1["error"], "authorization_pending");
}

#[tokio::test]
async fn a_denied_authorization_answers_access_denied_and_an_old_one_expired_token() {
    let clock = ManualClock::starting_now();
    let server = server(&clock).await;
    let denied = start(&server, "openid").await;
    let (status, page) = decide(&server, denied["user_code"].as_str().unwrap(), "deny").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(r#"data-result="denied""#), "{page}");
    let (status, body) = poll(&server, denied["device_code"].as_str().unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("access_denied")));

    let expired = start(&server, "openid").await;
    clock.advance(Duration::from_secs(600));
    let (status, body) = poll(&server, expired["device_code"].as_str().unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("expired_token")));
    // An expired code cannot be approved either.
    let (status, page) = decide(&server, expired["user_code"].as_str().unwrap(), "allow").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("invalid or has expired"), "{page}");
}

#[tokio::test]
async fn wrong_passwords_and_clients_without_the_grant_are_refused() {
    let clock = ManualClock::starting_now();
    let server = server(&clock).await;
    let started = start(&server, "openid").await;
    let response = client()
        .post(format!("{}/activate", server.base_url()))
        .form(&[
            ("user_code", started["user_code"].as_str().unwrap()),
            ("username", DEMO_USERNAME),
            ("password", "wrong"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        poll(&server, started["device_code"].as_str().unwrap()).await.1["error"],
        "authorization_pending"
    );

    // A public client authenticates with its client id alone.
    let public: Value = client()
        .post(format!("{}/v1/device/authorize", server.issuer("default")))
        .form(&[("client_id", "tv-app"), ("scope", "openid")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(public["device_code"].is_string(), "{public}");

    // A client without the grant.
    server
        .clients()
        .add(Client::confidential("web-only", "web-only-secret"))
        .expect("client registered");
    let response = client()
        .post(format!("{}/v1/device/authorize", server.issuer("default")))
        .basic_auth("web-only", Some("web-only-secret"))
        .form(&[("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
}
