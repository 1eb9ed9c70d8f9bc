//! Benchmarks of issue #4, each reported as a ratio against the raw signature check measured in the
//! same run: (a) raw `aws-lc-rs` RS256 check with a parsed key, (b) full access-token validation
//! with warm keys, (c) a verified-token cache hit, (d) two threads sharing one verifier, (e) 10,000
//! tokens with random unknown kids from 100 tasks, (f) p99 of known-kid verifications while a key
//! refresh is in flight. Run with `cargo bench -p okta-verify` (or `cargo xtask bench`); the table
//! is printed at the end and explained in `docs/performance.md`.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "benchmark setup fails loudly on broken fixtures")]
#![allow(clippy::cast_precision_loss, reason = "durations and counts become ratios")]

use std::future::Future;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, UNIX_EPOCH};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::Criterion;
use okta_http::HttpClient;
use okta_verify::{
    AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache, JwksCacheOptions, TokenCacheOptions,
};

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://example.okta.com/oauth2/default";
const TOKEN: &str = include_str!("../tests/data/access-token.jwt");
const JWKS: &str = include_str!("../tests/data/jwks.json");
const RSA_A: &str = include_str!("../tests/data/rsa-a.pem");

fn main() {
    let load_before = load_average();
    let output = criterion_dir();
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    micro_benchmarks(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|arg| arg == "--profile-time") {
        // Profiling one benchmark (for example under `valgrind --tool=callgrind`): nothing else.
        return;
    }

    let (e_fetches, e_elapsed) = unknown_kids();
    let tail = refresh_tail_latency();
    report(&output, e_fetches, e_elapsed, &tail);
    println!(
        "\nload average (1, 5, 15 min) before: {load_before}; after: {} (2 cores: above about 0.5 \
         the two-thread rows and the ratios are noisy, run again)",
        load_average()
    );
}

/// `/proc/loadavg`'s first three fields, or `unknown` off Linux.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

fn criterion_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion")
}

/// Polls a future once: with warm keys verification never waits.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("verification with warm keys must not wait"),
    }
}

fn token() -> &'static str {
    TOKEN.trim()
}

