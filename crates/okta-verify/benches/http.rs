//! The HTTP-level benchmark of issue 16: one axum worker (a current-thread runtime) pinned to one
//! core, a load generator pinned to the other, over loopback. The same route is served three ways
//! in one run: unguarded, behind `BearerAuthLayer` with the verified-token cache, and behind it
//! without the cache. Reported as ratios: the cached guard's requests per second over the
//! unguarded route's, and the uncached guard's added time per request over the cost of one full
//! validation measured on the same core in the same run.
//!
//! Run with `cargo bench -p okta-verify --bench http` (or `cargo xtask bench`); `-- --quick`
//! measures for a fraction of the time. Explained in `docs/performance.md`.
//!
//! Every request carries the same `Authorization` header, so the routes differ by the guard
//! alone. The load generator is deliberately cheap, so that the server is the bottleneck: it writes
//! pipelined HTTP/1.1 requests, prepared once, on two keep-alive connections, and counts
//! responses by their size (every response of a route has the same length, which the probe
//! before each measurement learns and checks is a `200`). Threads are pinned with `taskset -p`
//! on their own thread id; without `taskset` the run says it is unpinned.

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![allow(clippy::unwrap_used, reason = "benchmark setup fails loudly")]
#![allow(clippy::expect_used, reason = "benchmark setup fails loudly")]
#![allow(clippy::cast_precision_loss, reason = "durations and counts become ratios")]

use std::future::Future;
use std::hint::black_box;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::pin::pin;
use std::process::Command;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use okta_verify::axum::BearerAuthLayer;
use okta_verify::{AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache, TokenCacheOptions};

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://example.okta.com/oauth2/default";
const TOKEN: &str = include_str!("../tests/data/access-token.jwt");
const JWKS: &str = include_str!("../tests/data/jwks.json");

/// Requests written back to back on a connection before its responses are read.
const PIPELINE: usize = 32;
/// The core of the axum worker; the load generator and the measuring thread take the other.
const SERVER_CORE: usize = 0;
const LOAD_CORE: usize = 1;

/// The three ways of serving `/hello`.
const ROUTES: [(&str, &str); 3] = [
    ("/open/hello", "unguarded"),
    ("/cached/hello", "guarded, verified-token cache on"),
    ("/uncached/hello", "guarded, no cache (full validation per request)"),
];

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (rounds, per_measure) =
        if quick { (1, Duration::from_millis(500)) } else { (5, Duration::from_secs(2)) };
    let load_before = load_average();

    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (cost_tx, cost_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let pinned = pin_current_thread(SERVER_CORE);
        // The verification's own cost, measured on the server's core before it serves.
        let costs = verification_costs(if quick { 5_000 } else { 40_000 });
        cost_tx.send((pinned, costs)).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            // As a production server should: no Nagle delay on responses.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app()).await.unwrap();
        });
    });
    let (server_pinned, (full_ns, hit_ns)) = cost_rx.recv().unwrap();
    let addr = addr_rx.recv().unwrap();
    let load_pinned = pin_current_thread(LOAD_CORE);

    // Interleaved rounds, so that a burst of load on the machine hits every route alike; the
    // median of the rounds is reported.
    // `--only PATH` (for a profiler): load that route alone, report nothing.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--only") {
        let path = args.get(at + 1).expect("--only takes a route, such as /uncached/hello");
        let rate = requests_per_second(addr, path, per_measure * 3);
        println!(
            "{path}: {rate:.0} requests/s ({:.2} µs each); full validation alone {:.2} µs, load \
             average {}",
            1e6 / rate,
            full_ns / 1000.0,
            load_average()
        );
        return;
    }
    let mut rates: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (index, (path, _)) in ROUTES.iter().enumerate() {
            rates[index].push(requests_per_second(addr, path, per_measure));
        }
    }
    let [open, cached, uncached] = rates.clone().map(median);

    println!("\n## okta-verify HTTP benchmark (one axum worker, one load generator, loopback)\n");
    println!(
        "pinned: server to core {SERVER_CORE}: {server_pinned}; load generator to core \
         {LOAD_CORE}: {load_pinned}; {rounds} interleaved round(s) of {} ms per route, medians\n",
        per_measure.as_millis()
    );
    println!("| route | requests/s | time per request | ratio |");
    println!("| --- | --- | --- | --- |");
    for ((_, label), rate) in ROUTES.iter().zip([open, cached, uncached]) {
        println!(
            "| {label} | {rate:.0}/s | {:.2} µs | {:.3} × unguarded |",
            1e6 / rate,
            rate / open
        );
    }
    let added = |rate: f64| 1e6 / rate - 1e6 / open;
    println!(
        "\nverification alone on the server's core: full validation {:.2} µs, cache hit {:.3} µs",
        full_ns / 1000.0,
        hit_ns / 1000.0
    );
    println!(
        "cached guard: {:.3} × the unguarded requests/s (target ≥ 0.85); adds {:.2} µs per request \
         ({:.1} × a cache hit)",
        cached / open,
        added(cached),
        added(cached) * 1000.0 / hit_ns
    );
    println!(
        "uncached guard: adds {:.2} µs per request, {:.3} × the full validation's own cost \
         (target ≤ 1.1)",
        added(uncached),
        added(uncached) * 1000.0 / full_ns
    );
    println!(
        "load average (1, 5, 15 min) before: {load_before}; after: {} (2 cores: above about 0.5 \
         the ratios are noisy, run again)",
        load_average()
    );
    for (index, (_, label)) in ROUTES.iter().enumerate() {
        let spread: Vec<String> = rates[index].iter().map(|rate| format!("{rate:.0}")).collect();
        println!("rounds, {label}: {}", spread.join(", "));
    }
}

