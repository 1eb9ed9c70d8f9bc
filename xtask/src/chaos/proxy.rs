//! The load balancer of a chaos run: one loopback address in front of the replicas, each request
//! to the next replica in turn (no sticky routing). A request that cannot connect to a replica
//! goes to the next one, as load balancers retry a connection failure; a replica that fails
//! after the request reached it answers `502` (its requests in flight). Every answer names the
//! replica in `x-chaos-replica`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};

/// The header that names the replica (its index) that answered.
pub(crate) const REPLICA_HEADER: &str = "x-chaos-replica";
/// Largest request body forwarded (forms).
const MAX_BODY: usize = 64 * 1024;

struct Proxy {
    replicas: Vec<SocketAddr>,
    next: AtomicUsize,
    http: reqwest::Client,
}

/// Serves the proxy on `listener` until the task is aborted.
pub(crate) fn start(
    listener: tokio::net::TcpListener,
    replicas: Vec<SocketAddr>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(2))
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .context("building the proxy's HTTP client")?;
    let proxy = Arc::new(Proxy { replicas, next: AtomicUsize::new(0), http });
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    Ok(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            crate::report(&format!("chaos: the proxy stopped: {err}"));
        }
    }))
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let first = proxy.next.fetch_add(1, Ordering::Relaxed);
    let mut last = 0;
    for attempt in 0..proxy.replicas.len() {
        let replica = (first + attempt) % proxy.replicas.len();
        last = replica;
        let url = format!("http://{}{path}", proxy.replicas[replica]);
        let mut outgoing = proxy.http.request(parts.method.clone(), url).body(body.clone());
        for (name, value) in &parts.headers {
            if !hop_by_hop(name) {
                outgoing = outgoing.header(name, value);
            }
        }
        match outgoing.send().await {
            Ok(answer) => return relay(answer, replica).await,
            // Nothing reached this replica: try the next, as a load balancer does.
            Err(err) if err.is_connect() => {}
            Err(_) => return failed(replica),
        }
    }
    failed(last)
}

async fn relay(answer: reqwest::Response, replica: usize) -> Response {
    let status = answer.status();
    let headers = answer.headers().clone();
    let Ok(body) = answer.bytes().await else {
        return failed(replica);
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !hop_by_hop(name) && name != header::CONTENT_LENGTH {
            response.headers_mut().append(name, value.clone());
        }
    }
    response.headers_mut().insert(REPLICA_HEADER, HeaderValue::from(replica));
    response
}

/// `502`: the replica failed after the request reached it (or none could be reached).
fn failed(replica: usize) -> Response {
    let mut response = (StatusCode::BAD_GATEWAY, "the replica did not answer").into_response();
    response.headers_mut().insert(REPLICA_HEADER, HeaderValue::from(replica));
    response
}

/// Headers of one connection, not of the request (RFC 9110 7.6.1), and `Host` (the client sets
/// the replica's).
fn hop_by_hop(name: &HeaderName) -> bool {
    [
        header::CONNECTION,
        header::HOST,
        header::TRANSFER_ENCODING,
        header::TE,
        header::TRAILER,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
}