/// A second valid token: the fixture's claims with another `sub` and `jti`, signed by the same
/// key with `jsonwebtoken` (RS256 signatures are deterministic, so every run uses the same token).
fn second_token() -> String {
    let payload = URL_SAFE_NO_PAD.decode(token().split('.').nth(1).unwrap()).unwrap();
    let mut claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    claims["sub"] = "second.user@example.com".into();
    claims["jti"] = "AT.second-token-of-the-benchmark".into();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("key-a".to_owned());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(RSA_A.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

fn options() -> AccessTokenOptions {
    let issuer = okta_config::Issuer::parse(ISSUER).expect("the benchmark's issuer is valid");
    let audience = okta_config::Audience::parse("api://default").expect("a valid audience");
    let mut options = AccessTokenOptions::new(issuer, [audience]);
    options.any_client = true;
    options.clock = Clock::fixed_unix(NOW);
    options
}

fn static_verifier(cache: bool) -> AccessTokenVerifier {
    let mut options = options();
    if cache {
        options.token_cache = Some(TokenCacheOptions::default());
    }
    AccessTokenVerifier::new(options, JwksCache::from_json(JWKS.as_bytes()).unwrap()).unwrap()
}

fn micro_benchmarks(criterion: &mut Criterion) {
    let token = token();
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let jwks: serde_json::Value = serde_json::from_str(JWKS).unwrap();
    let n = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(jwks["keys"][0]["e"].as_str().unwrap()).unwrap();
    let key = RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .unwrap();

    let mut group = criterion.benchmark_group("verify");
    group.bench_function("a_raw_signature", |bencher| {
        bencher.iter(|| {
            key.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature)).unwrap();
        });
    });

    let verifier = static_verifier(false);
    assert!(ready(verifier.verify(token)).is_ok());
    group.bench_function("b_full_validation", |bencher| {
        bencher.iter(|| ready(verifier.verify(black_box(token))).unwrap());
    });

    // For comparison: jsonwebtoken's full validation of the same token (a DecodingKey from the JWK,
    // issuer, audience and expiry checked; its clock is the real one, so `exp` is not checked).
    let decoding_key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwks["keys"][0]["n"].as_str().unwrap(),
        jwks["keys"][0]["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&["api://default"]);
    validation.validate_exp = false;
    group.bench_function("x_jsonwebtoken_full", |bencher| {
        bencher.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(token), &decoding_key, &validation)
                .unwrap()
        });
    });

    let cached = static_verifier(true);
    assert!(ready(cached.verify(token)).is_ok());
    group.bench_function("c_cache_hit", |bencher| {
        bencher.iter(|| ready(cached.verify(black_box(token))).unwrap());
    });
    group.bench_function("c_digest_only", |bencher| {
        bencher.iter(|| {
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, black_box(token.as_bytes()))
        });
    });

    // (d): the same total work split over two threads sharing one verifier.
    group.bench_function("d_two_threads", |bencher| {
        bencher.iter_custom(|iterations| {
            let started = Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        for _ in 0..iterations.div_ceil(2) {
                            ready(verifier.verify(black_box(token))).unwrap();
                        }
                    });
                }
            });
            started.elapsed()
        });
    });
    // (d') the cache on two threads: both threads on one token (one user's requests), and each
    // thread on a token of its own (two users), against (c) on one thread.
    let second = second_token();
    assert!(ready(cached.verify(&second)).is_ok());
    for (id, tokens) in [
        ("d_cached_two_threads_same_token", [token, token]),
        ("d_cached_two_threads_own_tokens", [token, second.as_str()]),
    ] {
        group.bench_function(id, |bencher| {
            bencher.iter_custom(|iterations| {
                let started = Instant::now();
                std::thread::scope(|scope| {
                    for token in tokens {
                        let cached = &cached;
                        scope.spawn(move || {
                            for _ in 0..iterations.div_ceil(2) {
                                ready(cached.verify(black_box(token))).unwrap();
                            }
                        });
                    }
                });
                started.elapsed()
            });
        });
    }
    // Diagnostics for (d): the raw check on two threads, sharing one parsed key or each with its
    // own, tells the machine's parallelism and aws-lc's shared state apart from ours.
    let key_copy = RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .unwrap();
    let signature_ref: &[u8] = &signature;
    for (id, keys) in [
        ("d_raw_two_threads_shared_key", [&key, &key]),
        ("d_raw_two_threads_own_keys", [&key, &key_copy]),
    ] {
        group.bench_function(id, |bencher| {
            bencher.iter_custom(|iterations| {
                let started = Instant::now();
                std::thread::scope(|scope| {
                    for key in keys {
                        scope.spawn(move || {
                            for _ in 0..iterations.div_ceil(2) {
                                key.verify_sig(
                                    black_box(signing_input.as_bytes()),
                                    black_box(signature_ref),
                                )
                                .unwrap();
                            }
                        });
                    }
                });
                started.elapsed()
            });
        });
    }
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap();
    group.bench_function("z_parse_claims", |bencher| {
        bencher.iter(|| okta_verify::internal::parse_claims(black_box(&payload)).unwrap());
    });
    let keys = JwksCache::from_json(JWKS.as_bytes()).unwrap();
    group.bench_function("z_verify_jws", |bencher| {
        bencher.iter(|| {
            ready(okta_verify::internal::verify_jws(
                black_box(token),
                &keys,
                &[okta_verify::Algorithm::Rs256],
            ))
            .unwrap()
        });
    });
    group.bench_function("z_raw_plus_claims", |bencher| {
        bencher.iter(|| {
            key.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature)).unwrap();
            okta_verify::internal::parse_claims(black_box(&payload)).unwrap();
        });
    });
    group.bench_function("z_parse_compact", |bencher| {
        bencher.iter(|| okta_verify::internal::parse_compact(black_box(token)).unwrap());
    });
    group.finish();
}

/// A verifier whose keys come from [`keys_endpoint`], on a clock the benchmark moves.
struct Remote {
    verifier: AccessTokenVerifier,
    keys: JwksCache,
    /// How many times `/keys` was fetched.
    fetches: Arc<AtomicUsize>,
    /// The clock's time, in seconds since the epoch.
    seconds: Arc<AtomicI64>,
}

