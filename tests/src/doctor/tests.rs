//! Unit tests of the doctor's pure checks (the live ones run against the devserver in `tests/`).

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use super::*;

fn metadata(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn an_auth_method_the_server_does_not_advertise_is_a_problem_with_the_usable_ones() {
    let only_post = metadata(
        json!({"token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"]}),
    );
    let Verdict::Problem { message, fix } =
        auth_method_verdict(ClientAuthMethod::ClientSecretBasic, &only_post)
    else {
        panic!("expected a problem");
    };
    assert!(message.contains("client_secret_basic is not in"), "{message}");
    assert_eq!(
        fix.as_deref(),
        Some(
            "set client_auth_method to client_secret_post or private_key_jwt and the app's Client authentication in Okta to the same"
        )
    );
    assert!(matches!(
        auth_method_verdict(ClientAuthMethod::ClientSecretPost, &only_post),
        Verdict::Ok { .. }
    ));
    let unknown_only =
        metadata(json!({"token_endpoint_auth_methods_supported": ["tls_client_auth"]}));
    let Verdict::Problem { fix, .. } =
        auth_method_verdict(ClientAuthMethod::ClientSecretPost, &unknown_only)
    else {
        panic!("expected a problem");
    };
    assert!(fix.unwrap().contains("no method okta-oidc supports"));
    assert!(matches!(
        auth_method_verdict(ClientAuthMethod::ClientSecretPost, &metadata(json!({}))),
        Verdict::Warning { fix: Some(_), .. }
    ));
}

#[test]
fn clock_skew_within_ten_seconds_is_fine_beyond_the_leeway_a_problem() {
    let server = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let leeway = Duration::from_secs(120);
    let at = |offset: i64| {
        if offset >= 0 {
            server + Duration::from_millis(500) + Duration::from_secs(offset.unsigned_abs())
        } else {
            server + Duration::from_millis(500) - Duration::from_secs(offset.unsigned_abs())
        }
    };
    assert!(matches!(skew_verdict(server, at(0), leeway), Verdict::Ok { .. }));
    assert!(matches!(skew_verdict(server, at(-9), leeway), Verdict::Ok { .. }));
    let Verdict::Warning { message, .. } = skew_verdict(server, at(60), leeway) else { panic!() };
    assert_eq!(
        message,
        "the local clock is 60 s ahead of the server's (within the leeway of 120 s)"
    );
    let Verdict::Problem { message, fix } = skew_verdict(server, at(-600), leeway) else {
        panic!()
    };
    assert_eq!(
        message,
        "the local clock is 600 s behind the server's, more than the leeway of 120 s: fresh tokens \
         will be refused as issued in the future"
    );
    assert!(fix.unwrap().contains("NTP"));
    let Verdict::Problem { message, .. } = skew_verdict(server, at(600), leeway) else { panic!() };
    assert!(message.ends_with("tokens will look expired too early"), "{message}");
}
