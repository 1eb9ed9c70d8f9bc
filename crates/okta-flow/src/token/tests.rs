//! Tests of the secret token types: redacted `Debug`, and the plain-string form sessions store.

use crate::{AccessToken, AuthorizationCode, RefreshToken};

#[test]
fn debug_is_redacted_and_secret_gives_the_value() {
    let access = AccessToken::new("at-secret-value".to_owned());
    let refresh = RefreshToken::new("rt-secret-value".to_owned());
    let code = AuthorizationCode::new("code-secret-value".to_owned());
    assert_eq!(format!("{access:?}"), "AccessToken([redacted])");
    assert_eq!(format!("{refresh:?}"), "RefreshToken([redacted])");
    assert_eq!(format!("{code:?}"), "AuthorizationCode([redacted])");
    assert_eq!(access.secret(), "at-secret-value");
    assert_eq!(code.into_secret(), "code-secret-value");
}

#[test]
fn tokens_serialize_as_the_plain_string_openidconnect_used() {
    // Sessions written before okta-flow had its own types hold plain strings: they still load.
    let json = serde_json::to_string(&RefreshToken::new("rt".to_owned())).unwrap();
    assert_eq!(json, r#""rt""#);
    let upstream =
        serde_json::to_string(&openidconnect::AccessToken::new("at".to_owned())).unwrap();
    let ours: AccessToken = serde_json::from_str(&upstream).unwrap();
    assert_eq!(ours.secret(), "at");
}
