//! Tests of `/api/v1/authn`.

use http::StatusCode;
use serde_json::json;

use crate::testing::Harness;
use crate::{DEMO_PASSWORD, DEMO_USERNAME};

#[tokio::test]
async fn a_password_gives_a_five_minute_session_token() {
    let harness = Harness::new().await;
    let reply = harness
        .post_json("/api/v1/authn", &json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["expiresAt"], "2027-01-15T08:05:00.000Z");
    assert_eq!(body["sessionToken"].as_str().map(str::len), Some(43));
    assert_eq!(body["_embedded"]["user"]["profile"]["login"], DEMO_USERNAME);
    assert_eq!(
        body["_embedded"]["user"]["id"],
        harness.server.users().get(DEMO_USERNAME).unwrap().id().as_str()
    );
}

#[tokio::test]
async fn failures_use_okta_error_codes() {
    let harness = Harness::new().await;
    for body in [
        json!({"username": DEMO_USERNAME, "password": "nope"}),
        json!({"username": "ghost@example.com", "password": "x"}),
        json!({}),
    ] {
        let reply = harness.post_json("/api/v1/authn", &body).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(reply.json()["errorCode"], "E0000004");
        assert_eq!(reply.json()["errorSummary"], "Authentication failed");
    }
    let malformed = harness
        .send(
            http::Request::post("/api/v1/authn")
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{"))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json()["errorCode"], "E0000003");
}
