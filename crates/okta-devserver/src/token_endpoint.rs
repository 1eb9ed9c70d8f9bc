//! `/v1/token`: the `authorization_code`, `refresh_token` and `client_credentials` grants.

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
use crate::error::{Failure, OAuthError};
use crate::extract::Server;
use crate::faults::Fault;
use crate::form::Params;
use crate::minting::{self, Grant, GrantKind};
use crate::state::{AppState, Shared};
use crate::store::TokenKind;

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
    let (client, form) = authenticated_form(headers, body, |id| shared.client(id))?;
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
        GrantType::ClientCredentials => client_credentials(shared, server, &client, &form)?,
    };
    let mut response = Json(body).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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

fn client_credentials(
    shared: &Shared,
    server: &ServerInfo,
    client: &Client,
    form: &Params,
) -> Result<Value, Failure> {
    if server.is_org() {
        return Err(OAuthError::new(
            http::StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The client_credentials grant is only supported by custom authorization servers in okta-devserver.",
        )
        .into());
    }
    let scopes: Vec<String> = form
        .get("scope")
        .unwrap_or_default()
        .split(' ')
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(OAuthError::invalid_scope("The authorization server resource does not have any configured default scopes, 'scope' must be provided.").into());
    }
    if scopes.iter().any(|scope| !server.custom_scopes.contains(scope)) {
        return Err(OAuthError::invalid_scope(
            "One or more scopes are not configured for the authorization server resource.",
        )
        .into());
    }
    let family = random_token(16);
    let grant = Grant {
        kind: GrantKind::ClientCredentials,
        server,
        client,
        user: None,
        scopes: &scopes,
        auth_time: None,
        nonce: None,
        family: &family,
    };
    let access = minting::access_token(shared, &grant)?;
    let expires_in = access.record.expires_at.saturating_sub(access.record.issued_at);
    let access_token = access.token.clone();
    store_records(shared, [access]);
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "access_token": access_token,
        "scope": scopes.join(" "),
    }))
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
    store_records(shared, records);
    Ok(Value::Object(body))
}

fn store_records(shared: &Shared, minted: impl IntoIterator<Item = minting::Minted>) {
    let now = shared.now();
    shared.store.with(|store| {
        store.sweep(now);
        for minting::Minted { token, record } in minted {
            store.tokens.insert(token, record);
        }
    });
}

#[cfg(test)]
mod tests;
