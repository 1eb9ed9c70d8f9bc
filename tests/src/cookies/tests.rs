//! Tests of the cookie jar: the cookies okta-devserver and Okta set, scoping and deletion.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[test]
fn keeps_a_session_cookie_for_its_host_on_any_port() {
    let mut jar = CookieJar::default();
    let now = now();
    jar.store(
        &url("http://127.0.0.1:8900/login/signin"),
        "sid=abc; Path=/; HttpOnly; SameSite=Lax",
        now,
    );
    assert_eq!(
        jar.header_for(&url("http://127.0.0.1:8900/oauth2/default/v1/authorize")).as_deref(),
        Some("sid=abc")
    );
    // Cookies do not isolate by port (RFC 6265 8.5).
    assert_eq!(jar.header_for(&url("http://127.0.0.1:3000/cb")).as_deref(), Some("sid=abc"));
    assert_eq!(jar.header_for(&url("http://localhost:8900/")), None);
}

#[test]
fn replaces_and_deletes() {
    let mut jar = CookieJar::default();
    let now = now();
    let site = url("https://dev-1.okta.com/login");
    jar.store(&site, "sid=one; Path=/", now);
    jar.store(&site, "sid=two; Path=/", now);
    assert_eq!(jar.header_for(&site).as_deref(), Some("sid=two"));
    jar.store(&site, "sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", now);
    assert_eq!(jar.header_for(&site), None);
    jar.store(&site, "sid=three; Path=/", now);
    jar.store(&site, "sid=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", now);
    assert_eq!(jar.header_for(&site), None);
    let later = now + Duration::from_secs(3600);
    jar.store(&site, &format!("sid=kept; Path=/; Expires={}", httpdate::fmt_http_date(later)), now);
    assert_eq!(jar.header_for(&site).as_deref(), Some("sid=kept"));
}

#[test]
fn scopes_by_domain_path_and_secure() {
    let mut jar = CookieJar::default();
    let now = now();
    jar.store(&url("https://login.example.com/a/b"), "dir=1", now);
    jar.store(&url("https://login.example.com/"), "wide=2; Domain=.example.com; Path=/", now);
    jar.store(&url("https://login.example.com/"), "tls=3; Secure; Path=/", now);
    jar.store(&url("https://login.example.com/"), "evil=4; Domain=attacker.com", now);
    assert_eq!(
        jar.header_for(&url("https://login.example.com/a/c")).as_deref(),
        Some("dir=1; wide=2; tls=3")
    );
    assert_eq!(jar.header_for(&url("https://app.example.com/")).as_deref(), Some("wide=2"));
    assert_eq!(jar.header_for(&url("http://login.example.com/")).as_deref(), Some("wide=2"));
    assert_eq!(
        jar.header_for(&url("https://login.example.com/ab")).as_deref(),
        Some("wide=2; tls=3")
    );
    assert_eq!(jar.header_for(&url("https://attacker.com/")), None);
    assert_eq!(jar.names_for("login.example.com"), ["dir", "wide", "tls"]);
    jar.clear();
    assert_eq!(jar.header_for(&url("https://login.example.com/a/c")), None);
}

#[test]
fn ignores_malformed_headers_and_hides_values_in_debug() {
    let mut jar = CookieJar::default();
    let site = url("http://127.0.0.1/");
    for header in ["", "novalue", "=x", ";", "a=b; Max-Age=oops"] {
        jar.store(&site, header, now());
    }
    assert_eq!(jar.header_for(&site).as_deref(), Some("a=b"));
    let shown = format!("{jar:?}");
    assert!(shown.contains("\"a\"") && !shown.contains("\"b\""), "{shown}");
}
