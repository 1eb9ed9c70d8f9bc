//! The middleware every request passes: it records the request, fires endpoint faults (delay,
//! 429, 5xx, redirect, HTML, oversized body) and adds Okta's `X-Rate-Limit-*` headers.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

use crate::client_auth::Presented;
use crate::clock::http_date;
use crate::error::{OAuthError, OktaApiError, Refusal};
use crate::faults::{Endpoint, Fault, RateLimitFault};
use crate::form::{Params, is_form};
use crate::rate::{RateHeaders, RateWindow};
use crate::recorder::{JWT_PARAMETERS, Outcome, RecordedRequest, decode_jwt};
use crate::state::{AppState, Shared};

/// Request bodies larger than this are refused.
const MAX_BODY: usize = 1024 * 1024;

/// Where redirect faults send clients.
pub(crate) const REDIRECT_TARGET: &str = "/devserver/redirected";

/// The middleware.
pub(crate) async fn edge(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        let mut response =
            OAuthError::invalid_request("The request body is too large.").into_response();
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return response;
    };
    let path = parts.uri.path().to_owned();
    let endpoint = classify(&shared, &path);
    let record_id = (!path.starts_with("/devserver/") || path == REDIRECT_TARGET)
        .then(|| record(&shared, &parts.method, &parts.uri, &parts.headers, &bytes));
    let response = answer(&shared, endpoint, parts, bytes, next).await;
    match record_id {
        Some(id) => complete(&shared, id, endpoint, response).await,
        None => response,
    }
}

/// The endpoint's answer, or a fault's, with the rate-limit headers.
async fn answer(
    shared: &Shared,
    endpoint: Option<Endpoint>,
    parts: http::request::Parts,
    bytes: axum::body::Bytes,
    next: Next,
) -> Response {
    if let Some(endpoint) = endpoint {
        let delay = shared.faults.take(|fault| match fault {
            Fault::Delay { endpoint: target, duration } if *target == endpoint => Some(*duration),
            _ => None,
        });
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        if let Some(response) = endpoint_fault(shared, endpoint) {
            return response;
        }
    }
    let mut response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    // Okta's rate limits do not apply to /keys and the discovery documents.
    if let Some(endpoint) =
        endpoint.filter(|endpoint| !matches!(endpoint, Endpoint::Keys | Endpoint::Discovery))
    {
        let now = shared.now();
        let headers = shared.rate.hit(endpoint, now);
        insert_rate_headers(response.headers_mut(), headers, now);
    }
    response
}

/// Adds the answer to the request record: status, the refusal reason the handler attached, and
/// (with the console on) the tokens of a `/token` answer, decoded.
async fn complete(
    shared: &Shared,
    id: u64,
    endpoint: Option<Endpoint>,
    response: Response,
) -> Response {
    let mut outcome = Outcome {
        status: response.status().as_u16(),
        refusal: response.extensions().get::<Refusal>().map(|refusal| refusal.0.clone()),
        tokens: Vec::new(),
    };
    let issued_tokens = shared.console.is_some()
        && endpoint == Some(Endpoint::Token)
        && response.status() == StatusCode::OK
        && response.headers().get(header::CONTENT_TYPE).is_some_and(|value| {
            value.to_str().is_ok_and(|value| value.starts_with("application/json"))
        });
    if !issued_tokens {
        shared.recorder.complete(id, outcome);
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        shared.recorder.complete(id, outcome);
        return (StatusCode::INTERNAL_SERVER_ERROR, "the token response could not be read")
            .into_response();
    };
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        for name in ["access_token", "id_token"] {
            if let Some(token) = json[name].as_str().and_then(|value| decode_jwt(name, value)) {
                outcome.tokens.push(token);
            }
        }
    }
    shared.recorder.complete(id, outcome);
    Response::from_parts(parts, Body::from(bytes))
}

/// Which endpoint a path is, for faults and rate limits.
fn classify(shared: &Shared, path: &str) -> Option<Endpoint> {
    match path {
        "/api/v1/authn" => return Some(Endpoint::Authn),
        "/login/signin" | "/login/consent" => return Some(Endpoint::Authorize),
        _ => {}
    }
    if path.contains("/.well-known/") {
        return Some(Endpoint::Discovery);
    }
    if shared.servers.values().any(|server| server.random_jwks_path == path) {
        return Some(Endpoint::Keys);
    }
    let rest = path.strip_prefix("/oauth2/")?;
    let (_, name) = rest.rsplit_once("v1/")?;
    Some(match name {
        "authorize" => Endpoint::Authorize,
        "token" => Endpoint::Token,
        "keys" => Endpoint::Keys,
        "introspect" => Endpoint::Introspect,
        "revoke" => Endpoint::Revoke,
        "userinfo" => Endpoint::Userinfo,
        "logout" => Endpoint::Logout,
        _ => return None,
    })
}

