//! Runs `openidconnect` requests through okta-http's hardened transport, remembering the
//! status and rate-limit headers of the response so errors can say what the server did, and
//! authenticating `/token` requests with okta-http's client authentication.

use std::sync::Mutex;

use http::{Request, Response};
use okta_http::{BoxFuture, ClientCredentials, HttpClient, TransportError};
use openidconnect::AsyncHttpClient;
use url::Url;
use url::form_urlencoded;

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
    credentials: Option<&'a ClientCredentials>,
    last: Mutex<Option<ResponseMeta>>,
}

impl<'a> Recorder<'a> {
    /// An adapter that sends requests as `openidconnect` built them (userinfo).
    pub(crate) fn new(http: &'a dyn HttpClient) -> Self {
        Self { http, credentials: None, last: Mutex::new(None) }
    }

    /// An adapter for `/token`: `openidconnect` builds the grant's form (it is told no secret,
    /// so it puts only `client_id` in the body), and `credentials` authenticate the request
    /// instead, with whatever method they have (`client_secret_basic`, `client_secret_post`, a
    /// client assertion signed for this very request, or `client_id` alone for a public client).
    pub(crate) fn token_endpoint(
        http: &'a dyn HttpClient,
        credentials: &'a ClientCredentials,
    ) -> Self {
        Self { http, credentials: Some(credentials), last: Mutex::new(None) }
    }

    /// Sends a request built by `openidconnect`.
    pub(crate) fn call(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let request = match self.credentials {
                Some(credentials) => authenticate(credentials, &request)?,
                None => request,
            };
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

/// The grant's form of `request` (without the `client_id` `openidconnect` adds), sent to the same
/// URL and authenticated by `credentials`.
fn authenticate(
    credentials: &ClientCredentials,
    request: &Request<Vec<u8>>,
) -> Result<Request<Vec<u8>>, TransportError> {
    let url = Url::parse(&request.uri().to_string())
        .map_err(|_| TransportError::other("the token request URI is not an absolute URL"))?;
    let params: Vec<(String, String)> = form_urlencoded::parse(request.body())
        .filter(|(name, _)| name != "client_id" && name != "client_secret")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let params: Vec<(&str, &str)> =
        params.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    credentials.form_request(&url, &params).map_err(|err| TransportError::Other {
        message: "cannot authenticate the token request".to_owned(),
        source: Some(std::sync::Arc::new(err)),
    })
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
