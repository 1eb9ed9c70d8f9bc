//! The pending-login cookie: written by `GET /login`, read and always cleared by the callback.

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::cookie::{Cookie, SameSite};

use crate::PENDING_LOGIN_LIFETIME;

/// A `Set-Cookie` value for the sealed pending login: `HttpOnly`, `SameSite=Lax` (the callback
/// is a top-level navigation from Okta's site, which `Strict` cookies would not follow),
/// `Secure` unless on loopback `http`, `Path=/`, and a lifetime of [`PENDING_LOGIN_LIFETIME`].
pub(crate) fn pending_login(name: &'static str, sealed: String, secure: bool) -> HeaderValue {
    let max_age = CookieDuration::try_from(PENDING_LOGIN_LIFETIME).unwrap_or(CookieDuration::ZERO);
    header_value(&build(name, sealed, secure, max_age))
}

/// A `Set-Cookie` value that deletes the pending login (same name, path and attributes, empty
/// value, `Max-Age=0`).
pub(crate) fn clear_pending_login(name: &'static str, secure: bool) -> HeaderValue {
    header_value(&build(name, String::new(), secure, CookieDuration::ZERO))
}

/// Every value of the cookie `name` in the request's `Cookie` headers, in order (a browser may
/// send several cookies of one name, set for different paths or domains).
pub(crate) fn values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(cookie_name, _)| *cookie_name == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
        .collect()
}

/// Appends a `Set-Cookie` header.
pub(crate) fn append(headers: &mut HeaderMap, value: HeaderValue) {
    headers.append(SET_COOKIE, value);
}

fn build(
    name: &'static str,
    value: String,
    secure: bool,
    max_age: CookieDuration,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(max_age)
        .build()
}

fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
    // The name is a constant and the sealed value is `v1.` and base64url: always a valid header.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests;
