//! URL rules shared by every caller: https except loopback, same-origin checks, redaction.

use url::Url;

use crate::error::TransportError;

/// Refuses URLs that are not `https`, except `http` to a loopback host when `allow_loopback_http`.
pub fn check_url(url: &Url, allow_loopback_http: bool) -> Result<(), TransportError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_loopback_http && is_loopback(url) => Ok(()),
        _ => Err(TransportError::InsecureUrl { url: redacted_url(url) }),
    }
}

/// Whether two URLs share scheme, host and port: use it to check that a discovered endpoint (such
/// as `jwks_uri`) stays on the issuer's origin.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// Whether the URL's host is 127.0.0.0/8, `::1` or `localhost` (the rule of okta-config).
pub fn is_loopback(url: &Url) -> bool {
    okta_config::is_loopback_url(url)
}

/// The URL without user info, query or fragment, for messages and logs.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        shown.push(':');
        shown.push_str(&port.to_string());
    }
    shown.push_str(url.path());
    shown
}
