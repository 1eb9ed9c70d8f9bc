//! The guard's refusal log (INFO, rate limited, never the token) and its audit hook, with the
//! log output captured and the clock's seconds moved by hand (no sleeps).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use okta_verify::axum::{BearerAuthLayer, Require};
use okta_verify::{AuditEvent, AuditOutcome, Clock, VerifiedAccessToken};
use serde_json::json;
use tower::ServiceExt as _;

use crate::rules_and_claims::local_verifier;
use crate::support::{CLIENT_ID, ISSUER, Key, NOW, access_claims, access_token, patched, token};

/// The log output, shared with the subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn send(app: &Router, uri: &str, bearer: &str) -> u16 {
    let request = http::Request::builder()
        .uri(uri)
        .header(http::header::AUTHORIZATION, format!("Bearer {bearer}"))
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(request).await.unwrap().status().as_u16()
}

#[derive(serde::Deserialize)]
struct NeedsDepartment {
    #[allow(dead_code, reason = "only its presence is checked")]
    department: String,
}

#[tokio::test]
async fn refusals_are_logged_within_a_rate_limit_and_audited_without_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let seconds = Arc::new(AtomicU64::new(NOW.unsigned_abs()));
    let clock_seconds = Arc::clone(&seconds);
    let clock = Clock::from_fn(move || {
        UNIX_EPOCH + Duration::from_secs(clock_seconds.load(Ordering::SeqCst))
    });
    let events: Arc<Mutex<Vec<AuditEvent>>> = Arc::default();
    let recorded = Arc::clone(&events);
    let layer = BearerAuthLayer::new(local_verifier())
        .refusal_log_limit(3)
        .clock(clock)
        .audit(move |event: &AuditEvent| recorded.lock().unwrap().push(event.clone()));
    let app = Router::new()
        .route("/me", get(|| async { "ok" }))
        .route("/write", get(|| async { "ok" }).route_layer(Require::scopes(["orders:write"])))
        .route("/typed", get(|_token: VerifiedAccessToken<NeedsDepartment>| async { "ok" }))
        .layer(layer);

    // A flood: 20 expired tokens (signed, so issuer, kid and client id are readable) and 20
    // strings that are no JWT, all in one second.
    let expired = token(Key::RsaA, &patched(access_claims(), &json!({ "exp": NOW - 1000 })));
    let mut tokens = Vec::new();
    for index in 0..20 {
        assert_eq!(send(&app, "/me", &expired).await, 401);
        let garbage = format!("garbage-{index}-0123456789abcdefghij");
        assert_eq!(send(&app, "/me", &garbage).await, 401);
        tokens.push(garbage);
    }
    tokens.push(expired.clone());
    // The next second: the suppressed count, then lines again, also for rules and typed claims.
    seconds.fetch_add(1, Ordering::SeqCst);
    let valid = access_token();
    tokens.push(valid.clone());
    assert_eq!(send(&app, "/write", &valid).await, 403);
    assert_eq!(send(&app, "/typed", &valid).await, 401);
    assert_eq!(send(&app, "/me", &valid).await, 200);

    let log = captured.text();
    for secret in &tokens {
        let signature = secret.rsplit('.').next().unwrap();
        assert!(!log.contains(signature), "the log holds a token:\n{log}");
    }
    let info: Vec<&str> = log.lines().filter(|line| line.contains(" INFO ")).collect();
    let refused: Vec<&&str> =
        info.iter().filter(|line| line.contains("bearer token refused")).collect();
    assert_eq!(refused.len(), 3 + 2, "three lines in the flood's second, two after:\n{log}");
    assert!(
        refused[0].contains("reason=\"expired\"")
            && refused[0].contains(&format!("issuer=\"{ISSUER}\""))
            && refused[0].contains("kid=\"key-a\"")
            && refused[0].contains(&format!("client_id=\"{CLIENT_ID}\""))
            && refused[0].contains("status=401"),
        "{}",
        refused[0]
    );
    assert!(refused[1].contains("reason=\"malformed\""), "{}", refused[1]);
    assert!(!refused[1].contains("issuer="), "garbage has no issuer: {}", refused[1]);
    assert!(
        refused[3].contains("reason=\"insufficient_scope\"") && refused[3].contains("status=403")
    );
    assert!(refused[4].contains("reason=\"invalid_claims\""), "{}", refused[4]);
    let suppressed: Vec<&&str> = info.iter().filter(|line| line.contains("suppressed")).collect();
    assert_eq!(suppressed.len(), 1, "{log}");
    assert!(suppressed[0].contains("suppressed=37"), "{}", suppressed[0]);

    // The hook saw every decision, unlimited, none with a token in it: the layer accepts the
    // token on /write and /typed, then the rule and the typed claims refuse the request.
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 40 + 5);
    assert_eq!(events.iter().filter(|event| event.outcome == AuditOutcome::Refused).count(), 42);
    let debug = format!("{events:?}");
    for secret in &tokens {
        assert!(!debug.contains(secret.rsplit('.').next().unwrap()));
    }
    assert_eq!(events[0].reason, "expired");
    assert_eq!(events[0].kid.as_deref(), Some("key-a"));
    let after: Vec<(AuditOutcome, &str)> =
        events[40..].iter().map(|event| (event.outcome, event.reason)).collect();
    assert_eq!(
        after,
        [
            (AuditOutcome::Accepted, "accepted"),
            (AuditOutcome::Refused, "insufficient_scope"),
            (AuditOutcome::Accepted, "accepted"),
            (AuditOutcome::Refused, "invalid_claims"),
            (AuditOutcome::Accepted, "accepted"),
        ]
    );
    let accepted = events.last().unwrap();
    assert_eq!(accepted.outcome, AuditOutcome::Accepted);
    assert_eq!(accepted.subject.as_deref(), Some("alice@example.com"));
    assert_eq!(accepted.issuer.as_deref(), Some(ISSUER));
    assert_eq!(accepted.client_id.as_deref(), Some(CLIENT_ID));
}

