//! IDT: ID-token verification for the sign-in flow (SC-003 to SC-013 of the conformance profile,
//! SC-050 to SC-061).

use std::fmt::Write as _;
use std::time::Duration;

use expect_test::{Expect, expect};
use okta_verify::{IdTokenChecks, IdTokenVerifier};
use serde_json::{Value, json};

use crate::support::{
    CLIENT_ID, ISSUER, Key, NOW, access_claims, access_token, b64, block_on, id_claims, id_options,
    id_verifier, patched, sign_raw, static_keys, token, token_with_header, verify_id,
};

const NONCE: &str = "n-0S6_WzA2Mj";

/// Verifies each token with `checks` and compares the outcomes with `expect`.
fn check_with(
    verifier: &IdTokenVerifier,
    checks: &IdTokenChecks<'_>,
    cases: Vec<(&str, String)>,
    expect: Expect,
) {
    let mut out = String::new();
    block_on(async {
        for (name, token) in cases {
            writeln!(out, "{name} => {}", verify_id(verifier, &token, checks).await).unwrap();
        }
    });
    expect.assert_eq(&out);
}

/// Tokens made of the valid ID-token claims with each patch applied (`null` removes a claim).
fn patches<'a>(cases: &[(&'a str, Value)]) -> Vec<(&'a str, String)> {
    cases
        .iter()
        .map(|(name, patch)| (*name, token(Key::RsaA, &patched(id_claims(), patch))))
        .collect()
}

/// A token whose claim `name` is set to `value`, `null` included.
fn with_claim(name: &str, value: Value) -> String {
    let mut claims = id_claims();
    claims[name] = value;
    token(Key::RsaA, &claims)
}

fn sign_in_checks(access_token: &str) -> IdTokenChecks<'_> {
    IdTokenChecks::new(NONCE).with_access_token(access_token)
}

