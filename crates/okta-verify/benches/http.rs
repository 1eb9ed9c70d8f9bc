//! The HTTP-level benchmark of issue 16: one axum worker (a current-thread runtime) pinned to one
//! core, a load generator pinned to the other, over loopback. The same route is served three ways
//! in one run: unguarded, behind `BearerAuthLayer` with the verified-token cache, and behind it
//! without the cache. Reported as ratios: the cached guard's requests per second over the
//! unguarded route's, and the uncached guard's added time per request over the cost of one full
//! validation measured on the same core in the same run.
//!
//! Run with `cargo bench -p okta-verify --bench http` (or `cargo xtask bench`); `-- --quick`
//! measures for a fraction of the time; `-- --sleeping-generator` makes the load generator block
//! in `read` as the first version of this benchmark did (see `requests_per_second`);
//! `-- --in-process` measures only the layer's own work, calling the router without a network. Explained in `docs/performance.md`.
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
use axum::body::Body;
use axum::routing::get;
use axum::serve::ListenerExt as _;
use http::{HeaderValue, Request, StatusCode, header};
use okta_verify::axum::BearerAuthLayer;
use okta_verify::{AccessTokenOptions, AccessTokenVerifier, Clock, JwksCache, TokenCacheOptions};
use tower::ServiceExt as _;

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
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    if args.iter().any(|arg| arg == "--in-process") {
        // The layer's own cost alone (seconds, no network): for working on the layer.
        let [open_ns, cached_ns] = in_process_costs(50_000);
        println!(
            "in process: unguarded {:.3} µs, cached guard {:.3} µs, the guard adds {:.3} µs",
            open_ns / 1000.0,
            cached_ns / 1000.0,
            (cached_ns - open_ns) / 1000.0
        );
        return;
    }
    let polling = !args.iter().any(|arg| arg == "--sleeping-generator");
    let (rounds, per_measure) =
        if quick { (1, Duration::from_millis(500)) } else { (7, Duration::from_millis(1500)) };
    let load_before = load_average();

    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (pinned_tx, pinned_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        pinned_tx.send((pin_current_thread(SERVER_CORE), thread_stat_path())).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            // As a production server should: no Nagle delay on responses.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app(quick)).await.unwrap();
        });
    });
    let (server_pinned, server_stat) = pinned_rx.recv().unwrap();
    let addr = addr_rx.recv().unwrap();
    let load_pinned = pin_current_thread(LOAD_CORE);

    // `--only PATH` (for a profiler): load that route alone.
    if let Some(at) = args.iter().position(|arg| arg == "--only") {
        let path = args.get(at + 1).expect("--only takes a route, such as /uncached/hello");
        let cost = calibrate(addr);
        let (rate, _) = requests_per_second(addr, path, per_measure * 4, polling);
        println!(
            "{path}: {rate:.0} requests/s ({:.2} µs each); full validation alone {:.2} µs, load \
             average {}",
            1e6 / rate,
            cost.full_ns / 1000.0,
            load_average()
        );
        return;
    }

    // Each round measures the three routes, in an order reversed every other round so that a
    // drift of the machine's load does not favour one route, between two calibrations of the
    // verification on the server's core. Every ratio is taken within its round, and the median
    // of the rounds is reported: the machine's load moves between rounds, not within a ratio.
    let mut measured: Vec<Round> = Vec::new();
    for round in 0..rounds {
        let before = calibrate(addr);
        let mut rates = [0.0; 3];
        let mut cpu = [(0.0, 0.0); 3];
        let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [2, 1, 0] };
        for index in order {
            let started = cpu_ticks(server_stat.as_deref());
            let (rate, responses) =
                requests_per_second(addr, ROUTES[index].0, per_measure, polling);
            rates[index] = rate;
            let ended = cpu_ticks(server_stat.as_deref());
            cpu[index] = per_request_us(started, ended, responses);
        }
        let after = calibrate(addr);
        measured.push(Round {
            rates,
            cpu,
            full_ns: f64::midpoint(before.full_ns, after.full_ns),
            hit_ns: f64::midpoint(before.hit_ns, after.hit_ns),
        });
    }
    report(&measured, &server_pinned, &load_pinned, polling, per_measure, &load_before);
    let [open_ns, cached_ns] = in_process_costs(if quick { 5_000 } else { 50_000 });
    println!(
        "\nin process (the router called directly, no network; load generator's core): unguarded \
         {:.3} µs, cached guard {:.3} µs per request: the guard's own work is {:.3} µs",
        open_ns / 1000.0,
        cached_ns / 1000.0,
        (cached_ns - open_ns) / 1000.0
    );
}

