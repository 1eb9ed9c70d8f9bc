//! Device authorization (RFC 8628): `/v1/device/authorize` and the activation page at
//! `/activate` where a user enters the user code and allows or denies (the device-code grant
//! itself is in `token_endpoint.rs`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

use crate::authorization_servers::ServerInfo;
use crate::authorize::{check_password, parse_scopes};
use crate::client_auth::authenticated_form;
use crate::config::GrantType;
use crate::crypto::{random_token, random_user_code, secrets_equal};
use crate::error::{Failure, OAuthError, TOKEN_CACHE_CONTROL};
use crate::extract::Server;
use crate::form::Params;
use crate::pages;
use crate::sessions::{create_session, session_from_cookie, set_session_cookie};
use crate::state::{AppState, Shared};
use crate::store::{DeviceDecision, DeviceGrant, SignedIn};

/// The length of a user code (RFC 8628 §6.1: 8 characters of a 20-letter alphabet, 34 bits).
const USER_CODE_LEN: usize = 8;

/// `POST /v1/device/authorize`.
pub(crate) async fn device_authorize(
    State(shared): State<AppState>,
    Server(server): Server,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match start(&shared, &server, &headers, &body) {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

fn start(
    shared: &Shared,
    server: &ServerInfo,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Failure> {
    let (client, form) =
        authenticated_form(headers, body, &shared.auth_context(server, "device/authorize"))?;
    if !client.allows(GrantType::DeviceCode) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!(
                "The client is not authorized to use the provided grant type. Configured grant types: [{}].",
                client.grant_type_names()
            ),
        )
        .into());
    }
    let scopes = parse_scopes(form.get("scope"));
    if scopes.is_empty() {
        return Err(OAuthError::invalid_scope(
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        )
        .into());
    }
    if scopes.iter().any(|scope| !server.accepts_scope(scope)) {
        return Err(OAuthError::invalid_scope(
            "One or more scopes are not configured for the authorization server resource.",
        )
        .into());
    }
    let now = shared.now();
    let expires_in = shared.lifetimes.device_code().as_secs();
    let interval = shared.lifetimes.device_poll_interval().as_secs();
    let device_code = random_token(32);
    let user_code = random_user_code(USER_CODE_LEN);
    let grant = DeviceGrant {
        server: server.id.clone(),
        client_id: client.id().to_owned(),
        scopes,
        user_code: user_code.clone(),
        expires_at: now.saturating_add(expires_in),
        interval,
        last_poll: None,
        decision: DeviceDecision::Pending,
    };
    shared.store.with(|store| {
        store.sweep(now);
        store.device_grants.insert(device_code.clone(), grant);
    });
    tracing::info!(client_id = client.id(), "device authorization started");
    let verification_uri = format!("{}/activate", shared.base_url);
    let body = json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
        "expires_in": expires_in,
        "interval": interval,
    });
    let mut response = Json(body).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(TOKEN_CACHE_CONTROL));
    response_headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `GET /activate`: the activation page, with the code of `verification_uri_complete`.
pub(crate) async fn activation_page(
    State(shared): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let session = session_from_cookie(&shared, &headers);
    pages::device_activation(
        params.get("user_code").unwrap_or_default(),
        session.as_ref().map(|session| session.username.as_str()),
        None,
        StatusCode::OK,
    )
}

/// `POST /activate`: signs the user in when no session exists, then records the decision on the
/// device authorization whose user code was entered.
pub(crate) async fn activate(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Params::parse(&body);
    let entered = form.get("user_code").unwrap_or_default();
    let mut new_session = None;
    let session = match session_from_cookie(&shared, &headers) {
        Some(session) => session,
        None => {
            let username = form.get("username").unwrap_or_default();
            let password = form.get("password").unwrap_or_default();
            match check_password(&shared, username, password) {
                Ok(user) => {
                    let (sid, session) = create_session(&shared, user.username());
                    new_session = Some(sid);
                    session
                }
                Err(message) => {
                    tracing::info!(username, "sign-in on the activation page failed");
                    return pages::device_activation(
                        entered,
                        None,
                        Some(message),
                        StatusCode::UNAUTHORIZED,
                    );
                }
            }
        }
    };
    let approved = match form.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            let mut page = pages::device_activation(
                entered,
                Some(&session.username),
                Some("Choose Allow Access or Don't Allow."),
                StatusCode::BAD_REQUEST,
            );
            if let Some(sid) = &new_session {
                set_session_cookie(&mut page, sid);
            }
            return page;
        }
    };
    let code = normalize(entered);
    let now = shared.now();
    let found = shared.store.with(|store| {
        let grant = store.device_grants.values_mut().find(|grant| {
            matches!(grant.decision, DeviceDecision::Pending)
                && now < grant.expires_at
                && secrets_equal(&grant.user_code, &code)
        })?;
        grant.decision = if approved {
            DeviceDecision::Approved(SignedIn {
                username: session.username.clone(),
                auth_time: session.auth_time,
            })
        } else {
            DeviceDecision::Denied
        };
        Some(())
    });
    let mut page = match found {
        Some(()) => {
            tracing::info!(approved, "device authorization decided");
            pages::device_decided(approved)
        }
        None => pages::device_activation(
            entered,
            Some(&session.username),
            Some("That code is invalid or has expired. Check the code shown on your device."),
            StatusCode::BAD_REQUEST,
        ),
    };
    if let Some(sid) = &new_session {
        set_session_cookie(&mut page, sid);
    }
    page
}

/// A user code as typed: upper case, without spaces or hyphens (`bcdf-ghjk` is `BCDFGHJK`).
fn normalize(entered: &str) -> String {
    entered
        .chars()
        .filter(|character| !character.is_whitespace() && *character != '-')
        .map(|character| character.to_ascii_uppercase())
        .collect()
}
