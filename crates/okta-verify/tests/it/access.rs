//! AT: Okta access tokens (SC-104 to SC-109, SC-111), the custom rules and the verified-token
//! cache. The HTTP side of SC-110 is in `axum_layer.rs`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use expect_test::{Expect, expect};
use okta_verify::{
    AccessTokenOptions, AccessTokenType, AccessTokenVerifier, Clock, JwksCache, RuleViolation,
    TokenCacheOptions, require_group,
};
use serde_json::{Value, json};

use crate::support::{
    AUDIENCE, CLIENT_ID, ISSUER, Key, NOW, access_claims, access_options, access_token,
    access_verifier, audience, block_on, client_id, id_claims, issuer, patched, scope, static_keys,
    token, token_with_header, verify_access,
};

fn check_with(verifier: &AccessTokenVerifier, cases: Vec<(&str, String)>, expect: Expect) {
    let mut out = String::new();
    block_on(async {
        for (name, token) in cases {
            writeln!(out, "{name} => {}", verify_access(verifier, &token).await).unwrap();
        }
    });
    expect.assert_eq(&out);
}

/// Tokens made of the valid claims with each patch applied.
fn patches<'a>(cases: &[(&'a str, Value)]) -> Vec<(&'a str, String)> {
    cases
        .iter()
        .map(|(name, patch)| (*name, token(Key::RsaA, &patched(access_claims(), patch))))
        .collect()
}

