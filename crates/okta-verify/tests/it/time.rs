//! TIME: `exp`, `nbf`, `iat` and the maximum age at their boundaries (SC-062 to SC-070), with an
//! injected clock fixed at `NOW` and the default leeway of 120 seconds.

use std::fmt::Write as _;
use std::time::Duration;

use expect_test::{Expect, expect};
use okta_verify::{AccessTokenOptions, AccessTokenVerifier, ConfigError, IdTokenVerifier};
use serde_json::{Value, json};

use crate::support::{
    Key, NOW, access_claims, access_options, block_on, id_claims, id_verifier, patched,
    static_keys, token, verify_access, verify_id,
};

const LEEWAY: i64 = 120;

/// Verifies tokens made of the valid access-token claims with `patch` applied, with `options`.
fn check_with(options: AccessTokenOptions, cases: &[(&str, Value)], expect: Expect) {
    let verifier = AccessTokenVerifier::new(options, static_keys()).unwrap();
    let mut out = String::new();
    block_on(async {
        for (name, patch) in cases {
            let token = token(Key::RsaA, &patched(access_claims(), patch));
            writeln!(out, "{name} => {}", verify_access(&verifier, &token).await).unwrap();
        }
    });
    expect.assert_eq(&out);
}

fn check(cases: &[(&str, Value)], expect: Expect) {
    check_with(access_options(), cases, expect);
}