#[test]
fn sc_003_to_013_conformance_basic_profile() {
    let at = access_token();
    let valid = token(Key::RsaA, &id_claims());
    let (input, signature) = valid.rsplit_once('.').unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
        .unwrap();
    let xored: Vec<u8> = raw.iter().map(|byte| byte ^ 0x5a).collect();
    let none =
        format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(id_claims().to_string().as_bytes()));
    let mut cases = patches(&[
        ("SC-003 nonce + 1", json!({ "nonce": format!("{NONCE}1") })),
        ("SC-003 nonce removed", json!({ "nonce": null })),
        ("SC-004 aud + 1", json!({ "aud": format!("{CLIENT_ID}1") })),
        ("SC-005 aud removed", json!({ "aud": null })),
        ("SC-009 valid", json!({})),
        ("SC-011 iat removed", json!({ "iat": null })),
        ("SC-012 sub removed", json!({ "sub": null })),
        ("SC-013 iss + 1", json!({ "iss": format!("{ISSUER}1") })),
    ]);
    cases.push(("SC-008 alg none", none));
    cases.push(("SC-010 signature XOR 0x5A", format!("{input}.{}", b64(&xored))));
    check_with(
        &id_verifier(),
        &sign_in_checks(&at),
        cases,
        expect![[r"
            SC-003 nonce + 1 => nonce_mismatch: nonce mismatch
            SC-003 nonce removed => missing_claim: missing claim `nonce`
            SC-004 aud + 1 => audience_mismatch: audience mismatch: the token is not meant for this service
            SC-005 aud removed => missing_claim: missing claim `aud`
            SC-009 valid => ok: sub=00u1user
            SC-011 iat removed => missing_claim: missing claim `iat`
            SC-012 sub removed => missing_claim: missing claim `sub`
            SC-013 iss + 1 => wrong_issuer: wrong issuer https://example.okta.com/oauth2/default1, expected https://example.okta.com/oauth2/default
            SC-008 alg none => algorithm_not_allowed: algorithm none is not allowed
            SC-010 signature XOR 0x5A => invalid_signature: invalid signature
        "]],
    );
}

#[test]
fn sc_009_claims_are_typed() {
    let at = access_token();
    let verified =
        block_on(id_verifier().verify(&token(Key::RsaA, &id_claims()), &sign_in_checks(&at)))
            .unwrap();
    let claims = verified.claims();
    assert_eq!(claims.email(), Some("alice@example.com"));
    assert_eq!(claims.nonce.as_deref(), Some(NONCE));
    expect![[r#"
        OktaIdTokenClaims {
            iss: "https://example.okta.com/oauth2/default",
            sub: "00u1user",
            aud: [
                "0oa1client",
            ],
            exp: 1700003540,
            iat: 1699999940,
            auth_time: Some(
                1699999880,
            ),
            azp: None,
            nonce: Some(
                "[redacted]",
            ),
            at_hash: Some(
                "pAygaAJIXg4hpT14ifVmcw",
            ),
            amr: [
                "pwd",
            ],
            idp: Some(
                "00o1idp",
            ),
            acr: None,
            jti: Some(
                "ID.fixture",
            ),
            ver: Some(
                1,
            ),
            extra: {
                "email": String("alice@example.com"),
            },
        }
    "#]]
    .assert_debug_eq(claims);
}

#[test]
fn sc_050_to_054_audience_and_azp() {
    let mut options = id_options();
    options.trusted_audiences = vec![crate::support::audience("api://trusted")];
    let verifier = IdTokenVerifier::new(options, static_keys()).unwrap();
    let at = access_token();
    let cases = patches(&[
        ("SC-050 [client_id]", json!({ "aud": [CLIENT_ID] })),
        ("SC-051 [client_id, other], no azp", json!({ "aud": [CLIENT_ID, "other"] })),
        ("SC-052 [client_id, trusted], no azp", json!({ "aud": [CLIENT_ID, "api://trusted"] })),
        (
            "SC-052 [client_id, trusted], azp = client_id",
            json!({ "aud": [CLIENT_ID, "api://trusted"], "azp": CLIENT_ID }),
        ),
        (
            "SC-052 [client_id, trusted], azp other",
            json!({ "aud": [CLIENT_ID, "api://trusted"], "azp": "other" }),
        ),
        ("azp other, single aud", json!({ "azp": "other" })),
        ("SC-053 aud 123", json!({ "aud": 123 })),
        ("SC-053 aud {}", json!({ "aud": {} })),
        ("SC-053 aud []", json!({ "aud": [] })),
        ("SC-053 aud [123]", json!({ "aud": [123] })),
        ("SC-053 aud \"\"", json!({ "aud": "" })),
        ("SC-054 aud case", json!({ "aud": "0OA1CLIENT" })),
        ("SC-054 aud leading space", json!({ "aud": format!(" {CLIENT_ID}") })),
    ]);
    let mut cases = cases;
    cases.push(("SC-053 aud null", with_claim("aud", Value::Null)));
    check_with(
        &verifier,
        &sign_in_checks(&at),
        cases,
        expect![[r#"
            SC-050 [client_id] => ok: sub=00u1user
            SC-051 [client_id, other], no azp => audience_mismatch: audience mismatch: the token is not meant for this service
            SC-052 [client_id, trusted], no azp => azp_mismatch: azp mismatch: the authorized party is not this client
            SC-052 [client_id, trusted], azp = client_id => ok: sub=00u1user
            SC-052 [client_id, trusted], azp other => azp_mismatch: azp mismatch: the authorized party is not this client
            azp other, single aud => azp_mismatch: azp mismatch: the authorized party is not this client
            SC-053 aud 123 => invalid_claim_type: claim `aud` has an invalid type or value
            SC-053 aud {} => invalid_claim_type: claim `aud` has an invalid type or value
            SC-053 aud [] => invalid_claim_type: claim `aud` has an invalid type or value
            SC-053 aud [123] => invalid_claim_type: claim `aud` has an invalid type or value
            SC-053 aud "" => audience_mismatch: audience mismatch: the token is not meant for this service
            SC-054 aud case => audience_mismatch: audience mismatch: the token is not meant for this service
            SC-054 aud leading space => audience_mismatch: audience mismatch: the token is not meant for this service
            SC-053 aud null => invalid_claim_type: claim `aud` has an invalid type or value
        "#]],
    );
}

#[test]
fn sc_055_056_issuer_and_subject() {
    let at = access_token();
    let mut cases = patches(&[
        ("SC-055 trailing slash", json!({ "iss": format!("{ISSUER}/") })),
        ("SC-055 upper-case host", json!({ "iss": "https://Example.okta.com/oauth2/default" })),
        ("SC-055 :443", json!({ "iss": "https://example.okta.com:443/oauth2/default" })),
        ("SC-055 homoglyph", json!({ "iss": "https://ex\u{0430}mple.okta.com/oauth2/default" })),
        ("SC-055 array", json!({ "iss": [ISSUER] })),
        ("SC-055 number", json!({ "iss": 42 })),
        ("SC-056 sub empty", json!({ "sub": "" })),
        ("SC-056 sub number", json!({ "sub": 123 })),
        ("SC-056 sub 256 chars", json!({ "sub": "u".repeat(256) })),
        ("SC-056 sub 255 chars", json!({ "sub": "u".repeat(255) })),
        ("SC-056 sub non-ASCII", json!({ "sub": "ü" })),
    ]);
    cases.push(("SC-056 sub null", with_claim("sub", Value::Null)));
    check_with(
        &id_verifier(),
        &sign_in_checks(&at),
        cases,
        expect![[r"
            SC-055 trailing slash => wrong_issuer: wrong issuer https://example.okta.com/oauth2/default/, expected https://example.okta.com/oauth2/default
            SC-055 upper-case host => wrong_issuer: wrong issuer https://Example.okta.com/oauth2/default, expected https://example.okta.com/oauth2/default
            SC-055 :443 => wrong_issuer: wrong issuer https://example.okta.com:443/oauth2/default, expected https://example.okta.com/oauth2/default
            SC-055 homoglyph => wrong_issuer: wrong issuer https://exаmple.okta.com/oauth2/default, expected https://example.okta.com/oauth2/default
            SC-055 array => invalid_claim_type: claim `iss` has an invalid type or value
            SC-055 number => invalid_claim_type: claim `iss` has an invalid type or value
            SC-056 sub empty => invalid_claim_type: claim `sub` has an invalid type or value
            SC-056 sub number => invalid_claim_type: claim `sub` has an invalid type or value
            SC-056 sub 256 chars => invalid_claim_type: claim `sub` has an invalid type or value
            SC-056 sub 255 chars => ok: sub=uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu
            SC-056 sub non-ASCII => invalid_claim_type: claim `sub` has an invalid type or value
            SC-056 sub null => invalid_claim_type: claim `sub` has an invalid type or value
        "]],
    );
}

#[test]
fn sc_057_nonce_is_byte_exact() {
    let at = access_token();
    let cases = vec![
        ("number 123 for \"123\"", with_claim("nonce", json!(123))),
        ("trailing space", with_claim("nonce", json!("123 "))),
        ("upper case", with_claim("nonce", json!("ABC"))),
        ("exact", with_claim("nonce", json!("123"))),
    ];
    // A numeric nonce is refused as a wrong type: no coercion to "123" ever happens.
    check_with(
        &id_verifier(),
        &IdTokenChecks::new("123").with_access_token(&at),
        cases.clone(),
        expect![[r#"
            number 123 for "123" => invalid_claim_type: claim `nonce` has an invalid type or value
            trailing space => nonce_mismatch: nonce mismatch
            upper case => nonce_mismatch: nonce mismatch
            exact => ok: sub=00u1user
        "#]],
    );
    check_with(
        &id_verifier(),
        &IdTokenChecks::new("abc").with_access_token(&at),
        cases[2..3].to_vec(),
        expect![[r"
            upper case => nonce_mismatch: nonce mismatch
        "]],
    );
}

#[test]
fn sc_058_at_hash() {
    let at = access_token();
    let other_at = token(Key::RsaA, &patched(access_claims(), &json!({ "jti": "AT.other" })));
    let cases = vec![
        ("matching", token(Key::RsaA, &id_claims())),
        (
            "at_hash of another token",
            with_claim(
                "at_hash",
                json!(okta_verify::at_hash_of(&other_at, okta_verify::Algorithm::Rs256)),
            ),
        ),
        ("at_hash garbage", with_claim("at_hash", json!("AAAA"))),
        ("at_hash number", with_claim("at_hash", json!(5))),
        (
            "at_hash absent (optional in the code flow)",
            token(Key::RsaA, &patched(id_claims(), &json!({ "at_hash": null }))),
        ),
    ];
    check_with(
        &id_verifier(),
        &sign_in_checks(&at),
        cases,
        expect![[r"
            matching => ok: sub=00u1user
            at_hash of another token => at_hash_mismatch: at_hash does not match the access token
            at_hash garbage => at_hash_mismatch: at_hash does not match the access token
            at_hash number => invalid_claim_type: claim `at_hash` has an invalid type or value
            at_hash absent (optional in the code flow) => ok: sub=00u1user
        "]],
    );
}

#[test]
fn sc_059_auth_time_and_max_age() {
    let at = access_token();
    let checks = sign_in_checks(&at).with_max_age(Duration::from_mins(5));
    let mut cases = patches(&[
        ("recent", json!({ "auth_time": NOW - 60 })),
        ("auth_time missing", json!({ "auth_time": null })),
        ("auth_time + 300 + leeway = now", json!({ "auth_time": NOW - 420 })),
        ("auth_time + 300 + leeway < now", json!({ "auth_time": NOW - 421 })),
        ("auth_time a string", json!({ "auth_time": (NOW - 60).to_string() })),
    ]);
    cases.push(("auth_time null", with_claim("auth_time", Value::Null)));
    check_with(
        &id_verifier(),
        &checks,
        cases,
        expect![[r"
            recent => ok: sub=00u1user
            auth_time missing => missing_claim: missing claim `auth_time`
            auth_time + 300 + leeway = now => ok: sub=00u1user
            auth_time + 300 + leeway < now => too_old: authentication too long ago (auth_time, max_age) (more than 300 s; now 1700000000)
            auth_time a string => invalid_claim_type: claim `auth_time` has an invalid type or value
            auth_time null => invalid_claim_type: claim `auth_time` has an invalid type or value
        "]],
    );
}

#[test]
fn sc_060_refreshed_id_token_must_match_the_session() {
    let checks = IdTokenChecks::for_refresh("00u1user");
    check_with(
        &id_verifier(),
        &checks,
        patches(&[
            ("same subject", json!({ "nonce": null })),
            ("other subject", json!({ "sub": "00u2other" })),
            ("other issuer", json!({ "iss": "https://example.okta.com/oauth2/other" })),
            ("other audience", json!({ "aud": "0oa2other" })),
        ]),
        expect![[r"
            same subject => ok: sub=00u1user
            other subject => subject_mismatch: subject mismatch
            other issuer => wrong_issuer: wrong issuer https://example.okta.com/oauth2/other, expected https://example.okta.com/oauth2/default
            other audience => audience_mismatch: audience mismatch: the token is not meant for this service
        "]],
    );
}

#[test]
fn the_nonce_is_checked_unless_a_dangerous_call_turns_it_off() {
    let cases = || {
        patches(&[
            ("nonce sent", json!({})),
            ("nonce removed", json!({ "nonce": null })),
            ("other nonce", json!({ "nonce": "n-other" })),
        ])
    };
    check_with(
        &id_verifier(),
        &IdTokenChecks::new(NONCE),
        cases(),
        expect![[r"
            nonce sent => ok: sub=00u1user
            nonce removed => missing_claim: missing claim `nonce`
            other nonce => nonce_mismatch: nonce mismatch
        "]],
    );
    // A refresh sends no nonce, so none is compared; the subject is (sc_060).
    check_with(
        &id_verifier(),
        &IdTokenChecks::for_refresh("00u1user"),
        cases(),
        expect![[r"
            nonce sent => ok: sub=00u1user
            nonce removed => ok: sub=00u1user
            other nonce => ok: sub=00u1user
        "]],
    );
    check_with(
        &id_verifier(),
        &IdTokenChecks::dangerous_without_nonce(),
        cases(),
        expect![[r"
            nonce sent => ok: sub=00u1user
            nonce removed => ok: sub=00u1user
            other nonce => ok: sub=00u1user
        "]],
    );
    assert!(IdTokenChecks::new(NONCE).checks_nonce());
    assert!(!IdTokenChecks::for_refresh("00u1user").checks_nonce());
    assert!(!IdTokenChecks::dangerous_without_nonce().checks_nonce());
}

#[test]
fn an_empty_nonce_matches_no_token() {
    check_with(
        &id_verifier(),
        &IdTokenChecks::new(""),
        patches(&[("empty nonce", json!({ "nonce": "" })), ("no nonce", json!({ "nonce": null }))]),
        expect![[r"
            empty nonce => nonce_mismatch: nonce mismatch
            no nonce => nonce_mismatch: nonce mismatch
        "]],
    );
}

#[test]
fn the_checks_debug_output_hides_the_nonce_and_the_access_token() {
    let checks = IdTokenChecks::new("secret-nonce-value").with_access_token("eyJhbGciOi.access");
    let debug = format!("{checks:?}");
    assert!(!debug.contains("secret-nonce-value") && !debug.contains("eyJ"), "{debug}");
    expect![[r#"IdTokenChecks { nonce: "required ([redacted])", access_token: Some("[redacted]"), max_age: None, subject: None }"#]]
        .assert_eq(&debug);
}

#[test]
fn sc_061_payload_must_be_a_json_object() {
    let signed = |payload: &[u8]| {
        let header = r#"{"alg":"RS256","kid":"key-a"}"#;
        let input = format!("{}.{}", b64(header.as_bytes()), b64(payload));
        let signature = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &Key::RsaA.encoding_key(),
            jsonwebtoken::Algorithm::RS256,
        )
        .unwrap();
        format!("{input}.{signature}")
    };
    let cases = vec![
        ("array", signed(b"[1,2]")),
        ("string", signed(br#""sub""#)),
        ("number", signed(b"42")),
        ("invalid UTF-8", signed(b"{\"sub\":\"\xff\"}")),
        ("trailing garbage", signed(br#"{"sub":"a"} x"#)),
        ("empty object", signed(b"{}")),
    ];
    check_with(
        &id_verifier(),
        &IdTokenChecks::new(NONCE),
        cases,
        expect![[r"
            array => malformed: malformed token: payload is not a JSON object without duplicate members
            string => malformed: malformed token: payload is not a JSON object without duplicate members
            number => malformed: malformed token: payload is not a JSON object without duplicate members
            invalid UTF-8 => malformed: malformed token: payload is not a JSON object without duplicate members
            trailing garbage => malformed: malformed token: payload has trailing characters
            empty object => missing_claim: missing claim `iss`
        "]],
    );
}

#[test]
fn access_token_presented_as_id_token() {
    let at = access_token();
    let with_typ = sign_raw(
        &json!({ "alg": "RS256", "kid": "key-a", "typ": "at+jwt" }).to_string(),
        &id_claims().to_string(),
        Key::RsaA,
        jsonwebtoken::Algorithm::RS256,
    );
    check_with(
        &id_verifier(),
        &sign_in_checks(&at),
        vec![
            ("access token", at.clone()),
            ("ID claims with typ at+jwt", with_typ),
            (
                "typ JWT",
                token_with_header(
                    &json!({ "alg": "RS256", "kid": "key-a", "typ": "JWT" }),
                    &id_claims(),
                ),
            ),
        ],
        expect![[r"
            access token => wrong_token_kind: wrong token kind: expected an ID token, it carries access-token claims (scp, cid)
            ID claims with typ at+jwt => wrong_token_kind: wrong token kind: expected an ID token, its typ names another kind of token
            typ JWT => ok: sub=00u1user
        "]],
    );
}

#[test]
fn time_rules_apply_to_id_tokens() {
    check_with(
        &id_verifier(),
        &IdTokenChecks::new(NONCE),
        patches(&[
            ("expired", json!({ "exp": NOW - 121 })),
            ("issued in the future", json!({ "iat": NOW + 121, "exp": NOW + 3600 })),
            ("issued two hours ago", json!({ "iat": NOW - 7200, "exp": NOW + 60 })),
        ]),
        expect![[r"
            expired => expired: token expired at 1699999879 (now 1700000000, leeway 120 s)
            issued in the future => issued_in_future: token issued in the future at 1700000121 (now 1700000000, leeway 120 s)
            issued two hours ago => too_old: token issued too long ago (more than 3600 s; now 1700000000)
        "]],
    );
}
