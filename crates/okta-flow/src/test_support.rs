//! A fake authorization server for unit tests: canned responses per path, every request recorded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use http::{Request, Response};
use okta_config::{Role, Settings, SettingsLoader};
use okta_http::{BoxFuture, HttpClient, TransportError};

pub(crate) const ISSUER: &str = "https://dev-1.okta.com/oauth2/default";

/// What the fake answers for a path.
#[derive(Clone)]
pub(crate) enum Answer {
    Respond(u16, &'static str, Vec<u8>),
    Fail(TransportError),
    /// Never answers: the request stays in flight until its future is dropped.
    Pending,
}

#[derive(Default)]
pub(crate) struct FakeOp {
    answers: Mutex<HashMap<String, Answer>>,
    pub(crate) requests: Mutex<Vec<Request<Vec<u8>>>>,
}

impl FakeOp {
    pub(crate) fn new() -> Arc<Self> {
        let op = Arc::new(Self::default());
        op.json(200, "/oauth2/default/.well-known/openid-configuration", &discovery_json());
        op
    }

    pub(crate) fn answer(&self, path: &str, answer: Answer) {
        self.answers.lock().unwrap().insert(path.to_owned(), answer);
    }

    pub(crate) fn json(&self, status: u16, path: &str, body: &serde_json::Value) {
        self.answer(
            path,
            Answer::Respond(status, "application/json", body.to_string().into_bytes()),
        );
    }

    pub(crate) fn paths(&self) -> Vec<String> {
        self.requests.lock().unwrap().iter().map(|r| r.uri().path().to_owned()).collect()
    }
}

impl HttpClient for FakeOp {
    fn execute(
        &self,
        request: Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<Response<Vec<u8>>, TransportError>> {
        let answer = self.answers.lock().unwrap().get(request.uri().path()).cloned();
        self.requests.lock().unwrap().push(request);
        Box::pin(async move {
            match answer {
                Some(Answer::Respond(status, content_type, body)) => Ok(Response::builder()
                    .status(status)
                    .header("content-type", content_type)
                    .header("x-rate-limit-reset", "1700000060")
                    .body(body)
                    .unwrap()),
                Some(Answer::Fail(err)) => Err(err),
                Some(Answer::Pending) => std::future::pending().await,
                None => Ok(Response::builder().status(404).body(Vec::new()).unwrap()),
            }
        })
    }
}

pub(crate) fn discovery_json() -> serde_json::Value {
    let base = ISSUER;
    serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/v1/authorize"),
        "token_endpoint": format!("{base}/v1/token"),
        "userinfo_endpoint": format!("{base}/v1/userinfo"),
        "jwks_uri": format!("{base}/v1/keys"),
        "introspection_endpoint": format!("{base}/v1/introspect"),
        "revocation_endpoint": format!("{base}/v1/revoke"),
        "end_session_endpoint": format!("{base}/v1/logout"),
        "response_types_supported": ["code", "id_token", "code id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"]
    })
}

pub(crate) fn settings() -> Settings {
    SettingsLoader::isolated()
        .set("issuer", ISSUER)
        .set("client_id", "0oa-client")
        .set("client_secret", "client-secret-value")
        .set("redirect_uri", "https://app.example.com/authorization-code/callback")
        .set("cookie_secret", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=")
        .role(Role::Client)
        .load()
        .unwrap()
}
