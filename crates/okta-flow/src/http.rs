//! Runs `openidconnect` requests through okta-http's hardened transport, remembering the
//! status and rate-limit headers of the response so errors can say what the server did.

use std::sync::Mutex;

use http::{Request, Response};
use okta_http::{BoxFuture, HttpClient, TransportError};
use openidconnect::AsyncHttpClient;

/// What the last response said besides its body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResponseMeta {
    pub(crate) status: u16,
    /// `X-Rate-Limit-Reset`: the epoch second at which Okta's rate limit resets.
    pub(crate) rate_limit_reset: Option<u64>,
}

/// One request's adapter: `openidconnect` calls [`Recorder::call`] through its
/// `AsyncHttpClient` blanket implementation for closures.
pub(crate) struct Recorder<'a> {
    http: &'a dyn HttpClient,
    last: Mutex<Option<ResponseMeta>>,
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(http: &'a dyn HttpClient) -> Self {
        Self { http, last: Mutex::new(None) }
    }

    /// Sends a request built by `openidconnect`.
    pub(crate) fn call(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let response = self.http.execute(request).await?;
            let rate_limit_reset = response
                .headers()
                .get("x-rate-limit-reset")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse().ok());
            let meta = ResponseMeta { status: response.status().as_u16(), rate_limit_reset };
            if let Ok(mut last) = self.last.lock() {
                *last = Some(meta);
            }
            Ok(response)
        })
    }

    /// The status and rate-limit reset of the last response, if one arrived.
    pub(crate) fn last(&self) -> Option<ResponseMeta> {
        self.last.lock().ok().and_then(|last| *last)
    }
}

/// `openidconnect` sends requests through this impl. A named impl rather than a closure: with a
/// closure, the compiler cannot prove the request futures `Send` for every lifetime, and the
/// flow's futures could not run in `tokio::spawn` or an axum handler.
impl<'c> AsyncHttpClient<'c> for Recorder<'_> {
    type Error = TransportError;
    type Future = BoxFuture<'c, Result<Response<Vec<u8>>, TransportError>>;

    fn call(&'c self, request: Request<Vec<u8>>) -> Self::Future {
        Recorder::call(self, request)
    }
}
