//! The errors of okta-http: why an exchange failed, and why a client could not be built.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

/// Why an HTTP exchange failed before a usable response arrived.
///
/// Every URL in a variant is shown without user info, query string or fragment, so neither
/// credentials nor codes reach a log line. The transport's own errors (reqwest's, rustls's) are
/// kept only as opaque [`source`](std::error::Error::source)s.
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
    /// The connection (DNS, TCP, the proxy's tunnel or TLS) could not be established.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL without its query string.
        url: String,
        /// The underlying error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
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
        source: Option<Arc<dyn StdError + Send + Sync>>,
    },
}

impl TransportError {
    /// An [`TransportError::Other`] with a message only (handy in test closures).
    pub fn other(message: impl Into<String>) -> Self {
        Self::Other { message: message.into(), source: None }
    }
}

/// Why a [`ReqwestHttpClient`](crate::ReqwestHttpClient) could not be built from its options.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A duration or size option is out of its allowed range.
    #[error("option `{name}` is out of range: {reason}")]
    OutOfRange {
        /// The option.
        name: &'static str,
        /// Its allowed range.
        reason: &'static str,
    },
    /// The proxy cannot be used. The URL is shown without its credentials.
    #[error("cannot use the proxy {url}")]
    Proxy {
        /// The proxy's URL, credentials replaced by `[redacted]`.
        url: String,
        /// The underlying error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },
    /// TLS could not be set up with the aws-lc-rs provider.
    #[error("cannot set up TLS")]
    Tls {
        /// The underlying error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },
    /// The HTTP client refused the configuration.
    #[error("cannot build the HTTP client")]
    Client {
        /// The underlying error.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },
}
