//! Tests of the admin routes.

use http::{Method, StatusCode};
use serde_json::json;

use crate::testing::Harness;
use crate::{Endpoint, Fault, RateLimitFault, TokenResponseFault};

#[tokio::test]
async fn admin_routes_exist_only_when_enabled() {
    let harness = Harness::with(|builder| builder.admin_routes(false)).await;
    for path in ["/devserver/faults", "/devserver/requests"] {
        assert_eq!(harness.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let armed = harness.post_json("/devserver/faults", &json!({"fault": "invalid_grant"})).await;
    assert_eq!(armed.status, StatusCode::NOT_FOUND);
    assert!(harness.server.faults().armed().is_empty());
}

#[tokio::test]
async fn faults_are_armed_listed_and_cleared_over_http() {
    let harness = Harness::new().await;
    let armed = harness.post_json("/devserver/faults", &json!({"fault": "server_error", "with": {"endpoint": "keys", "status": 503}, "times": 2})).await;
    assert_eq!(armed.status, StatusCode::CREATED, "{}", armed.text());
    harness
        .post_json(
            "/devserver/faults",
            &json!({"fault": "id_token", "with": "alg_none", "always": true}),
        )
        .await;
    let listed = harness.get("/devserver/faults").await.json();
    assert_eq!(
        listed["armed"][0],
        json!({"fault": "server_error", "with": {"endpoint": "keys", "status": 503}, "remaining": 2})
    );
    assert_eq!(listed["armed"][1]["remaining"], serde_json::Value::Null);
    assert_eq!(
        harness.server.faults().armed()[0].fault(),
        &Fault::ServerError { endpoint: Endpoint::Keys, status: 503 }
    );

    assert_eq!(
        harness.get("/oauth2/default/v1/keys").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(harness.get("/devserver/faults").await.json()["fired"].as_array().unwrap().len(), 1);

    let delete = harness
        .send(http::Request::delete("/devserver/faults").body(axum::body::Body::empty()).unwrap())
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    assert!(harness.server.faults().armed().is_empty());
    let bad = harness.post_json("/devserver/faults", &json!({"fault": "made_up"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn requests_are_listed_and_keys_rotated_over_http() {
    let harness = Harness::new().await;
    harness.get("/oauth2/default/v1/keys?x=1").await;
    let listed = harness.get("/devserver/requests").await.json();
    assert_eq!(listed[0]["method"], "GET");
    assert_eq!(listed[0]["path"], "/oauth2/default/v1/keys");
    assert_eq!(listed[0]["query"], json!([["x", "1"]]));
    assert_eq!(listed[0]["client_auth"], json!({"method": "none"}));

    let before = harness.server.keys().signing_kid("default").unwrap();
    let rotated = harness.post_json("/devserver/keys/default/rotate", &json!({})).await.json();
    assert_ne!(rotated["kid"], before.as_str());
    assert_eq!(rotated["kid"], harness.server.keys().signing_kid("default").unwrap().as_str());
    let org = harness.post_json("/devserver/keys/org/rotate", &json!({})).await;
    assert_eq!(org.status, StatusCode::OK);
    assert_eq!(
        harness.post_json("/devserver/keys/nope/rotate", &json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    harness
        .post_form("/oauth2/default/v1/token", "grant_type=x&client_id=c&client_secret=hush", None)
        .await;
    let listed = harness.get("/devserver/requests").await.json();
    let form = &listed.as_array().unwrap().last().unwrap()["form"];
    assert_eq!(
        form,
        &json!([["grant_type", "x"], ["client_id", "c"], ["client_secret", "[redacted]"]])
    );

    let cleared = harness
        .send(http::Request::delete("/devserver/requests").body(axum::body::Body::empty()).unwrap())
        .await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(harness.server.count(Method::GET, "/oauth2/default/v1/keys"), 0);
}

#[tokio::test]
async fn the_new_token_faults_arm_over_http() {
    let harness = Harness::new().await;
    let cases = [
        (
            json!({"fault": "rate_limited_with", "with": {"endpoint": "token", "reset_in": 5, "duplicate_reset_in": 30, "retry_after": 3}, "times": 2}),
            Fault::RateLimitedWith(
                RateLimitFault::new(Endpoint::Token)
                    .reset_in(std::time::Duration::from_secs(5))
                    .duplicate_reset_in(std::time::Duration::from_secs(30))
                    .retry_after(std::time::Duration::from_secs(3)),
            ),
        ),
        (
            json!({"fault": "rate_limited_with", "with": {"endpoint": "token"}}),
            Fault::RateLimitedWith(RateLimitFault::new(Endpoint::Token)),
        ),
        (
            json!({"fault": "token_response", "with": "missing_expires_in"}),
            Fault::TokenResponse(TokenResponseFault::MissingExpiresIn),
        ),
        (
            json!({"fault": "token_response", "with": "not_json", "always": true}),
            Fault::TokenResponse(TokenResponseFault::NotJson),
        ),
    ];
    for (body, fault) in cases {
        let reply = harness.post_json("/devserver/faults", &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{body}: {}", reply.text());
        assert!(
            harness.server.faults().armed().iter().any(|armed| armed.fault() == &fault),
            "{body}"
        );
    }
    let unknown_field =
        json!({"fault": "rate_limited_with", "with": {"endpoint": "token", "reset": 5}});
    assert_eq!(
        harness.post_json("/devserver/faults", &unknown_field).await.status,
        StatusCode::BAD_REQUEST
    );
}
