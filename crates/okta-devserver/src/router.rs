//! The router, the top of the crate: Okta's paths for the org server and each custom server,
//! the sign-in form posts, the authentication API and the admin routes, each to its handler.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Json, Router};
use serde_json::json;

use crate::error::OktaApiError;
use crate::extract::OrgRoute;
use crate::state::AppState;
use crate::{
    admin, authn, authorize, console, device, discovery, edge, introspection, logout,
    token_endpoint, userinfo,
};

/// Every route of the server.
pub(crate) fn router(shared: AppState) -> Router {
    let endpoints = || {
        Router::new()
            .route("/v1/authorize", get(authorize::authorize))
            .route("/v1/token", post(token_endpoint::token))
            .route("/v1/keys", get(discovery::keys))
            .route("/v1/introspect", post(introspection::introspect))
            .route("/v1/revoke", post(introspection::revoke))
            .route("/v1/userinfo", get(userinfo::userinfo).post(userinfo::userinfo))
            .route("/v1/logout", get(logout::logout))
            .route("/v1/device/authorize", post(device::device_authorize))
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
        .route("/activate", get(device::activation_page).post(device::activate))
        .route(edge::REDIRECT_TARGET, any(redirected));
    if shared.admin_routes {
        router = router.merge(admin::routes());
    }
    if shared.console.is_some() {
        router = router.merge(console::routes());
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
