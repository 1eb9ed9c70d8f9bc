//! A `/token` response, read as Okta writes it: the token, or what went wrong and how long
//! Okta said to wait.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Response, StatusCode, header};
use okta_config::ClientAuthMethod;
use okta_http::TransportError;

use crate::TokenError;
use crate::token::ServiceToken;

/// What one request gave.
pub(crate) enum Attempt {
    /// A usable token.
    Token(ServiceToken),
    /// A failure worth retrying (network, 5xx, 429), with Okta's announced wait if any.
    Retry { error: TokenError, wait: Option<Duration> },
    /// A failure retrying cannot fix.
    Fatal { error: TokenError, wait: Option<Duration> },
}

/// What the classification needs besides the response.
pub(crate) struct Context<'a> {
    pub(crate) sent_at: SystemTime,
    pub(crate) now: SystemTime,
    pub(crate) requested: &'a BTreeSet<String>,
    pub(crate) client_id: &'a str,
    pub(crate) method: ClientAuthMethod,
    pub(crate) grant: &'static str,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    scope: Option<String>,
}

#[derive(serde::Deserialize)]
struct ErrorResponse {
    error: Option<String>,
}

pub(crate) fn classify(
    response: Result<Response<Vec<u8>>, TransportError>,
    context: &Context<'_>,
) -> Attempt {
    let response = match response {
        Ok(response) => response,
        Err(error) => return Attempt::Retry { error: TokenError::Transport(error), wait: None },
    };
    let status = response.status();
    if status == StatusCode::OK {
        return match token(response.body(), context) {
            Ok(token) => Attempt::Token(token),
            Err(reason) => {
                Attempt::Fatal { error: TokenError::MalformedResponse { reason }, wait: None }
            }
        };
    }
    let wait = announced_wait(response.headers(), context.now);
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Attempt::Retry { error: TokenError::RateLimited { retry_after: wait }, wait };
    }
    if status.is_server_error() {
        return Attempt::Retry {
            error: TokenError::Unavailable { status: status.as_u16() },
            wait: retry_after(response.headers(), context.now),
        };
    }
    let code = serde_json::from_slice::<ErrorResponse>(response.body())
        .ok()
        .and_then(|body| body.error)
        .filter(|code| code.len() <= 64 && code.bytes().all(|b| b.is_ascii_graphic()));
    let error = match code.as_deref() {
        Some("invalid_client") => TokenError::InvalidClient {
            client_id: context.client_id.to_owned(),
            method: context.method,
        },
        Some("invalid_scope") => TokenError::InvalidScope {
            scopes: context.requested.iter().map(String::as_str).collect::<Vec<_>>().join(" "),
        },
        Some("unauthorized_client") => TokenError::UnauthorizedClient {
            client_id: context.client_id.to_owned(),
            grant: context.grant,
        },
        _ => TokenError::Refused { status: status.as_u16(), code },
    };
    Attempt::Fatal { error, wait: None }
}

/// The token of a 200 response, or why it is unusable.
fn token(body: &[u8], context: &Context<'_>) -> Result<ServiceToken, &'static str> {
    let parsed: TokenResponse =
        serde_json::from_slice(body).map_err(|_| "the body is not a JSON token response")?;
    let access_token =
        parsed.access_token.filter(|token| !token.is_empty()).ok_or("it has no access_token")?;
    if !parsed.token_type.is_some_and(|kind| kind.eq_ignore_ascii_case("bearer")) {
        return Err("its token_type is not Bearer");
    }
    // Okta always sends `expires_in`. Without it the token's life is unknown; a guess could
    // hand out an expired token for minutes, so the response is refused instead.
    let expires_in = parsed
        .expires_in
        .ok_or("it has no expires_in (Okta always sends one; a token of unknown life is not used)")?
        .as_u64()
        .filter(|seconds| *seconds > 0)
        .ok_or("its expires_in is not a positive whole number of seconds")?;
    let scopes = match parsed.scope {
        Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
        None => context.requested.iter().cloned().collect(),
    };
    // From the time the request was sent: the token cannot have been issued before.
    Ok(ServiceToken::new(access_token, context.sent_at + Duration::from_secs(expires_in), scopes))
}

/// The wait a 429 announces: `Retry-After` when present, else the earliest
/// `X-Rate-Limit-Reset` (Okta sometimes sends two) minus the response's `Date` (as Okta's SDKs
/// compute it, immune to the local clock's skew), else minus `now`.
pub(crate) fn announced_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(wait) = retry_after(headers, now) {
        return Some(wait);
    }
    let reset = headers
        .get_all("x-rate-limit-reset")
        .iter()
        .filter_map(|value| value.to_str().ok()?.trim().parse::<u64>().ok())
        .min()?;
    let date = headers
        .get(header::DATE)
        .and_then(|value| httpdate::parse_http_date(value.to_str().ok()?).ok())
        .unwrap_or(now);
    let reset = UNIX_EPOCH + Duration::from_secs(reset);
    Some(reset.duration_since(date).unwrap_or_default())
}

/// `Retry-After`, in seconds or as an HTTP date (relative to `Date`, else `now`).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let date = headers
        .get(header::DATE)
        .and_then(|value| httpdate::parse_http_date(value.to_str().ok()?).ok())
        .unwrap_or(now);
    Some(at.duration_since(date).unwrap_or_default())
}

#[cfg(test)]
mod tests;
