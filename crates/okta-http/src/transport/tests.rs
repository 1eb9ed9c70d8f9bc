//! Tests of the hardened transport against a raw HTTP server on 127.0.0.1:0.

use std::io::Write as _;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use url::Url;

use crate::client::HttpClient;
use crate::error::TransportError;
use crate::transport::{HttpClientOptions, ReqwestHttpClient};
use crate::urls::{check_url, is_loopback, redacted_url, same_origin};

/// Serves each accepted connection with `response` (raw bytes) after reading the request head.
/// `None` accepts and never answers. Returns the base URL.
async fn serve(response: Option<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Bounded: a test makes at most a few requests.
        for _ in 0..4 {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let response = response.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0_u8; 4096];
                let _ = socket.read(&mut buffer).await;
                match response {
                    Some(bytes) => {
                        let _ = socket.write_all(&bytes).await;
                        let _ = socket.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(5)).await,
                }
            });
        }
    });
    format!("http://{address}")
}

fn client(max_response_bytes: usize, timeout: Duration) -> ReqwestHttpClient {
    ReqwestHttpClient::new(HttpClientOptions {
        timeout,
        max_response_bytes,
        ..HttpClientOptions::default()
    })
    .unwrap()
}

fn get(url: &str) -> http::Request<Vec<u8>> {
    http::Request::builder().uri(url).body(Vec::new()).unwrap()
}

#[tokio::test]
async fn ok_response_is_returned_whole() {
    let base =
        serve(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: 1\r\n\r\nhello".to_vec()))
            .await;
    let response =
        client(1024, Duration::from_secs(5)).execute(get(&format!("{base}/keys"))).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), b"hello");
    assert_eq!(response.headers()["x-test"], "1");
}