fn remote_verifier(delay: Arc<AtomicI64>) -> Remote {
    let (http, fetches) = keys_endpoint(delay);
    let seconds = Arc::new(AtomicI64::new(i64::try_from(NOW).unwrap()));
    let keys = JwksCache::remote(
        format!("{ISSUER}/v1/keys").parse().unwrap(),
        http,
        JwksCacheOptions::default(),
        moving_clock(&seconds),
    )
    .unwrap();
    let mut options = options();
    options.clock = moving_clock(&seconds);
    let verifier = AccessTokenVerifier::new(options, keys.clone()).unwrap();
    Remote { verifier, keys, fetches, seconds }
}

/// A `/keys` endpoint that counts fetches and can hold a fetch for `delay`.
fn keys_endpoint(delay: Arc<AtomicI64>) -> (Arc<dyn HttpClient>, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&fetches);
    let client = move |_request: http::Request<Vec<u8>>| {
        counter.fetch_add(1, Ordering::SeqCst);
        let delay = Duration::from_millis(delay.load(Ordering::SeqCst).unsigned_abs());
        async move {
            tokio::time::sleep(delay).await;
            Ok(http::Response::builder().status(200).body(JWKS.as_bytes().to_vec()).unwrap())
        }
    };
    (Arc::new(client), fetches)
}

fn moving_clock(seconds: &Arc<AtomicI64>) -> Clock {
    let seconds = Arc::clone(seconds);
    Clock::from_fn(move || {
        UNIX_EPOCH + Duration::from_secs(seconds.load(Ordering::SeqCst).unsigned_abs())
    })
}

