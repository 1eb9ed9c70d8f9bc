//! INTRO: introspection (SC-112 to SC-115): the request, fail-closed answers, checks and caching.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use expect_test::{Expect, expect};
use okta_config::{Audience, ClientId, ClientSecret, Issuer, Scope};
use okta_http::{ClientCredentials, HttpClient, TransportError};
use serde_json::json;

use crate::{Clock, ConfigError, IntrospectionOptions, IntrospectionVerifier, TokenCacheOptions};

const NOW: i64 = 1_700_000_000;
const URL: &str = "https://example.okta.com/oauth2/default/v1/introspect";
/// An opaque token the size of Okta's (43 characters).
const OPAQUE: &str = "0Hn2XVcJq1bPJqPzDQm8hT3nkgGl4fLw2dw4R7eMo-Y";

/// What the fake endpoint answers: a status and a body, or a transport error.
type Answer = Result<(u16, String), TransportError>;

/// A fake endpoint that records requests and answers with a fixed status and body.
struct Fake {
    requests: Arc<Mutex<Vec<http::Request<Vec<u8>>>>>,
    calls: Arc<AtomicUsize>,
}

fn fake(answer: Answer) -> (Fake, Arc<dyn HttpClient>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (recorded, counter) = (Arc::clone(&requests), Arc::clone(&calls));
    let client = move |request: http::Request<Vec<u8>>| {
        counter.fetch_add(1, Ordering::SeqCst);
        recorded.lock().unwrap().push(request);
        let answer = answer.clone();
        async move {
            let (status, body) = answer?;
            Ok(http::Response::builder().status(status).body(body.into_bytes()).unwrap())
        }
    };
    (Fake { requests, calls }, Arc::new(client))
}

fn options() -> IntrospectionOptions {
    let mut options = IntrospectionOptions::new(URL.parse().unwrap());
    options.audiences = vec![Audience::parse("api://default").unwrap()];
    options.any_client = true;
    options.clock = Clock::fixed_unix(NOW.unsigned_abs());
    options
}

#[test]
fn a_resource_server_must_choose_its_clients() {
    let build = |options: IntrospectionOptions| {
        let (_, http) = fake(Ok((200, active(&json!({})))));
        let credentials =
            ClientCredentials::client_secret_basic(client_id("0oa1client"), secret("s3cret"));
        IntrospectionVerifier::new(options, credentials, http).map(drop)
    };
    let mut neither = options();
    neither.any_client = false;
    let err = build(neither.clone()).unwrap_err();
    assert!(matches!(err, ConfigError::NoClientChoice), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no accepted client: list the client ids in `client_ids`, or set `any_client` to accept \
         every client of the issuer"
    );
    let mut listed = neither.clone();
    listed.client_ids = vec![client_id("0oa1client")];
    build(listed).unwrap();
    build(options()).unwrap();
    // A client asking about its own tokens is not a resource server.
    let mut status = neither;
    status.audiences.clear();
    status.purpose = crate::IntrospectionPurpose::TokenStatus;
    build(status).unwrap();
}

fn client_id(text: &str) -> ClientId {
    ClientId::parse(text).unwrap()
}

fn secret(text: &str) -> ClientSecret {
    ClientSecret::parse(text.to_owned()).unwrap()
}

fn verifier(options: IntrospectionOptions, http: Arc<dyn HttpClient>) -> IntrospectionVerifier {
    let credentials =
        ClientCredentials::client_secret_basic(client_id("0oa1client"), secret("s3cret"));
    IntrospectionVerifier::new(options, credentials, http).unwrap()
}

fn active(extra: &serde_json::Value) -> String {
    let mut body = json!({
        "active": true,
        "scope": "openid orders:read",
        "username": "alice@example.com",
        "exp": NOW + 3600,
        "iat": NOW - 60,
        "sub": "alice@example.com",
        "aud": "api://default",
        "iss": "https://example.okta.com/oauth2/default",
        "jti": "AT.x",
        "token_type": "Bearer",
        "client_id": "0oa1client",
        "uid": "00u1user"
    });
    for (name, value) in extra.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(name);
        } else {
            body[name] = value.clone();
        }
    }
    body.to_string()
}

