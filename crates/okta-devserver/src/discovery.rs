//! The discovery documents (OpenID and OAuth metadata, in both of Okta's path orders) and
//! `/v1/keys`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use serde_json::{Value, json};

use crate::authorization_servers::ServerInfo;
use crate::config::GrantType;
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
    cacheable(&shared, Json(metadata(&shared, &server, Document::OpenId)).into_response())
}

/// `/.well-known/oauth-authorization-server`.
pub(crate) async fn oauth_metadata(
    State(shared): State<AppState>,
    Server(server): Server,
) -> Response {
    cacheable(&shared, Json(metadata(&shared, &server, Document::OAuth)).into_response())
}

/// How long Okta lets clients cache its metadata documents: a day, as captured responses show
/// (`Cache-Control: max-age=86400, must-revalidate` and the matching `Expires`).
const METADATA_MAX_AGE: u64 = 86_400;

fn cacheable(shared: &Shared, mut response: Response) -> Response {
    let cache = format!("max-age={METADATA_MAX_AGE}, must-revalidate");
    let expires = httpdate::fmt_http_date(
        shared.clock.now() + std::time::Duration::from_secs(METADATA_MAX_AGE),
    );
    for (name, value) in [(header::CACHE_CONTROL, cache), (header::EXPIRES, expires)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The response types Okta's metadata lists (this server answers `unsupported_response_type`
/// to all but `code`).
const RESPONSE_TYPES: [&str; 6] =
    ["code", "id_token", "code id_token", "code token", "id_token token", "code id_token token"];

/// The grant types Okta's OpenID metadata lists (this server implements `authorization_code`,
/// `refresh_token` and `device_code` of these; `/token` answers `unsupported_grant_type` to the
/// others).
const GRANT_TYPES: [&str; 10] = [
    "authorization_code",
    "implicit",
    "refresh_token",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:openid:params:grant-type:ciba",
    "urn:okta:params:oauth:grant-type:otp",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "urn:okta:params:oauth:grant-type:oob",
    "http://auth0.com/oauth/grant-type/mfa-oob",
];

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
    let auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
    ];
    // Okta lists `client_credentials` in the OAuth metadata only, not the OpenID one (the org
    // server has it for Okta API scopes); token exchange on behalf of a user needs a custom
    // server.
    let mut grant_types = GRANT_TYPES.to_vec();
    if document == Document::OAuth {
        grant_types.push("client_credentials");
    }
    if !server.is_org() {
        grant_types.push(GrantType::TokenExchange.as_str());
    }
    let mut body = json!({
        "issuer": issuer,
        "authorization_endpoint": server.endpoint("authorize"),
        "token_endpoint": server.endpoint("token"),
        "jwks_uri": jwks_uri,
        "response_types_supported": RESPONSE_TYPES,
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
        "device_authorization_endpoint": server.endpoint("device/authorize"),
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
