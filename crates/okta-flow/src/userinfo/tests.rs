//! Tests of `UserInfo`'s accessors over an Okta `/userinfo` answer.

use serde_json::json;

use crate::userinfo::{UserInfo, UserInfoClaims};

#[test]
fn standard_and_custom_claims_are_readable_without_openidconnect_types() {
    let answer = json!({
        "sub": "00u1user",
        "name": "Alice Example",
        "given_name": "Alice",
        "family_name": "Example",
        "preferred_username": "alice@example.com",
        "email": "alice@example.com",
        "email_verified": true,
        "locale": "en-US",
        "zoneinfo": "America/Los_Angeles",
        "groups": ["Everyone", "Admins"],
        "department": "payments"
    });
    let body = serde_json::to_vec(&answer).unwrap();
    let claims = UserInfoClaims::from_json::<std::io::Error>(&body, None).unwrap();
    let info = UserInfo::new(claims);
    assert_eq!(info.subject(), "00u1user");
    assert_eq!(info.name(), Some("Alice Example"));
    assert_eq!(info.given_name(), Some("Alice"));
    assert_eq!(info.family_name(), Some("Example"));
    assert_eq!(info.preferred_username(), Some("alice@example.com"));
    assert_eq!(info.email(), Some("alice@example.com"));
    assert_eq!(info.email_verified(), Some(true));
    assert_eq!(info.locale(), Some("en-US"));
    assert_eq!(info.zoneinfo(), Some("America/Los_Angeles"));
    assert_eq!(info.claim("groups"), Some(&json!(["Everyone", "Admins"])));
    assert_eq!(info.claim("department").and_then(|value| value.as_str()), Some("payments"));
    assert_eq!(info.claim("missing"), None);
    assert_eq!(info.to_json()["sub"], "00u1user");
}
