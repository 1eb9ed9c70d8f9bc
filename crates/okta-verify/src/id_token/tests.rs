//! Unit tests of `at_hash` and the audience rule.

use crate::Algorithm;
use crate::id_token::{IdTokenOptions, at_hash_of, check_audience};

#[test]
fn sc_058_at_hash_is_the_left_half_of_the_hash() {
    // Computed independently: base64url(sha256("access-token")[..16]), and sha384 / sha512 halves.
    assert_eq!(at_hash_of("access-token", Algorithm::Rs256), "Pxa-1wifRlPl7yG_0oJNfw");
    assert_eq!(at_hash_of("access-token", Algorithm::Rs384), "fPnQAsvCEwe-sRB6O4tsdPgfI-EaOvsY");
    assert_eq!(
        at_hash_of("access-token", Algorithm::Ps512),
        "Rb10lsqrobcpd02MQ_878ctvfDDbaRese_Z50nFw5Jw"
    );
}

#[test]
fn audience_must_hold_the_client_and_only_trusted_others() {
    let mut options = IdTokenOptions::new(
        okta_config::Issuer::parse("https://example.okta.com").unwrap(),
        okta_config::ClientId::parse("client").unwrap(),
    );
    options.trusted_audiences = vec![okta_config::Audience::parse("trusted").unwrap()];
    let check = |aud: &[&str]| {
        let aud: Vec<String> = aud.iter().map(|value| (*value).to_owned()).collect();
        check_audience(&aud, &options).is_ok()
    };
    assert!(check(&["client"]));
    assert!(check(&["client", "trusted"]));
    assert!(!check(&["trusted"]));
    assert!(!check(&["client", "other"]));
    assert!(!check(&[]));
}
