//! Tests of form decoding.

use super::*;

#[test]
fn form_decode_reverses_form_encode_for_awkward_secrets() {
    for secret in ["p:%&+=ü", "a b+c", "x/y=z", "100%", "plain"] {
        assert_eq!(form_decode(&form_encode(secret)).as_deref(), Some(secret));
    }
    assert_eq!(form_decode("a+b%2Bc").as_deref(), Some("a b+c"));
}

#[test]
fn form_decode_rejects_broken_escapes() {
    assert_eq!(form_decode("%"), None);
    assert_eq!(form_decode("%4"), None);
    assert_eq!(form_decode("%zz"), None);
    assert_eq!(form_decode("%ff"), None, "not UTF-8");
    assert_eq!(form_decode("ok%2"), None, "an escape cut short at the end");
    assert_eq!(form_decode("%+1"), None, "a sign is not a hex digit");
}

#[test]
fn params_report_duplicates_and_treat_empty_as_absent() {
    let params = Params::parse(b"a=1&b=&a=2&c=3");
    assert!(params.single("a").is_err());
    assert_eq!(params.single("b").unwrap(), None);
    assert_eq!(params.single("c").unwrap(), Some("3"));
    assert_eq!(params.first_duplicate(), Some("a"));
    assert_eq!(Params::parse(b"x=1&y=2").first_duplicate(), None);
}

#[test]
fn only_form_bodies_pass_require_form() {
    let mut headers = HeaderMap::new();
    assert!(require_form(&headers).is_err(), "no content type");
    headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    assert!(require_form(&headers).is_err());
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
    );
    assert!(require_form(&headers).is_ok());
}
