//! Telling browsers (redirected to sign in) from API clients (401) by their `Accept` header.

use http::header::ACCEPT;
use http::{HeaderMap, HeaderValue};

use crate::axum::user::is_browser;

fn check(accept: &[&'static str], browser: bool) {
    let mut headers = HeaderMap::new();
    for value in accept {
        headers.append(ACCEPT, HeaderValue::from_static(value));
    }
    assert_eq!(is_browser(&headers), browser, "Accept: {accept:?}");
}

#[test]
fn navigations_are_browsers() {
    // Chromium, Firefox and Safari top-level navigations.
    check(
        &["text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"],
        true,
    );
    check(&["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"], true);
    check(&["TEXT/HTML"], true);
    check(&["text/html ; q=0.5"], true);
    check(&["application/xml", "text/html"], true);
}

#[test]
fn everything_else_is_an_api_client() {
    check(&[], false);
    check(&["*/*"], false);
    check(&["application/json"], false);
    check(&["application/json, text/plain, */*"], false);
    check(&["text/html, application/json"], false);
    check(&["text/html", "application/json;q=0.1"], false);
    check(&["text/html;q=0"], false);
    check(&["text/html; q=0.0, */*"], false);
    check(&["text/*"], false);
}
