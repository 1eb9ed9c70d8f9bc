//! Tests of `/introspect` and `/revoke`.

use http::StatusCode;

use crate::testing::Harness;
use crate::{Client, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME};

const INTROSPECT: &str = "/oauth2/default/v1/introspect";
const REVOKE: &str = "/oauth2/default/v1/revoke";
const DEMO: Option<(&str, &str)> = Some((DEMO_CLIENT_ID, DEMO_CLIENT_SECRET));
const OTHER: Option<(&str, &str)> = Some(("resource-server", "resource-server-secret"));

async fn harness() -> Harness {
    Harness::with(|builder| {
        builder.client(Client::confidential("resource-server", "resource-server-secret"))
    })
    .await
}

#[tokio::test]
async fn active_access_tokens_are_described_with_okta_fields() {
    let harness = harness().await;
    let tokens = harness.tokens("default", &[]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let reply = harness
        .post_form(INTROSPECT, &format!("token={access}&token_type_hint=access_token"), OTHER)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    let alice = harness.server.users().get(DEMO_USERNAME).unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "openid profile email offline_access", "a string, unlike scp");
    assert_eq!(body["username"], DEMO_USERNAME);
    assert_eq!(body["sub"], DEMO_USERNAME);
    assert_eq!(body["uid"], alice.id().as_str());
    assert_eq!(body["client_id"], DEMO_CLIENT_ID);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["aud"], "api://default");
    assert_eq!(body["iss"], harness.server.issuer("default").as_str());
    assert_eq!(body["exp"], 1_800_003_600_u64);
    assert!(body["jti"].as_str().unwrap().starts_with("AT."));
}

#[tokio::test]
async fn org_access_tokens_are_checked_through_the_org_introspection() {
    let harness = harness().await;
    let tokens = harness.tokens("org", &[]).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        harness.post_form("/oauth2/v1/introspect", &format!("token={access}"), DEMO).await.json()["active"],
        true
    );
    assert_eq!(
        harness.post_form(INTROSPECT, &format!("token={access}"), DEMO).await.json()["active"],
        false,
        "another server's token"
    );
}

#[tokio::test]
async fn unknown_expired_and_foreign_refresh_tokens_are_inactive() {
    let harness = harness().await;
    let tokens = harness.tokens("default", &[]).await;
    let inactive = serde_json::json!({"active": false});
    assert_eq!(harness.post_form(INTROSPECT, "token=nonsense", DEMO).await.json(), inactive);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        harness.post_form(INTROSPECT, &format!("token={refresh}"), DEMO).await.json()["active"],
        true
    );
    assert_eq!(
        harness.post_form(INTROSPECT, &format!("token={refresh}"), OTHER).await.json(),
        inactive
    );
    harness.clock.advance(std::time::Duration::from_hours(1));
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        harness.post_form(INTROSPECT, &format!("token={access}"), DEMO).await.json(),
        inactive,
        "expired"
    );
}

#[tokio::test]
async fn introspection_needs_client_authentication_and_a_token() {
    let harness = harness().await;
    let unauthenticated = harness.post_form(INTROSPECT, "token=x", None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unauthenticated.json()["error"], "invalid_client");
    let missing = harness.post_form(INTROSPECT, "", DEMO).await;
    assert_eq!(
        (missing.status, missing.json()["error"].clone()),
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
    let bad_hint = harness.post_form(INTROSPECT, "token=x&token_type_hint=cookie", DEMO).await;
    assert_eq!(bad_hint.json()["error"], "unsupported_token_type");
}

#[tokio::test]
async fn revocation_answers_200_and_only_revokes_the_callers_tokens() {
    let harness = harness().await;
    let tokens = harness.tokens("default", &[]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let unknown = harness.post_form(REVOKE, "token=never-issued", DEMO).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.body.is_empty());
    assert_eq!(
        harness.post_form(REVOKE, &format!("token={access}"), OTHER).await.status,
        StatusCode::OK
    );
    assert_eq!(
        harness.post_form(INTROSPECT, &format!("token={access}"), DEMO).await.json()["active"],
        true,
        "not the caller's"
    );

    assert_eq!(
        harness
            .post_form(REVOKE, &format!("token={refresh}&token_type_hint=refresh_token"), DEMO)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        harness.post_form(INTROSPECT, &format!("token={refresh}"), DEMO).await.json()["active"],
        false
    );
    assert_eq!(
        harness.post_form(INTROSPECT, &format!("token={access}"), DEMO).await.json()["active"],
        false,
        "the grant's access token goes too"
    );
    assert_eq!(harness.post_form(REVOKE, "token=x", None).await.status, StatusCode::UNAUTHORIZED);
}

/// A POST to `uri` with `Authorization: Basic base64(credentials)`, `credentials` as given:
/// what Okta's JavaScript SDK sends to `/introspect` and `/revoke` (`btoa(clientId)` for a
/// public client, `btoa(clientId:clientSecret)`, not form-encoded, for a confidential one).
async fn post_with_raw_basic(
    harness: &Harness,
    uri: &str,
    body: &str,
    credentials: &str,
) -> crate::testing::Reply {
    use base64::Engine as _;
    let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials));
    let request = http::Request::post(uri)
        .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(http::header::AUTHORIZATION, value)
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap();
    harness.send(request).await
}

#[tokio::test]
async fn okta_s_javascript_sdk_headers_introspect_and_revoke() {
    let raw_secret = "raw+secret/with%25=and:colon";
    let harness = Harness::with(|builder| {
        builder.client(Client::public("spa")).client(Client::confidential("web app", raw_secret))
    })
    .await;
    let tokens = harness.tokens("default", &[]).await;
    let access = tokens["access_token"].as_str().unwrap();

    let introspected =
        post_with_raw_basic(&harness, INTROSPECT, &format!("token={access}"), "spa").await;
    assert_eq!(introspected.status, StatusCode::OK, "{}", introspected.text());
    assert_eq!(introspected.json()["active"], true);
    let revoked = post_with_raw_basic(&harness, REVOKE, "token=never-issued", "spa").await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());

    let raw = post_with_raw_basic(
        &harness,
        INTROSPECT,
        &format!("token={access}"),
        &format!("web app:{raw_secret}"),
    )
    .await;
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.text());
    assert_eq!(raw.json()["active"], true);

    let no_secret = post_with_raw_basic(&harness, REVOKE, "token=x", "web app").await;
    assert_eq!(no_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_secret.json()["error"], "invalid_client");
    let at_token = post_with_raw_basic(
        &harness,
        "/oauth2/default/v1/token",
        "grant_type=refresh_token&refresh_token=x",
        "spa",
    )
    .await;
    assert_eq!(at_token.status, StatusCode::BAD_REQUEST, "not at /token");
    assert_eq!(at_token.json()["error"], "invalid_request");
}
