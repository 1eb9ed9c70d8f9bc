//! `POST /api/v1/authn` (Okta's Classic Authentication API): a username and password give a
//! one-time `sessionToken` for `/authorize`, so headless runs need no browser.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::clock::rfc3339;
use crate::config::UserStatus;
use crate::crypto::{random_token, secrets_equal};
use crate::error::OktaApiError;
use crate::state::{AppState, Shared};
use crate::store::SessionTokenGrant;

#[derive(Deserialize)]
struct Credentials {
    username: Option<String>,
    password: Option<String>,
}

/// `POST /api/v1/authn`.
pub(crate) async fn authn(State(shared): State<AppState>, body: Bytes) -> Response {
    let Ok(credentials) = serde_json::from_slice::<Credentials>(&body) else {
        return OktaApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        )
        .into_response();
    };
    let failed = || {
        OktaApiError::new(StatusCode::UNAUTHORIZED, "E0000004", "Authentication failed")
            .into_response()
    };
    let (Some(username), Some(password)) = (credentials.username, credentials.password) else {
        return failed();
    };
    let Some(user) = shared.user(&username) else {
        tracing::info!(username, "authn failed: unknown user");
        return failed();
    };
    // A locked-out account is not checked further (Okta with "show lockout failures").
    if user.status() == UserStatus::LockedOut {
        tracing::info!(username, "authn: locked out");
        return Json(json!({
            "status": "LOCKED_OUT",
            "_links": { "next": link(&shared, "unlock", "/api/v1/authn/recovery/unlock") }
        }))
        .into_response();
    }
    if !secrets_equal(user.password(), &password) {
        tracing::info!(username, "authn failed: wrong password");
        return failed();
    }
    let now = shared.now();
    let expires_at = now + shared.lifetimes.session_token().as_secs();
    let embedded_user = json!({
        "id": user.id(),
        "passwordChanged": rfc3339(now),
        "profile": {
            "login": user.username(),
            "firstName": user.given_name(),
            "lastName": user.family_name(),
            "locale": user.locale(),
            "timeZone": user.zoneinfo(),
        }
    });
    let cancel = link(&shared, "", "/api/v1/authn/cancel");
    match user.status() {
        UserStatus::MfaRequired => {
            tracing::info!(username, "authn: MFA required");
            let factor_id = format!("ost{}", &user.id()[3..]);
            return Json(json!({
                "stateToken": random_token(32),
                "expiresAt": rfc3339(expires_at),
                "status": "MFA_REQUIRED",
                "_embedded": {
                    "user": embedded_user,
                    "factors": [{
                        "id": factor_id,
                        "factorType": "token:software:totp",
                        "provider": "OKTA",
                        "profile": { "credentialId": user.username() },
                        "_links": { "verify": link(
                            &shared,
                            "",
                            &format!("/api/v1/authn/factors/{factor_id}/verify"),
                        ) }
                    }]
                },
                "_links": { "cancel": cancel }
            }))
            .into_response();
        }
        UserStatus::PasswordExpired => {
            tracing::info!(username, "authn: password expired");
            return Json(json!({
                "stateToken": random_token(32),
                "expiresAt": rfc3339(expires_at),
                "status": "PASSWORD_EXPIRED",
                "_embedded": {
                    "user": embedded_user,
                    "policy": { "complexity": {
                        "minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1,
                        "minSymbol": 0
                    } }
                },
                "_links": {
                    "next": link(&shared, "changePassword", "/api/v1/authn/credentials/change_password"),
                    "cancel": cancel
                }
            }))
            .into_response();
        }
        UserStatus::Active | UserStatus::LockedOut => {}
    }
    let token = random_token(32);
    let grant = SessionTokenGrant { username: user.username().to_owned(), expires_at };
    shared.store.with(|store| {
        store.sweep(now);
        store.session_tokens.insert(token.clone(), grant);
    });
    Json(json!({
        "expiresAt": rfc3339(expires_at),
        "status": "SUCCESS",
        "sessionToken": token,
        "_embedded": { "user": embedded_user }
    }))
    .into_response()
}

/// An Okta `_links` entry (`POST` only): `name` when not empty, the href on this server. The
/// devserver does not implement the endpoints these links name (they answer Okta's 404).
fn link(shared: &Shared, name: &str, path: &str) -> serde_json::Value {
    let mut link =
        json!({ "href": format!("{}{path}", shared.base_url), "hints": { "allow": ["POST"] } });
    if !name.is_empty() {
        link["name"] = json!(name);
    }
    link
}

#[cfg(test)]
mod tests;
