//! JWKS: key selection, fetching, refetch limits and refresh (SC-006, SC-007, SC-017 to SC-019,
//! SC-092 to SC-100), with an HTTP closure that counts fetches and a clock the test moves.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use expect_test::expect;
use okta_http::{HttpClient, TransportError};
use okta_verify::{
    AccessTokenVerifier, Clock, ConfigError, JwksCache, JwksCacheOptions, JwksError,
};
use serde_json::{Value, json};

use crate::support::{
    Key, NOW, access_claims, access_options, b64, jwks_json, jwks_of, token, token_with_header,
    verify_access,
};

const KEYS_URL: &str = "https://example.okta.com/oauth2/default/v1/keys";

/// A fake `/keys` endpoint whose answer the test changes, counting requests.
#[derive(Clone)]
struct FakeKeys {
    answer: Arc<Mutex<Answer>>,
    calls: Arc<AtomicUsize>,
}

#[derive(Clone)]
enum Answer {
    Json { status: u16, body: String, cache_control: Option<String> },
    Fail(TransportError),
}

impl FakeKeys {
    fn new(body: String) -> Self {
        Self {
            answer: Arc::new(Mutex::new(Answer::Json { status: 200, body, cache_control: None })),
            calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn serve(&self, body: String) {
        self.set(Answer::Json { status: 200, body, cache_control: None });
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn client(&self) -> Arc<dyn HttpClient> {
        let fake = self.clone();
        Arc::new(move |_request: http::Request<Vec<u8>>| {
            fake.calls.fetch_add(1, Ordering::SeqCst);
            let answer = fake.answer.lock().unwrap().clone();
            async move {
                match answer {
                    Answer::Json { status, body, cache_control } => {
                        let mut response = http::Response::builder().status(status);
                        if let Some(value) = cache_control {
                            response = response.header(http::header::CACHE_CONTROL, value);
                        }
                        Ok(response.body(body.into_bytes()).unwrap())
                    }
                    Answer::Fail(err) => Err(err),
                }
            }
        })
    }
}

/// A clock the test moves, starting at `NOW`.
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn new() -> Self {
        Self(Arc::new(AtomicI64::new(NOW)))
    }

    fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    fn clock(&self) -> Clock {
        let seconds = Arc::clone(&self.0);
        Clock::from_fn(move || {
            UNIX_EPOCH + Duration::from_secs(seconds.load(Ordering::SeqCst).unsigned_abs())
        })
    }
}

fn remote(fake: &FakeKeys, clock: &TestClock) -> JwksCache {
    JwksCache::remote(
        KEYS_URL.parse().unwrap(),
        fake.client(),
        JwksCacheOptions::default(),
        clock.clock(),
    )
    .unwrap()
}

fn verifier(keys: JwksCache, clock: &TestClock) -> AccessTokenVerifier {
    let mut options = access_options();
    options.clock = clock.clock();
    AccessTokenVerifier::new(options, keys).unwrap()
}

/// A token valid at the clock's current time, signed by `key`.
fn fresh_token(key: Key, clock: &TestClock) -> String {
    let now = clock.now();
    let mut claims = access_claims();
    claims["iat"] = json!(now - 10);
    claims["exp"] = json!(now + 3600);
    token(key, &claims)
}

/// A token with this `kid` and a garbage signature: key lookup comes before the signature check.
fn unsigned_with_kid(kid: &str) -> String {
    let header = json!({ "alg": "RS256", "kid": kid }).to_string();
    format!(
        "{}.{}.{}",
        b64(header.as_bytes()),
        b64(access_claims().to_string().as_bytes()),
        b64(&[1; 256])
    )
}

fn without_kid(mut jwk: Value) -> Value {
    jwk.as_object_mut().unwrap().remove("kid");
    jwk
}

fn with_kid(mut jwk: Value, kid: &str) -> Value {
    jwk["kid"] = json!(kid);
    jwk
}

#[tokio::test]
async fn sc_006_single_key_without_kid() {
    let keys =
        JwksCache::from_json(jwks_of([without_kid(Key::RsaA.public_jwk())]).as_bytes()).unwrap();
    let verifier = AccessTokenVerifier::new(access_options(), keys).unwrap();
    let token = token_with_header(&json!({ "alg": "RS256" }), &access_claims());
    expect!["ok: sub=alice@example.com"].assert_eq(&verify_access(&verifier, &token).await);
}

#[tokio::test]
async fn sc_007_several_keys_without_kid_are_ambiguous() {
    let okp = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&[9; 32]) });
    let secp256k1 =
        json!({ "kty": "EC", "crv": "secp256k1", "x": b64(&[1; 32]), "y": b64(&[2; 32]) });
    let mut members = vec![
        without_kid(Key::RsaA.public_jwk()),
        without_kid(Key::RsaB.public_jwk()),
        without_kid(Key::Attacker.public_jwk()),
    ];
    members.extend(std::iter::repeat_n(without_kid(Key::Ec.public_jwk()), 3));
    members.extend(std::iter::repeat_n(secp256k1, 3));
    members.extend(std::iter::repeat_n(okp, 3));
    assert_eq!(members.len(), 12);
    let keys = JwksCache::from_json(jwks_of(members).as_bytes()).unwrap();
    let verifier = AccessTokenVerifier::new(access_options(), keys).unwrap();
    let token = token_with_header(&json!({ "alg": "RS256" }), &access_claims());
    expect![[
        r"ambiguous_key: ambiguous key: the key set has several candidate keys for kid (none)"
    ]]
    .assert_eq(&verify_access(&verifier, &token).await);
}