/// A verifier with a token cache over keys fetched through `client` (none fetched yet).
fn cached_remote_verifier(
    client: Arc<dyn okta_http::HttpClient>,
) -> okta_verify::AccessTokenVerifier {
    let mut options = crate::support::access_options();
    options.token_cache = Some(okta_verify::TokenCacheOptions::default());
    let keys = okta_verify::JwksCache::remote(
        "https://example.okta.com/oauth2/default/v1/keys".parse().unwrap(),
        client,
        okta_verify::JwksCacheOptions::default(),
        Clock::fixed_unix(NOW.unsigned_abs()),
    )
    .unwrap();
    okta_verify::AccessTokenVerifier::new(options, keys).unwrap()
}

/// Every metric in `okta_verify::metric_names::ALL` is recorded with its labels (rendered by the
/// Prometheus exporter the API example uses), and `docs/verify.md` lists exactly these.
#[test]
fn metrics_are_recorded_and_listed_in_the_docs() {
    use okta_verify::metric_names::ALL;

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        crate::support::block_on(async {
            // Local verification with a token cache (a miss, then a hit) and a refusal.
            let verifier =
                cached_remote_verifier(crate::support::serve_jwks(crate::support::jwks_json()).0);
            let valid = access_token();
            // The first verification fetches the keys and is cached under their generation;
            // the second and third are hits.
            for _ in 0..3 {
                verifier.verify(&valid).await.unwrap();
            }
            let expired =
                token(Key::RsaA, &patched(access_claims(), &json!({ "exp": NOW - 1000 })));
            assert_eq!(verifier.verify(&expired).await.unwrap_err().kind(), "expired");
            // A chain refuses a token of an unknown issuer itself, and counts it.
            let chain = okta_verify::IssuerChain::new([verifier]).unwrap();
            let typo = token(
                Key::RsaA,
                &patched(
                    access_claims(),
                    &json!({ "iss": "https://example.okta.com/oauth2/typo" }),
                ),
            );
            assert_eq!(chain.verify(&typo).await.unwrap_err().kind(), "wrong_issuer");
            // Introspection: one call.
            let introspection = crate::rules_and_claims::introspection(
                crate::rules_and_claims::introspection_answer(&json!({})),
            );
            introspection.verify(crate::rules_and_claims::OPAQUE).await.unwrap();
        });
    });
    let rendered = handle.render();
    for (name, labels) in ALL {
        let line = rendered
            .lines()
            .find(|line| line.starts_with(name) && !line.starts_with('#'))
            .unwrap_or_else(|| panic!("{name} not recorded:\n{rendered}"));
        for label in *labels {
            assert!(line.contains(&format!("{label}=\"")), "{name} lacks {label}: {line}");
        }
    }
    for expected in [
        r#"okta_verify_verifications_total{verifier="access",outcome="accepted",reason="ok"} 3"#,
        r#"okta_verify_verifications_total{verifier="access",outcome="refused",reason="expired"} 1"#,
        r#"okta_verify_token_cache_total{verifier="access",result="hit"} 2"#,
        r#"okta_verify_jwks_fetches_total{result="ok"} 1"#,
        r#"okta_verify_verifications_total{verifier="access",outcome="refused",reason="wrong_issuer"} 1"#,
        r#"okta_verify_introspection_calls_total{result="active"} 1"#,
        r#"okta_verify_verifications_total{verifier="introspection",outcome="accepted",reason="ok"} 1"#,
    ] {
        assert!(rendered.contains(expected), "{expected} missing:\n{rendered}");
    }

    // The docs' table: one row per metric, with the same labels.
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/verify.md"),
    )
    .unwrap();
    let mut documented: Vec<(String, Vec<String>)> = Vec::new();
    for line in docs.lines().filter(|line| line.starts_with("| `okta_verify_")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let labels = cells[3]
            .split(',')
            .map(|label| label.trim().trim_matches('`').to_owned())
            .filter(|label| !label.is_empty())
            .collect();
        documented.push((name, labels));
    }
    let in_code: Vec<(String, Vec<String>)> = ALL
        .iter()
        .map(|(name, labels)| {
            ((*name).to_owned(), labels.iter().map(|label| (*label).to_owned()).collect())
        })
        .collect();
    assert_eq!(documented, in_code, "docs/verify.md's metrics table and metric_names::ALL differ");
}

