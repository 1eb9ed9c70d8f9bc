//! `/v1/userinfo`: Bearer access tokens only, `WWW-Authenticate` on refusal, claims by scope.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::authorization_servers::{ORG_GROUPS_SCOPE, ServerInfo};
use crate::config::{ClaimTarget, ClaimValue};
use crate::error::Refusal;
use crate::extract::Server;
use crate::faults::Fault;
use crate::state::{AppState, Shared};
use crate::store::TokenKind;

/// `GET|POST /v1/userinfo`.
pub(crate) async fn userinfo(
    State(shared): State<AppState>,
    Server(server): Server,
    headers: HeaderMap,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return refuse(
            &shared,
            &server,
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "The access token is missing.",
        );
    };
    let record =
        shared.active_token(&server, token).filter(|record| record.kind == TokenKind::Access);
    let Some(record) = record else {
        return refuse(
            &shared,
            &server,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "The access token is invalid.",
        );
    };
    let user = record.username.as_deref().and_then(|username| shared.user(username));
    let (Some(user), true) = (user, record.scopes.iter().any(|scope| scope == "openid")) else {
        return refuse(
            &shared,
            &server,
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The access token must provide access to at least the 'openid' scope.",
        );
    };
    let has = |scope: &str| record.scopes.iter().any(|granted| granted == scope);
    let mut claims = Map::new();
    let mismatch =
        shared.faults.take(|fault| matches!(fault, Fault::UserinfoSubMismatch).then_some(()));
    let sub = if mismatch.is_some() { format!("{}invalid", user.id()) } else { user.id() };
    claims.insert("sub".into(), json!(sub));
    if has("profile") {
        claims.insert("name".into(), json!(user.name()));
        claims.insert("preferred_username".into(), json!(user.username()));
        claims.insert("given_name".into(), json!(user.given_name()));
        claims.insert("family_name".into(), json!(user.family_name()));
        claims.insert("locale".into(), json!(user.locale()));
        claims.insert("zoneinfo".into(), json!(user.zoneinfo()));
        claims.insert("updated_at".into(), json!(record.auth_time.unwrap_or(record.issued_at)));
    }
    if has("email") {
        claims.insert("email".into(), json!(user.email()));
        claims.insert("email_verified".into(), json!(user.email().is_some()));
    }
    // `groups` is a scope of the org server only; a custom server sends the claims an
    // administrator configured for ID tokens (Okta's "Userinfo / id_token request" claims).
    if server.is_org() && has(ORG_GROUPS_SCOPE) {
        claims.insert("groups".into(), json!(user.groups()));
    }
    for claim in &server.claims {
        let for_id_tokens = matches!(claim.target(), ClaimTarget::IdToken | ClaimTarget::Both);
        if for_id_tokens && claim.applies_to(&record.scopes) {
            let value = match claim.value() {
                ClaimValue::Groups => json!(user.groups()),
                ClaimValue::Static(value) => value.clone(),
            };
            claims.insert(claim.name().to_owned(), value);
        }
    }
    Json(Value::Object(claims)).into_response()
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive; one header only).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Okta's challenge: `authorization_uri`, the org's URL as `realm` (whichever server answers),
/// `scope`, `error`, `error_description` and the path as `resource`.
fn refuse(
    shared: &Shared,
    server: &ServerInfo,
    status: StatusCode,
    error: &str,
    description: &str,
) -> Response {
    let challenge = format!(
        r#"Bearer authorization_uri="{}", realm="{}", scope="openid", error="{error}", error_description="{description}", resource="{}""#,
        server.endpoint("authorize"),
        shared.base_url,
        url::Url::parse(&server.endpoint("userinfo"))
            .map(|url| url.path().to_owned())
            .unwrap_or_default(),
    );
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    Refusal::attach(&mut response, error, description);
    response
}

#[cfg(test)]
mod tests;
