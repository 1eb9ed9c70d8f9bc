//! Tests of the shared helpers.

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
}

#[test]
fn rfc3339_formats_known_instants() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00.000Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20.000Z");
}

#[test]
fn html_escape_neutralises_markup() {
    assert_eq!(
        html_escape(r#"<a href="x">'&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
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
fn random_tokens_are_distinct_and_url_safe() {
    let first = random_token(32);
    assert_eq!(first.len(), 43);
    assert_ne!(first, random_token(32));
    assert!(first.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'));
    assert!(random_letters(10).bytes().all(|byte| byte.is_ascii_lowercase()));
}
