//! Tests of the small HTML reader on the pages okta-devserver serves, and on awkward markup.

use super::*;

const SIGN_IN: &str = r#"<!DOCTYPE html>
<html lang="en"><body>
<h1>Sign In</h1>
<p id="error" class="error" role="alert">Unable to sign in: the username or password is incorrect.</p>
<!-- <form action="/commented-out"> -->
<form method="post" action="/login/signin">
  <input type="hidden" name="tx" value="a&amp;b&#x27;c">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" value="alice@example.com" autofocus>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="submit" type="submit">Sign In</button>
</form>"#;

#[test]
fn reads_the_sign_in_form() {
    let forms = forms(SIGN_IN);
    assert_eq!(forms.len(), 1, "the commented-out form is not a form");
    let form = &forms[0];
    assert_eq!(form.action, "/login/signin");
    assert_eq!(form.method, "post");
    let names: Vec<_> = form.inputs.iter().map(|input| input.name.as_str()).collect();
    assert_eq!(names, ["tx", "username", "password"]);
    assert_eq!(form.inputs[0].value, "a&b'c");
    assert_eq!(form.inputs[0].kind, "hidden");
    assert_eq!(form.inputs[1].value, "alice@example.com");
    assert_eq!(form.buttons[0].id.as_deref(), Some("submit"));
}

#[test]
fn finds_elements_and_their_text() {
    assert!(has_id(SIGN_IN, "error"));
    assert!(has_id(SIGN_IN, "username"));
    assert!(!has_id(SIGN_IN, "allow"));
    assert_eq!(
        text_of_id(SIGN_IN, "error").as_deref(),
        Some("Unable to sign in: the username or password is incorrect.")
    );
    assert_eq!(text_of_id(SIGN_IN, "missing"), None);
}

#[test]
fn reads_consent_buttons() {
    let html = r#"<form method="post" action="/login/consent">
  <input type="hidden" name="tx" value="t1">
  <button id="allow" name="decision" value="allow" type="submit">Allow Access</button>
  <button id="deny" name="decision" value="deny" type="submit">Don't Allow</button>
</form>"#;
    let form = &forms(html)[0];
    let buttons: Vec<_> =
        form.buttons.iter().map(|b| (b.id.as_deref(), b.value.as_deref())).collect();
    assert_eq!(buttons, [(Some("allow"), Some("allow")), (Some("deny"), Some("deny"))]);
}

#[test]
fn survives_awkward_markup() {
    for html in
        ["<", "<a", "<a b", "<a b=", "<a b='x", "<<>>", "< a>", "<a =x>", "&", "&#xZZ;", "<a/b=c/>"]
    {
        let _ = tags(html);
        let _ = forms(html);
        let _ = text_of_id(html, "x");
    }
    let tags = tags("<INPUT Name=tx Value=1 disabled><p id='x'>");
    assert_eq!(tags[0].name, "input");
    assert_eq!(tags[0].attribute("name"), Some("tx"));
    assert_eq!(tags[0].attribute("disabled"), Some(""));
    assert_eq!(tags[1].attribute("id"), Some("x"));
}

#[test]
fn decodes_entities() {
    assert_eq!(decode_entities("a&amp;b&lt;&gt;&quot;&apos;&#39;&#x41;"), "a&b<>\"''A");
    assert_eq!(
        decode_entities("fish & chips &unknown; &#xD800;"),
        "fish & chips &unknown; &#xD800;"
    );
}
