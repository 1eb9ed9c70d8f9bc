//! The record of every request the server received, for assertions such as "no `/userinfo` call
//! after a bad ID token" or "`/keys` fetched exactly once".

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use http::Method;
use serde::Serialize;

use crate::client_auth::ClientAuthentication;
use crate::clock::unix_secs;

/// One request as the server received it.
///
/// `Debug` shows parameter names only: values may be secrets (passwords, codes, tokens).
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) form: Vec<(String, String)>,
    pub(crate) client_auth: ClientAuthentication,
    pub(crate) bearer: bool,
    pub(crate) time: SystemTime,
}

impl RecordedRequest {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// Every query parameter, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The first value of a form field (`application/x-www-form-urlencoded` bodies only).
    pub fn form(&self, name: &str) -> Option<&str> {
        first(&self.form, name)
    }

    /// Every form field, in order.
    pub fn form_pairs(&self) -> &[(String, String)] {
        &self.form
    }

    /// The client authentication the request presented.
    pub fn client_auth(&self) -> &ClientAuthentication {
        &self.client_auth
    }

    /// The client the request named, whatever the method (for an assertion, the `iss` it
    /// claims, recorded before verification).
    pub fn client_id(&self) -> Option<&str> {
        self.client_auth.client_id()
    }

    /// The `grant_type` form field (token requests).
    pub fn grant_type(&self) -> Option<&str> {
        self.form("grant_type")
    }

    /// Whether the request carried `Authorization: Bearer`.
    pub fn has_bearer_token(&self) -> bool {
        self.bearer
    }

    /// When the server received it (by the server's clock).
    pub fn time(&self) -> SystemTime {
        self.time
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(name, _)| name.clone()).collect()
        };
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &names(&self.query))
            .field("form", &names(&self.form))
            .field("client_auth", &self.client_auth)
            .field("bearer", &self.bearer)
            .finish_non_exhaustive()
    }
}

/// Form fields whose values the admin route never shows.
const CREDENTIALS: [&str; 3] = ["client_secret", "password", "client_assertion"];

/// The JSON form of a request on the admin route: values included (codes and tokens are test
/// material), except passwords and client secrets.
#[derive(Serialize)]
pub(crate) struct RecordedRequestJson<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a [(String, String)],
    form: Vec<(&'a str, &'a str)>,
    client_auth: &'a ClientAuthentication,
    bearer: bool,
    time: u64,
}

impl<'a> From<&'a RecordedRequest> for RecordedRequestJson<'a> {
    fn from(request: &'a RecordedRequest) -> Self {
        Self {
            method: request.method.as_str(),
            path: &request.path,
            query: &request.query,
            form: request
                .form
                .iter()
                .map(|(name, value)| {
                    let value =
                        if CREDENTIALS.contains(&name.as_str()) { "[redacted]" } else { value };
                    (name.as_str(), value)
                })
                .collect(),
            client_auth: &request.client_auth,
            bearer: request.bearer,
            time: unix_secs(request.time),
        }
    }
}

/// The shared record.
#[derive(Clone, Debug, Default)]
pub(crate) struct Recorder {
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

/// The oldest requests are dropped past this many.
const CAPACITY: usize = 100_000;

impl Recorder {
    pub(crate) fn record(&self, request: RecordedRequest) {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        if requests.len() >= CAPACITY {
            requests.remove(0);
        }
        requests.push(request);
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn count(&self, method: &Method, path: &str) -> usize {
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        requests.iter().filter(|request| request.method == *method && request.path == path).count()
    }

    /// `POST`s to any server's `/v1/token` with this grant type from this client.
    pub(crate) fn count_token_requests(&self, grant_type: &str, client_id: &str) -> usize {
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        requests
            .iter()
            .filter(|request| {
                request.method == Method::POST
                    && request.path.starts_with("/oauth2/")
                    && request.path.ends_with("/v1/token")
                    && request.grant_type() == Some(grant_type)
                    && request.client_id() == Some(client_id)
            })
            .count()
    }

    pub(crate) fn clear(&self) {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}