#[test]
fn sc_062_exp_boundaries() {
    check(
        &[
            ("exp = now - leeway - 1", json!({ "exp": NOW - LEEWAY - 1 })),
            ("exp = now - leeway", json!({ "exp": NOW - LEEWAY })),
            ("exp = now - leeway + 1", json!({ "exp": NOW - LEEWAY + 1 })),
        ],
        expect![[r"
            exp = now - leeway - 1 => expired: token expired at 1699999879 (now 1700000000, leeway 120 s)
            exp = now - leeway => expired: token expired at 1699999880 (now 1700000000, leeway 120 s)
            exp = now - leeway + 1 => ok: sub=alice@example.com
        "]],
    );
    // Without leeway a token is expired at `exp` itself: now must be before exp.
    let mut options = access_options();
    options.leeway = Duration::ZERO;
    check_with(
        options,
        &[("exp = now", json!({ "exp": NOW })), ("exp = now + 1", json!({ "exp": NOW + 1 }))],
        expect![[r"
            exp = now => expired: token expired at 1700000000 (now 1700000000, leeway 0 s)
            exp = now + 1 => ok: sub=alice@example.com
        "]],
    );
}

#[test]
fn sc_063_exp_missing() {
    check(
        &[("access token without exp", json!({ "exp": null }))],
        expect![[r"
            access token without exp => missing_claim: missing claim `exp`
        "]],
    );
    let id_token = token(Key::RsaA, &patched(id_claims(), &json!({ "exp": null })));
    let outcome = block_on(verify_id(
        &id_verifier(),
        &id_token,
        &okta_verify::IdTokenChecks::dangerous_without_nonce(),
    ));
    expect!["missing_claim: missing claim `exp`"].assert_eq(&outcome);
}

#[test]
#[allow(clippy::cast_precision_loss, reason = "NOW is far below 2^52: the conversion is exact")]
fn sc_064_fractional_dates_round_towards_refusal() {
    check(
        &[
            ("exp = now + 60.9", json!({ "exp": (NOW + 60) as f64 + 0.9 })),
            (
                "exp = now - leeway + 0.5 (floors to now - leeway)",
                json!({ "exp": (NOW - LEEWAY) as f64 + 0.5 }),
            ),
            (
                "nbf = now + leeway + 0.1 (ceils to + 1)",
                json!({ "nbf": (NOW + LEEWAY) as f64 + 0.1 }),
            ),
            (
                "nbf = now + leeway - 0.5 (ceils to + 0)",
                json!({ "nbf": (NOW + LEEWAY) as f64 - 0.5 }),
            ),
            ("iat = now + leeway + 0.1", json!({ "iat": (NOW + LEEWAY) as f64 + 0.1 })),
        ],
        expect![[r"
            exp = now + 60.9 => ok: sub=alice@example.com
            exp = now - leeway + 0.5 (floors to now - leeway) => expired: token expired at 1699999880 (now 1700000000, leeway 120 s)
            nbf = now + leeway + 0.1 (ceils to + 1) => not_yet_valid: token not valid before 1700000121 (now 1700000000, leeway 120 s)
            nbf = now + leeway - 0.5 (ceils to + 0) => ok: sub=alice@example.com
            iat = now + leeway + 0.1 => issued_in_future: token issued in the future at 1700000121 (now 1700000000, leeway 120 s)
        "]],
    );
}

#[test]
fn sc_065_dates_of_the_wrong_type_are_never_absent() {
    let mut cases = Vec::new();
    for claim in ["exp", "nbf", "iat"] {
        for (label, value) in [
            ("string", json!("1999999999")),
            ("true", json!(true)),
            ("null", Value::Null),
            ("object", json!({})),
            ("array", json!([NOW + 100])),
        ] {
            // `patched` treats null as "remove": put the null in directly.
            let mut claims = access_claims();
            claims[claim] = value;
            cases.push((format!("{claim} {label}"), claims));
        }
    }
    let verifier = AccessTokenVerifier::new(access_options(), static_keys()).unwrap();
    let mut out = String::new();
    block_on(async {
        for (name, claims) in cases {
            let token = token(Key::RsaA, &claims);
            writeln!(out, "{name} => {}", verify_access(&verifier, &token).await).unwrap();
        }
    });
    expect![[r"
        exp string => invalid_claim_type: claim `exp` has an invalid type or value
        exp true => invalid_claim_type: claim `exp` has an invalid type or value
        exp null => invalid_claim_type: claim `exp` has an invalid type or value
        exp object => invalid_claim_type: claim `exp` has an invalid type or value
        exp array => invalid_claim_type: claim `exp` has an invalid type or value
        nbf string => invalid_claim_type: claim `nbf` has an invalid type or value
        nbf true => invalid_claim_type: claim `nbf` has an invalid type or value
        nbf null => invalid_claim_type: claim `nbf` has an invalid type or value
        nbf object => invalid_claim_type: claim `nbf` has an invalid type or value
        nbf array => invalid_claim_type: claim `nbf` has an invalid type or value
        iat string => invalid_claim_type: claim `iat` has an invalid type or value
        iat true => invalid_claim_type: claim `iat` has an invalid type or value
        iat null => invalid_claim_type: claim `iat` has an invalid type or value
        iat object => invalid_claim_type: claim `iat` has an invalid type or value
        iat array => invalid_claim_type: claim `iat` has an invalid type or value
    "]]
    .assert_eq(&out);
}

#[test]
fn sc_066_extreme_numbers_do_not_overflow() {
    // Numbers written as JSON text, as an attacker would send them.
    let claims_with_exp = |exp: &str| {
        let text = access_claims().to_string();
        let start = text.find("\"exp\":").unwrap() + 6;
        let end = start + text[start..].find(',').unwrap();
        format!("{}{exp}{}", &text[..start], &text[end..])
    };
    let verifier = AccessTokenVerifier::new(access_options(), static_keys()).unwrap();
    let mut out = String::new();
    block_on(async {
        for exp in
            ["-1", "0", "1e308", "18446744073709551615", "9007199254740993", "-1e308", "1e400"]
        {
            let token = crate::support::sign_raw(
                r#"{"alg":"RS256","kid":"key-a"}"#,
                &claims_with_exp(exp),
                Key::RsaA,
                jsonwebtoken::Algorithm::RS256,
            );
            writeln!(out, "exp {exp} => {}", verify_access(&verifier, &token).await).unwrap();
        }
    });
    expect![[r"
        exp -1 => expired: token expired at -1 (now 1700000000, leeway 120 s)
        exp 0 => expired: token expired at 0 (now 1700000000, leeway 120 s)
        exp 1e308 => too_old: token lifetime (exp - iat) too long (more than 86400 s; now 1700000000)
        exp 18446744073709551615 => too_old: token lifetime (exp - iat) too long (more than 86400 s; now 1700000000)
        exp 9007199254740993 => too_old: token lifetime (exp - iat) too long (more than 86400 s; now 1700000000)
        exp -1e308 => expired: token expired at -9223372036854775808 (now 1700000000, leeway 120 s)
        exp 1e400 => malformed: malformed token: payload is not a JSON object without duplicate members
    "]]
    .assert_eq(&out);

    // A leeway of u64::MAX seconds is refused when the verifier is built (SC-070), so it can
    // never overflow the arithmetic.
    let mut options = access_options();
    options.leeway = Duration::from_secs(u64::MAX);
    assert!(matches!(
        AccessTokenVerifier::new(options, static_keys()),
        Err(ConfigError::LeewayTooLarge { .. })
    ));
}

#[test]
fn sc_067_nbf_boundaries() {
    check(
        &[
            ("nbf = now + leeway + 1", json!({ "nbf": NOW + LEEWAY + 1 })),
            ("nbf = now + leeway", json!({ "nbf": NOW + LEEWAY })),
            ("nbf = now", json!({ "nbf": NOW })),
        ],
        expect![[r"
            nbf = now + leeway + 1 => not_yet_valid: token not valid before 1700000121 (now 1700000000, leeway 120 s)
            nbf = now + leeway => ok: sub=alice@example.com
            nbf = now => ok: sub=alice@example.com
        "]],
    );
}

#[test]
fn sc_068_iat_in_the_future() {
    check(
        &[
            ("iat = now + leeway + 1", json!({ "iat": NOW + LEEWAY + 1 })),
            ("iat = now + leeway", json!({ "iat": NOW + LEEWAY })),
            ("iat missing", json!({ "iat": null })),
        ],
        expect![[r"
            iat = now + leeway + 1 => issued_in_future: token issued in the future at 1700000121 (now 1700000000, leeway 120 s)
            iat = now + leeway => ok: sub=alice@example.com
            iat missing => missing_claim: missing claim `iat`
        "]],
    );
}

#[test]
fn sc_069_iat_a_week_ago() {
    const DAY: i64 = 24 * 3600;
    check(
        &[
            ("iat a week ago, exp valid", json!({ "iat": NOW - 7 * DAY, "exp": NOW + 60 })),
            ("iat a day and a leeway ago", json!({ "iat": NOW - DAY - LEEWAY, "exp": NOW + 60 })),
            (
                "iat a day, a leeway and 1 s ago",
                json!({ "iat": NOW - DAY - LEEWAY - 1, "exp": NOW + 60 }),
            ),
            ("lifetime over a day", json!({ "iat": NOW - 60, "exp": NOW - 60 + DAY + 1 })),
        ],
        expect![[r"
            iat a week ago, exp valid => too_old: token issued too long ago (more than 86400 s; now 1700000000)
            iat a day and a leeway ago => too_old: token lifetime (exp - iat) too long (more than 86400 s; now 1700000000)
            iat a day, a leeway and 1 s ago => too_old: token issued too long ago (more than 86400 s; now 1700000000)
            lifetime over a day => too_old: token lifetime (exp - iat) too long (more than 86400 s; now 1700000000)
        "]],
    );
    // The maximum age is configurable.
    let mut options = access_options();
    options.max_age = Duration::from_mins(10);
    check_with(
        options,
        &[("iat 20 minutes ago", json!({ "iat": NOW - 1200, "exp": NOW + 60 }))],
        expect![[r"
            iat 20 minutes ago => too_old: token issued too long ago (more than 600 s; now 1700000000)
        "]],
    );
}

#[test]
fn sc_070_leeway_out_of_range_is_a_configuration_error() {
    let mut out = String::new();
    for seconds in [0, 300, 301, 3600] {
        let mut access = access_options();
        access.leeway = Duration::from_secs(seconds);
        let mut id = crate::support::id_options();
        id.leeway = Duration::from_secs(seconds);
        let describe = |result: Result<(), ConfigError>| match result {
            Ok(()) => "ok".to_owned(),
            Err(err) => err.to_string(),
        };
        writeln!(
            out,
            "{seconds} s => access: {}; id: {}",
            describe(AccessTokenVerifier::new(access, static_keys()).map(|_| ())),
            describe(IdTokenVerifier::new(id, static_keys()).map(|_| ())),
        )
        .unwrap();
    }
    expect![[r"
        0 s => access: ok; id: ok
        300 s => access: ok; id: ok
        301 s => access: leeway of 301 s is larger than the 300 s allowed; id: leeway of 301 s is larger than the 300 s allowed
        3600 s => access: leeway of 3600 s is larger than the 300 s allowed; id: leeway of 3600 s is larger than the 300 s allowed
    "]]
    .assert_eq(&out);
}
