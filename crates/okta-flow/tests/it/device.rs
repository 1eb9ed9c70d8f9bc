//! The device authorization grant (RFC 8628) against the devserver: pending then approved,
//! `slow_down`, denied, expired, and a server or client without the grant. The sleeper moves
//! the shared manual clock, so nothing waits in real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_devserver::{Client, DEMO_PASSWORD, DEMO_USERNAME, DevServer, GrantType, ManualClock};
use okta_flow::{DeviceAuthorization, DeviceError, OktaClient};

use crate::harness::{Harness, http_client, settings_for};

/// What the sleeper does on one call, besides moving the clock by the requested duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    /// Only move the clock.
    Wait,
    /// Move the clock less than asked (a device polling too early).
    Early,
    /// Approve on the activation page, then move the clock.
    Approve,
    /// Deny on the activation page, then move the clock.
    Deny,
}

/// Polls with a sleeper that follows `script` (then only waits), and returns the result and the
/// durations the client asked to sleep.
async fn poll(
    harness: &Harness,
    authorization: &DeviceAuthorization,
    script: &[Act],
) -> (Result<okta_flow::TokenSet, DeviceError>, Vec<Duration>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(script.to_vec());
    let base_url = harness.server.base_url().to_owned();
    let user_code = authorization.user_code().to_owned();
    let sleeper = {
        let asked = Arc::clone(&asked);
        let clock = harness.clock.clone();
        move |duration: Duration| {
            let call = {
                let mut asked = asked.lock().expect("lock");
                asked.push(duration);
                asked.len() - 1
            };
            assert!(call < 200, "the poll loop ends");
            let act = script.get(call).copied().unwrap_or(Act::Wait);
            let clock = clock.clone();
            let (base_url, user_code) = (base_url.clone(), user_code.clone());
            async move {
                match act {
                    Act::Approve => decide(&base_url, &user_code, "allow").await,
                    Act::Deny => decide(&base_url, &user_code, "deny").await,
                    Act::Wait | Act::Early => {}
                }
                let moved = if act == Act::Early { Duration::from_secs(1) } else { duration };
                clock.advance(moved);
            }
        }
    };
    let result = harness.client.poll_device_authorization(authorization, sleeper).await;
    let asked = asked.lock().expect("lock").clone();
    (result, asked)
}

/// The activation page's form post with the demo user's password.
async fn decide(base_url: &str, user_code: &str, decision: &str) {
    let response = http_client()
        .post(format!("{base_url}/activate"))
        .form(&[
            ("user_code", user_code),
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
            ("decision", decision),
        ])
        .send()
        .await
        .expect("activate answers");
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
}