/// (e) 10,000 tokens with random unknown kids from 100 tasks: the number of `/keys` fetches.
fn unknown_kids() -> (usize, Duration) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let Remote { verifier, fetches, .. } = remote_verifier(Arc::new(AtomicI64::new(5)));
    let (header_and_payload, signature) = token().rsplit_once('.').unwrap();
    let payload = header_and_payload.split_once('.').unwrap().1;
    let elapsed = runtime.block_on(async {
        // Warm: the first verification loads the keys (one fetch).
        verifier.verify(token()).await.unwrap();
        let started = Instant::now();
        let tasks: Vec<_> = (0..100_u32)
            .map(|task| {
                let verifier = verifier.clone();
                let (payload, signature) = (payload.to_owned(), signature.to_owned());
                tokio::spawn(async move {
                    for index in 0..100_u32 {
                        let header = format!(r#"{{"alg":"RS256","kid":"random-{task}-{index}"}}"#);
                        let forged =
                            format!("{}.{payload}.{signature}", URL_SAFE_NO_PAD.encode(header));
                        assert_eq!(
                            verifier.verify(&forged).await.unwrap_err().kind(),
                            "key_not_found"
                        );
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        started.elapsed()
    });
    (fetches.load(Ordering::SeqCst), elapsed)
}

/// Latency percentiles of known-kid verifications.
struct Tail {
    quiet_p50: Duration,
    quiet_p99: Duration,
    refresh_p50: Duration,
    refresh_p99: Duration,
    refresh_fetches: usize,
}

/// (f) p50 and p99 of known-kid verifications, first with no refresh, then while a background
/// refresh (held 300 ms by the fake endpoint) is in flight and completes.
fn refresh_tail_latency() -> Tail {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let delay = Arc::new(AtomicI64::new(0));
    let Remote { verifier, keys, fetches, seconds } = remote_verifier(Arc::clone(&delay));
    runtime.block_on(async {
        keys.refresh().await.unwrap();
        let samples = 20_000;
        let quiet = latencies(&verifier, samples);
        // Past four fifths of the 5 minute TTL: the next verification starts a refresh, which the
        // endpoint holds for 300 ms while verifications go on.
        delay.store(300, Ordering::SeqCst);
        seconds.fetch_add(250, Ordering::SeqCst);
        let before = fetches.load(Ordering::SeqCst);
        let during = latencies(&verifier, samples);
        let refresh_fetches = fetches.load(Ordering::SeqCst) - before;
        let (quiet_p50, quiet_p99) = percentiles(quiet);
        let (refresh_p50, refresh_p99) = percentiles(during);
        Tail { quiet_p50, quiet_p99, refresh_p50, refresh_p99, refresh_fetches }
    })
}

fn latencies(verifier: &AccessTokenVerifier, samples: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        ready(verifier.verify(black_box(token()))).unwrap();
        out.push(started.elapsed());
    }
    out
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |fraction: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "an index into samples"
        )]
        let index = ((samples.len() - 1) as f64 * fraction).round() as usize;
        samples[index]
    };
    (at(0.50), at(0.99))
}

/// Criterion's median estimate of a benchmark of this run, in nanoseconds.
fn median_ns(output: &Path, id: &str) -> Option<f64> {
    let text =
        std::fs::read_to_string(output.join("verify").join(id).join("new/estimates.json")).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

fn report(output: &Path, e_fetches: usize, e_elapsed: Duration, tail: &Tail) {
    println!("\n## okta-verify benchmark summary (single core unless noted; ratios against (a))\n");
    println!("| case | time per verification | throughput | ratio | target |");
    println!("| --- | --- | --- | --- | --- |");
    let raw = median_ns(output, "a_raw_signature");
    let row = |label: &str, id: &str, target: &str| {
        if let (Some(raw), Some(value)) = (raw, median_ns(output, id)) {
            let ratio = raw / value;
            println!(
                "| {label} | {:.2} µs | {:.0}/s | {ratio:.2} × (a) | {target} |",
                value / 1000.0,
                1e9 / value
            );
        }
    };
    row("(a) raw aws-lc-rs RS256 check, parsed key", "a_raw_signature", "floor");
    row("(b) full access-token validation, warm keys", "b_full_validation", "≥ 0.95 × (a)");
    row("(c) verified-token cache hit", "c_cache_hit", "≥ 50 × (a)");
    row("(c') SHA-256 of the token alone (cache key)", "c_digest_only", "-");
    row(
        "(d) two threads, one verifier (per verification, wall clock)",
        "d_two_threads",
        "≥ 1.9 × (b)",
    );
    row(
        "(d') cache hits, two threads, one token (wall clock)",
        "d_cached_two_threads_same_token",
        "≥ 1.9 × (c)",
    );
    row(
        "(d') cache hits, two threads, a token each (wall clock)",
        "d_cached_two_threads_own_tokens",
        "≥ 1.9 × (c)",
    );
    row("(x) jsonwebtoken 11 full validation, same token (comparison)", "x_jsonwebtoken_full", "-");
    println!(
        "\nBreakdown of (b): parse to the signature, signature check with key selection, claims"
    );
    row("  compact JWS parse (split, base64url, header)", "z_parse_compact", "-");
    row("  parse + key selection + signature (no claims)", "z_verify_jws", "-");
    row("  claims parse alone", "z_parse_claims", "-");
    row("  raw check + claims parse in one loop", "z_raw_plus_claims", "-");
    if let (Some(b), Some(d)) =
        (median_ns(output, "b_full_validation"), median_ns(output, "d_two_threads"))
    {
        println!("\n(d) speed-up of two threads over one: {:.2} × (target ≥ 1.9)", b / d);
    }
    let c = median_ns(output, "c_cache_hit");
    for (label, id) in [
        ("one token", "d_cached_two_threads_same_token"),
        ("a token each", "d_cached_two_threads_own_tokens"),
    ] {
        if let (Some(c), Some(d)) = (c, median_ns(output, id)) {
            println!(
                "(d') speed-up of two threads over one on cache hits, {label}: {:.2} × (target ≥ 1.9)",
                c / d
            );
        }
    }
    println!(
        "(e) 10,000 unknown kids from 100 tasks: {e_fetches} /keys fetch(es) in total \
         (1 to load the keys, 1 refetch for the first unknown kid, then none within the 30 s \
         cooldown), {:.1} ms",
        e_elapsed.as_secs_f64() * 1000.0
    );
    println!(
        "(f) known-kid latency: no refresh p50 {:.2} µs, p99 {:.2} µs; while a refresh is in flight \
         ({} fetch) p50 {:.2} µs, p99 {:.2} µs, p99/p50 = {:.2} (target ≤ 2)",
        tail.quiet_p50.as_secs_f64() * 1e6,
        tail.quiet_p99.as_secs_f64() * 1e6,
        tail.refresh_fetches,
        tail.refresh_p50.as_secs_f64() * 1e6,
        tail.refresh_p99.as_secs_f64() * 1e6,
        tail.refresh_p99.as_secs_f64() / tail.refresh_p50.as_secs_f64(),
    );
}