/// Nanoseconds per request through the router itself, unguarded and behind the cached guard:
/// the layer's own work without the network, far less noisy than the HTTP rounds. The median of
/// seven alternating loops of `samples` requests each.
fn in_process_costs(samples: u32) -> [f64; 2] {
    // `with_state` turns the handlers into routes once, as `axum::serve` does; without it the
    // router would apply the layers again on every request.
    let app: Router = app(true).with_state(());
    let authorization = HeaderValue::from_str(&format!("Bearer {}", TOKEN.trim())).unwrap();
    let once = |path: &'static str| {
        let request = Request::builder()
            .uri(path)
            .header(header::AUTHORIZATION, authorization.clone())
            .body(Body::empty())
            .unwrap();
        let response = ready(app.clone().oneshot(black_box(request))).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    };
    let mut loops: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..7 {
        for (index, path) in ["/open/hello", "/cached/hello"].into_iter().enumerate() {
            let started = Instant::now();
            for _ in 0..samples {
                once(path);
            }
            loops[index].push(started.elapsed().as_nanos() as f64 / f64::from(samples));
        }
    }
    loops.map(median)
}

/// One round: requests per second on each route, and the verification's cost on the server's
/// core around them.
struct Round {
    rates: [f64; 3],
    /// The server thread's user and system CPU time per request on each route, in µs (from
    /// `/proc`, in 10 ms ticks: a diagnostic, not a target).
    cpu: [(f64, f64); 3],
    full_ns: f64,
    hit_ns: f64,
}

impl Round {
    /// The cached guard's requests per second over the unguarded route's.
    fn cached_ratio(&self) -> f64 {
        self.rates[1] / self.rates[0]
    }

    /// Microseconds a guarded route adds per request to the unguarded one.
    fn added_us(&self, route: usize) -> f64 {
        1e6 / self.rates[route] - 1e6 / self.rates[0]
    }

    /// What the uncached guard adds per request over one full validation's own cost.
    fn uncached_ratio(&self) -> f64 {
        self.added_us(2) * 1000.0 / self.full_ns
    }
}

fn report(
    rounds: &[Round],
    server_pinned: &str,
    load_pinned: &str,
    polling: bool,
    per_measure: Duration,
    load_before: &str,
) {
    let median_of = |value: &dyn Fn(&Round) -> f64| median(rounds.iter().map(value).collect());
    println!("\n## okta-verify HTTP benchmark (one axum worker, one load generator, loopback)\n");
    println!(
        "pinned: server to core {SERVER_CORE}: {server_pinned}; load generator to core \
         {LOAD_CORE}: {load_pinned}; generator {}; {} round(s) of {} ms per route; ratios taken \
         within each round, medians\n",
        if polling { "polling" } else { "sleeping in read" },
        rounds.len(),
        per_measure.as_millis()
    );
    println!(
        "| route | requests/s | time per request | ratio | server user CPU per request | server \
         system CPU per request |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (index, (_, label)) in ROUTES.iter().enumerate() {
        let rate = median_of(&|round| round.rates[index]);
        let ratio = median_of(&|round| round.rates[index] / round.rates[0]);
        let user = median_of(&|round| round.cpu[index].0);
        let system = median_of(&|round| round.cpu[index].1);
        println!(
            "| {label} | {rate:.0}/s | {:.2} µs | {ratio:.3} × unguarded | {user:.2} µs | \
             {system:.2} µs |",
            1e6 / rate
        );
    }
    println!(
        "\nverification alone on the server's core (calibrated around each round): full \
         validation {:.2} µs, cache hit {:.3} µs",
        median_of(&|round| round.full_ns) / 1000.0,
        median_of(&|round| round.hit_ns) / 1000.0
    );
    println!(
        "cached guard: {:.3} × the unguarded requests/s (target ≥ 0.85); adds {:.2} µs per request",
        median_of(&Round::cached_ratio),
        median_of(&|round| round.added_us(1))
    );
    println!(
        "uncached guard: adds {:.2} µs per request, {:.3} × the full validation's own cost \
         (target ≤ 1.1)",
        median_of(&|round| round.added_us(2)),
        median_of(&Round::uncached_ratio)
    );
    println!(
        "load average (1, 5, 15 min) before: {load_before}; after: {} (2 cores: above about 0.5 \
         the ratios are noisy, run again)",
        load_average()
    );
    println!(
        "\n| round | unguarded/s | cached/s | uncached/s | full validation | cached ratio | uncached ratio |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (index, round) in rounds.iter().enumerate() {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} µs | {:.3} | {:.3} |",
            index + 1,
            round.rates[0],
            round.rates[1],
            round.rates[2],
            round.full_ns / 1000.0,
            round.cached_ratio(),
            round.uncached_ratio()
        );
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

/// One handler, served unguarded and under the two guards; and `/calibrate`, which measures the
/// verification on the server's own core (the worker does nothing else meanwhile).
fn app(quick: bool) -> Router {
    async fn hello() -> &'static str {
        "hello"
    }
    let samples = if quick { 2_000 } else { 4_000 };
    let calibrate = move || async move {
        let (full_ns, hit_ns) = verification_costs(samples);
        format!("{full_ns} {hit_ns}")
    };
    let route = || Router::new().route("/hello", get(hello));
    Router::new()
        .route("/calibrate", get(calibrate))
        .nest("/open", route())
        .nest("/cached", route().layer(BearerAuthLayer::new(verifier(true))))
        .nest("/uncached", route().layer(BearerAuthLayer::new(verifier(false))))
}

