//! [`ReqwestHttpClient`], the production [`HttpClient`], and its [`HttpClientOptions`].
//!
//! It follows no redirects, caps response sizes while streaming, enforces connect and total
//! timeouts, refuses plain `http` except for loopback hosts, does no automatic decompression,
//! uses a proxy only when the options say so, runs TLS on rustls with aws-lc-rs, and records a
//! `tracing` span per request (method, host and path, status, duration and Okta's rate-limit
//! headers; never query strings or header values).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use okta_config::Proxy;
use tracing::Instrument as _;
use url::Url;

use crate::client::{BoxFuture, HttpClient};
use crate::error::{BuildError, TransportError};
use crate::proxy::apply_proxy;
use crate::rate_limit::record_rate_limits;
use crate::tls::client_config;
use crate::urls::{check_url, redacted_url};

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
    /// The proxy requests go through. Defaults to [`Proxy::Direct`]: no proxy, and the proxy
    /// environment variables are never read by the client itself (okta-config reads them for
    /// `http.proxy = "environment"`).
    pub proxy: Proxy,
    /// Hosts reached without the proxy (see [`okta_config::HttpSettings::no_proxy`] for the
    /// syntax). Defaults to none.
    pub no_proxy: Vec<String>,
}

impl Default for HttpClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
            allow_loopback_http: true,
            proxy: Proxy::Direct,
            no_proxy: Vec::new(),
        }
    }
}

impl fmt::Display for HttpClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "connect timeout {:?}, timeout {:?}, max response {} bytes, proxy {}",
            self.connect_timeout, self.timeout, self.max_response_bytes, self.proxy
        )
    }
}

/// The production [`HttpClient`]: reqwest on rustls (aws-lc-rs), hardened as the
/// [module documentation](crate#the-transport) describes.
#[derive(Clone)]
pub struct ReqwestHttpClient {
    client: reqwest::Client,
    options: HttpClientOptions,
}

impl fmt::Debug for ReqwestHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // reqwest's own `Debug` is not ours to vouch for; the options are (the proxy redacted).
        f.debug_struct("ReqwestHttpClient").field("options", &self.options).finish_non_exhaustive()
    }
}

impl ReqwestHttpClient {
    /// Builds a client with these options.
    pub fn new(options: HttpClientOptions) -> Result<Self, BuildError> {
        Self::with_tls(options, client_config()?)
    }

    /// [`ReqwestHttpClient::new`] with this rustls configuration (tests trust a local CA).
    pub(crate) fn with_tls(
        options: HttpClientOptions,
        tls: rustls::ClientConfig,
    ) -> Result<Self, BuildError> {
        if options.max_response_bytes == 0 {
            return Err(BuildError::OutOfRange {
                name: "max_response_bytes",
                reason: "must be at least 1",
            });
        }
        let builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("okta-oidc/", env!("CARGO_PKG_VERSION")));
        let client = apply_proxy(builder, &options.proxy, &options.no_proxy)?
            .build()
            .map_err(|err| BuildError::Client { source: Arc::new(err) })?;
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
            source: Some(Arc::new(err.without_url())),
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

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