#[tokio::test]
async fn sc_017_018_rotation_causes_one_refetch() {
    let fake = FakeKeys::new(jwks_of([Key::RsaA.public_jwk()]));
    let clock = TestClock::new();
    let verifier = verifier(remote(&fake, &clock), &clock);
    // First flow: key-a signs.
    assert!(verifier.verify(&fresh_token(Key::RsaA, &clock)).await.is_ok());
    assert_eq!(fake.calls(), 1);
    // Okta rotates to key-b just before signing the next token, seconds after the first load:
    // the load does not start the refetch cooldown, so the new key is picked up at once.
    fake.serve(jwks_of([Key::RsaB.public_jwk()]));
    clock.advance(2);
    assert!(verifier.verify(&fresh_token(Key::RsaB, &clock)).await.is_ok());
    assert_eq!(fake.calls(), 2, "exactly one extra fetch");
    // A second rotation within the cooldown of that refetch waits for the cooldown.
    fake.serve(jwks_of([Key::RsaA.public_jwk()]));
    clock.advance(2);
    let outcome = verify_access(&verifier, &fresh_token(Key::RsaA, &clock)).await;
    expect![[r#"key_not_found: no key found for kid "key-a""#]].assert_eq(&outcome);
    assert_eq!(fake.calls(), 2, "no fetch within the cooldown of the last refetch");
    fake.serve(jwks_of([Key::RsaB.public_jwk()]));
    // SC-099: key-a was removed by the rotation: its tokens are now refused.
    clock.advance(60);
    let outcome = verify_access(&verifier, &fresh_token(Key::RsaA, &clock)).await;
    expect![[r#"key_not_found: no key found for kid "key-a""#]].assert_eq(&outcome);
}

#[tokio::test]
async fn sc_019_unparseable_keys_are_ignored() {
    let jwks = jwks_of([
        json!({ "kty": "AKP", "kid": "akp", "alg": "ML-DSA-44", "pub": "bogus" }),
        json!({ "kty": "made-up", "kid": "odd", "x": 1 }),
        Key::RsaA.public_jwk(),
    ]);
    let keys = JwksCache::from_json(jwks.as_bytes()).unwrap();
    assert_eq!(keys.kids(), [Some("key-a".to_owned())]);
    let verifier = AccessTokenVerifier::new(access_options(), keys).unwrap();
    expect!["ok: sub=alice@example.com"]
        .assert_eq(&verify_access(&verifier, &token(Key::RsaA, &access_claims())).await);
}

#[tokio::test]
async fn sc_092_known_kid_is_fetched_once_and_cache_control_is_clamped() {
    let fake = FakeKeys::new(String::new());
    fake.set(Answer::Json {
        status: 200,
        body: jwks_json(),
        cache_control: Some("max-age=3832304, must-revalidate".to_owned()),
    });
    let clock = TestClock::new();
    // The lifetime alone decides here: the refresh interval (5 minutes by default) is set past
    // the longest lifetime; its own bound is tested in a_removed_key_stops_being_trusted_....
    let mut options = JwksCacheOptions::default();
    options.refresh_interval = Duration::from_hours(24);
    let keys = JwksCache::remote(KEYS_URL.parse().unwrap(), fake.client(), options, clock.clock())
        .unwrap();
    let verifier = verifier(keys.clone(), &clock);
    let token = fresh_token(Key::RsaA, &clock);
    for _ in 0..1000 {
        verifier.verify(&token).await.unwrap();
    }
    assert_eq!(fake.calls(), 1);
    // max-age is clamped to the 24 h maximum: refresh starts after four fifths of it.
    clock.advance(19 * 3600);
    verifier.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(fake.calls(), 1, "not yet due");
    clock.advance(3600);
    verifier.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    wait_for(|| fake.calls() == 2).await;

    // no-cache means the 5 minute minimum.
    fake.set(Answer::Json {
        status: 200,
        body: jwks_json(),
        cache_control: Some("no-cache".to_owned()),
    });
    clock.advance(20 * 3600);
    keys.refresh().await.unwrap();
    let calls = fake.calls();
    clock.advance(239);
    verifier.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(fake.calls(), calls, "refresh due after 240 s (4/5 of 300 s)");
    clock.advance(2);
    verifier.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    wait_for(|| fake.calls() == calls + 1).await;
}

/// Waits (bounded) for a background refresh to be observed.
async fn wait_for(condition: impl Fn() -> bool) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not reached within one second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sc_093_random_unknown_kids_cannot_hammer_okta() {
    let fake = FakeKeys::new(jwks_json());
    let clock = TestClock::new();
    let keys = remote(&fake, &clock);
    keys.refresh().await.unwrap();
    let verifier = verifier(keys, &clock);
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..100)
        .map(|task| {
            let verifier = verifier.clone();
            tokio::spawn(async move {
                let mut kinds = Vec::new();
                for index in 0..100 {
                    let token = unsigned_with_kid(&format!("random-{task}-{index}"));
                    kinds.push(verifier.verify(&token).await.unwrap_err().kind());
                }
                kinds
            })
        })
        .collect();
    for task in tasks {
        let kinds = task.await.unwrap();
        assert!(kinds.iter().all(|kind| *kind == "key_not_found"), "{kinds:?}");
    }
    assert_eq!(
        fake.calls(),
        2,
        "the load, then 10,000 unknown kids cause one refetch per cooldown"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    // Valid cached keys were not evicted.
    assert!(verifier.verify(&fresh_token(Key::RsaA, &clock)).await.is_ok());
    // After the cooldown one more fetch is allowed, and only one.
    clock.advance(31);
    for index in 0..100 {
        let _ = verifier.verify(&unsigned_with_kid(&format!("later-{index}"))).await;
    }
    assert_eq!(fake.calls(), 3);
}

#[tokio::test]
async fn sc_094_failed_refresh_keeps_the_last_good_keys() {
    let fake = FakeKeys::new(jwks_json());
    let clock = TestClock::new();
    let keys = remote(&fake, &clock);
    let verifier = verifier(keys.clone(), &clock);
    keys.refresh().await.unwrap();
    let mut out = String::new();
    for failure in [
        Answer::Json { status: 503, body: "unavailable".to_owned(), cache_control: None },
        Answer::Fail(TransportError::Timeout {
            after: Duration::from_secs(10),
            url: KEYS_URL.to_owned(),
        }),
        Answer::Fail(TransportError::other("TLS handshake failed")),
    ] {
        fake.set(failure);
        clock.advance(3600);
        let refresh = keys.refresh().await.map_err(|err| err.to_string());
        let known = verify_access(&verifier, &fresh_token(Key::RsaA, &clock)).await;
        clock.advance(31);
        let unknown = verify_access(&verifier, &unsigned_with_kid("rotated")).await;
        writeln!(out, "{refresh:?} | known: {known} | unknown: {unknown}").unwrap();
    }
    expect![[r#"
        Err("the key set endpoint answered status 503") | known: ok: sub=alice@example.com | unknown: key_not_found: no key found for kid "rotated"
        Err("fetching the key set failed") | known: ok: sub=alice@example.com | unknown: key_not_found: no key found for kid "rotated"
        Err("fetching the key set failed") | known: ok: sub=alice@example.com | unknown: key_not_found: no key found for kid "rotated"
    "#]]
    .assert_eq(&out);
}

#[tokio::test]
async fn sc_094_no_keys_yet_is_jwks_unavailable() {
    let fake = FakeKeys::new(String::new());
    fake.set(Answer::Fail(TransportError::other("connection refused")));
    let clock = TestClock::new();
    let verifier = verifier(remote(&fake, &clock), &clock);
    let first = verify_access(&verifier, &fresh_token(Key::RsaA, &clock)).await;
    let second = verify_access(&verifier, &fresh_token(Key::RsaA, &clock)).await;
    expect![[r#"
        jwks_unavailable: signing keys unavailable: fetching the key set failed: HTTP request failed: connection refused
        jwks_unavailable: signing keys unavailable: fetching the key set failed: HTTP request failed: connection refused"#]]
    .assert_eq(&format!("{first}\n{second}"));
    assert_eq!(fake.calls(), 1, "the second call is inside the cooldown");
    // Once Okta answers again (after the cooldown) the keys load.
    fake.serve(jwks_json());
    clock.advance(31);
    assert!(verifier.verify(&fresh_token(Key::RsaA, &clock)).await.is_ok());
}

#[tokio::test]
async fn sc_095_bad_key_set_answers() {
    let many_keys = jwks_of(std::iter::repeat_n(Key::RsaA.public_jwk(), 10_000));
    let cases: Vec<(&str, Answer)> = vec![
        (
            "redirect",
            Answer::Fail(TransportError::Redirect { status: 302, url: KEYS_URL.to_owned() }),
        ),
        ("404", Answer::Json { status: 404, body: "{}".to_owned(), cache_control: None }),
        (
            "HTML",
            Answer::Json { status: 200, body: "<html></html>".to_owned(), cache_control: None },
        ),
        ("keys missing", Answer::Json { status: 200, body: "{}".to_owned(), cache_control: None }),
        (
            "keys not an array",
            Answer::Json { status: 200, body: r#"{"keys":{}}"#.to_owned(), cache_control: None },
        ),
        (
            "duplicate member",
            Answer::Json {
                status: 200,
                body: r#"{"keys":[],"keys":[]}"#.to_owned(),
                cache_control: None,
            },
        ),
        (
            "over the size cap",
            Answer::Fail(TransportError::TooLarge { limit: 1 << 20, url: KEYS_URL.to_owned() }),
        ),
        ("10,000 keys", Answer::Json { status: 200, body: many_keys, cache_control: None }),
    ];
    let mut out = String::new();
    for (name, answer) in cases {
        let fake = FakeKeys::new(String::new());
        fake.set(answer);
        let clock = TestClock::new();
        let keys = remote(&fake, &clock);
        let refresh = keys.refresh().await.unwrap_err();
        let source =
            std::error::Error::source(&refresh).map(ToString::to_string).unwrap_or_default();
        let verified =
            verify_access(&verifier(keys, &clock), &fresh_token(Key::RsaA, &clock)).await;
        writeln!(out, "{name} => {refresh} [{source}] | {verified}").unwrap();
    }
    expect![[r#"
        redirect => fetching the key set failed [unexpected redirect (status 302) from https://example.okta.com/oauth2/default/v1/keys] | jwks_unavailable: signing keys unavailable: fetching the key set failed: unexpected redirect (status 302) from https://example.okta.com/oauth2/default/v1/keys
        404 => the key set endpoint answered status 404 [] | jwks_unavailable: signing keys unavailable: the key set endpoint answered status 404
        HTML => the key set is not a JSON object without duplicate members [] | jwks_unavailable: signing keys unavailable: the key set is not a JSON object without duplicate members
        keys missing => the key set has no `keys` array [] | jwks_unavailable: signing keys unavailable: the key set has no `keys` array
        keys not an array => the key set has no `keys` array [] | jwks_unavailable: signing keys unavailable: the key set has no `keys` array
        duplicate member => the key set is not a JSON object without duplicate members [] | jwks_unavailable: signing keys unavailable: the key set is not a JSON object without duplicate members
        over the size cap => fetching the key set failed [response from https://example.okta.com/oauth2/default/v1/keys larger than 1048576 bytes] | jwks_unavailable: signing keys unavailable: fetching the key set failed: response from https://example.okta.com/oauth2/default/v1/keys larger than 1048576 bytes
        10,000 keys => the key set lists 10000 keys, more than the 100 allowed [] | jwks_unavailable: signing keys unavailable: the key set lists 10000 keys, more than the 100 allowed
    "#]]
    .assert_eq(&out);
}

#[tokio::test]
async fn sc_096_only_rsa_signature_keys_are_used() {
    let good = with_kid(Key::RsaA.public_jwk(), "k");
    let mut enc = good.clone();
    enc["use"] = json!("enc");
    let mut encrypt_only = without_kid(good.clone());
    encrypt_only["kid"] = json!("k");
    encrypt_only.as_object_mut().unwrap().remove("use");
    encrypt_only["key_ops"] = json!(["encrypt"]);
    let oct = json!({ "kty": "oct", "kid": "k", "k": b64(b"secret") });
    let ec = with_kid(Key::Ec.public_jwk(), "k");
    let okp = json!({ "kty": "OKP", "kid": "k", "crv": "Ed25519", "x": b64(&[9; 32]) });
    let mut private = good.clone();
    private["d"] = json!(b64(&[7; 256]));
    let token = token_with_header(&json!({ "alg": "RS256", "kid": "k" }), &access_claims());

    let only_unusable = jwks_of([
        enc.clone(),
        encrypt_only.clone(),
        oct.clone(),
        ec.clone(),
        okp.clone(),
        private.clone(),
    ]);
    let keys = JwksCache::from_json(only_unusable.as_bytes()).unwrap();
    let refused =
        verify_access(&AccessTokenVerifier::new(access_options(), keys).unwrap(), &token).await;

    let with_good = jwks_of([enc, encrypt_only, oct, ec, okp, private, good]);
    let keys = JwksCache::from_json(with_good.as_bytes()).unwrap();
    let accepted =
        verify_access(&AccessTokenVerifier::new(access_options(), keys).unwrap(), &token).await;
    expect![[r#"
        key_unusable: key "k" is unusable: the key is not for signatures (`use`)
        ok: sub=alice@example.com"#]]
    .assert_eq(&format!("{refused}\n{accepted}"));
}

#[tokio::test]
async fn sc_097_key_alg_must_match_the_token() {
    let mut jwk = Key::RsaA.public_jwk();
    jwk["alg"] = json!("RS512");
    let keys = JwksCache::from_json(jwks_of([jwk]).as_bytes()).unwrap();
    let verifier = AccessTokenVerifier::new(access_options(), keys).unwrap();
    expect![[r#"key_unusable: key "key-a" is unusable: the key's `alg` differs from the token's"#]]
        .assert_eq(&verify_access(&verifier, &token(Key::RsaA, &access_claims())).await);
}

#[tokio::test]
async fn sc_098_two_keys_sharing_a_kid_are_ambiguous() {
    let token = token(Key::RsaA, &access_claims());
    let different = jwks_of([Key::RsaA.public_jwk(), with_kid(Key::RsaB.public_jwk(), "key-a")]);
    let keys = JwksCache::from_json(different.as_bytes()).unwrap();
    let ambiguous =
        verify_access(&AccessTokenVerifier::new(access_options(), keys).unwrap(), &token).await;
    // The same key listed twice is not ambiguous.
    let identical = jwks_of([Key::RsaA.public_jwk(), Key::RsaA.public_jwk()]);
    let keys = JwksCache::from_json(identical.as_bytes()).unwrap();
    let accepted =
        verify_access(&AccessTokenVerifier::new(access_options(), keys).unwrap(), &token).await;
    expect![[r#"
        ambiguous_key: ambiguous key: the key set has several candidate keys for kid "key-a"
        ok: sub=alice@example.com"#]]
    .assert_eq(&format!("{ambiguous}\n{accepted}"));
}

#[test]
fn sc_100_jwks_uri_must_be_https_except_loopback() {
    let fake = FakeKeys::new(String::new());
    let mut out = String::new();
    for uri in [
        "file:///etc/passwd",
        "gopher://example.okta.com/keys",
        "http://example.okta.com/oauth2/default/v1/keys",
        "ftp://example.okta.com/keys",
        "https://example.okta.com/oauth2/default/v1/keys",
        "http://127.0.0.1:8080/oauth2/default/v1/keys",
        "http://[::1]:8080/keys",
        "http://localhost:8080/keys",
    ] {
        let result = JwksCache::remote(
            uri.parse().unwrap(),
            fake.client(),
            JwksCacheOptions::default(),
            Clock::system(),
        );
        let shown = match result {
            Ok(_) => "ok".to_owned(),
            Err(ConfigError::InsecureUrl { url }) => format!("insecure ({url})"),
            Err(err) => err.to_string(),
        };
        writeln!(out, "{uri} => {shown}").unwrap();
    }
    expect![[r"
        file:///etc/passwd => insecure (file:///etc/passwd)
        gopher://example.okta.com/keys => insecure (gopher://example.okta.com/keys)
        http://example.okta.com/oauth2/default/v1/keys => insecure (http://example.okta.com/oauth2/default/v1/keys)
        ftp://example.okta.com/keys => insecure (ftp://example.okta.com/keys)
        https://example.okta.com/oauth2/default/v1/keys => ok
        http://127.0.0.1:8080/oauth2/default/v1/keys => ok
        http://[::1]:8080/keys => ok
        http://localhost:8080/keys => ok
    "]]
    .assert_eq(&out);
    // The key set of an issuer never leaves the issuer's origin.
    let mut out = String::new();
    for issuer in [
        "https://example.okta.com/oauth2/default",
        "https://example.okta.com",
        "http://127.0.0.1:9000/oauth2/aus1",
    ] {
        let keys = JwksCache::for_issuer(
            &crate::support::issuer(issuer),
            fake.client(),
            JwksCacheOptions::default(),
            Clock::system(),
        )
        .unwrap();
        writeln!(out, "{issuer} => {}", keys.jwks_uri().unwrap()).unwrap();
    }
    expect![[r"
        https://example.okta.com/oauth2/default => https://example.okta.com/oauth2/default/v1/keys
        https://example.okta.com => https://example.okta.com/oauth2/v1/keys
        http://127.0.0.1:9000/oauth2/aus1 => http://127.0.0.1:9000/oauth2/aus1/v1/keys
    "]]
    .assert_eq(&out);
    assert!(okta_http::same_origin(
        &"https://example.okta.com/oauth2/default".parse().unwrap(),
        &"https://example.okta.com/oauth2/v1/keys".parse().unwrap()
    ));
    assert!(!okta_http::same_origin(
        &"https://example.okta.com/oauth2/default".parse().unwrap(),
        &"https://10.0.0.1/oauth2/v1/keys".parse().unwrap()
    ));
}

#[tokio::test]
async fn background_refresh_never_blocks_known_keys() {
    let release = Arc::new(tokio::sync::Notify::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(Mutex::new(jwks_of([Key::RsaA.public_jwk()])));
    let client = {
        let (release, calls, body) = (Arc::clone(&release), Arc::clone(&calls), Arc::clone(&body));
        move |_request: http::Request<Vec<u8>>| {
            let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
            let (release, body) = (Arc::clone(&release), body.lock().unwrap().clone());
            async move {
                if !first {
                    release.notified().await;
                }
                Ok(http::Response::builder().status(200).body(body.into_bytes()).unwrap())
            }
        }
    };
    let clock = TestClock::new();
    let keys = JwksCache::remote(
        KEYS_URL.parse().unwrap(),
        Arc::new(client),
        JwksCacheOptions::default(),
        clock.clock(),
    )
    .unwrap();
    let verifier = verifier(keys.clone(), &clock);
    keys.refresh().await.unwrap();
    *body.lock().unwrap() = jwks_of([Key::RsaA.public_jwk(), Key::RsaB.public_jwk()]);
    clock.advance(3600);
    // The refresh is due and hangs on the fake server; verifications of known keys go on.
    for _ in 0..50 {
        verifier.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    }
    wait_for(|| calls.load(Ordering::SeqCst) == 2).await;
    assert_eq!(keys.kids().len(), 1, "the refresh is still in flight");
    release.notify_one();
    wait_for(|| keys.kids().len() == 2).await;
    assert!(verifier.verify(&fresh_token(Key::RsaB, &clock)).await.is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn fixed_key_set_errors() {
    let errors: Vec<String> = [&b"[]"[..], b"{\"keys\":3}", b"not json"]
        .iter()
        .map(|json| JwksCache::from_json(json).unwrap_err().to_string())
        .collect();
    expect![[r#"
        [
            "the key set is not a JSON object without duplicate members",
            "the key set has no `keys` array",
            "the key set is not a JSON object without duplicate members",
        ]
    "#]]
    .assert_debug_eq(&errors);
    assert!(matches!(JwksCache::from_json(b"{}"), Err(JwksError::NoKeysArray)));
}

/// Issue 8: eight tasks verify continuously while the keys rotate twice (A, then B, then A
/// again, each new key published before it signs and the old one withdrawn after): every token
/// signed by a published key is accepted, every token signed by a never-published key is
/// refused. Rotations are 31 s apart on the test clock, as real ones are far apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_with_rotation_has_no_false_accepts_and_no_false_rejects() {
    use std::sync::atomic::AtomicBool;

    const TASKS: usize = 8;
    let fake = FakeKeys::new(jwks_of([Key::RsaA.public_jwk()]));
    let clock = TestClock::new();
    let verifier = verifier(remote(&fake, &clock), &clock);
    let signer = Arc::new(Mutex::new(Arc::new(fresh_token(Key::RsaA, &clock))));
    let forged = Arc::new(fresh_token(Key::Attacker, &clock));
    let phase = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (verifier, signer, forged) = (verifier.clone(), signer.clone(), forged.clone());
            let (phase, acknowledged, stop) = (phase.clone(), acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut seen_phase, mut verified) = (0, 0_usize);
                while !stop.load(Ordering::Acquire) && verified < 200_000 {
                    let current = phase.load(Ordering::Acquire);
                    let token = signer.lock().unwrap().clone();
                    if current != seen_phase {
                        seen_phase = current;
                        acknowledged.fetch_add(1, Ordering::AcqRel);
                    }
                    if let Err(err) = verifier.verify(&token).await {
                        panic!("false reject in phase {current}: {err}");
                    }
                    assert!(
                        verifier.verify(&forged).await.is_err(),
                        "false accept of a forged token"
                    );
                    verified += 1;
                    tokio::task::yield_now().await;
                }
                verified
            })
        })
        .collect();

    let rotate = |published: Vec<Value>, next: Key, number: usize| {
        // Publish the new key beside the old one, then sign with it, then withdraw the old one once
        // every task has moved on.
        fake.serve(jwks_of(published));
        clock.advance(31);
        *signer.lock().unwrap() = Arc::new(fresh_token(next, &clock));
        acknowledged.store(0, Ordering::Release);
        phase.store(number, Ordering::Release);
    };
    let wait_for_tasks = || async {
        for _ in 0..2_000 {
            if acknowledged.load(Ordering::Acquire) >= TASKS {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the tasks did not reach the new phase within ten seconds");
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    rotate(vec![Key::RsaA.public_jwk(), Key::RsaB.public_jwk()], Key::RsaB, 1);
    wait_for_tasks().await;
    fake.serve(jwks_of([Key::RsaB.public_jwk()]));
    tokio::time::sleep(Duration::from_millis(100)).await;
    rotate(vec![Key::RsaB.public_jwk(), Key::RsaA.public_jwk()], Key::RsaA, 2);
    wait_for_tasks().await;
    fake.serve(jwks_of([Key::RsaA.public_jwk()]));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Release);

    let mut total = 0;
    for task in tasks {
        total += task.await.expect("no task panicked: no false accept or reject");
    }
    assert!(total > 100, "the tasks verified continuously ({total} tokens)");
    // The load, then at most one refetch per 30 s cooldown window (the clock covered three); the
    // forged token's unknown kid and the rotations share them.
    assert!(fake.calls() <= 4, "{} fetches", fake.calls());
}

/// Issue 8: while `/keys` hangs (here: fails after 2 s), known keys keep verifying without
/// waiting for it, and an unknown kid gets its answer from the one fetch in flight rather than
/// queueing fetches of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_keys_endpoint_never_delays_known_keys() {
    let calls = Arc::new(AtomicUsize::new(0));
    let hanging = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let (calls, hanging) = (calls.clone(), hanging.clone());
        move |_request: http::Request<Vec<u8>>| {
            calls.fetch_add(1, Ordering::SeqCst);
            let hang = hanging.load(Ordering::SeqCst);
            async move {
                if hang {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    return Err(TransportError::Timeout {
                        after: Duration::from_secs(2),
                        url: KEYS_URL.into(),
                    });
                }
                Ok(http::Response::builder().status(200).body(jwks_json().into_bytes()).unwrap())
            }
        }
    };
    let clock = TestClock::new();
    let keys = JwksCache::remote(
        KEYS_URL.parse().unwrap(),
        Arc::new(client),
        JwksCacheOptions::default(),
        clock.clock(),
    )
    .unwrap();
    keys.refresh().await.unwrap();
    let verifier = verifier(keys, &clock);
    hanging.store(true, Ordering::SeqCst);

    // An unknown kid starts the (hanging) refetch in the background of this task...
    let unknown = tokio::spawn({
        let verifier = verifier.clone();
        async move { verifier.verify(&unsigned_with_kid("rotated")).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // ...while known keys answer at once (a generous bound: the fetch takes 2 s).
    let token = fresh_token(Key::RsaA, &clock);
    let started = std::time::Instant::now();
    for _ in 0..100 {
        verifier.verify(&token).await.expect("known key verifies");
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "known keys waited: {:?}",
        started.elapsed()
    );
    let outcome = unknown.await.unwrap().unwrap_err();
    assert_eq!(outcome.kind(), "key_not_found");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the load and the one refetch");
    // Within the cooldown of that failure, unknown kids are refused at once.
    let started = std::time::Instant::now();
    assert_eq!(
        verifier.verify(&unsigned_with_kid("other")).await.unwrap_err().kind(),
        "key_not_found"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A `/keys` endpoint that never answers while `hang` is set, and says when it is called.
struct StallingKeys {
    hang: Arc<std::sync::atomic::AtomicBool>,
    calls: Arc<AtomicUsize>,
    called: Arc<tokio::sync::Notify>,
}

impl StallingKeys {
    fn new() -> Self {
        Self {
            hang: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            calls: Arc::new(AtomicUsize::new(0)),
            called: Arc::new(tokio::sync::Notify::new()),
        }
    }

    fn cache(&self, clock: &TestClock) -> JwksCache {
        let (hang, calls, called) = (self.hang.clone(), self.calls.clone(), self.called.clone());
        let client = move |_request: http::Request<Vec<u8>>| {
            calls.fetch_add(1, Ordering::SeqCst);
            called.notify_one();
            let hang = hang.load(Ordering::SeqCst);
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                Ok(http::Response::builder().status(200).body(jwks_json().into_bytes()).unwrap())
            }
        };
        JwksCache::remote(
            KEYS_URL.parse().unwrap(),
            Arc::new(client),
            JwksCacheOptions::default(),
            clock.clock(),
        )
        .unwrap()
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// A caller that waited behind a fetch whose future was then dropped (a cancelled request)
/// fetches itself: it must not take the outcome of a fetch that never finished.
#[tokio::test]
async fn a_fetch_dropped_mid_flight_leaves_its_waiters_to_fetch() {
    let endpoint = StallingKeys::new();
    let clock = TestClock::new();
    let keys = endpoint.cache(&clock);
    endpoint.hang.store(true, Ordering::SeqCst);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());

    let mut waiter = Box::pin(keys.refresh());
    {
        let mut first = std::pin::pin!(keys.refresh());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert_eq!(endpoint.calls(), 1, "the first refresh is in flight");
        assert!(waiter.as_mut().poll(&mut cx).is_pending(), "the second waits for it");
    }
    // The first refresh was dropped mid-flight; the endpoint answers again.
    endpoint.hang.store(false, Ordering::SeqCst);
    waiter.await.expect("the waiter fetched the keys itself");
    assert_eq!(endpoint.calls(), 2);
    assert_eq!(keys.kids().len(), 3, "the three keys of the set: {:?}", keys.kids());
    assert_eq!(keys.fetch_count(), 2, "both attempts are counted");
}

/// A background refresh whose task is dropped unfinished (its runtime shut down) does not
/// keep later background refreshes from starting.
#[test]
fn a_background_refresh_dropped_with_its_runtime_does_not_stop_later_ones() {
    let endpoint = StallingKeys::new();
    let clock = TestClock::new();
    let keys = endpoint.cache(&clock);
    let verifier = verifier(keys.clone(), &clock);
    let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Bounds a wait that the old code would make endless; the test never depends on its length.
    let called = |endpoint: &StallingKeys| {
        let called = endpoint.called.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(30), called.notified())
                .await
                .expect("the endpoint was called");
        }
    };

    runtime().block_on(async {
        keys.refresh().await.unwrap();
        called(&endpoint).await;
    });
    assert_eq!(endpoint.calls(), 1);

    // Past four fifths of the keys' lifetime a verification starts a background refresh, which
    // hangs; then its runtime shuts down and drops the task.
    clock.advance(241);
    endpoint.hang.store(true, Ordering::SeqCst);
    runtime().block_on(async {
        verifier.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
        called(&endpoint).await;
    });
    assert_eq!(endpoint.calls(), 2, "the background refresh was in flight");

    // After the cooldown the next verification starts a new background refresh.
    clock.advance(31);
    endpoint.hang.store(false, Ordering::SeqCst);
    runtime().block_on(async {
        verifier.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
        called(&endpoint).await;
    });
    assert_eq!(endpoint.calls(), 3);
}

/// Issue 16: a key set with no usable key (empty, or only keys okta-verify cannot use) must not
/// turn every unknown `kid` into a fetch: the cooldown holds whatever the set contains.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_key_set_still_holds_the_cooldown() {
    for body in [jwks_of([]), jwks_of([json!({ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" })])] {
        let fake = FakeKeys::new(body);
        let clock = TestClock::new();
        let verifier = verifier(remote(&fake, &clock), &clock);
        let tasks: Vec<_> = (0..3)
            .map(|task| {
                let verifier = verifier.clone();
                tokio::spawn(async move {
                    let mut kinds = Vec::new();
                    for index in 0..100 {
                        let token = unsigned_with_kid(&format!("random-{task}-{index}"));
                        kinds.push(verifier.verify(&token).await.unwrap_err().kind());
                    }
                    kinds
                })
            })
            .collect();
        let mut kinds = std::collections::BTreeSet::new();
        for task in tasks {
            kinds.extend(task.await.unwrap());
        }
        assert_eq!(
            (fake.calls(), kinds.into_iter().collect::<Vec<_>>()),
            (2, vec!["key_not_found"]),
            "the first load, then one refetch for 300 unknown kids"
        );
        clock.advance(31);
        for index in 0..100 {
            let _ = verifier.verify(&unsigned_with_kid(&format!("later-{index}"))).await;
        }
        assert_eq!(fake.calls(), 3, "one more after the cooldown, and only one");
    }
}

/// Yields (bounded) until `condition` holds: a background task on the current-thread runtime
/// runs when the test yields, so no sleep is needed.
async fn settle(condition: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if condition() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the background task did not finish");
}

/// An answer of `/keys` with Okta's long max-age (a day).
fn long_lived(body: String) -> Answer {
    Answer::Json { status: 200, body, cache_control: Some("max-age=86400".to_owned()) }
}

/// Keys A and B served with a long max-age, and a verifier that fetched them once (for a token
/// of key B).
async fn keys_a_and_b_fetched(clock: &TestClock) -> (FakeKeys, JwksCache, AccessTokenVerifier) {
    let fake = FakeKeys::new(String::new());
    fake.set(long_lived(jwks_of([Key::RsaA.public_jwk(), Key::RsaB.public_jwk()])));
    let keys = remote(&fake, clock);
    let api = verifier(keys.clone(), clock);
    api.verify(&fresh_token(Key::RsaB, clock)).await.unwrap();
    assert_eq!(fake.calls(), 1);
    (fake, keys, api)
}

#[tokio::test]
async fn a_removed_key_stops_being_trusted_within_the_refresh_interval() {
    // Okta's keys carry a long max-age; its emergency rotation removes a key at once.
    let clock = TestClock::new();
    let (fake, keys, api) = keys_a_and_b_fetched(&clock).await;

    fake.set(long_lived(jwks_of([Key::RsaA.public_jwk()])));
    clock.advance(4 * 60 + 59);
    api.verify(&fresh_token(Key::RsaB, &clock)).await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(fake.calls(), 1, "not due before the refresh interval (5 minutes by default)");

    // Due: the verification starts a refresh in the background and answers without waiting
    // for it (no network call on the verification path).
    clock.advance(1);
    api.verify(&fresh_token(Key::RsaB, &clock)).await.unwrap();
    assert_eq!(fake.calls(), 1, "the verification itself fetched nothing");
    settle(|| keys.kids() == [Some("key-a".to_owned())]).await;
    assert_eq!(fake.calls(), 2);
    let outcome = verify_access(&api, &fresh_token(Key::RsaB, &clock)).await;
    expect![[r#"key_not_found: no key found for kid "key-b""#]].assert_eq(&outcome);
    api.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();

    // The interval is an option.
    let fake = FakeKeys::new(String::new());
    fake.set(long_lived(jwks_of([Key::RsaA.public_jwk()])));
    let mut options = JwksCacheOptions::default();
    options.refresh_interval = Duration::from_mins(1);
    let keys = JwksCache::remote(KEYS_URL.parse().unwrap(), fake.client(), options, clock.clock())
        .unwrap();
    let minute = verifier(keys, &clock);
    minute.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    clock.advance(59);
    minute.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(fake.calls(), 1);
    clock.advance(1);
    minute.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();
    settle(|| fake.calls() == 2).await;

    // And it must be positive.
    let mut zero = JwksCacheOptions::default();
    zero.refresh_interval = Duration::ZERO;
    let err = JwksCache::remote(KEYS_URL.parse().unwrap(), fake.client(), zero, clock.clock())
        .unwrap_err();
    assert_eq!(err.to_string(), "option `refresh_interval` is out of range: must be at least 1 s");
}

/// Moves the test clock and Tokio's paused clock together, then lets due timers run.
async fn advance_both(clock: &TestClock, seconds: u64) {
    clock.advance(i64::try_from(seconds).unwrap());
    tokio::time::advance(Duration::from_secs(seconds)).await;
}

#[tokio::test(start_paused = true)]
async fn an_idle_service_stops_trusting_a_removed_key_without_any_request() {
    // Okta's keys carry a long max-age; its emergency rotation removes a key at once. The
    // service then sees no request for the whole refresh interval.
    let clock = TestClock::new();
    let (fake, keys, api) = keys_a_and_b_fetched(&clock).await;

    fake.set(long_lived(jwks_of([Key::RsaA.public_jwk()])));
    advance_both(&clock, 4 * 60 + 59).await;
    settle(|| true).await;
    assert_eq!(fake.calls(), 1, "not due before the refresh interval (5 minutes by default)");

    // Due: the timer refreshes with no verification in between.
    advance_both(&clock, 1).await;
    settle(|| fake.calls() == 2).await;
    settle(|| keys.kids() == [Some("key-a".to_owned())]).await;
    let outcome = verify_access(&api, &fresh_token(Key::RsaB, &clock)).await;
    expect![[r#"key_not_found: no key found for kid "key-b""#]].assert_eq(&outcome);
    api.verify(&fresh_token(Key::RsaA, &clock)).await.unwrap();

    // And again an interval later, still without requests: the timer keeps running.
    let calls = fake.calls();
    fake.set(long_lived(jwks_of([Key::RsaB.public_jwk()])));
    advance_both(&clock, 5 * 60).await;
    settle(|| fake.calls() == calls + 1).await;
    settle(|| keys.kids() == [Some("key-b".to_owned())]).await;
}

#[tokio::test(start_paused = true)]
async fn the_refresh_timer_respects_the_cooldown_after_a_failed_fetch() {
    let fake = FakeKeys::new(jwks_json());
    let clock = TestClock::new();
    let keys = remote(&fake, &clock);
    keys.refresh().await.unwrap();
    fake.set(Answer::Fail(TransportError::other("down")));
    advance_both(&clock, 5 * 60).await;
    settle(|| fake.calls() == 2).await;
    // Failed: the last good keys stay, and the timer waits out the cooldown (30 s).
    assert_eq!(keys.kids().len(), jwks_of_kids());
    advance_both(&clock, 29).await;
    settle(|| true).await;
    assert_eq!(fake.calls(), 2, "no fetch within the cooldown");
    fake.serve(jwks_json());
    advance_both(&clock, 1).await;
    settle(|| fake.calls() == 3).await;
}

fn jwks_of_kids() -> usize {
    JwksCache::from_json(jwks_json().as_bytes()).unwrap().kids().len()
}

#[tokio::test(start_paused = true)]
async fn the_refresh_timer_ends_with_the_last_handle_and_holds_none() {
    let fake = FakeKeys::new(jwks_json());
    let clock = TestClock::new();
    let client = fake.client();
    let client_alive = Arc::downgrade(&client);
    let keys = JwksCache::remote(
        KEYS_URL.parse().unwrap(),
        client,
        JwksCacheOptions::default(),
        clock.clock(),
    )
    .unwrap();
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(metrics.num_alive_tasks(), 1, "the timer started with the cache");
    keys.refresh().await.unwrap();
    let api = verifier(keys.clone(), &clock);
    drop(keys);
    assert_eq!(metrics.num_alive_tasks(), 1, "one timer however many clones");
    drop(api);
    // The sleeping timer holds no strong reference: the cache (and its HTTP client) is gone.
    assert!(client_alive.upgrade().is_none());
    advance_both(&clock, 5 * 60).await;
    settle(|| metrics.num_alive_tasks() == 0).await;
    assert_eq!(fake.calls(), 1);
}

#[test]
fn a_cache_built_outside_a_runtime_starts_its_timer_on_first_use() {
    let fake = FakeKeys::new(jwks_json());
    let clock = TestClock::new();
    let keys = remote(&fake, &clock);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(tokio::runtime::Handle::current().metrics().num_alive_tasks(), 0);
        keys.refresh().await.unwrap();
        assert_eq!(tokio::runtime::Handle::current().metrics().num_alive_tasks(), 1);
        advance_both(&clock, 5 * 60).await;
        settle(|| fake.calls() == 2).await;
    });
}

fn cached_verifier(keys: JwksCache, clock: &TestClock) -> AccessTokenVerifier {
    let mut options = access_options();
    options.clock = clock.clock();
    options.token_cache = Some(okta_verify::TokenCacheOptions::default());
    AccessTokenVerifier::new(options, keys).unwrap()
}

#[test]
fn the_verification_that_loads_the_keys_is_cached_under_their_generation() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let fake = FakeKeys::new(jwks_json());
    let clock = TestClock::new();
    metrics::with_local_recorder(&recorder, || {
        crate::support::block_on(async {
            let api = cached_verifier(remote(&fake, &clock), &clock);
            let token = fresh_token(Key::RsaA, &clock);
            // The first verification fetches the keys; the second is served from the cache.
            api.verify(&token).await.unwrap();
            api.verify(&token).await.unwrap();
        });
    });
    assert_eq!(fake.calls(), 1);
    let rendered = handle.render();
    for expected in [
        r#"okta_verify_token_cache_total{verifier="access",result="miss"} 1"#,
        r#"okta_verify_token_cache_total{verifier="access",result="hit"} 1"#,
    ] {
        assert!(rendered.contains(expected), "{expected} missing:\n{rendered}");
    }
}

#[tokio::test]
async fn a_cached_token_whose_key_a_refresh_removed_is_refused() {
    let fake = FakeKeys::new(jwks_of([Key::RsaA.public_jwk(), Key::RsaB.public_jwk()]));
    let clock = TestClock::new();
    let keys = remote(&fake, &clock);
    let api = cached_verifier(keys.clone(), &clock);
    let token = fresh_token(Key::RsaB, &clock);
    api.verify(&token).await.unwrap();
    api.verify(&token).await.unwrap();
    fake.serve(jwks_of([Key::RsaA.public_jwk()]));
    keys.refresh().await.unwrap();
    assert_eq!(keys.kids(), [Some("key-a".to_owned())]);
    let outcome = verify_access(&api, &token).await;
    expect![[r#"key_not_found: no key found for kid "key-b""#]].assert_eq(&outcome);
}
