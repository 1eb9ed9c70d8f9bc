//! `/v1/logout`: ends the browser session and redirects to a registered post-logout URI.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};

use crate::extract::Server;
use crate::form::Params;
use crate::pages;
use crate::sessions::{clear_session_cookie, end_session};
use crate::state::AppState;
use crate::store::TokenKind;

/// `GET /v1/logout`.
pub(crate) async fn logout(
    State(shared): State<AppState>,
    Server(server): Server,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let bad =
        |description: &str| pages::error(StatusCode::BAD_REQUEST, "invalid_request", description);
    let Some(hint) = params.get("id_token_hint").filter(|hint| !hint.is_empty()) else {
        return bad("The 'id_token_hint' parameter is required.");
    };
    // An expired ID token still identifies the session (Okta accepts it), a revoked one too.
    let record = shared.store.with(|store| store.tokens.get(hint).cloned());
    let Some(record) =
        record.filter(|record| record.kind == TokenKind::Id && record.server == server.id)
    else {
        return bad(
            "The 'id_token_hint' parameter is not a valid ID token issued by this authorization server.",
        );
    };
    let post_logout = params.get("post_logout_redirect_uri").filter(|uri| !uri.is_empty());
    if let Some(uri) = post_logout {
        let registered = shared.client(&record.client_id).is_some_and(|client| {
            client.post_logout_redirect_uris().iter().any(|known| known == uri)
        });
        if !registered {
            return bad(
                "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.",
            );
        }
    }
    end_session(&shared, &headers);
    let mut response = match post_logout.and_then(|uri| url::Url::parse(uri).ok()) {
        Some(mut url) => {
            if let Some(state) = params.get("state").filter(|state| !state.is_empty()) {
                url.query_pairs_mut().append_pair("state", state);
            }
            let mut response = Redirect::to(url.as_str()).into_response();
            *response.status_mut() = StatusCode::FOUND;
            response
        }
        None => pages::signed_out(),
    };
    clear_session_cookie(&mut response);
    response
}

#[cfg(test)]
mod tests;