#[tokio::test]
async fn sc_095_redirects_are_errors_not_followed() {
    let base = serve(Some(
        b"HTTP/1.1 302 Found\r\nLocation: https://evil.example/keys\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    ))
    .await;
    let err = client(1024, Duration::from_secs(5))
        .execute(get(&format!("{base}/keys?client_secret=hunter2")))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Redirect { status: 302, .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "query strings never reach messages: {err}");
}

#[tokio::test]
async fn sc_095_body_cap_by_content_length_and_while_streaming() {
    let declared =
        serve(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n{}".to_vec())).await;
    let err = client(1024, Duration::from_secs(5)).execute(get(&declared)).await.unwrap_err();
    assert!(matches!(err, TransportError::TooLarge { limit: 1024, .. }), "{err:?}");

    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..8 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'a'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let streamed = serve(Some(chunked)).await;
    let err = client(1024, Duration::from_secs(5)).execute(get(&streamed)).await.unwrap_err();
    assert!(matches!(err, TransportError::TooLarge { limit: 1024, .. }), "{err:?}");
}

#[tokio::test]
async fn sc_118_stalled_server_times_out() {
    let base = serve(None).await;
    let started = std::time::Instant::now();
    let err = client(1024, Duration::from_millis(300)).execute(get(&base)).await.unwrap_err();
    assert!(matches!(err, TransportError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn sc_118_no_automatic_decompression() {
    // A "gzip" body is returned as the bytes sent: nothing inflates it behind the size cap.
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n".to_vec();
    response.extend_from_slice(&[0x1f, 0x8b, 0x08, 0x00]);
    let base = serve(Some(response)).await;
    let response = client(1024, Duration::from_secs(5)).execute(get(&base)).await.unwrap();
    assert_eq!(response.body(), &[0x1f, 0x8b, 0x08, 0x00]);
}

#[tokio::test]
async fn sc_117_plain_http_is_refused_except_loopback() {
    let err = client(1024, Duration::from_secs(5))
        .execute(get("http://example.okta.com/oauth2/v1/keys?secret=1"))
        .await
        .unwrap_err();
    expect_test::expect![[r"insecure URL http://example.okta.com/oauth2/v1/keys: https is required except for loopback hosts"]]
        .assert_eq(&err.to_string());
    let cases = [
        ("https://example.okta.com/", true),
        ("http://127.0.0.1:8080/", true),
        ("http://127.9.9.9/", true),
        ("http://[::1]:80/", true),
        ("http://localhost/", true),
        ("http://LOCALHOST/", true),
        ("http://localhost.evil.example/", false),
        ("http://10.0.0.1/", false),
        ("http://128.0.0.1/", false),
        ("ftp://127.0.0.1/", false),
        ("file:///etc/passwd", false),
    ];
    for (url, allowed) in cases {
        let url = Url::parse(url).unwrap();
        assert_eq!(check_url(&url, true).is_ok(), allowed, "{url}");
    }
    assert!(check_url(&Url::parse("http://127.0.0.1/").unwrap(), false).is_err());
    assert!(is_loopback(&Url::parse("http://[::1]/").unwrap()));
}

#[test]
fn redacted_urls_drop_credentials_query_and_fragment() {
    let url = Url::parse("https://user:pass@example.okta.com:8443/oauth2/v1/token?code=abc#frag")
        .unwrap();
    assert_eq!(redacted_url(&url), "https://example.okta.com:8443/oauth2/v1/token");
    assert!(same_origin(&url, &Url::parse("https://example.okta.com:8443/x").unwrap()));
    assert!(!same_origin(&url, &Url::parse("https://example.okta.com/x").unwrap()));
}

thread_local! {
    /// What the global test subscriber wrote for this thread, while capturing.
    static CAPTURED: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// A writer for `tracing-subscriber` that appends to the calling thread's capture.
struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|captured| {
            if let Some(buffer) = captured.borrow_mut().as_mut() {
                buffer.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` with every `tracing` event at INFO and above, on this thread, captured as text.
///
/// The subscriber is the process-wide default, installed once and filtering per thread: a scoped
/// subscriber (`with_default`) races with the tests that run in parallel without one, whose
/// threads can cache a callsite as "never interested" and so drop spans at random. The filter is
/// dynamic (`dynamic_filter_fn`) for the same reason: a plain `filter_fn` caches its first
/// answer per callsite, so a callsite first reached by a thread that is not capturing would
/// stay disabled for the capturing one.
fn capture_logs(f: impl FnOnce()) -> String {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let capturing = tracing_subscriber::filter::dynamic_filter_fn(|metadata, _context| {
            *metadata.level() <= tracing::Level::INFO
                && CAPTURED
                    .try_with(|captured| captured.try_borrow().is_ok_and(|c| c.is_some()))
                    .unwrap_or(false)
        });
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(|| ThreadCapture)
            .with_ansi(false)
            .with_filter(capturing);
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .expect("no other test installs a global subscriber");
    });
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
    f();
    let bytes = CAPTURED.with(|captured| captured.borrow_mut().take()).unwrap_or_default();
    String::from_utf8(bytes).expect("UTF-8 logs")
}

#[test]
fn rate_limit_headers_are_traced_and_low_remaining_warns() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let output = capture_logs(|| {
        runtime.block_on(async {
            let base = serve(Some(
                b"HTTP/1.1 429 Too Many Requests\r\nX-Rate-Limit-Limit: 100\r\nX-Rate-Limit-Remaining: 3\r\nX-Rate-Limit-Reset: 1700000060\r\nContent-Length: 0\r\n\r\n"
                    .to_vec(),
            ))
            .await;
            let mut request = get(&format!("{base}/oauth2/v1/token?code=secret-code"));
            request.headers_mut().insert(http::header::AUTHORIZATION, "Basic c2VjcmV0".parse().unwrap());
            let response = client(1024, Duration::from_secs(5)).execute(request).await.unwrap();
            assert_eq!(response.status(), 429);
        });
    });
    assert!(output.contains("Okta rate limit nearly exhausted"), "{output}");
    assert!(output.contains("remaining=3") && output.contains("limit=100"), "{output}");
    assert!(output.contains("path=/oauth2/v1/token"), "{output}");
    assert!(!output.contains("secret-code") && !output.contains("c2VjcmV0"), "{output}");
    let _ = std::io::stdout().flush();
}

/// The test CA and the `localhost`/`127.0.0.1` certificate it signed (`tests/data/README.md`).
const CA: &[u8] = include_bytes!("../../tests/data/ca.pem");
const SERVER_CERT: &[u8] = include_bytes!("../../tests/data/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("../../tests/data/server.key.pem");

/// A rustls server on 127.0.0.1:0 (aws-lc-rs) that answers one HTTPS request with `hello`.
async fn serve_tls() -> std::net::SocketAddr {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = vec![CertificateDer::from_pem_slice(SERVER_CERT).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Bounded: each test makes at most two connections.
        for _ in 0..2 {
            let Ok((socket, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else { return };
                let mut buffer = vec![0_u8; 4096];
                let _ = tls.read(&mut buffer).await;
                let response =
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
                let _ = tls.write_all(response).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    address
}

fn trusting_test_ca() -> ReqwestHttpClient {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(CA).unwrap()).unwrap();
    let tls = crate::tls::client_config_with_roots(roots).unwrap();
    ReqwestHttpClient::with_tls(HttpClientOptions::default(), tls).unwrap()
}

#[tokio::test]
async fn a_real_tls_handshake_on_aws_lc_rs() {
    let address = serve_tls().await;
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}/oauth2/default/v1/keys", address.port());
        let response = trusting_test_ca().execute(get(&url)).await.unwrap();
        assert_eq!(response.status(), 200, "{host}");
        assert_eq!(response.body(), b"hello", "{host}");
    }
}

#[tokio::test]
async fn an_unknown_certificate_authority_is_a_connect_error() {
    // The production client trusts the Mozilla roots only, not the test CA.
    let address = serve_tls().await;
    let client = client(1024, Duration::from_secs(5));
    let err = client.execute(get(&format!("https://127.0.0.1:{}/", address.port()))).await;
    assert!(matches!(err, Err(TransportError::Connect { .. })), "{err:?}");
}

#[tokio::test]
async fn the_extra_ca_of_the_settings_is_trusted_next_to_the_public_roots() {
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ca.pem");
    let load = |extra: Option<&str>| {
        let mut loader = okta_config::SettingsLoader::isolated()
            .set("issuer", "https://dev-123456.okta.com/oauth2/default");
        if let Some(extra) = extra {
            loader = loader.set("http.extra_ca_file", extra);
        }
        loader.load().unwrap()
    };
    let address = serve_tls().await;
    let url = format!("https://localhost:{}/oauth2/default/v1/keys", address.port());
    let trusting = ReqwestHttpClient::from_settings(&load(Some(ca))).unwrap();
    let response = trusting.execute(get(&url)).await.unwrap();
    assert_eq!(response.body(), b"hello");
    let plain = ReqwestHttpClient::from_settings(&load(None)).unwrap();
    let refused = plain.execute(get(&url)).await;
    assert!(matches!(refused, Err(TransportError::Connect { .. })), "{refused:?}");
}
