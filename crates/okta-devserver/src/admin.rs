//! The admin routes under `/devserver/` (only when enabled): arm and clear faults, read the
//! request record, rotate keys.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::authorization_servers::AuthServerId;
use crate::error::{AppError, OAuthError, OktaApiError};
use crate::faults::Fault;
use crate::recorder::RecordedRequestJson;
use crate::state::AppState;

/// The admin routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/devserver/faults", get(list_faults).post(arm_fault).delete(clear_faults))
        .route("/devserver/requests", get(list_requests).delete(clear_requests))
        .route("/devserver/keys/{server_id}/rotate", post(rotate_keys))
}

/// `POST /devserver/faults` body: a fault plus how often it fires.
#[derive(Deserialize)]
struct ArmRequest {
    #[serde(flatten)]
    fault: Fault,
    /// How many times (default 1).
    times: Option<u32>,
    /// Until cleared (overrides `times`).
    #[serde(default)]
    always: bool,
}

async fn list_faults(State(shared): State<AppState>) -> Response {
    Json(json!({ "armed": shared.faults.armed(), "fired": shared.faults.fired() })).into_response()
}

async fn arm_fault(State(shared): State<AppState>, body: axum::body::Bytes) -> Response {
    let request = match serde_json::from_slice::<ArmRequest>(&body) {
        Ok(request) => request,
        Err(error) => {
            return OAuthError::invalid_request(format!("Not a fault: {error}")).into_response();
        }
    };
    if request.always {
        shared.faults.arm_always(request.fault);
    } else {
        shared.faults.arm_times(request.fault, request.times.unwrap_or(1));
    }
    (StatusCode::CREATED, Json(json!({ "armed": shared.faults.armed() }))).into_response()
}

async fn clear_faults(State(shared): State<AppState>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

async fn list_requests(State(shared): State<AppState>) -> Response {
    let requests = shared.recorder.all();
    let body: Vec<RecordedRequestJson<'_>> =
        requests.iter().map(RecordedRequestJson::from).collect();
    Json(body).into_response()
}

async fn clear_requests(State(shared): State<AppState>) -> StatusCode {
    shared.recorder.clear();
    StatusCode::NO_CONTENT
}

/// `org` names the org server.
async fn rotate_keys(State(shared): State<AppState>, Path(server_id): Path<String>) -> Response {
    let id = if server_id == "org" { AuthServerId::Org } else { AuthServerId::Custom(server_id) };
    if shared.server(&id).is_none() {
        return OktaApiError::unknown_server(&id).into_response();
    }
    match shared.keys.rotate(&id) {
        Ok(kid) => Json(json!({ "kid": kid })).into_response(),
        Err(error) => AppError::from(error).into_response(),
    }
}

#[cfg(test)]
mod tests;