/// The layer decides most requests without waiting (`BearerVerifier::verify_now`) and falls back
/// to the awaited verification when the keys must be fetched first. Either way each request is
/// verified and counted once: the attempt that found no key counts nothing and fetches nothing.
#[test]
fn the_guard_counts_each_request_once_whether_it_waited_for_keys_or_not() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let (client, fetches) = crate::support::serve_jwks(crate::support::jwks_json());
    metrics::with_local_recorder(&recorder, || {
        crate::support::block_on(async {
            let verifier = cached_remote_verifier(client);
            let app = Router::new()
                .route(
                    "/me",
                    get(|token: VerifiedAccessToken| async move { token.claims().sub.clone() }),
                )
                .layer(BearerAuthLayer::new(verifier));
            // No keys yet: the first request waits for the fetch; the next two are cache hits
            // decided at once; the expired token is decided at once with the keys now held.
            let valid = access_token();
            for _ in 0..3 {
                assert_eq!(send(&app, "/me", &valid).await, 200);
            }
            let expired =
                token(Key::RsaA, &patched(access_claims(), &json!({ "exp": NOW - 1000 })));
            assert_eq!(send(&app, "/me", &expired).await, 401);
        });
    });
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "one key fetch");
    let rendered = handle.render();
    for expected in [
        r#"okta_verify_verifications_total{verifier="access",outcome="accepted",reason="ok"} 3"#,
        r#"okta_verify_verifications_total{verifier="access",outcome="refused",reason="expired"} 1"#,
        r#"okta_verify_token_cache_total{verifier="access",result="hit"} 2"#,
        r#"okta_verify_token_cache_total{verifier="access",result="miss"} 2"#,
        r#"okta_verify_jwks_fetches_total{result="ok"} 1"#,
    ] {
        assert!(rendered.contains(expected), "{expected} missing:\n{rendered}");
    }
}
