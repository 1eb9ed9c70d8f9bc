//! The hardened HTTP transport that okta-verify and okta-flow use for every call to Okta.
//!
//! [`HttpClient`] is the only way these crates reach the network. Tests pass closures
//! (`|request| async { Ok(response) }`); production uses [`ReqwestHttpClient`], which follows no
//! redirects, caps response sizes while streaming, enforces connect and total timeouts, refuses
//! plain `http` except for loopback hosts, does no automatic decompression, and records a
//! `tracing` span per request (method, host and path, status, duration and Okta's rate-limit
//! headers; never query strings or header values).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use tracing::Instrument as _;
use url::Url;

use crate::error::ConfigError;

/// A boxed, sendable future, as returned by [`HttpClient::execute`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request and returns the whole response.
///
/// Implemented for [`ReqwestHttpClient`] and for every closure
/// `Fn(http::Request<Vec<u8>>) -> impl Future<Output = Result<http::Response<Vec<u8>>, TransportError>>`,
/// so tests inject canned responses. Usable as `Arc<dyn HttpClient>`.
pub trait HttpClient: Send + Sync {
    /// Sends `request`. A 3xx answer is an error ([`TransportError::Redirect`]), never followed;
    /// any other status is returned for the caller to judge.
    fn execute(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>>;
}

impl<F, Fut> HttpClient for F
where
    F: Fn(Request<Vec<u8>>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send + 'static,
{
    fn execute(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>> {
        Box::pin(self(request))
    }
}

/// Why an HTTP exchange failed before a usable response arrived.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The connect or total deadline passed.
    #[error("timed out after {after:?} ({url})")]
    Timeout {
        /// The deadline that passed.
        after: Duration,
        /// The URL without its query string.
        url: String,
    },
    /// The connection (DNS, TCP or TLS) could not be established.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL without its query string.
        url: String,
        /// The underlying error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// The URL is not `https` (plain `http` is accepted only for loopback hosts).
    #[error("insecure URL {url}: https is required except for loopback hosts")]
    InsecureUrl {
        /// The URL without its query string.
        url: String,
    },
    /// The server answered with a redirect, which is never followed.
    #[error("unexpected redirect (status {status}) from {url}")]
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The URL without its query string.
        url: String,
    },
    /// The response body is larger than the cap.
    #[error("response from {url} larger than {limit} bytes")]
    TooLarge {
        /// The cap in bytes.
        limit: usize,
        /// The URL without its query string.
        url: String,
    },
    /// Anything else (an invalid request, a broken connection while reading, ...).
    #[error("HTTP request failed: {message}")]
    Other {
        /// What went wrong.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
}

impl TransportError {
    /// An [`TransportError::Other`] with a message only (handy in test closures).
    pub fn other(message: impl Into<String>) -> Self {
        Self::Other { message: message.into(), source: None }
    }
}

/// Options of [`ReqwestHttpClient`]. The defaults are safe for calls to Okta.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpClientOptions {
    /// Deadline for establishing a connection. Defaults to 5 seconds.
    pub connect_timeout: Duration,
    /// Deadline for the whole exchange, body included. Defaults to 10 seconds.
    pub timeout: Duration,
    /// Largest response body accepted, in bytes. Defaults to 1 MiB.
    pub max_response_bytes: usize,
    /// Whether plain `http` to a loopback host (127.0.0.0/8, `::1`, `localhost`) is allowed, for
    /// local development servers. Defaults to `true`; other hosts always need `https`.
    pub allow_loopback_http: bool,
}

impl Default for HttpClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
            allow_loopback_http: true,
        }
    }
}

/// The production [`HttpClient`]: reqwest with rustls and the hardening described in the
/// [module documentation](self).
#[derive(Debug, Clone)]
pub struct ReqwestHttpClient {
    client: reqwest::Client,
    options: HttpClientOptions,
}

