//! The few pages the sign-in routes show (a refused or failed sign-in), and the headers every
//! sign-in response carries.

use axum::response::{IntoResponse, Response};
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::html::escape;

/// A small HTML page: a title, one sentence and an optional link, everything escaped. The page
/// has stable element ids (`auth-error-title`, `auth-error-message`, `auth-error-link`) for
/// browser tests.
pub(crate) fn page(
    status: StatusCode,
    title: &str,
    message: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let link = link
        .map(|(href, text)| {
            format!(
                r#"<p><a id="auth-error-link" href="{}">{}</a></p>"#,
                escape(href),
                escape(text)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><h1 id=\"auth-error-title\">{title}</h1>\n<p id=\"auth-error-message\">{message}</p>\n{link}</body></html>\n",
        title = escape(title),
        message = escape(message),
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    no_store(headers);
    response
}

/// A `303 See Other` to `location` (a path we built or checked, or Okta's URL).
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
        }
        Err(_) => {
            tracing::error!("a redirect target is not a valid header value");
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    no_store(response.headers_mut());
    response
}

/// `Cache-Control: no-store`: nothing about a sign-in may be cached.
/// How long a browser or client is asked to wait (`Retry-After`) when the session store is
/// unavailable: Redis reconnects with a backoff of at most 10 s, so a few seconds is the usual
/// outage of a restart.
pub(crate) const STORE_RETRY_AFTER_SECS: u64 = 5;

/// How long a browser or client is asked to wait (`Retry-After`) when Okta is unavailable.
pub(crate) const OKTA_RETRY_AFTER_SECS: u64 = 30;

/// Sets `Retry-After: seconds` on a `503`.
pub(crate) fn retry_after(headers: &mut HeaderMap, seconds: u64) {
    headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
}

pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `Referrer-Policy: no-referrer`: the callback URL (with `code` and `state`) must not leak to
/// the next page's requests (RFC 9700 §4.2.4).
pub(crate) fn no_referrer(headers: &mut HeaderMap) {
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}
