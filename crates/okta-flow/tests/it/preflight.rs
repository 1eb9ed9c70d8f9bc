//! The preflight of a sign-in against the devserver: an accepted client and redirect URI, an
//! unregistered redirect URI, an unknown client, and an app without the code grant.

use okta_devserver::{Client, GrantType};
use okta_flow::PreflightError;

use crate::harness::{Harness, settings_for};

#[tokio::test]
async fn the_demo_client_and_its_redirect_uri_pass() {
    let harness = Harness::start().await;
    harness.client.preflight().await.expect("accepted");
    // No sign-in happened: no code was issued or redeemed.
    assert_eq!(harness.count(&http::Method::POST, "/v1/token"), 0);
}

async fn preflight_with(
    register: Option<Client>,
    client_id: &str,
    redirect_uri: &str,
) -> PreflightError {
    let harness = Harness::with_settings(
        |server| match register {
            Some(client) => server.client(client),
            None => server,
        },
        |issuer| {
            settings_for(issuer)
                .set("client_id", client_id)
                .set("client_secret", "some-secret-0123456789abcdefghijklmnop")
                .set("redirect_uri", redirect_uri)
        },
    )
    .await;
    harness.client.preflight().await.expect_err("a problem")
}

#[tokio::test]
async fn an_unregistered_redirect_uri_or_an_unknown_client_is_refused_with_its_causes() {
    let err =
        preflight_with(None, okta_devserver::DEMO_CLIENT_ID, "http://127.0.0.1:9999/elsewhere")
            .await;
    match &err {
        PreflightError::Refused { status, description } => {
            assert_eq!(*status, 400);
            assert!(description.as_deref().is_some_and(|d| d.contains("redirect_uri")), "{err:?}");
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(err.kind(), "authorize_refused");
    let causes = err.likely_causes().join("\n");
    assert!(causes.contains("client id") && causes.contains("Sign-in redirect URIs"), "{causes}");

    let err = preflight_with(None, "no-such-client", okta_devserver::DEMO_REDIRECT_URI).await;
    assert!(matches!(err, PreflightError::Refused { status: 400, .. }), "{err:?}");
}

#[tokio::test]
async fn an_app_without_the_code_grant_is_sent_back_with_unauthorized_client() {
    let client = Client::confidential("device-only", "some-secret-0123456789abcdefghijklmnop")
        .with_redirect_uri("http://127.0.0.1:8400/callback")
        .with_grant_types([GrantType::DeviceCode]);
    let err = preflight_with(Some(client), "device-only", "http://127.0.0.1:8400/callback").await;
    match &err {
        PreflightError::SentBack { code, .. } => assert_eq!(code, "unauthorized_client"),
        other => panic!("expected SentBack, got {other:?}"),
    }
    assert!(err.likely_causes()[0].contains("Authorization Code grant"), "{err:?}");
}
