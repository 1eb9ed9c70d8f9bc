//! The router: Okta's paths for the org server and each custom server, the sign-in form posts,
//! the authentication API, the admin routes, and the `Server` extractor.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Json, Router};
use http::request::Parts;
use http::{HeaderMap, header};
use serde_json::json;

use crate::error::{OAuthError, OktaApiError};
use crate::servers::{AuthServerId, ServerInfo};
use crate::state::AppState;
use crate::{admin, authn, authorize, discovery, edge, introspection, logout, token, userinfo};

/// Marks the routes of the org server.
#[derive(Clone, Copy, Debug)]
struct OrgRoute;

/// The authorization server a request is for: the org server on its routes, otherwise the
/// `{server_id}` path segment. Unknown ids get Okta's 404.
pub(crate) struct Server(pub(crate) Arc<ServerInfo>);

impl FromRequestParts<AppState> for Server {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &AppState) -> Result<Self, Response> {
        let id = if parts.extensions.get::<OrgRoute>().is_some() {
            AuthServerId::Org
        } else {
            let params = RawPathParams::from_request_parts(parts, shared)
                .await
                .map_err(IntoResponse::into_response)?;
            let id = params
                .iter()
                .find(|(name, _)| *name == "server_id")
                .map(|(_, value)| value.to_owned());
            AuthServerId::Custom(id.unwrap_or_default())
        };
        shared.server(&id).map(Server).ok_or_else(|| {
            OktaApiError::not_found(&format!("{id} (AuthorizationServer)")).into_response()
        })
    }
}

/// Okta's token-style endpoints only take form bodies.
pub(crate) fn require_form(headers: &HeaderMap) -> Result<(), OAuthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "The request must use Content-Type application/x-www-form-urlencoded.",
        ))
    }
}

/// Every route of the server.
pub(crate) fn router(shared: AppState) -> Router {
    let endpoints = || {
        Router::new()
            .route("/v1/authorize", get(authorize::authorize))
            .route("/v1/token", post(token::token))
            .route("/v1/keys", get(discovery::keys))
            .route("/v1/introspect", post(introspection::introspect))
            .route("/v1/revoke", post(introspection::revoke))
            .route("/v1/userinfo", get(userinfo::userinfo).post(userinfo::userinfo))
            .route("/v1/logout", get(logout::logout))
    };
    let custom = endpoints()
        .route("/.well-known/openid-configuration", get(discovery::openid_configuration))
        .route("/.well-known/oauth-authorization-server", get(discovery::oauth_metadata));
    let org = endpoints().layer(Extension(OrgRoute));
    let org_discovery = Router::new()
        .route("/.well-known/openid-configuration", get(discovery::openid_configuration))
        .route("/.well-known/oauth-authorization-server", get(discovery::oauth_metadata))
        .layer(Extension(OrgRoute));
    let mut router = Router::new()
        .nest("/oauth2/{server_id}", custom)
        .nest("/oauth2", org)
        .merge(org_discovery)
        .route(
            "/.well-known/oauth-authorization-server/oauth2/{server_id}",
            get(discovery::oauth_metadata),
        )
        .route("/api/v1/authn", post(authn::authn))
        .route("/login/signin", post(authorize::sign_in))
        .route("/login/consent", post(authorize::consent))
        .route(edge::REDIRECT_TARGET, any(redirected));
    if shared.admin_routes {
        router = router.merge(admin::routes());
    }
    router
        .fallback(fallback)
        .layer(from_fn_with_state(Arc::clone(&shared), edge::edge))
        .with_state(shared)
}

/// Where redirect faults point: a client that follows them lands here (and is recorded).
async fn redirected() -> Response {
    Json(json!({ "devserver": "a client followed a redirect it should not have followed" }))
        .into_response()
}

/// The random JWKS path, or Okta's 404.
async fn fallback(State(shared): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let moved = shared.servers.values().find(|server| server.random_jwks_path == path).cloned();
    match moved {
        Some(server) if shared.jwks_moved() => discovery::jwks_response(&shared, &server),
        _ => OktaApiError::not_found(path).into_response(),
    }
}
