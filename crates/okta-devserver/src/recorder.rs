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
    /// The record's number, for completing it with its outcome.
    pub(crate) id: u64,
    /// The status of the answer, once sent.
    pub(crate) status: Option<u16>,
    /// Why the request was refused, if it was (`error: description`).
    pub(crate) refusal: Option<String>,
    /// Tokens the answer or the request carried, decoded (kept only with the console on).
    pub(crate) tokens: Vec<DecodedToken>,
}

/// A JWT seen in a request or a response, decoded without any check, for the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DecodedToken {
    /// Where it was: `access_token` or `id_token` of a response, a parameter's name.
    pub(crate) name: String,
    /// The header and the claims, as pretty JSON.
    pub(crate) header: String,
    pub(crate) claims: String,
}

/// What the server answered to a recorded request.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) status: u16,
    pub(crate) refusal: Option<String>,
    pub(crate) tokens: Vec<DecodedToken>,
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

    /// The status the server answered with; `None` while the request is being answered.
    pub fn status(&self) -> Option<http::StatusCode> {
        self.status.and_then(|status| http::StatusCode::from_u16(status).ok())
    }

    /// Why the server refused the request, as `error: description` (an OAuth error, an Okta
    /// API error code, an error page, a failed sign-in); `None` when it was not refused.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
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
            .field("status", &self.status)
            .field("refusal", &self.refusal)
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
    status: Option<u16>,
    refusal: Option<&'a str>,
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
            status: request.status,
            refusal: request.refusal.as_deref(),
        }
    }
}

/// The shared record.
#[derive(Clone, Debug, Default)]
pub(crate) struct Recorder {
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

/// The oldest requests are dropped past this many.
const CAPACITY: usize = 100_000;

impl Recorder {
    /// Records a request as it arrives; returns its number for [`Recorder::complete`].
    pub(crate) fn record(&self, mut request: RecordedRequest) -> u64 {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        request.id = id;
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        if requests.len() >= CAPACITY {
            requests.remove(0);
        }
        requests.push(request);
        id
    }

    /// Adds what the server answered to request `id` (if it is still in the record).
    pub(crate) fn complete(&self, id: u64, outcome: Outcome) {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(request) = requests.iter_mut().rev().find(|request| request.id == id) {
            request.status = Some(outcome.status);
            request.refusal = outcome.refusal;
            request.tokens.extend(outcome.tokens);
        }
    }

    /// The newest `n` requests, newest first.
    pub(crate) fn latest(&self, n: usize) -> Vec<RecordedRequest> {
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        requests.iter().rev().take(n).cloned().collect()
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

/// Request parameters whose value may be a JWT worth decoding for the console.
pub(crate) const JWT_PARAMETERS: [&str; 6] =
    ["token", "id_token_hint", "client_assertion", "subject_token", "actor_token", "access_token"];

/// Decodes a compact JWS without checking anything: `None` if `value` is not one.
pub(crate) fn decode_jwt(name: &str, value: &str) -> Option<DecodedToken> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let mut parts = value.split('.');
    let (header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let pretty = |segment: &str| -> Option<String> {
        let json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()?;
        json.is_object().then(|| serde_json::to_string_pretty(&json).ok()).flatten()
    };
    Some(DecodedToken { name: name.to_owned(), header: pretty(header)?, claims: pretty(claims)? })
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}
