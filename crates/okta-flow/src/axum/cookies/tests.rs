//! The pending-login cookie's attributes and reading.

use expect_test::expect;
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use crate::axum::cookies;

#[test]
fn pending_login_cookie_is_http_only_lax_and_short_lived() {
    let secure = cookies::pending_login("__Host-okta_login", "v1.abc".to_owned(), true);
    expect![[r#"__Host-okta_login=v1.abc; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=300"#]]
        .assert_eq(secure.to_str().unwrap());
    let loopback = cookies::pending_login("okta_login", "v1.abc".to_owned(), false);
    expect![[r#"okta_login=v1.abc; HttpOnly; SameSite=Lax; Path=/; Max-Age=300"#]]
        .assert_eq(loopback.to_str().unwrap());
}

#[test]
fn clearing_keeps_the_attributes_and_expires_at_once() {
    let cleared = cookies::clear_pending_login("okta_login", false);
    expect![[r#"okta_login=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"#]]
        .assert_eq(cleared.to_str().unwrap());
}

#[test]
fn values_reads_every_cookie_of_the_name_across_headers() {
    let mut headers = HeaderMap::new();
    headers.append(COOKIE, HeaderValue::from_static("a=1; okta_login=v1.first;b=2"));
    headers.append(COOKIE, HeaderValue::from_static("okta_login=\"v1.second\"; okta_login="));
    headers.append(COOKIE, HeaderValue::from_static("xokta_login=nope; okta_login_x=nope"));
    assert_eq!(cookies::values(&headers, "okta_login"), ["v1.first", "v1.second"]);
    assert!(cookies::values(&headers, "missing").is_empty());
}
