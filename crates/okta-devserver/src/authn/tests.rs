//! Tests of `/api/v1/authn`.

use http::StatusCode;
use serde_json::json;

use crate::testing::Harness;
use crate::{DEMO_PASSWORD, DEMO_USERNAME, User, UserStatus};

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

#[tokio::test]
async fn configured_statuses_answer_as_okta_and_never_give_a_session_token() {
    let harness = Harness::with(|builder| {
        builder
            .user(User::new("locked@example.com", "pw-locked").with_status(UserStatus::LockedOut))
            .user(
                User::new("expired@example.com", "pw-expired")
                    .with_status(UserStatus::PasswordExpired),
            )
            .user(User::new("mfa@example.com", "pw-mfa").with_status(UserStatus::MfaRequired))
    })
    .await;
    let authn = async |username: &str, password: &str| {
        let body = json!({"username": username, "password": password});
        harness.post_json("/api/v1/authn", &body).await
    };
    let base = harness.server.base_url().to_owned();

    for password in ["pw-locked", "wrong"] {
        let locked = authn("locked@example.com", password).await;
        assert_eq!(locked.status, StatusCode::OK);
        let body = locked.json();
        assert_eq!(body["status"], "LOCKED_OUT", "whatever the password");
        assert_eq!(body["_links"]["next"]["name"], "unlock");
        assert_eq!(body["_links"]["next"]["href"], format!("{base}/api/v1/authn/recovery/unlock"));
        assert!(body.get("sessionToken").is_none() && body.get("stateToken").is_none());
    }

    let expired = authn("expired@example.com", "pw-expired").await.json();
    assert_eq!(expired["status"], "PASSWORD_EXPIRED");
    assert_eq!(expired["_links"]["next"]["name"], "changePassword");
    assert_eq!(expired["_embedded"]["user"]["profile"]["login"], "expired@example.com");
    assert!(expired["_embedded"]["policy"]["complexity"]["minLength"].is_u64());
    assert!(expired["stateToken"].is_string() && expired.get("sessionToken").is_none());

    let mfa = authn("mfa@example.com", "pw-mfa").await.json();
    assert_eq!(mfa["status"], "MFA_REQUIRED");
    assert_eq!(mfa["_embedded"]["factors"][0]["factorType"], "token:software:totp");
    assert_eq!(mfa["_links"]["cancel"]["href"], format!("{base}/api/v1/authn/cancel"));
    assert!(mfa["stateToken"].is_string() && mfa.get("sessionToken").is_none());

    // A wrong password is still the 401 for the users who are not locked out.
    for username in ["expired@example.com", "mfa@example.com"] {
        let wrong = authn(username, "wrong").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{username}");
        assert_eq!(wrong.json()["errorCode"], "E0000004");
    }

    let config: crate::DevServerConfig = toml::from_str(
        "[[users]]\nusername = \"x@example.com\"\npassword = \"p\"\nstatus = \"mfa_required\"",
    )
    .unwrap();
    assert_eq!(config.users[0].status(), UserStatus::MfaRequired);
}

#[tokio::test]
async fn the_sign_in_form_refuses_users_who_cannot_finish_signing_in() {
    let harness = Harness::with(|builder| {
        builder
            .user(User::new("locked@example.com", "pw-locked").with_status(UserStatus::LockedOut))
            .user(User::new("mfa@example.com", "pw-mfa").with_status(UserStatus::MfaRequired))
            .user(
                User::new("expired@example.com", "pw-expired")
                    .with_status(UserStatus::PasswordExpired),
            )
    })
    .await;
    for (username, password, says) in [
        ("locked@example.com", "pw-locked", "locked"),
        ("mfa@example.com", "pw-mfa", "MFA_REQUIRED"),
        ("expired@example.com", "pw-expired", "PASSWORD_EXPIRED"),
    ] {
        let page = harness.get(&Harness::authorize_uri("default", &[])).await;
        let body = format!(
            "tx={}&username={}&password={password}",
            page.transaction(),
            crate::form::form_encode(username)
        );
        let reply = harness.post_form("/login/signin", &body, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{username}");
        assert!(reply.header("location").is_none());
        assert!(
            reply.text().contains(r#"id="error""#) && reply.text().contains(says),
            "{}",
            reply.text()
        );
    }
}