/// The verification's cost on the server's core, in nanoseconds.
#[derive(Debug, Clone, Copy)]
struct Cost {
    full_ns: f64,
    hit_ns: f64,
}

/// Asks the server to measure the verification on its core (`/calibrate`).
fn calibrate(addr: SocketAddr) -> Cost {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /calibrate HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200 "), "calibration failed: {response}");
    let mut numbers = body.split_whitespace().map(|number| number.parse::<f64>().unwrap());
    Cost { full_ns: numbers.next().unwrap(), hit_ns: numbers.next().unwrap() }
}

/// Polls a future once: with warm keys verification never waits.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("verification with warm keys must not wait"),
    }
}

/// Nanoseconds per full validation and per cache hit, the median of five loops of `samples`
/// (twenty times as many for the hits).
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
fn requests_per_second(
    addr: SocketAddr,
    path: &str,
    duration: Duration,
    polling: bool,
) -> (f64, u64) {
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
            // The generator polls instead of sleeping in `read` (unless `--sleeping-generator`):
            // a sleeping reader makes the responses the server writes wake it across cores, work
            // charged to the server's core, and more of it on a slow route, whose responses
            // find the reader asleep more often. The generator has its own core to spin on.
            stream.set_nonblocking(polling).unwrap();
            stream
        })
        .collect();
    let mut buffer = vec![0_u8; response_len * PIPELINE];
    // Keep a batch queued on each connection, so the server never waits for the generator.
    for connection in &mut connections {
        write_all_polling(connection, &batch);
    }
    let mut responses = 0_u64;
    let started = Instant::now();
    while started.elapsed() < duration {
        for connection in &mut connections {
            read_exact_polling(connection, &mut buffer);
            write_all_polling(connection, &batch);
            responses += PIPELINE as u64;
        }
    }
    let elapsed = started.elapsed();
    for connection in &mut connections {
        read_exact_polling(connection, &mut buffer);
        responses += PIPELINE as u64;
    }
    (responses as f64 / elapsed.as_secs_f64(), responses)
}

/// `read_exact` on a non-blocking socket, spinning while no data is there (bounded: the server
/// answers every request, and a closed connection fails the read).
fn read_exact_polling(stream: &mut TcpStream, mut buffer: &mut [u8]) {
    while !buffer.is_empty() {
        match stream.read(buffer) {
            Ok(0) => panic!("the server closed the connection"),
            Ok(read) => buffer = &mut buffer[read..],
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => std::hint::spin_loop(),
            Err(err) => panic!("reading responses: {err}"),
        }
    }
}

/// `write_all` on a non-blocking socket, spinning while the send buffer is full.
fn write_all_polling(stream: &mut TcpStream, mut data: &[u8]) {
    while !data.is_empty() {
        match stream.write(data) {
            Ok(0) => panic!("the server closed the connection"),
            Ok(written) => data = &data[written..],
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => std::hint::spin_loop(),
            Err(err) => panic!("writing requests: {err}"),
        }
    }
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

/// `/proc/thread-self/stat`'s path under its thread id, to read this thread's CPU time from
/// another thread (`None` off Linux).
fn thread_stat_path() -> Option<String> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    // The link is relative: `<pid>/task/<tid>`.
    Some(format!("/proc/{}/stat", link.display()))
}

/// A thread's user and system CPU time, in clock ticks (fields 14 and 15 of `stat`).
fn cpu_ticks(stat: Option<&str>) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(stat?).ok()?;
    // The command name (field 2) is parenthesised and may hold spaces: count after it.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?))
}

/// CPU microseconds per request between two readings (100 ticks a second, Linux's `USER_HZ`).
fn per_request_us(
    started: Option<(u64, u64)>,
    ended: Option<(u64, u64)>,
    responses: u64,
) -> (f64, f64) {
    let (Some(started), Some(ended)) = (started, ended) else {
        return (f64::NAN, f64::NAN);
    };
    let per = |ticks: u64| ticks as f64 * 10_000.0 / responses.max(1) as f64;
    (per(ended.0.saturating_sub(started.0)), per(ended.1.saturating_sub(started.1)))
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
