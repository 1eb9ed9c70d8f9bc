//! `/v1/token`: client authentication, then the `authorization_code` and `refresh_token`
//! grants and the device-code grant (RFC 8628, started in `device.rs`) here, the grants of
//! service apps (`client_credentials`, token exchange) in `service_grants.rs`; the faults that
//! break a successful response.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Map, Value, json};

use crate::authorization_servers::ServerInfo;
use crate::client_auth::authenticated_form;
use crate::config::{Client, GrantType, User};
use crate::crypto::{b64url, random_token, secrets_equal, sha256};
use crate::error::{Failure, OAuthError, TOKEN_CACHE_CONTROL};
use crate::extract::Server;
use crate::faults::{Fault, TokenResponseFault};
use crate::form::Params;
use crate::minting::{self, Grant, GrantKind};
use crate::service_grants;
use crate::state::{AppState, Shared};
use crate::store::{DeviceDecision, DeviceGrant, SignedIn, TokenKind};

const INVALID_CODE: &str = "The authorization code is invalid or has expired.";
const INVALID_REFRESH: &str = "The refresh token is invalid or expired.";

/// `POST /v1/token`.
pub(crate) async fn token(
    State(shared): State<AppState>,
    Server(server): Server,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match exchange(&shared, &server, &headers, &body) {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

fn exchange(
    shared: &Shared,
    server: &ServerInfo,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Failure> {
    let (client, form) = authenticated_form(headers, body, &shared.auth_context(server, "token"))?;
    let grant_type = form
        .get("grant_type")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("The 'grant_type' parameter is required."))?;
    let Some(grant) = GrantType::parse(grant_type) else {
        return Err(OAuthError::new(
            http::StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("The authorization grant type is not supported by the authorization server. Configured grant types: [{}].", client.grant_type_names()),
        )
        .into());
    };
    if !client.allows(grant) {
        return Err(OAuthError::new(
            http::StatusCode::BAD_REQUEST,
            "unauthorized_client",
            format!("The client is not authorized to use the provided grant type. Configured grant types: [{}].", client.grant_type_names()),
        )
        .into());
    }
    if shared.faults.take(|fault| matches!(fault, Fault::InvalidGrant).then_some(())).is_some() {
        return Err(OAuthError::invalid_grant(match grant {
            GrantType::RefreshToken => INVALID_REFRESH,
            _ => INVALID_CODE,
        })
        .into());
    }
    let body = match grant {
        GrantType::AuthorizationCode => authorization_code(shared, server, &client, &form)?,
        GrantType::RefreshToken => refresh(shared, server, &client, &form)?,
        GrantType::ClientCredentials => {
            service_grants::client_credentials(shared, server, &client, &form)?
        }
        GrantType::TokenExchange => service_grants::token_exchange(shared, server, &client, &form)?,
        GrantType::DeviceCode => device_code(shared, server, &client, &form)?,
    };
    let fault = shared.faults.take(|fault| match fault {
        Fault::TokenResponse(broken) => Some(*broken),
        _ => None,
    });
    let mut response = match fault {
        None => Json(body).into_response(),
        Some(broken) => broken_response(body, broken),
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(TOKEN_CACHE_CONTROL));
    response_headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

fn authorization_code(
    shared: &Shared,
    server: &ServerInfo,
    client: &Client,
    form: &Params,
) -> Result<Value, Failure> {
    let code = form
        .get("code")
        .filter(|code| !code.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("The 'code' parameter is required."))?;
    let now = shared.now();
    let grant = shared.store.with(|store| {
        let grant = store.codes.get_mut(code).ok_or_else(|| OAuthError::invalid_grant(INVALID_CODE))?;
        if grant.redeemed {
            // RFC 6749 §4.1.2: a replayed code revokes what it issued.
            let family = grant.family.clone();
            store.revoke_family(&family);
            tracing::warn!("authorization code replayed: its tokens are revoked");
            return Err(OAuthError::invalid_grant(INVALID_CODE));
        }
        if now >= grant.expires_at || grant.request.client_id != client.id() || grant.request.server != server.id {
            return Err(OAuthError::invalid_grant(INVALID_CODE));
        }
        if form.get("redirect_uri") != Some(grant.request.redirect_uri.as_str()) {
            return Err(OAuthError::invalid_grant(
                "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
            ));
        }
        let verifier = form.get("code_verifier").filter(|verifier| !verifier.is_empty());
        match (&grant.request.code_challenge, verifier) {
            (None, None) => {}
            (Some(challenge), Some(verifier)) if secrets_equal(&b64url(&sha256(verifier.as_bytes())), challenge) => {}
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request("A 'code_verifier' was sent but the authorization request had no 'code_challenge'."));
            }
            (Some(_), _) => return Err(OAuthError::invalid_grant("PKCE verification failed.")),
        }
        grant.redeemed = true;
        Ok(grant.clone())
    })?;
    let user = shared
        .user(&grant.signed_in.username)
        .ok_or_else(|| OAuthError::invalid_grant(INVALID_CODE))?;
    let request = &grant.request;
    let token_grant = Grant {
        kind: GrantKind::AuthorizationCode,
        server,
        client,
        user: Some(&user),
        scopes: &request.scopes,
        auth_time: Some(grant.signed_in.auth_time),
        nonce: request.nonce.as_deref(),
        family: &grant.family,
        access_lifetime: None,
    };
    respond_with_tokens(shared, &token_grant, &user, RefreshHandling::Mint)
}

fn refresh(
    shared: &Shared,
    server: &ServerInfo,
    client: &Client,
    form: &Params,
) -> Result<Value, Failure> {
    let presented = form
        .get("refresh_token")
        .filter(|token| !token.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("The 'refresh_token' parameter is required."))?;
    let now = shared.now();
    let grace = shared.lifetimes.refresh_rotation_grace().as_secs();
    let record = shared.store.with(|store| store.tokens.get(presented).cloned());
    // Reuse detection (okta-facts-2 item 30): a rotated refresh token presented after the grace
    // period makes Okta invalidate the newest refresh token and every access token issued since
    // sign-in: here, every token of the sign-in's family.
    if let Some(reused) = record.as_ref().filter(|record| {
        record.kind == TokenKind::Refresh
            && record.server == server.id
            && record.client_id == client.id()
            && !record.revoked
            && record.rotated_at.is_some_and(|rotated| now >= rotated.saturating_add(grace))
    }) {
        tracing::info!(
            client_id = client.id(),
            "refresh token reuse detected: the sign-in's tokens are revoked"
        );
        shared.store.with(|store| store.revoke_family(&reused.family));
        return Err(OAuthError::invalid_grant(INVALID_REFRESH).into());
    }
    let record = record
        .filter(|record| {
            record.kind == TokenKind::Refresh
                && record.server == server.id
                && record.client_id == client.id()
                && record.is_active(now, grace)
        })
        .ok_or_else(|| OAuthError::invalid_grant(INVALID_REFRESH))?;
    let scopes = match form.get("scope").filter(|scope| !scope.is_empty()) {
        None => record.scopes.clone(),
        Some(requested) => {
            let requested: Vec<String> =
                requested.split(' ').filter(|scope| !scope.is_empty()).map(str::to_owned).collect();
            if requested.iter().any(|scope| !record.scopes.contains(scope)) {
                return Err(OAuthError::invalid_scope(
                    "The requested scope is invalid, unknown, or malformed.",
                )
                .into());
            }
            requested
        }
    };
    let username = record.username.as_deref().unwrap_or_default();
    let user = shared.user(username).ok_or_else(|| OAuthError::invalid_grant(INVALID_REFRESH))?;
    let grant = Grant {
        kind: GrantKind::RefreshToken,
        server,
        client,
        user: Some(&user),
        scopes: &scopes,
        auth_time: record.auth_time,
        nonce: None,
        family: &record.family,
        access_lifetime: None,
    };
    let handling = if client.rotates_refresh_tokens() {
        shared.store.with(|store| {
            if let Some(old) = store.tokens.get_mut(presented) {
                old.rotated_at.get_or_insert(now);
            }
        });
        RefreshHandling::Mint
    } else {
        RefreshHandling::Keep(presented)
    };
    respond_with_tokens(shared, &grant, &user, handling)
}

/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_SECS: u64 = 5;

const INVALID_DEVICE_CODE: &str = "The device code is invalid or has expired.";

/// Where a device authorization stands when its device polls.
enum Poll {
    Approved(DeviceGrant, SignedIn),
    Denied,
    Expired,
    Pending,
    SlowDown,
}

/// The device-code grant at `/v1/token` (RFC 8628 §3.4, §3.5).
fn device_code(
    shared: &Shared,
    server: &ServerInfo,
    client: &Client,
    form: &Params,
) -> Result<Value, Failure> {
    let device_code = form
        .get("device_code")
        .filter(|code| !code.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("The 'device_code' parameter is required."))?;
    let now = shared.now();
    let poll = shared.store.with(|store| {
        let grant = store
            .device_grants
            .get_mut(device_code)
            .filter(|grant| grant.client_id == client.id() && grant.server == server.id)
            .ok_or_else(|| OAuthError::invalid_grant(INVALID_DEVICE_CODE))?;
        if now >= grant.expires_at {
            store.device_grants.remove(device_code);
            return Ok(Poll::Expired);
        }
        let too_soon =
            grant.last_poll.is_some_and(|last| now < last.saturating_add(grant.interval));
        grant.last_poll = Some(now);
        let poll = match &grant.decision {
            DeviceDecision::Pending if too_soon => {
                grant.interval = grant.interval.saturating_add(SLOW_DOWN_SECS);
                Poll::SlowDown
            }
            DeviceDecision::Pending => Poll::Pending,
            DeviceDecision::Denied => Poll::Denied,
            DeviceDecision::Approved(signed_in) => {
                let signed_in = signed_in.clone();
                Poll::Approved(grant.clone(), signed_in)
            }
        };
        if matches!(poll, Poll::Approved(..) | Poll::Denied) {
            // A decided authorization answers once.
            store.device_grants.remove(device_code);
        }
        Ok::<_, OAuthError>(poll)
    })?;
    let refusal = |error: &'static str, description: &'static str| {
        Err(OAuthError::new(http::StatusCode::BAD_REQUEST, error, description).into())
    };
    match poll {
        Poll::Pending => refusal(
            "authorization_pending",
            "The device authorization is pending. Please try again later.",
        ),
        Poll::SlowDown => refusal("slow_down", "The client is polling too frequently."),
        Poll::Denied => refusal(
            "access_denied",
            "The resource owner or authorization server denied the request.",
        ),
        Poll::Expired => refusal("expired_token", "The device code has expired."),
        Poll::Approved(grant, signed_in) => {
            let user = shared
                .user(&signed_in.username)
                .ok_or_else(|| OAuthError::invalid_grant(INVALID_DEVICE_CODE))?;
            let family = random_token(16);
            let token_grant = Grant {
                kind: GrantKind::DeviceCode,
                server,
                client,
                user: Some(&user),
                scopes: &grant.scopes,
                auth_time: Some(signed_in.auth_time),
                nonce: None,
                family: &family,
                access_lifetime: None,
            };
            respond_with_tokens(shared, &token_grant, &user, RefreshHandling::Mint)
        }
    }
}

/// What happens to the refresh token of a response.
#[derive(Clone, Copy)]
enum RefreshHandling<'a> {
    /// Mint one if `offline_access` was granted and the client may refresh (a code exchange,
    /// or a refresh with rotation).
    Mint,
    /// Hand the presented refresh token back (a refresh without rotation).
    Keep(&'a str),
}

/// Mints the access token, the ID token (with `openid`) and the refresh token.
fn respond_with_tokens(
    shared: &Shared,
    grant: &Grant<'_>,
    user: &User,
    refresh: RefreshHandling<'_>,
) -> Result<Value, Failure> {
    let access = minting::access_token(shared, grant)?;
    let mut body = Map::new();
    body.insert("token_type".into(), json!("Bearer"));
    body.insert(
        "expires_in".into(),
        json!(access.record.expires_at.saturating_sub(access.record.issued_at)),
    );
    body.insert("access_token".into(), json!(access.token));
    body.insert("scope".into(), json!(grant.scopes.join(" ")));
    let mut records: Vec<minting::Minted> = Vec::new();
    let wants_refresh = grant.scopes.iter().any(|scope| scope == "offline_access")
        && grant.client.allows(GrantType::RefreshToken);
    match refresh {
        RefreshHandling::Keep(same) => {
            body.insert("refresh_token".into(), json!(same));
        }
        RefreshHandling::Mint if wants_refresh => {
            let minted = minting::refresh_token(shared, grant);
            body.insert("refresh_token".into(), json!(minted.token));
            records.push(minted);
        }
        RefreshHandling::Mint => {}
    }
    if grant.scopes.iter().any(|scope| scope == "openid") {
        let id = minting::id_token(shared, grant, user, &access.token)?;
        body.insert("id_token".into(), json!(id.token));
        records.push(id);
    }
    records.push(access);
    minting::remember(shared, records);
    Ok(Value::Object(body))
}

/// The body of a successful response as a [`TokenResponseFault`] breaks it.
fn broken_response(mut body: Value, fault: TokenResponseFault) -> Response {
    match fault {
        TokenResponseFault::MissingAccessToken => {
            drop(body.as_object_mut().and_then(|body| body.remove("access_token")));
        }
        TokenResponseFault::MissingExpiresIn => {
            drop(body.as_object_mut().and_then(|body| body.remove("expires_in")));
        }
        TokenResponseFault::WrongTokenType => body["token_type"] = json!("N_A"),
        TokenResponseFault::NotJson => {
            let mut response = "upstream connect error or disconnect/reset before headers. reset reason: connection termination".into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            return response;
        }
    }
    Json(body).into_response()
}

#[cfg(test)]
mod tests;