/// Runs each answer through a fresh verifier built with `options` and snapshots the outcomes.
fn check(options: &IntrospectionOptions, cases: Vec<(&str, Answer)>, expect: &Expect) {
    let mut out = String::new();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for (name, answer) in cases {
        let (_fake, http) = fake(answer);
        let result = runtime.block_on(verifier(options.clone(), http).verify(OPAQUE));
        let line = match result {
            Ok(token) => {
                format!("active, sub={:?}, scope={:?}", token.claims().sub, token.claims().scope)
            }
            Err(err) => format!("{}: {err}", err.kind()),
        };
        writeln!(out, "{name} => {line}").unwrap();
    }
    expect.assert_eq(&out);
}

#[tokio::test]
async fn sc_112_active_token_and_the_request_shape() {
    let (fake, http) = fake(Ok((200, active(&json!({})))));
    let credentials = ClientCredentials::client_secret_basic(client_id("a+b/c"), secret("p:%&+=ü"));
    let verifier = IntrospectionVerifier::new(options(), credentials, http).unwrap();
    let token = verifier.verify("tok+en/0123456789abcdef==").await.unwrap();
    assert_eq!(token.claims().sub.as_deref(), Some("alice@example.com"));
    assert_eq!(token.claims().scope, ["openid", "orders:read"]);

    let requests = fake.requests.lock().unwrap();
    let request = &requests[0];
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), URL);
    assert_eq!(request.headers()[http::header::CONTENT_TYPE], "application/x-www-form-urlencoded");
    // RFC 6749 2.3.1: form-encode the id and the secret, then Basic.
    let authorization = request.headers()[http::header::AUTHORIZATION].to_str().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(authorization.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), "a%2Bb%2Fc:p%3A%25%26%2B%3D%C3%BC");
    let body = String::from_utf8(request.body().clone()).unwrap();
    assert_eq!(body, "token=tok%2Ben%2F0123456789abcdef%3D%3D&token_type_hint=access_token");
    assert!(!body.contains("client_secret"));
}

#[tokio::test]
async fn client_secret_post_puts_the_credentials_in_the_body() {
    let (fake, http) = fake(Ok((200, active(&json!({})))));
    let credentials =
        ClientCredentials::client_secret_post(client_id("0oa1client"), secret("s3cret"));
    let verifier = IntrospectionVerifier::new(options(), credentials, http).unwrap();
    verifier.verify(OPAQUE).await.unwrap();
    let requests = fake.requests.lock().unwrap();
    assert!(!requests[0].headers().contains_key(http::header::AUTHORIZATION));
    assert_eq!(
        String::from_utf8(requests[0].body().clone()).unwrap(),
        format!(
            "token={OPAQUE}&token_type_hint=access_token&client_id=0oa1client&client_secret=s3cret"
        )
    );
}

