//! SC-039: `return_to` accepts same-origin relative paths and nothing else.

use crate::axum::is_safe_return_to;

fn check(target: &str, safe: bool) {
    assert_eq!(is_safe_return_to(target), safe, "{target:?}");
}

#[test]
fn sc_039_same_origin_paths_are_kept() {
    for target in [
        "/",
        "/profile",
        "/orders?page=2&sort=desc",
        "/a/b/c#section",
        "/files/a%2Fb",
        "/caf%C3%A9",
        "/search?q=a%20b",
        "/@user",
        "/javascript:alert(1)",
        "/search?next=//not-a-host-here",
    ] {
        check(target, true);
    }
}

#[test]
fn sc_039_other_origins_and_schemes_are_refused() {
    for target in [
        "",
        "https://evil.example",
        "http://evil.example/",
        "//evil.example",
        "//evil.example/path",
        "///evil.example",
        "javascript:alert(1)",
        "data:text/html,hi",
        "evil.example",
        "profile",
        "?q=1",
        "#frag",
        "https:/evil.example",
        "https:evil.example",
    ] {
        check(target, false);
    }
}

#[test]
fn sc_039_backslash_forms_are_refused() {
    for target in ["/\\evil.example", "\\\\evil.example", "/\\/evil.example", "/path\\x", "\\/x"] {
        check(target, false);
    }
}

#[test]
fn sc_039_encoded_tricks_are_refused() {
    for target in [
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "/%2fevil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "/%252F%252Fevil.example",
        "/%25252F%25252Fevil.example",
        "/%2525252F%2525252Fevil.example",
        "/%09/evil.example",
        "/%0D%0ALocation:%20https://evil.example",
        "/%00",
        "/%7F",
        "/%zz",
        "/%2",
        "/%",
        "/search?q=%5C",
    ] {
        check(target, false);
    }
}

#[test]
fn sc_039_control_characters_and_non_ascii_are_refused() {
    for target in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "/ space",
        "/\u{0}",
        "/\u{7f}",
        "/caf\u{e9}",
        "/\u{ff0f}\u{ff0f}evil.example",
    ] {
        check(target, false);
    }
}

#[test]
fn sc_039_oversized_targets_are_refused() {
    let long = format!("/{}", "a".repeat(crate::MAX_RETURN_TO_LEN));
    check(&long, false);
    check(&long[..crate::MAX_RETURN_TO_LEN], true);
}