#[tokio::test]
async fn pending_then_approved_gives_verified_tokens() {
    let harness = Harness::start().await;
    let authorization = harness.client.start_device_authorization().await.expect("started");
    assert_eq!(authorization.interval(), Duration::from_secs(5));
    assert_eq!(authorization.expires_at(), harness.now() + Duration::from_secs(600));
    assert_eq!(
        authorization.verification_uri().as_str(),
        format!("{}/activate", harness.server.base_url())
    );
    let complete = authorization.verification_uri_complete().expect("a complete URI");
    assert!(complete.as_str().ends_with(authorization.user_code()), "{complete}");
    let debug = format!("{authorization:?}");
    assert!(debug.contains(r#"device_code: "[redacted]""#), "{debug}");
    assert!(!debug.contains(authorization.user_code()), "{debug}");

    // Two pending answers, then the user approves during the third wait.
    let (result, asked) =
        poll(&harness, &authorization, &[Act::Wait, Act::Wait, Act::Approve]).await;
    let tokens = result.expect("tokens");
    assert_eq!(asked, vec![Duration::from_secs(5); 3]);
    let claims = tokens.id_token_claims().expect("a verified ID token");
    assert_eq!(claims.email(), Some(DEMO_USERNAME));
    assert!(tokens.refresh_token().is_some(), "offline_access was configured");
    assert_eq!(tokens.scopes(), ["openid", "profile", "email", "offline_access"]);
    assert_eq!(
        harness.server.count_token_requests(GrantType::DeviceCode, okta_devserver::DEMO_CLIENT_ID),
        3
    );
    // The access token works at /userinfo.
    let user = harness.client.userinfo(tokens.access_token(), &claims.sub).await.expect("userinfo");
    assert_eq!(user.email(), Some(DEMO_USERNAME));
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_every_later_wait() {
    let harness = Harness::start().await;
    let authorization = harness.client.start_device_authorization().await.expect("started");
    // First poll at +5 s (pending); the next comes 1 s later: slow_down.
    let (result, asked) =
        poll(&harness, &authorization, &[Act::Wait, Act::Early, Act::Wait, Act::Approve]).await;
    result.expect("tokens");
    let secs: Vec<u64> = asked.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [5, 5, 10, 10]);
}

#[tokio::test]
async fn a_denial_is_access_denied() {
    let harness = Harness::start().await;
    let authorization = harness.client.start_device_authorization().await.expect("started");
    let (result, asked) = poll(&harness, &authorization, &[Act::Deny]).await;
    assert!(matches!(result, Err(DeviceError::AccessDenied)), "{result:?}");
    assert_eq!(asked.len(), 1);
}

#[tokio::test]
async fn an_unapproved_code_expires_by_the_clients_clock_and_by_the_servers_answer() {
    let harness = Harness::start().await;
    let authorization = harness.client.start_device_authorization().await.expect("started");
    // 600 s at 5 s per wait: after the 120th wait the client's clock says expired, and it stops
    // without asking again.
    let (result, asked) = poll(&harness, &authorization, &[]).await;
    assert!(matches!(result, Err(DeviceError::Expired)), "{result:?}");
    assert_eq!(asked.len(), 120);
    assert_eq!(
        harness.server.count_token_requests(GrantType::DeviceCode, okta_devserver::DEMO_CLIENT_ID),
        119
    );

    // A client whose clock stands still never expires the code itself: the server's
    // `expired_token` ends the loop.
    let settings = settings_for(&harness.issuer).load().expect("settings");
    let frozen = ManualClock::starting_now();
    let client = Harness::client_for(&settings, &frozen).await.expect("discovery");
    let harness = Harness { client, ..harness };
    let authorization = harness.client.start_device_authorization().await.expect("started");
    harness.server.clear_requests();
    let (result, asked) = poll(&harness, &authorization, &[]).await;
    assert!(matches!(result, Err(DeviceError::Expired)), "{result:?}");
    assert_eq!(asked.len(), 120);
    assert_eq!(
        harness.server.count_token_requests(GrantType::DeviceCode, okta_devserver::DEMO_CLIENT_ID),
        120,
        "the 120th poll is answered expired_token"
    );
}

#[tokio::test]
async fn a_public_client_authenticates_with_its_id_and_a_client_without_the_grant_is_refused() {
    let harness = Harness::with_settings(
        |server| {
            server.client(
                Client::public("cli-app")
                    .with_grant_types([GrantType::AuthorizationCode, GrantType::DeviceCode])
                    .with_redirect_uri("http://127.0.0.1:8400/callback"),
            )
        },
        |issuer| {
            okta_config::SettingsLoader::isolated()
                .set("issuer", issuer)
                .set("client_id", "cli-app")
                .set("client_auth_method", "none")
                .set("redirect_uri", "http://127.0.0.1:8400/callback")
                .role(okta_config::Role::Client)
        },
    )
    .await;
    let authorization = harness.client.start_device_authorization().await.expect("started");
    let (result, _) = poll(&harness, &authorization, &[Act::Approve]).await;
    let tokens = result.expect("tokens for the public client");
    assert_eq!(tokens.id_token_claims().expect("ID token").email(), Some(DEMO_USERNAME));

    // A web app without the grant: `unauthorized_client` from the start.
    let clock = ManualClock::starting_now();
    let server = DevServer::builder()
        .clock(clock.clone())
        .client(
            Client::confidential("web-only", "web-only-secret-0123456789")
                .with_redirect_uri("http://127.0.0.1:8080/cb"),
        )
        .start()
        .await
        .expect("devserver");
    let settings = settings_for(&server.issuer("default"))
        .set("client_id", "web-only")
        .set("client_secret", "web-only-secret-0123456789")
        .set("redirect_uri", "http://127.0.0.1:8080/cb")
        .load()
        .expect("settings");
    let client: OktaClient = Harness::client_for(&settings, &clock).await.expect("discovery");
    let err = client.start_device_authorization().await.expect_err("refused");
    match &err {
        DeviceError::Rejected { code, status, .. } => {
            assert_eq!((code.as_str(), *status), ("unauthorized_client", 400));
        }
        other => panic!("expected unauthorized_client, got {other:?}"),
    }
    assert_eq!(err.kind(), "device_authorization_refused");
}