#[test]
fn sc_113_114_inactive_and_failed_answers_fail_closed() {
    let timeout = TransportError::Timeout { after: Duration::from_secs(10), url: URL.to_owned() };
    let redirect = TransportError::Redirect { status: 302, url: URL.to_owned() };
    check(
        &options(),
        vec![
            (
                "SC-113 inactive with other members",
                Ok((200, r#"{"active":false,"sub":"x","scope":"admin"}"#.to_owned())),
            ),
            ("SC-114 active missing", Ok((200, active(&json!({ "active": null }))))),
            ("SC-114 active \"true\"", Ok((200, active(&json!({ "active": "true" }))))),
            ("SC-114 active 1", Ok((200, active(&json!({ "active": 1 }))))),
            ("SC-114 not JSON", Ok((200, "<html>".to_owned()))),
            ("SC-114 JSON array", Ok((200, "[true]".to_owned()))),
            ("SC-114 duplicate active", Ok((200, r#"{"active":false,"active":true}"#.to_owned()))),
            ("SC-114 401", Ok((401, r#"{"error":"invalid_client"}"#.to_owned()))),
            ("SC-114 500", Ok((500, active(&json!({}))))),
            ("SC-114 timeout", Err(timeout)),
            ("SC-114 redirect", Err(redirect)),
        ],
        &expect![[r#"
            SC-113 inactive with other members => introspection_inactive: token is not active (introspection)
            SC-114 active missing => introspection_failed: introspection failed: `active` is missing
            SC-114 active "true" => introspection_failed: introspection failed: `active` is not a boolean
            SC-114 active 1 => introspection_failed: introspection failed: `active` is not a boolean
            SC-114 not JSON => introspection_failed: introspection failed: the answer is not a JSON object without duplicate members
            SC-114 JSON array => introspection_failed: introspection failed: the answer is not a JSON object without duplicate members
            SC-114 duplicate active => introspection_failed: introspection failed: the answer is not a JSON object without duplicate members
            SC-114 401 => introspection_failed: introspection failed: the endpoint answered status 401
            SC-114 500 => introspection_failed: introspection failed: the endpoint answered status 500
            SC-114 timeout => introspection_failed: introspection failed: the request failed
            SC-114 redirect => introspection_failed: introspection failed: the request failed
        "#]],
    );
}

#[test]
fn sc_115_active_answers_are_still_checked() {
    let mut options = options();
    options.issuer = Some(Issuer::parse("https://example.okta.com/oauth2/default").unwrap());
    options.audiences = vec![Audience::parse("api://default").unwrap()];
    options.client_ids = vec![client_id("0oa1client")];
    options.required_scopes = vec![Scope::parse("orders:read").unwrap()];
    let answer = |patch: serde_json::Value| Ok((200, active(&patch)));
    check(
        &options,
        vec![
            ("valid", answer(json!({}))),
            ("exp past", answer(json!({ "exp": NOW - 121 }))),
            ("exp within leeway", answer(json!({ "exp": NOW - 119 }))),
            ("exp a string", answer(json!({ "exp": "1999999999" }))),
            ("nbf future", answer(json!({ "nbf": NOW + 121 }))),
            ("iss other", answer(json!({ "iss": "https://evil.example" }))),
            ("aud missing", answer(json!({ "aud": null }))),
            ("aud other", answer(json!({ "aud": ["api://other"] }))),
            ("client_id other", answer(json!({ "client_id": "0oa-other" }))),
            ("client_id missing", answer(json!({ "client_id": null }))),
            ("scope lacks orders:read", answer(json!({ "scope": "openid" }))),
            ("scope an array", answer(json!({ "scope": ["orders:read"] }))),
            ("token_type refresh_token", answer(json!({ "token_type": "refresh_token" }))),
        ],
        &expect![[r#"
            valid => active, sub=Some("alice@example.com"), scope=["openid", "orders:read"]
            exp past => expired: token expired at 1699999879 (now 1700000000, leeway 120 s)
            exp within leeway => active, sub=Some("alice@example.com"), scope=["openid", "orders:read"]
            exp a string => invalid_claim_type: claim `exp` has an invalid type or value
            nbf future => not_yet_valid: token not valid before 1700000121 (now 1700000000, leeway 120 s)
            iss other => wrong_issuer: wrong issuer https://evil.example, expected https://example.okta.com/oauth2/default
            aud missing => audience_mismatch: audience mismatch: the token is not meant for this service
            aud other => audience_mismatch: audience mismatch: the token is not meant for this service
            client_id other => client_id_not_allowed: client id 0oa-other is not allowed
            client_id missing => missing_claim: missing claim `client_id`
            scope lacks orders:read => insufficient_scope: insufficient scope: missing orders:read
            scope an array => invalid_claim_type: claim `scope` has an invalid type or value
            token_type refresh_token => wrong_token_kind: wrong token kind: expected an access token, introspection says it is not a bearer access token
        "#]],
    );
}

#[tokio::test]
async fn sc_115_cache_never_outlives_exp_or_the_configured_ttl() {
    let seconds = Arc::new(AtomicI64::new(NOW));
    let source = Arc::clone(&seconds);
    let mut options = options();
    options.clock = Clock::from_fn(move || {
        UNIX_EPOCH + Duration::from_secs(source.load(Ordering::SeqCst).unsigned_abs())
    });
    options.leeway = Duration::ZERO;
    options.max_cache_ttl = Duration::from_mins(1);
    options.token_cache = Some(TokenCacheOptions { capacity: 10 });

    // exp in 30 s: cached until exp, not for the 60 s of the configured TTL.
    let (fake_short, http) = fake(Ok((200, active(&json!({ "exp": NOW + 30 })))));
    let short = verifier(options.clone(), http);
    short.verify(OPAQUE).await.unwrap();
    short.verify(OPAQUE).await.unwrap();
    assert_eq!(fake_short.calls.load(Ordering::SeqCst), 1, "second answer from the cache");
    seconds.store(NOW + 30, Ordering::SeqCst);
    assert_eq!(short.verify(OPAQUE).await.unwrap_err().kind(), "expired");
    assert_eq!(fake_short.calls.load(Ordering::SeqCst), 2, "asked again at exp");

    // exp in an hour: cached for the configured 60 s only.
    seconds.store(NOW, Ordering::SeqCst);
    let (fake_long, http) = fake(Ok((200, active(&json!({ "exp": NOW + 3600 })))));
    let long = verifier(options.clone(), http);
    long.verify(OPAQUE).await.unwrap();
    seconds.store(NOW + 59, Ordering::SeqCst);
    long.verify(OPAQUE).await.unwrap();
    assert_eq!(fake_long.calls.load(Ordering::SeqCst), 1);
    seconds.store(NOW + 60, Ordering::SeqCst);
    long.verify(OPAQUE).await.unwrap();
    assert_eq!(fake_long.calls.load(Ordering::SeqCst), 2);

    // Inactive answers go to the bounded cache of refusals, never to this one.
    let (fake_inactive, http) = fake(Ok((200, r#"{"active":false}"#.to_owned())));
    let mut no_refused_cache = options;
    no_refused_cache.refused_cache = None;
    let inactive = verifier(no_refused_cache, http);
    for _ in 0..3 {
        assert_eq!(inactive.verify(OPAQUE).await.unwrap_err().kind(), "introspection_inactive");
    }
    assert_eq!(fake_inactive.calls.load(Ordering::SeqCst), 3);
}

#[test]
fn construction_is_validated() {
    let (_fake, http) = fake(Ok((200, String::new())));
    let credentials = ClientCredentials::client_secret_basic(client_id("0oa1client"), secret("s"));
    let mut insecure = options();
    insecure.introspect_url = "http://example.okta.com/oauth2/v1/introspect".parse().unwrap();
    let mut wide = options();
    wide.leeway = Duration::from_secs(301);
    let errors: Vec<String> = [
        IntrospectionVerifier::new(insecure, credentials.clone(), Arc::clone(&http)),
        IntrospectionVerifier::new(wide, credentials, http),
    ]
    .into_iter()
    .map(|result| result.unwrap_err().to_string())
    .collect();
    expect![[r#"
        [
            "insecure URL http://example.okta.com/oauth2/v1/introspect: https is required except for loopback hosts",
            "leeway of 301 s is larger than the 300 s allowed",
        ]
    "#]]
    .assert_debug_eq(&errors);
    // A client id is okta-config's validated type: an empty one fails where it is parsed.
    assert_eq!(ClientId::parse("").unwrap_err().to_string(), "the client id is empty");
}

/// A compact JWS with this header and payload and a signature nobody checks: introspection must
/// refuse what is plainly not an access token before it spends a network call on it.
fn jwt(header: &serde_json::Value, payload: &serde_json::Value) -> String {
    let encode = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    format!("{}.{}.c2lnbmF0dXJl", encode(header), encode(payload))
}

#[test]
fn intro_id_token_and_refresh_token_answers_are_refused() {
    // Okta's answers (okta-facts-2 items 24-25): an ID token has no `token_type`; a refresh
    // token says `Bearer` too, but has no `aud`, `iss` or `jti`.
    let refresh = json!({
        "active": true,
        "token_type": "Bearer",
        "scope": "openid offline_access orders:read",
        "client_id": "0oa1client",
        "username": "alice@example.com",
        "exp": NOW + 3600,
        "sub": "alice@example.com",
        "device_id": "guo1device"
    });
    let id_token = active(&json!({
        "token_type": null,
        "scope": null,
        "aud": "0oa1client",
        "jti": "ID.x"
    }));
    let mut any_audience = options();
    any_audience.audiences =
        vec![Audience::parse("api://default").unwrap(), Audience::parse("0oa1client").unwrap()];
    check(
        &any_audience,
        vec![
            ("ID token (no token_type)", Ok((200, id_token))),
            ("refresh token (Bearer, no aud/iss/jti)", Ok((200, refresh.to_string()))),
            ("exp missing", Ok((200, active(&json!({ "exp": null }))))),
            (
                "token_type access_token",
                Ok((200, active(&json!({ "token_type": "access_token" })))),
            ),
            ("valid", Ok((200, active(&json!({}))))),
        ],
        &expect![[r#"
            ID token (no token_type) => wrong_token_kind: wrong token kind: expected an access token, introspection gives no token_type (an ID token)
            refresh token (Bearer, no aud/iss/jti) => wrong_token_kind: wrong token kind: expected an access token, introspection describes a refresh token (no aud, iss or jti)
            exp missing => missing_claim: missing claim `exp`
            token_type access_token => wrong_token_kind: wrong token kind: expected an access token, introspection says it is not a bearer access token
            valid => active, sub=Some("alice@example.com"), scope=["openid", "orders:read"]
        "#]],
    );
}

#[tokio::test]
async fn intro_jwts_that_cannot_be_access_tokens_never_reach_the_network() {
    let header = json!({ "alg": "RS256", "kid": "k1" });
    let access = json!({
        "ver": 1, "jti": "AT.x", "iss": "https://example.okta.com/oauth2/default",
        "aud": "api://default", "iat": NOW - 60, "exp": NOW + 3600, "cid": "0oa1client",
        "uid": "00u1user", "scp": ["orders:read"], "sub": "alice@example.com"
    });
    let patched = |patch: serde_json::Value| {
        let mut payload = access.clone();
        for (name, value) in patch.as_object().unwrap() {
            if value.is_null() {
                payload.as_object_mut().unwrap().remove(name);
            } else {
                payload[name] = value.clone();
            }
        }
        jwt(&header, &payload)
    };
    let mut options = options();
    options.issuer = Some(Issuer::parse("https://example.okta.com/oauth2/default").unwrap());
    let cases = [
        ("ID token (nonce)", patched(json!({ "nonce": "n", "cid": null, "scp": null }))),
        ("ID token (at_hash)", patched(json!({ "at_hash": "h" }))),
        ("neither cid nor scp", patched(json!({ "cid": null, "scp": null }))),
        ("another issuer", patched(json!({ "iss": "https://evil.example" }))),
        ("expired", patched(json!({ "exp": NOW - 121 }))),
        ("alg none", jwt(&json!({ "alg": "none" }), &access)),
        (
            "payload not JSON",
            format!("{}.bm90LWpzb24.c2ln", jwt(&header, &access).split('.').next().unwrap()),
        ),
        ("JWE", "a.b.c.d.e".to_owned()),
    ];
    let mut out = String::new();
    for (name, token) in cases {
        let (fake, http) = fake(Ok((200, active(&json!({})))));
        let err = verifier(options.clone(), http).verify(&token).await.unwrap_err();
        writeln!(
            out,
            "{name} => {}: {err} ({} calls)",
            err.kind(),
            fake.calls.load(Ordering::SeqCst)
        )
        .unwrap();
    }
    expect![[r#"
        ID token (nonce) => wrong_token_kind: wrong token kind: expected an access token, it carries ID-token claims (nonce, at_hash, c_hash) (0 calls)
        ID token (at_hash) => wrong_token_kind: wrong token kind: expected an access token, it carries ID-token claims (nonce, at_hash, c_hash) (0 calls)
        neither cid nor scp => wrong_token_kind: wrong token kind: expected an access token, it has neither cid nor scp (0 calls)
        another issuer => wrong_issuer: wrong issuer https://evil.example, expected https://example.okta.com/oauth2/default (0 calls)
        expired => expired: token expired at 1699999879 (now 1700000000, leeway 120 s) (0 calls)
        alg none => algorithm_not_allowed: algorithm none is not allowed (0 calls)
        payload not JSON => malformed: malformed token: payload is not a JSON object without duplicate members (0 calls)
        JWE => jwe_unsupported: encrypted tokens (JWE) are not supported (0 calls)
    "#]]
    .assert_eq(&out);

    // An access token's shape passes the screen: only introspection can say it is active.
    let (fake, http) = fake(Ok((200, active(&json!({})))));
    verifier(options, http).verify(&jwt(&header, &access)).await.unwrap();
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn intro_an_audience_is_required() {
    let (fake, http) = fake(Ok((200, active(&json!({})))));
    let credentials = ClientCredentials::client_secret_basic(client_id("0oa1client"), secret("s"));
    let mut options = options();
    options.audiences.clear();
    let err = IntrospectionVerifier::new(options, credentials, http).unwrap_err();
    assert_eq!(err.to_string(), "at least one audience is required");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 0);
}

/// A fake endpoint that answers `body` only once the test opens `gate`, counting requests.
fn gated(body: String) -> (Arc<AtomicUsize>, Arc<tokio::sync::Semaphore>, Arc<dyn HttpClient>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (counter, wait) = (Arc::clone(&calls), Arc::clone(&gate));
    let client = move |_request: http::Request<Vec<u8>>| {
        counter.fetch_add(1, Ordering::SeqCst);
        let (wait, body) = (Arc::clone(&wait), body.clone());
        async move {
            let _permit = wait.acquire().await.unwrap();
            Ok(http::Response::builder().status(200).body(body.into_bytes()).unwrap())
        }
    };
    (calls, gate, Arc::new(client))
}

/// Yields (a bounded number of times) until `done` holds: tasks on a current-thread runtime run
/// to their next await point, so no sleep is needed.
async fn settle(done: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the tasks did not settle");
}

#[tokio::test]
async fn intro_what_cannot_be_a_token_never_reaches_the_network() {
    let cases = [
        ("a space", "tok en+/=0123456789abcdef"),
        ("a quote", "abc\"def0123456789abcdef"),
        ("padding inside", "abc=def0123456789abcdef"),
        ("non-ASCII", "t\u{f6}ken0123456789abcdef"),
        ("too short", "abc123"),
        ("only padding", "=================="),
    ];
    let mut out = String::new();
    for (name, token) in cases {
        let (fake, http) = fake(Ok((200, active(&json!({})))));
        let err = verifier(options(), http).verify(token).await.unwrap_err();
        let calls = fake.calls.load(Ordering::SeqCst);
        writeln!(out, "{name} => {}: {err} ({calls} calls)", err.kind()).unwrap();
    }
    expect![[r#"
        a space => malformed: malformed token: not a bearer token (RFC 6750 characters) (0 calls)
        a quote => malformed: malformed token: not a bearer token (RFC 6750 characters) (0 calls)
        padding inside => malformed: malformed token: not a bearer token (RFC 6750 characters) (0 calls)
        non-ASCII => malformed: malformed token: not a bearer token (RFC 6750 characters) (0 calls)
        too short => malformed: malformed token: too short to be a token (0 calls)
        only padding => malformed: malformed token: not a bearer token (RFC 6750 characters) (0 calls)
    "#]]
    .assert_eq(&out);
}

#[tokio::test]
async fn intro_refused_answers_are_remembered_within_bounds() {
    let seconds = Arc::new(AtomicI64::new(NOW));
    let source = Arc::clone(&seconds);
    let mut options = options();
    options.clock = Clock::from_fn(move || {
        UNIX_EPOCH + Duration::from_secs(source.load(Ordering::SeqCst).unsigned_abs())
    });
    options.refused_cache = Some(TokenCacheOptions { capacity: 2 });
    options.refused_cache_ttl = Duration::from_mins(5);

    // 300 requests with one inactive token: one call.
    let (fake_inactive, http) = fake(Ok((200, r#"{"active":false}"#.to_owned())));
    let inactive = verifier(options.clone(), http);
    for _ in 0..300 {
        assert_eq!(inactive.verify(OPAQUE).await.unwrap_err().kind(), "introspection_inactive");
    }
    assert_eq!(fake_inactive.calls.load(Ordering::SeqCst), 1);
    // ... until the TTL has passed.
    seconds.store(NOW + 300, Ordering::SeqCst);
    inactive.verify(OPAQUE).await.unwrap_err();
    assert_eq!(fake_inactive.calls.load(Ordering::SeqCst), 2);

    // A refused check is remembered too, with its reason.
    seconds.store(NOW, Ordering::SeqCst);
    let (fake_scope, http) = fake(Ok((200, active(&json!({ "token_type": null })))));
    let wrong_kind = verifier(options.clone(), http);
    for _ in 0..3 {
        assert_eq!(wrong_kind.verify(OPAQUE).await.unwrap_err().kind(), "wrong_token_kind");
    }
    assert_eq!(fake_scope.calls.load(Ordering::SeqCst), 1);

    // Bounded: with room for two, 500 different refused tokens still each cost a call, and
    // the cache never grows past its capacity.
    let (fake_many, http) = fake(Ok((200, r#"{"active":false}"#.to_owned())));
    let many = verifier(options.clone(), http);
    for index in 0..500 {
        many.verify(&format!("{OPAQUE}{index}")).await.unwrap_err();
    }
    assert_eq!(fake_many.calls.load(Ordering::SeqCst), 500);
    assert!(many.refused_len() <= 2, "{} entries", many.refused_len());

    // A failed call says nothing about the token: never remembered.
    let timeout = TransportError::Timeout { after: Duration::from_secs(10), url: URL.to_owned() };
    let (fake_down, http) = fake(Err(timeout));
    let down = verifier(options, http);
    for _ in 0..3 {
        assert_eq!(down.verify(OPAQUE).await.unwrap_err().kind(), "introspection_failed");
    }
    assert_eq!(fake_down.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn intro_concurrent_requests_for_one_token_share_one_call() {
    let (calls, gate, http) = gated(active(&json!({})));
    let verifier = verifier(options(), http);
    let entered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (verifier, entered) = (verifier.clone(), Arc::clone(&entered));
        tasks.push(tokio::spawn(async move {
            entered.fetch_add(1, Ordering::SeqCst);
            verifier.verify(OPAQUE).await
        }));
    }
    settle(|| entered.load(Ordering::SeqCst) == 50).await;
    gate.add_permits(100);
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one call for 50 concurrent requests");
}

#[tokio::test]
async fn intro_the_cap_on_concurrent_calls_answers_busy_at_once() {
    let (calls, gate, http) = gated(active(&json!({})));
    let mut options = options();
    options.max_concurrent_calls = 2;
    let verifier = verifier(options, http);
    let mut tasks = Vec::new();
    for index in 0..2 {
        let verifier = verifier.clone();
        tasks.push(tokio::spawn(async move { verifier.verify(&format!("{OPAQUE}{index}")).await }));
    }
    settle(|| calls.load(Ordering::SeqCst) == 2).await;
    // The third distinct token finds both slots taken: refused at its first poll, not queued.
    let third = format!("{OPAQUE}third");
    let err = tokio::select! {
        biased;
        result = verifier.verify(&third) => result.unwrap_err(),
        () = std::future::ready(()) => panic!("the third call was queued, not refused"),
    };
    assert_eq!(err.kind(), "introspection_busy");
    assert!(err.is_unavailable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    gate.add_permits(100);
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // A busy refusal is not remembered: once a slot is free the token is asked about.
    verifier.verify(&format!("{OPAQUE}third")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn intro_token_status_is_the_explicit_mode_for_any_kind_of_token() {
    // A client asking about its own tokens (okta-flow's `introspect`): no audience required,
    // ID and refresh tokens answered; inactive is still a refusal.
    let mut options = options();
    options.audiences.clear();
    options.purpose = crate::IntrospectionPurpose::TokenStatus;
    let refresh = json!({
        "active": true, "token_type": "Bearer", "scope": "offline_access",
        "client_id": "0oa1client", "exp": NOW + 3600, "sub": "alice@example.com"
    });
    let id_token = active(&json!({ "token_type": null, "aud": "0oa1client" }));
    for body in [refresh.to_string(), id_token, r#"{"active":false}"#.to_owned()] {
        let inactive = body.contains("false");
        let (_fake, http) = fake(Ok((200, body)));
        let result = verifier(options.clone(), http).verify(OPAQUE).await;
        assert_eq!(result.is_err(), inactive, "{result:?}");
    }
    let header = json!({ "alg": "RS256", "kid": "k1" });
    let id_jwt = jwt(&header, &json!({ "nonce": "n", "aud": "0oa1client", "exp": NOW + 60 }));
    let (fake_jwt, http) = fake(Ok((200, active(&json!({ "token_type": null })))));
    verifier(options.clone(), http).verify(&id_jwt).await.unwrap();
    assert_eq!(fake_jwt.calls.load(Ordering::SeqCst), 1, "asked, not screened out");
    // The default purpose is the resource server's.
    assert_eq!(
        IntrospectionOptions::new(URL.parse().unwrap()).purpose,
        crate::IntrospectionPurpose::ResourceServer
    );
}
