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
use crate::crypto::{random_token, secrets_equal};
use crate::error::OktaApiError;
use crate::state::AppState;
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
    let Some(user) =
        shared.user(&username).filter(|user| secrets_equal(user.password(), &password))
    else {
        tracing::info!(username, "authn failed");
        return failed();
    };
    let now = shared.now();
    let expires_at = now + shared.lifetimes.session_token().as_secs();
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
        "_embedded": {
            "user": {
                "id": user.id(),
                "passwordChanged": rfc3339(now),
                "profile": {
                    "login": user.username(),
                    "firstName": user.given_name(),
                    "lastName": user.family_name(),
                    "locale": user.locale(),
                    "timeZone": user.zoneinfo(),
                }
            }
        }
    }))
    .into_response()
}

#[cfg(test)]
mod tests;
