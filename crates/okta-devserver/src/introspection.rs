//! `/v1/introspect` (RFC 7662, with Okta's fields) and `/v1/revoke` (RFC 7009, always 200).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use crate::authorization_servers::ServerInfo;
use crate::client_auth::authenticated_form;
use crate::config::Client;
use crate::error::OAuthError;
use crate::extract::Server;
use crate::form::Params;
use crate::state::{AppState, Shared};
use crate::store::TokenKind;

const TOKEN_TYPE_HINTS: [&str; 4] = ["access_token", "id_token", "refresh_token", "device_secret"];

/// `POST /v1/introspect`.
pub(crate) async fn introspect(
    State(shared): State<AppState>,
    Server(server): Server,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let read = TokenRequest::read(&shared, &server, "introspect", &headers, &body);
    let TokenRequest { client, form, token } = match read {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    if form.get("token_type_hint").is_some_and(|hint| !TOKEN_TYPE_HINTS.contains(&hint)) {
        return OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "The 'token_type_hint' value is not supported.",
        )
        .into_response();
    }
    Json(describe(&shared, &server, &client, &token)).into_response()
}

/// `POST /v1/revoke`.
pub(crate) async fn revoke(
    State(shared): State<AppState>,
    Server(server): Server,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let read = TokenRequest::read(&shared, &server, "revoke", &headers, &body);
    let TokenRequest { client, token, .. } = match read {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    shared.store.with(|store| {
        let Some(record) = store.tokens.get_mut(&token) else { return };
        // A client may only revoke its own tokens; revoking a refresh token also revokes the
        // access tokens of the same grant.
        if record.client_id != client.id() || record.server != server.id {
            return;
        }
        record.revoked = true;
        if record.kind == TokenKind::Refresh {
            let family = record.family.clone();
            store.revoke_family(&family);
        }
    });
    StatusCode::OK.into_response()
}

/// A request to `/introspect` or `/revoke`: a client-authenticated form with the `token`
/// parameter both require.
struct TokenRequest {
    client: Client,
    form: Params,
    token: String,
}

impl TokenRequest {
    fn read(
        shared: &Shared,
        server: &ServerInfo,
        endpoint: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Self, OAuthError> {
        let context = shared.auth_context(server, endpoint);
        let (client, form) = authenticated_form(headers, body, &context)?;
        let token = form
            .get("token")
            .filter(|token| !token.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("The 'token' parameter is required."))?
            .to_owned();
        Ok(Self { client, form, token })
    }
}

/// The introspection response: `{"active": false}` unless the token is live, issued by this
/// server, and (for refresh tokens) issued to the calling client.
fn describe(shared: &Shared, server: &ServerInfo, client: &Client, token: &str) -> Value {
    let record = shared
        .active_token(server, token)
        .filter(|record| record.kind != TokenKind::Refresh || record.client_id == client.id());
    let Some(record) = record else {
        return json!({ "active": false });
    };
    let mut body = Map::new();
    body.insert("active".into(), json!(true));
    body.insert("scope".into(), json!(record.scopes.join(" ")));
    if let Some(username) = &record.username {
        body.insert("username".into(), json!(username));
    }
    body.insert("exp".into(), json!(record.expires_at));
    body.insert("iat".into(), json!(record.issued_at));
    body.insert("sub".into(), json!(record.subject));
    body.insert("aud".into(), json!(record.audience));
    body.insert("iss".into(), json!(server.issuer));
    body.insert("jti".into(), json!(record.jti));
    if record.kind != TokenKind::Id {
        body.insert("token_type".into(), json!("Bearer"));
    }
    body.insert("client_id".into(), json!(record.client_id));
    if let Some(user) = record.username.as_deref().and_then(|username| shared.user(username)) {
        body.insert("uid".into(), json!(user.id()));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests;