fn options(cache: bool) -> AccessTokenOptions {
    let issuer = okta_config::Issuer::parse(ISSUER).unwrap();
    let audience = okta_config::Audience::parse("api://default").unwrap();
    let mut options = AccessTokenOptions::new(issuer, [audience]);
    options.any_client = true;
    options.clock = Clock::fixed_unix(NOW);
    if cache {
        options.token_cache = Some(TokenCacheOptions::default());
    }
    options
}

fn verifier(cache: bool) -> AccessTokenVerifier {
    AccessTokenVerifier::new(options(cache), JwksCache::from_json(JWKS.as_bytes()).unwrap())
        .unwrap()
}

/// One handler, served unguarded and under the two guards.
fn app() -> Router {
    async fn hello() -> &'static str {
        "hello"
    }
    let route = || Router::new().route("/hello", get(hello));
    Router::new()
        .nest("/open", route())
        .nest("/cached", route().layer(BearerAuthLayer::new(verifier(true))))
        .nest("/uncached", route().layer(BearerAuthLayer::new(verifier(false))))
}

/// Polls a future once: with warm keys verification never waits.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("verification with warm keys must not wait"),
    }
}

/// Nanoseconds per full validation and per cache hit, the median of five loops of `samples`.
fn verification_costs(samples: u32) -> (f64, f64) {
    let token = TOKEN.trim();
    let per = |verifier: &AccessTokenVerifier, samples: u32| {
        let mut loops: Vec<f64> = (0..5)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..samples {
                    ready(verifier.verify(black_box(token))).unwrap();
                }
                started.elapsed().as_nanos() as f64 / f64::from(samples)
            })
            .collect();
        loops.sort_by(f64::total_cmp);
        loops[2]
    };
    let cached = verifier(true);
    ready(cached.verify(token)).unwrap();
    (per(&verifier(false), samples), per(&cached, samples * 20))
}

/// Requests per second on `path` for `duration`, from two pipelined keep-alive connections.
fn requests_per_second(addr: SocketAddr, path: &str, duration: Duration) -> f64 {
    // Every request carries the token, the unguarded ones too (a client sends it anyway): the
    // difference between the routes is the guard alone, not reading a 1.2 KB header.
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {}\r\n\r\n",
        TOKEN.trim()
    );
    let batch = request.repeat(PIPELINE).into_bytes();
    let response_len = probe(addr, request.as_bytes());
    let mut connections: Vec<TcpStream> = (0..2)
        .map(|_| {
            let stream = TcpStream::connect(addr).unwrap();
            stream.set_nodelay(true).unwrap();
            stream
        })
        .collect();
    let mut buffer = vec![0_u8; response_len * PIPELINE];
    // Keep a batch queued on each connection, so the server never waits for the generator.
    for connection in &mut connections {
        connection.write_all(&batch).unwrap();
    }
    let mut responses = 0_u64;
    let started = Instant::now();
    while started.elapsed() < duration {
        for connection in &mut connections {
            connection.read_exact(&mut buffer).unwrap();
            connection.write_all(&batch).unwrap();
            responses += PIPELINE as u64;
        }
    }
    let elapsed = started.elapsed();
    for connection in &mut connections {
        connection.read_exact(&mut buffer).unwrap();
    }
    responses as f64 / elapsed.as_secs_f64()
}

/// Sends one request and returns the length of its response, which must be a `200` with the
/// handler's body (so the guard let it through).
fn probe(addr: SocketAddr, request: &[u8]) -> usize {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    let mut chunk = [0_u8; 4096];
    while !response.ends_with(b"\r\n\r\nhello") {
        let read = stream.read(&mut chunk).unwrap();
        assert!(read > 0, "the server closed the connection");
        response.extend_from_slice(&chunk[..read]);
    }
    assert!(
        response.starts_with(b"HTTP/1.1 200 "),
        "the probe must succeed: {}",
        String::from_utf8_lossy(&response)
    );
    response.len()
}

/// Pins the calling thread to `core` with `taskset -p` on its thread id.
fn pin_current_thread(core: usize) -> String {
    let tid = match std::fs::read_link("/proc/thread-self") {
        Ok(path) => path.file_name().map(|name| name.to_string_lossy().into_owned()),
        Err(_) => None,
    };
    let Some(tid) = tid else {
        return "no (no /proc/thread-self)".to_owned();
    };
    match Command::new("taskset").args(["-p", "-c", &core.to_string(), &tid]).output() {
        Ok(output) if output.status.success() => "yes".to_owned(),
        Ok(output) => format!("no (taskset: {})", String::from_utf8_lossy(&output.stderr).trim()),
        Err(err) => format!("no (taskset: {err})"),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `/proc/loadavg`'s first three fields, or `unknown` off Linux.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}