#[test]
fn sc_104_valid_okta_access_token() {
    let verified = block_on(access_verifier().verify(&access_token())).unwrap();
    assert_eq!(verified.algorithm(), okta_verify::Algorithm::Rs256);
    assert_eq!(verified.kid(), Some("key-a"));
    assert!(verified.claims().has_scope("orders:read"));
    assert_eq!(verified.claims().string_list("groups"), Some(vec!["Everyone", "admins"]));
    expect![[r#"
        OktaAccessTokenClaims {
            iss: "https://example.okta.com/oauth2/default",
            sub: "alice@example.com",
            aud: [
                "api://default",
            ],
            exp: 1700003540,
            iat: 1699999940,
            nbf: None,
            cid: Some(
                "0oa1client",
            ),
            uid: Some(
                "00u1user",
            ),
            scp: [
                "openid",
                "orders:read",
            ],
            jti: Some(
                "AT.fixture",
            ),
            auth_time: Some(
                1699999880,
            ),
            ver: Some(
                1,
            ),
            extra: {
                "groups": Array [
                    String("Everyone"),
                    String("admins"),
                ],
            },
        }
    "#]]
    .assert_debug_eq(verified.claims());
}

#[test]
fn sc_105_id_token_presented_as_access_token() {
    // Even a verifier that (wrongly) accepts the client id as an audience tells them apart.
    let mut options = access_options();
    options.audiences.push(audience(CLIENT_ID));
    let lenient = AccessTokenVerifier::new(options, static_keys()).unwrap();
    let id_without_nonce = patched(id_claims(), &json!({ "nonce": null, "at_hash": null }));
    let cases = vec![
        ("ID token", token(Key::RsaA, &id_claims())),
        ("ID token without nonce or at_hash", token(Key::RsaA, &id_without_nonce)),
        (
            "access token with a nonce",
            token(Key::RsaA, &patched(access_claims(), &json!({ "nonce": "n" }))),
        ),
    ];
    check_with(
        &lenient,
        cases,
        expect![[r"
            ID token => wrong_token_kind: wrong token kind: expected an access token, it carries ID-token claims (nonce, at_hash, c_hash)
            ID token without nonce or at_hash => wrong_token_kind: wrong token kind: expected an access token, it has neither cid nor scp
            access token with a nonce => wrong_token_kind: wrong token kind: expected an access token, it carries ID-token claims (nonce, at_hash, c_hash)
        "]],
    );
}

#[test]
fn sc_106_org_authorization_server_tokens() {
    let org_claims = patched(access_claims(), &json!({ "iss": "https://example.okta.com" }));
    let cases = vec![
        (
            "org typ",
            token_with_header(
                &json!({ "alg": "RS256", "kid": "key-a", "typ": "application/okta-internal-at+jwt" }),
                &org_claims,
            ),
        ),
        ("org iss", token(Key::RsaA, &org_claims)),
        (
            "org iss with slash",
            token(
                Key::RsaA,
                &patched(access_claims(), &json!({ "iss": "https://example.okta.com/" })),
            ),
        ),
    ];
    check_with(
        &access_verifier(),
        cases,
        expect![[r"
            org typ => org_server_token: org authorization server access tokens cannot be validated locally; use introspection (IntrospectionVerifier)
            org iss => org_server_token: org authorization server access tokens cannot be validated locally; use introspection (IntrospectionVerifier)
            org iss with slash => org_server_token: org authorization server access tokens cannot be validated locally; use introspection (IntrospectionVerifier)
        "]],
    );
    // A verifier configured with an org issuer refuses every token and says why.
    let mut options =
        AccessTokenOptions::new(issuer("https://example.okta.com"), [audience(AUDIENCE)]);
    options.any_client = true;
    options.clock = Clock::fixed_unix(NOW.unsigned_abs());
    let org = AccessTokenVerifier::new(options, static_keys()).unwrap();
    check_with(
        &org,
        vec![("org verifier", token(Key::RsaA, &org_claims))],
        expect![[r"
            org verifier => org_server_token: org authorization server access tokens cannot be validated locally; use introspection (IntrospectionVerifier)
        "]],
    );
}

#[test]
fn sc_107_typ_header_per_mode() {
    let with_typ = |typ: Option<&str>| {
        let mut header = json!({ "alg": "RS256", "kid": "key-a" });
        if let Some(typ) = typ {
            header["typ"] = json!(typ);
        }
        token_with_header(&header, &access_claims())
    };
    let cases = || {
        vec![
            ("absent", with_typ(None)),
            ("JWT", with_typ(Some("JWT"))),
            ("at+jwt", with_typ(Some("at+jwt"))),
            ("application/at+jwt", with_typ(Some("application/at+jwt"))),
            ("AT+JWT", with_typ(Some("AT+JWT"))),
            ("dpop+jwt", with_typ(Some("dpop+jwt"))),
            ("logout+jwt", with_typ(Some("logout+jwt"))),
        ]
    };
    check_with(
        &access_verifier(),
        cases(),
        expect![[r"
            absent => ok: sub=alice@example.com
            JWT => ok: sub=alice@example.com
            at+jwt => ok: sub=alice@example.com
            application/at+jwt => ok: sub=alice@example.com
            AT+JWT => ok: sub=alice@example.com
            dpop+jwt => wrong_token_kind: wrong token kind: expected an access token, its typ names another kind of token
            logout+jwt => wrong_token_kind: wrong token kind: expected an access token, its typ names another kind of token
        "]],
    );
    let mut options = access_options();
    options.token_type = AccessTokenType::Rfc9068;
    check_with(
        &AccessTokenVerifier::new(options, static_keys()).unwrap(),
        cases(),
        expect![[r"
            absent => wrong_token_kind: wrong token kind: expected an access token, RFC 9068 requires typ at+jwt
            JWT => wrong_token_kind: wrong token kind: expected an access token, its typ names another kind of token
            at+jwt => ok: sub=alice@example.com
            application/at+jwt => ok: sub=alice@example.com
            AT+JWT => ok: sub=alice@example.com
            dpop+jwt => wrong_token_kind: wrong token kind: expected an access token, its typ names another kind of token
            logout+jwt => wrong_token_kind: wrong token kind: expected an access token, its typ names another kind of token
        "]],
    );
}

#[test]
fn sc_108_audience_and_client_id() {
    let mut options = access_options();
    options.client_ids = vec![client_id(CLIENT_ID)];
    let verifier = AccessTokenVerifier::new(options, static_keys()).unwrap();
    check_with(
        &verifier,
        patches(&[
            ("aud array with ours", json!({ "aud": ["api://other", AUDIENCE] })),
            ("aud missing", json!({ "aud": null })),
            ("aud other", json!({ "aud": "api://other" })),
            ("aud case", json!({ "aud": "API://default" })),
            ("aud 123", json!({ "aud": 123 })),
            ("aud {}", json!({ "aud": {} })),
            ("aud []", json!({ "aud": [] })),
            ("aud [123]", json!({ "aud": [123] })),
            ("aud \"\"", json!({ "aud": "" })),
            ("cid other", json!({ "cid": "0oa-other" })),
            ("cid missing, scp kept", json!({ "cid": null })),
            ("cid number", json!({ "cid": 7 })),
        ]),
        expect![[r#"
            aud array with ours => ok: sub=alice@example.com
            aud missing => missing_claim: missing claim `aud`
            aud other => audience_mismatch: audience mismatch: the token is not meant for this service
            aud case => audience_mismatch: audience mismatch: the token is not meant for this service
            aud 123 => invalid_claim_type: claim `aud` has an invalid type or value
            aud {} => invalid_claim_type: claim `aud` has an invalid type or value
            aud [] => invalid_claim_type: claim `aud` has an invalid type or value
            aud [123] => invalid_claim_type: claim `aud` has an invalid type or value
            aud "" => audience_mismatch: audience mismatch: the token is not meant for this service
            cid other => client_id_not_allowed: client id 0oa-other is not allowed
            cid missing, scp kept => missing_claim: missing claim `cid`
            cid number => invalid_claim_type: claim `cid` has an invalid type or value
        "#]],
    );
    // aud null is a wrong type, not an absent claim.
    let mut claims = access_claims();
    claims["aud"] = Value::Null;
    check_with(
        &verifier,
        vec![("aud null", token(Key::RsaA, &claims))],
        expect![[r"
            aud null => invalid_claim_type: claim `aud` has an invalid type or value
        "]],
    );
}

#[test]
fn sc_055_issuer_exact_match() {
    check_with(
        &access_verifier(),
        patches(&[
            ("trailing slash", json!({ "iss": format!("{ISSUER}/") })),
            ("upper-case host", json!({ "iss": "https://EXAMPLE.okta.com/oauth2/default" })),
            ("explicit :443", json!({ "iss": "https://example.okta.com:443/oauth2/default" })),
            ("homoglyph", json!({ "iss": "https://examp\u{0142}e.okta.com/oauth2/default" })),
            ("http", json!({ "iss": "http://example.okta.com/oauth2/default" })),
            ("array", json!({ "iss": [ISSUER] })),
            ("number", json!({ "iss": 1 })),
            ("missing", json!({ "iss": null })),
        ]),
        expect![[r"
            trailing slash => wrong_issuer: wrong issuer https://example.okta.com/oauth2/default/, expected https://example.okta.com/oauth2/default
            upper-case host => wrong_issuer: wrong issuer https://EXAMPLE.okta.com/oauth2/default, expected https://example.okta.com/oauth2/default
            explicit :443 => wrong_issuer: wrong issuer https://example.okta.com:443/oauth2/default, expected https://example.okta.com/oauth2/default
            homoglyph => wrong_issuer: wrong issuer https://exampłe.okta.com/oauth2/default, expected https://example.okta.com/oauth2/default
            http => wrong_issuer: wrong issuer http://example.okta.com/oauth2/default, expected https://example.okta.com/oauth2/default
            array => invalid_claim_type: claim `iss` has an invalid type or value
            number => invalid_claim_type: claim `iss` has an invalid type or value
            missing => missing_claim: missing claim `iss`
        "]],
    );
}

#[test]
fn sc_109_scopes() {
    let mut options = access_options();
    options.required_scopes = vec![scope("orders:read"), scope("orders:write")];
    let strict = AccessTokenVerifier::new(options, static_keys()).unwrap();
    check_with(
        &strict,
        patches(&[
            ("both granted", json!({ "scp": ["orders:read", "orders:write"] })),
            ("one missing", json!({ "scp": ["orders:read"] })),
            ("scp a string", json!({ "scp": "orders:read orders:write" })),
            ("scp missing, cid kept", json!({ "scp": null })),
            ("scp [1]", json!({ "scp": [1] })),
        ]),
        expect![[r"
            both granted => ok: sub=alice@example.com
            one missing => insufficient_scope: insufficient scope: missing orders:write
            scp a string => invalid_claim_type: claim `scp` has an invalid type or value
            scp missing, cid kept => insufficient_scope: insufficient scope: missing orders:read orders:write
            scp [1] => invalid_claim_type: claim `scp` has an invalid type or value
        "]],
    );
}

#[test]
fn sc_111_length_cap_comes_first() {
    let megabyte = "a".repeat(1 << 20);
    let dots = format!("Bearer {}", ".".repeat(100_000));
    let mut options = access_options();
    options.token_cache = Some(TokenCacheOptions::default());
    let cached = AccessTokenVerifier::new(options, static_keys()).unwrap();
    let cases = vec![("1 MiB", megabyte.clone()), ("100k dots", dots.clone())];
    check_with(
        &access_verifier(),
        cases.clone(),
        expect![[r"
            1 MiB => token_too_large: token too large: 1048576 bytes, at most 16384 accepted
            100k dots => token_too_large: token too large: 100007 bytes, at most 16384 accepted
        "]],
    );
    check_with(
        &cached,
        cases,
        expect![[r"
            1 MiB => token_too_large: token too large: 1048576 bytes, at most 16384 accepted
            100k dots => token_too_large: token too large: 100007 bytes, at most 16384 accepted
        "]],
    );
}

#[test]
fn subject_is_required() {
    check_with(
        &access_verifier(),
        patches(&[("sub missing", json!({ "sub": null })), ("sub number", json!({ "sub": 5 }))]),
        expect![[r"
            sub missing => missing_claim: missing claim `sub`
            sub number => invalid_claim_type: claim `sub` has an invalid type or value
        "]],
    );
}

#[test]
fn custom_rules_run_after_the_built_in_checks() {
    let options = access_options().with_rule(require_group("admins")).with_rule(
        |claims: &okta_verify::OktaAccessTokenClaims| match claims
            .extra
            .get("tenant")
            .and_then(Value::as_str)
        {
            Some("acme") | None => Ok(()),
            Some(_) => Err(RuleViolation::new("tenant not served here")),
        },
    );
    let verifier = AccessTokenVerifier::new(options, static_keys()).unwrap();
    check_with(
        &verifier,
        patches(&[
            ("admin", json!({})),
            ("not an admin", json!({ "groups": ["Everyone"] })),
            ("no groups", json!({ "groups": null })),
            ("other tenant", json!({ "tenant": "globex" })),
            ("expired admin", json!({ "exp": NOW - 1000 })),
        ]),
        expect![[r"
            admin => ok: sub=alice@example.com
            not an admin => rule_violation: rule refused the token: not a member of group admins
            no groups => rule_violation: rule refused the token: not a member of group admins
            other tenant => rule_violation: rule refused the token: tenant not served here
            expired admin => expired: token expired at 1699999000 (now 1700000000, leeway 120 s)
        "]],
    );
    let err = block_on(
        verifier.verify(&token(Key::RsaA, &patched(access_claims(), &json!({ "groups": [] })))),
    )
    .unwrap_err();
    assert!(err.is_forbidden());
}

#[tokio::test]
async fn verified_token_cache_never_outlives_exp_or_the_keys() {
    let seconds = Arc::new(AtomicI64::new(NOW));
    let source = Arc::clone(&seconds);
    let clock = Clock::from_fn(move || {
        UNIX_EPOCH + Duration::from_secs(source.load(Ordering::SeqCst).unsigned_abs())
    });
    let mut options = access_options();
    options.clock = clock;
    options.leeway = Duration::ZERO;
    options.token_cache = Some(TokenCacheOptions::default());

    // A key set that the test can rotate through an HTTP closure.
    let body = Arc::new(std::sync::Mutex::new(crate::support::jwks_json()));
    let served = Arc::clone(&body);
    let client = move |_request: http::Request<Vec<u8>>| {
        let body = served.lock().unwrap().clone();
        async move { Ok(http::Response::builder().status(200).body(body.into_bytes()).unwrap()) }
    };
    let clock_for_keys = options.clock.clone();
    let keys = JwksCache::remote(
        "https://example.okta.com/oauth2/default/v1/keys".parse().unwrap(),
        Arc::new(client),
        okta_verify::JwksCacheOptions::default(),
        clock_for_keys,
    )
    .unwrap();
    let verifier = AccessTokenVerifier::new(options, keys.clone()).unwrap();
    let token = token(Key::RsaA, &patched(access_claims(), &json!({ "exp": NOW + 100 })));

    let first = verifier.verify(&token).await.unwrap();
    let second = verifier.verify(&token).await.unwrap();
    assert_eq!(first.claims(), second.claims());

    // At exp the cached entry is not used: full verification refuses the token.
    seconds.store(NOW + 100, Ordering::SeqCst);
    assert_eq!(verifier.verify(&token).await.unwrap_err().kind(), "expired");

    // When the key that verified a cached token disappears, the entry goes with it.
    seconds.store(NOW, Ordering::SeqCst);
    assert!(verifier.verify(&token).await.is_ok());
    *body.lock().unwrap() = crate::support::jwks_of([Key::RsaB.public_jwk()]);
    seconds.store(NOW + 60, Ordering::SeqCst);
    keys.refresh().await.unwrap();
    assert_eq!(verifier.verify(&token).await.unwrap_err().kind(), "key_not_found");
}

#[tokio::test]
async fn verified_token_cache_answers_only_for_the_same_token() {
    let mut options = access_options();
    options.token_cache = Some(TokenCacheOptions::default());
    let verifier = AccessTokenVerifier::new(options, static_keys()).unwrap();
    let alice = token(Key::RsaA, &patched(access_claims(), &json!({ "sub": "alice@example.com" })));
    let bob = token(Key::RsaA, &patched(access_claims(), &json!({ "sub": "bob@example.com" })));
    assert_eq!(verifier.verify(&alice).await.unwrap().claims().sub, "alice@example.com");
    assert_eq!(verifier.verify(&bob).await.unwrap().claims().sub, "bob@example.com");
    // Hits, each with its own claims.
    assert_eq!(verifier.verify(&alice).await.unwrap().claims().sub, "alice@example.com");
    assert_eq!(verifier.verify(&bob).await.unwrap().claims().sub, "bob@example.com");
    // A cached token with one character changed, or cut short, is verified in full and refused.
    let mut tampered = alice.clone().into_bytes();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(verifier.verify(&tampered).await.unwrap_err().kind(), "invalid_signature");
    let (header_and_payload, _) = alice.rsplit_once('.').unwrap();
    assert_eq!(
        verifier.verify(&format!("{header_and_payload}.")).await.unwrap_err().kind(),
        "malformed"
    );
    // A forged payload under a cached token's signature is refused too.
    let (_, signature) = alice.rsplit_once('.').unwrap();
    let (header, _) = bob.split_once('.').unwrap();
    let bob_payload = bob.split('.').nth(1).unwrap();
    let forged = format!("{header}.{bob_payload}.{signature}");
    assert_eq!(verifier.verify(&forged).await.unwrap_err().kind(), "invalid_signature");
}

#[tokio::test]
async fn verifiers_on_one_thread_do_not_share_cached_tokens() {
    let mut lenient = access_options();
    lenient.token_cache = Some(TokenCacheOptions::default());
    let mut strict = lenient.clone();
    strict.required_scopes.push(okta_config::Scope::parse("admin").unwrap());
    let lenient = AccessTokenVerifier::new(lenient, static_keys()).unwrap();
    let strict = AccessTokenVerifier::new(strict, static_keys()).unwrap();
    let token = token(Key::RsaA, &access_claims());
    for _ in 0..3 {
        assert!(lenient.verify(&token).await.is_ok());
        assert_eq!(strict.verify(&token).await.unwrap_err().kind(), "insufficient_scope");
    }
    // A clone is the same verifier and shares its cache.
    assert!(lenient.clone().verify(&token).await.is_ok());
}

#[test]
fn a_token_cached_on_one_thread_is_a_hit_on_another_with_the_same_claims() {
    // The rule runs only when a token is verified in full: it counts the cache misses.
    let full = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&full);
    let mut options = access_options().with_rule(move |_: &okta_verify::OktaAccessTokenClaims| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    options.token_cache = Some(TokenCacheOptions::default());
    let verifier = AccessTokenVerifier::new(options, static_keys()).unwrap();
    let token = token(Key::RsaA, &access_claims());
    let first = block_on(verifier.verify(&token)).unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..3 {
                let hit = block_on(verifier.verify(&token)).unwrap();
                assert_eq!(hit.claims(), first.claims());
                assert_eq!(hit.kid(), first.kid());
            }
        });
    });
    assert_eq!(full.load(Ordering::SeqCst), 1, "one full verification, then hits only");
}

#[test]
fn options_are_validated() {
    let describe =
        |options: AccessTokenOptions| match AccessTokenVerifier::new(options, static_keys()) {
            Ok(_) => "ok".to_owned(),
            Err(err) => err.to_string(),
        };
    let mut out = String::new();
    let cases: Vec<(&str, AccessTokenOptions)> = vec![
        ("default", access_options()),
        ("no audience", AccessTokenOptions::new(issuer(ISSUER), [])),
        ("loopback http issuer", {
            let mut options = access_options();
            options.issuer = issuer("http://127.0.0.1:8080/oauth2/default");
            options
        }),
        ("no algorithm", {
            let mut options = access_options();
            options.algorithms.clear();
            options
        }),
        ("zero max age", {
            let mut options = access_options();
            options.max_age = Duration::ZERO;
            options
        }),
    ];
    for (name, options) in cases {
        writeln!(out, "{name} => {}", describe(options)).unwrap();
    }
    // Issuers and audiences are okta-config's validated types: a wrong one fails where it is
    // parsed, before any options exist.
    let issuers = [
        ("empty issuer", ""),
        ("relative issuer", "example.okta.com"),
        ("http issuer", "http://example.okta.com/oauth2/default"),
        ("issuer with query", "https://example.okta.com/oauth2/default?x=1"),
    ];
    for (name, text) in issuers {
        let err = okta_config::Issuer::parse(text).unwrap_err();
        writeln!(out, "{name} => {err}").unwrap();
    }
    let err = okta_config::Audience::parse("").unwrap_err();
    writeln!(out, "empty audience => {err}").unwrap();
    expect![[r#"
        default => ok
        no audience => at least one audience is required
        loopback http issuer => ok
        no algorithm => at least one algorithm must be allowed
        zero max age => option `max_age` is out of range: must be positive
        empty issuer => "" is not a URL: remove the surrounding spaces
        relative issuer => "example.okta.com" is not an absolute URL (relative URL without a base)
        http issuer => "http://example.okta.com/oauth2/default" uses http: the issuer must use https (http is allowed only for loopback hosts such as 127.0.0.1, for the local development server)
        issuer with query => "https://example.okta.com/oauth2/default?x=1" has a query or fragment, which an issuer must not have
        empty audience => the audience is empty
    "#]]
    .assert_eq(&out);
}

/// A token of another authorization server (the most common refusal) is `wrong_issuer` with
/// both values, read from the unverified `iss` before any key lookup or fetch: not
/// `key_not_found` (its key is not in this issuer's set), and for a verifier of the org server
/// not `org_server_token` (a custom server's token is not the org server's).
#[test]
fn a_token_of_another_issuer_is_wrong_issuer_before_any_key_lookup_or_fetch() {
    const OTHER: &str = "https://example.okta.com/oauth2/aus2orders";
    let (client, calls) = crate::support::serve_jwks(crate::support::jwks_json());
    let remote = JwksCache::remote(
        format!("{ISSUER}/v1/keys").parse().unwrap(),
        client,
        okta_verify::JwksCacheOptions::default(),
        Clock::fixed_unix(NOW.unsigned_abs()),
    )
    .unwrap();
    let verifier = AccessTokenVerifier::new(access_options(), remote.clone()).unwrap();
    // Signed with a key this issuer does not publish, as another server's key would be.
    let other = token(Key::Attacker, &patched(access_claims(), &json!({ "iss": OTHER })));
    let typo = token(
        Key::Attacker,
        &patched(access_claims(), &json!({ "iss": "https://example.okta.com/oauth2/defualt" })),
    );
    let mut org_options = access_options();
    org_options.issuer = issuer("https://example.okta.com");
    let org = AccessTokenVerifier::new(org_options, static_keys()).unwrap();
    let org_token =
        token(Key::RsaA, &patched(access_claims(), &json!({ "iss": "https://example.okta.com" })));
    let id = okta_verify::IdTokenVerifier::new(crate::support::id_options(), remote).unwrap();
    let other_id = token(Key::Attacker, &patched(id_claims(), &json!({ "iss": OTHER })));
    let mut out = String::new();
    block_on(async {
        for (name, verifier, token) in [
            ("another custom server", &verifier, &other),
            ("a typo of the issuer", &verifier, &typo),
            ("custom token, org verifier", &org, &access_token()),
            ("org token, org verifier", &org, &org_token),
        ] {
            writeln!(out, "{name} => {}", verify_access(verifier, token).await).unwrap();
        }
        let checks = okta_verify::IdTokenChecks::dangerous_without_nonce();
        let result = crate::support::verify_id(&id, &other_id, &checks).await;
        writeln!(out, "ID token of another server => {result}").unwrap();
    });
    expect![[r#"
        another custom server => wrong_issuer: wrong issuer https://example.okta.com/oauth2/aus2orders, expected https://example.okta.com/oauth2/default
        a typo of the issuer => wrong_issuer: wrong issuer https://example.okta.com/oauth2/defualt, expected https://example.okta.com/oauth2/default
        custom token, org verifier => wrong_issuer: wrong issuer https://example.okta.com/oauth2/default, expected https://example.okta.com
        org token, org verifier => org_server_token: org authorization server access tokens cannot be validated locally; use introspection (IntrospectionVerifier)
        ID token of another server => wrong_issuer: wrong issuer https://example.okta.com/oauth2/aus2orders, expected https://example.okta.com/oauth2/default
    "#]].assert_eq(&out);
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no key fetch for a token of another issuer");
}

/// Empty `client_ids` no longer mean "any client" silently: the choice is explicit.
#[test]
fn a_verifier_must_choose_its_clients() {
    let mut neither = access_options();
    neither.any_client = false;
    let err = AccessTokenVerifier::new(neither.clone(), static_keys()).unwrap_err();
    assert!(matches!(err, okta_verify::ConfigError::NoClientChoice), "{err:?}");
    let mut listed = neither;
    listed.client_ids = vec![client_id("0oa1client")];
    AccessTokenVerifier::new(listed, static_keys()).unwrap();
    AccessTokenVerifier::new(access_options(), static_keys()).unwrap();
}
