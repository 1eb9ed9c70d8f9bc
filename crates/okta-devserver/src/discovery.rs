//! The discovery documents (OpenID and OAuth metadata, in both of Okta's path orders) and
//! `/v1/keys`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use serde_json::{Value, json};

use crate::authorization_servers::ServerInfo;
use crate::error::{AppError, OktaApiError};
use crate::extract::Server;
use crate::faults::Fault;
use crate::state::{AppState, Shared};

/// Which metadata document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Document {
    OAuth,
    OpenId,
}

/// `/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(
    State(shared): State<AppState>,
    Server(server): Server,
) -> Response {
    Json(metadata(&shared, &server, Document::OpenId)).into_response()
}

/// `/.well-known/oauth-authorization-server`.
pub(crate) async fn oauth_metadata(
    State(shared): State<AppState>,
    Server(server): Server,
) -> Response {
    Json(metadata(&shared, &server, Document::OAuth)).into_response()
}

/// `GET /v1/keys` (404 while the JWKS lives at its random path).
pub(crate) async fn keys(State(shared): State<AppState>, Server(server): Server) -> Response {
    if shared.jwks_moved() {
        return OktaApiError::not_found("/v1/keys").into_response();
    }
    jwks_response(&shared, &server)
}

/// The JWKS with `Cache-Control: max-age`.
pub(crate) fn jwks_response(shared: &Shared, server: &ServerInfo) -> Response {
    match shared.keys.jwks(&server.id, shared.jwks_shape()) {
        Ok(jwks) => {
            let mut response = Json(jwks).into_response();
            let cache = format!("max-age={}, must-revalidate", shared.keys_max_age.as_secs());
            if let Ok(value) = HeaderValue::from_str(&cache) {
                response.headers_mut().insert(header::CACHE_CONTROL, value);
            }
            response
        }
        Err(error) => AppError::from(error).into_response(),
    }
}

fn metadata(shared: &Shared, server: &ServerInfo, document: Document) -> Value {
    let mismatch =
        shared.faults.take(|fault| matches!(fault, Fault::DiscoveryIssuerMismatch).then_some(()));
    let issuer = if mismatch.is_some() {
        format!("{}INVALID", server.issuer)
    } else {
        server.issuer.clone()
    };
    let jwks_uri = if shared.jwks_moved() {
        format!("{}{}", shared.base_url, server.random_jwks_path)
    } else {
        server.endpoint("keys")
    };
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let mut grant_types = vec!["authorization_code", "refresh_token"];
    if !server.is_org() {
        grant_types.push("client_credentials");
    }
    let mut body = json!({
        "issuer": issuer,
        "authorization_endpoint": server.endpoint("authorize"),
        "token_endpoint": server.endpoint("token"),
        "jwks_uri": jwks_uri,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": grant_types,
        "scopes_supported": server.all_scopes(),
        "token_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": server.endpoint("introspect"),
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint": server.endpoint("revoke"),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "end_session_endpoint": server.endpoint("logout"),
        "request_parameter_supported": false,
    });
    if document == Document::OpenId {
        body["userinfo_endpoint"] = json!(server.endpoint("userinfo"));
        body["subject_types_supported"] = json!(["public"]);
        body["id_token_signing_alg_values_supported"] = json!(["RS256"]);
        body["claims_supported"] = json!([
            "iss",
            "ver",
            "sub",
            "aud",
            "iat",
            "exp",
            "jti",
            "auth_time",
            "amr",
            "idp",
            "nonce",
            "name",
            "nickname",
            "preferred_username",
            "given_name",
            "middle_name",
            "family_name",
            "email",
            "email_verified",
            "profile",
            "zoneinfo",
            "locale",
            "address",
            "phone_number",
            "picture",
            "website",
            "gender",
            "birthdate",
            "updated_at",
            "at_hash",
            "c_hash"
        ]);
    }
    if shared.iss_parameter {
        body["authorization_response_iss_parameter_supported"] = json!(true);
    }
    body
}

#[cfg(test)]
mod tests;