fn record(
    shared: &Shared,
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> u64 {
    let form = if is_form(headers) { Params::parse(body) } else { Params::default() };
    let query = Params::parse(uri.query().unwrap_or_default().as_bytes());
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer "));
    let mut tokens = Vec::new();
    if shared.console.is_some() {
        let parameters = query.pairs().iter().chain(form.pairs());
        for (name, value) in parameters {
            if JWT_PARAMETERS.contains(&name.as_str())
                && let Some(token) = decode_jwt(name, value)
            {
                tokens.push(token);
            }
        }
        let bearer_token =
            headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(
                |value| value.get(7..).filter(|_| value[..7].eq_ignore_ascii_case("bearer ")),
            );
        if let Some(token) = bearer_token.and_then(|token| decode_jwt("bearer", token.trim())) {
            tokens.push(token);
        }
    }
    shared.recorder.record(RecordedRequest {
        method: method.clone(),
        path: uri.path().to_owned(),
        query: query.pairs().to_vec(),
        client_auth: Presented::from_request(headers, &form).summary(),
        form: form.pairs().to_vec(),
        bearer,
        time: shared.clock.now(),
        id: 0,
        status: None,
        refusal: None,
        tokens,
    })
}

/// What an endpoint fault answers instead of the endpoint.
enum EndpointFault {
    Html,
    Oversized(usize),
    RateLimited(RateLimitFault),
    Redirect(u16),
    Status(u16),
}

fn endpoint_fault(shared: &Shared, endpoint: Endpoint) -> Option<Response> {
    let fault = shared.faults.take(|fault| match fault {
        Fault::HtmlBody(target) if *target == endpoint => Some(EndpointFault::Html),
        Fault::OversizedBody { endpoint: target, bytes } if *target == endpoint => {
            Some(EndpointFault::Oversized(*bytes))
        }
        Fault::RateLimited(target) if *target == endpoint => {
            Some(EndpointFault::RateLimited(RateLimitFault::new(endpoint)))
        }
        Fault::RateLimitedWith(limit) if limit.endpoint() == endpoint => {
            Some(EndpointFault::RateLimited(limit.clone()))
        }
        Fault::Redirect { endpoint: target, status } if *target == endpoint => {
            Some(EndpointFault::Redirect(*status))
        }
        Fault::ServerError { endpoint: target, status } if *target == endpoint => {
            Some(EndpointFault::Status(*status))
        }
        _ => None,
    })?;
    Some(match fault {
        EndpointFault::Html => Html(
            "<!DOCTYPE html><html><head><title>Okta</title></head><body><h1>Service \
             unavailable</h1><p>This is an HTML page where JSON was expected.</p></body></html>",
        )
        .into_response(),
        EndpointFault::Oversized(bytes) => {
            let mut response = oversized_body(bytes).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        EndpointFault::RateLimited(limit) => rate_limited(shared, &limit),
        EndpointFault::Redirect(status) => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(StatusCode::is_redirection)
                .unwrap_or(StatusCode::FOUND);
            let mut response = (status, Json(json!({}))).into_response();
            let location = format!("{}{REDIRECT_TARGET}", shared.base_url);
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        EndpointFault::Status(status) => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(|status| status.is_client_error() || status.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response =
                OktaApiError::new(status, "E0000009", "Internal Server Error").into_response();
            *response.status_mut() = status;
            response
        }
    })
}

/// Okta's 429: the `E0000047` body, the rate-limit headers with `Remaining: 0`, and what the
/// fault adds (a reset time, a second reset header, `Retry-After`).
fn rate_limited(shared: &Shared, limit: &RateLimitFault) -> Response {
    let mut response = OktaApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
    )
    .into_response();
    let now = shared.now();
    let mut rate = RateWindow::exhausted(now);
    if let Some(after) = limit.reset_after() {
        rate.reset = now + after.as_secs();
    }
    let headers = response.headers_mut();
    insert_rate_headers(headers, rate, now);
    if let Some(after) = limit.duplicate_reset_after() {
        headers.append("x-rate-limit-reset", HeaderValue::from(now + after.as_secs()));
    }
    if let Some(after) = limit.retry_after_value() {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(after.as_secs()));
    }
    tracing::info!(endpoint = ?limit.endpoint(), reset = rate.reset, "rate limit fault");
    response
}

/// A JSON-looking body of exactly `bytes` bytes.
fn oversized_body(bytes: usize) -> Vec<u8> {
    const PREFIX: &[u8] = br#"{"access_token":""#;
    const SUFFIX: &[u8] = br#""}"#;
    if bytes < PREFIX.len() + SUFFIX.len() {
        return vec![b'A'; bytes];
    }
    let mut body = Vec::with_capacity(bytes);
    body.extend_from_slice(PREFIX);
    body.resize(bytes - SUFFIX.len(), b'A');
    body.extend_from_slice(SUFFIX);
    body
}

/// The `X-Rate-Limit-*` headers, and `Date` by the server's clock (`now`), so that a client
/// computing `Reset - Date` as Okta's SDKs do gets the wait the server means even under a
/// manual clock.
fn insert_rate_headers(headers: &mut HeaderMap, rate: RateHeaders, now: u64) {
    for (name, value) in [
        ("x-rate-limit-limit", rate.limit),
        ("x-rate-limit-remaining", rate.remaining),
        ("x-rate-limit-reset", rate.reset),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
    if let Ok(date) = HeaderValue::from_str(&http_date(now)) {
        headers.insert(header::DATE, date);
    }
}

#[cfg(test)]
mod tests;
