//! The [`HttpClient`] seam: the one way okta-verify and okta-flow reach the network.

use std::future::Future;
use std::pin::Pin;

use http::{Request, Response};

use crate::error::TransportError;

/// A boxed, sendable future, as returned by [`HttpClient::execute`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request and returns the whole response.
///
/// Implemented for [`ReqwestHttpClient`](crate::ReqwestHttpClient) and for every closure
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
