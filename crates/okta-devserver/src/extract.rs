//! The extractor every endpoint handler shares: the authorization server a request is for.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::response::{IntoResponse, Response};
use http::request::Parts;

use crate::authorization_servers::{AuthServerId, ServerInfo};
use crate::error::OktaApiError;
use crate::state::AppState;

/// Marks the routes of the org server (the router adds it as an extension).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OrgRoute;

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
        shared
            .server(&id)
            .map(Server)
            .ok_or_else(|| OktaApiError::unknown_server(&id).into_response())
    }
}
