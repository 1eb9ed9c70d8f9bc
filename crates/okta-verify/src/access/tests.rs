//! Unit tests of the `typ` and token-kind rules.

use crate::access::{AccessTokenType, check_typ, strip_application};

#[test]
fn typ_media_type_prefix_is_optional_and_case_insensitive() {
    assert_eq!(strip_application("application/at+jwt"), "at+jwt");
    assert_eq!(strip_application("Application/AT+JWT"), "AT+JWT");
    assert_eq!(strip_application("at+jwt"), "at+jwt");
    assert_eq!(strip_application("applicatio"), "applicatio");
    assert_eq!(strip_application("applicationé/x"), "applicationé/x");
}

#[test]
fn sc_107_typ_rules() {
    let kinds = |policy| {
        [
            None,
            Some("JWT"),
            Some("at+jwt"),
            Some("application/okta-internal-at+jwt"),
            Some("secevent+jwt"),
        ]
        .map(|typ| check_typ(typ, policy).map_or_else(|err| err.kind(), |()| "ok"))
    };
    assert_eq!(
        kinds(AccessTokenType::OktaCompatible),
        ["ok", "ok", "ok", "org_server_token", "wrong_token_kind"]
    );
    assert_eq!(
        kinds(AccessTokenType::Rfc9068),
        ["wrong_token_kind", "wrong_token_kind", "ok", "org_server_token", "wrong_token_kind"]
    );
}