impl ReqwestHttpClient {
    /// Builds a client with these options.
    pub fn new(options: HttpClientOptions) -> Result<Self, ConfigError> {
        if options.max_response_bytes == 0 {
            return Err(ConfigError::OutOfRange {
                name: "max_response_bytes",
                reason: "must be at least 1",
            });
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("okta-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| ConfigError::HttpClient { reason: err.to_string() })?;
        Ok(Self { client, options })
    }

    /// The options the client was built with.
    pub fn options(&self) -> &HttpClientOptions {
        &self.options
    }

    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let url = Url::parse(&request.uri().to_string())
            .map_err(|_| TransportError::other("the request URI is not an absolute URL"))?;
        check_url(&url, self.options.allow_loopback_http)?;
        let shown = redacted_url(&url);
        let span = tracing::Span::current();
        let started = Instant::now();
        let request = reqwest::Request::try_from(request).map_err(|err| TransportError::Other {
            message: "cannot build the request".to_owned(),
            source: Some(Arc::new(err)),
        })?;
        let mut response =
            self.client.execute(request).await.map_err(|err| self.classify(err, &shown))?;
        let status = response.status();
        span.record("status", status.as_u16());
        record_rate_limits(&span, response.headers(), &shown);
        if status.is_redirection() {
            span.record("duration_ms", elapsed_ms(started));
            return Err(TransportError::Redirect { status: status.as_u16(), url: shown });
        }
        let limit = self.options.max_response_bytes;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            span.record("duration_ms", elapsed_ms(started));
            return Err(TransportError::TooLarge { limit, url: shown });
        }
        let mut body = Vec::with_capacity(
            usize::try_from(response.content_length().unwrap_or(0)).unwrap_or(0).min(limit),
        );
        while let Some(chunk) = response.chunk().await.map_err(|err| self.classify(err, &shown))? {
            if body.len() + chunk.len() > limit {
                span.record("duration_ms", elapsed_ms(started));
                return Err(TransportError::TooLarge { limit, url: shown });
            }
            body.extend_from_slice(&chunk);
        }
        span.record("duration_ms", elapsed_ms(started));
        let mut builder = Response::builder().status(status).version(response.version());
        if let Some(headers) = builder.headers_mut() {
            headers.extend(
                response.headers().iter().map(|(name, value)| (name.clone(), value.clone())),
            );
        }
        builder.body(body).map_err(|err| TransportError::Other {
            message: "cannot rebuild the response".to_owned(),
            source: Some(Arc::new(err)),
        })
    }

    fn classify(&self, err: reqwest::Error, url: &str) -> TransportError {
        if err.is_timeout() {
            let after =
                if err.is_connect() { self.options.connect_timeout } else { self.options.timeout };
            TransportError::Timeout { after, url: url.to_owned() }
        } else if err.is_connect() {
            TransportError::Connect { url: url.to_owned(), source: Arc::new(err.without_url()) }
        } else {
            TransportError::Other {
                message: format!("exchange with {url} failed"),
                source: Some(Arc::new(err.without_url())),
            }
        }
    }
}

impl HttpClient for ReqwestHttpClient {
    fn execute(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>> {
        let (host, path) = match Url::parse(&request.uri().to_string()) {
            Ok(url) => (url.host_str().unwrap_or_default().to_owned(), url.path().to_owned()),
            Err(_) => (String::new(), String::new()),
        };
        let span = tracing::info_span!(
            "okta_http",
            method = %request.method(),
            host = %host,
            path = %path,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            rate_limit_limit = tracing::field::Empty,
            rate_limit_remaining = tracing::field::Empty,
            rate_limit_reset = tracing::field::Empty,
        );
        Box::pin(self.send(request).instrument(span))
    }
}

/// Refuses URLs that are not `https`, except `http` to a loopback host when `allow_loopback_http`.
pub fn check_url(url: &Url, allow_loopback_http: bool) -> Result<(), TransportError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_loopback_http && is_loopback(url) => Ok(()),
        _ => Err(TransportError::InsecureUrl { url: redacted_url(url) }),
    }
}

/// Like [`check_url`] with loopback `http` allowed, as a configuration error.
pub(crate) fn check_config_url(url: &Url) -> Result<(), ConfigError> {
    check_url(url, true).map_err(|_| ConfigError::InsecureUrl { url: redacted_url(url) })
}

/// Whether two URLs share scheme, host and port: use it to check that a discovered endpoint (such
/// as `jwks_uri`) stays on the issuer's origin.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// Whether the URL's host is 127.0.0.0/8, `::1` or `localhost` (the rule of okta-config).
pub fn is_loopback(url: &Url) -> bool {
    okta_config::is_loopback_url(url)
}

/// The URL without user info, query or fragment, for messages and logs.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        shown.push(':');
        shown.push_str(&port.to_string());
    }
    shown.push_str(url.path());
    shown
}

/// Below this share of the bucket left, a warning is logged.
const LOW_RATE_LIMIT_PERCENT: u64 = 10;

fn record_rate_limits(span: &tracing::Span, headers: &http::HeaderMap, url: &str) {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    let limit = number("x-rate-limit-limit");
    let remaining = number("x-rate-limit-remaining");
    let reset = number("x-rate-limit-reset");
    if let Some(limit) = limit {
        span.record("rate_limit_limit", limit);
    }
    if let Some(remaining) = remaining {
        span.record("rate_limit_remaining", remaining);
    }
    if let Some(reset) = reset {
        span.record("rate_limit_reset", reset);
    }
    if let (Some(limit), Some(remaining)) = (limit, remaining)
        && remaining.saturating_mul(100) < limit.saturating_mul(LOW_RATE_LIMIT_PERCENT)
    {
        tracing::warn!(url, limit, remaining, reset, "Okta rate limit nearly exhausted");
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl fmt::Display for HttpClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "connect timeout {:?}, timeout {:?}, max response {} bytes",
            self.connect_timeout, self.timeout, self.max_response_bytes
        )
    }
}

#[cfg(test)]
mod tests;
