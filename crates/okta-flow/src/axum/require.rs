//! Per-route requirements for signed-in users: a group, or a claim, from the ID token or
//! `/userinfo`; a `403` page that says what is missing.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts as _, Request};
use axum::response::{IntoResponse as _, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;

use crate::axum::user::is_browser;
use crate::axum::{AuthenticatedUser, OktaAuth, pages};

/// What a route asks of the signed-in user, checked against the claims of the ID token and then
/// of `/userinfo` (fetched at sign-in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// `groups` (an array of names, or one name) contains the group.
    Group(String),
    /// The claim is present and not `false`, `null`, `""` or `[]`.
    Claim(String),
    /// The claim equals the value, or is an array that contains it.
    ClaimEquals(String, Value),
}

impl Requirement {
    /// Membership of the Okta group `name`, from the `groups` claim. Okta sends it when the
    /// authorization server has a groups claim (or the `groups` scope is requested, with the
    /// org server): request the scope your claim needs in the `scopes` setting.
    pub fn group(name: impl Into<String>) -> Self {
        Self { kind: Kind::Group(name.into()) }
    }

    /// The claim `name` is present and not `false`, `null`, `""` or `[]` (such as
    /// `email_verified`).
    pub fn claim(name: impl Into<String>) -> Self {
        Self { kind: Kind::Claim(name.into()) }
    }

    /// The claim `name` equals `value`, or is an array that contains it.
    pub fn claim_equals(name: impl Into<String>, value: impl Into<Value>) -> Self {
        Self { kind: Kind::ClaimEquals(name.into(), value.into()) }
    }

    /// Whether `user` meets the requirement.
    pub fn is_met_by(&self, user: &AuthenticatedUser) -> bool {
        match &self.kind {
            Kind::Group(group) => claim(user, "groups")
                .is_some_and(|groups| contains(&groups, &Value::String(group.clone()))),
            Kind::Claim(name) => claim(user, name).is_some_and(|value| truthy(&value)),
            Kind::ClaimEquals(name, expected) => {
                claim(user, name).is_some_and(|value| contains(&value, expected))
            }
        }
    }
}

impl fmt::Display for Requirement {
    /// What a person reads on the `403` page: `membership of the group "Admins"`, `the claim
    /// "email_verified"`, `the claim "department" with the value "Finance"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Group(group) => write!(f, "membership of the group \"{group}\""),
            Kind::Claim(name) => write!(f, "the claim \"{name}\""),
            Kind::ClaimEquals(name, Value::String(value)) => {
                write!(f, "the claim \"{name}\" with the value \"{value}\"")
            }
            Kind::ClaimEquals(name, value) => {
                write!(f, "the claim \"{name}\" with the value {value}")
            }
        }
    }
}

/// The claim `name` of the ID token, else of `/userinfo`.
fn claim(user: &AuthenticatedUser, name: &str) -> Option<Value> {
    let from_id_token = serde_json::to_value(user.claims())
        .ok()
        .and_then(|claims| claims.get(name).cloned())
        .filter(|value| !value.is_null());
    from_id_token.or_else(|| user.userinfo().and_then(|info| info.claim(name).cloned()))
}

fn contains(value: &Value, expected: &Value) -> bool {
    match value {
        Value::Array(items) => items.contains(expected),
        other => other == expected,
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

impl OktaAuth {
    /// A route layer that lets through only signed-in users who meet `requirement` (add more
    /// with [`RequireLayer::and`]): anybody else is sent to sign in (as by
    /// [`AuthenticatedUser`]), and a signed-in user who misses one gets a `403` page naming what
    /// is missing (JSON `{"error":"forbidden","missing":[...]}` for API clients).
    ///
    /// ```no_run
    /// use axum::{Router, routing::get};
    /// use okta_flow::axum::{AuthenticatedUser, MemoryStore, OktaAuth, Requirement};
    ///
    /// async fn admin(user: AuthenticatedUser) -> String {
    ///     format!("hello admin {}", user.subject())
    /// }
    ///
    /// fn app(okta: &OktaAuth) -> Router {
    ///     Router::new()
    ///         // On the route's method router: `Router::route_layer` would cover every route
    ///         // added before it.
    ///         .route("/admin", get(admin).route_layer(okta.require(Requirement::group("Admins"))))
    ///         .merge(okta.routes())
    ///         .layer(okta.layer(MemoryStore::default()))
    /// }
    /// ```
    pub fn require(&self, requirement: Requirement) -> RequireLayer {
        RequireLayer { requirements: Arc::from([requirement]) }
    }
}

/// The layer made by [`OktaAuth::require`]; put it on a route's method router with
/// `route_layer` (`get(handler).route_layer(...)`), under [`OktaAuth::layer`].
#[derive(Clone, Debug)]
pub struct RequireLayer {
    requirements: Arc<[Requirement]>,
}

impl RequireLayer {
    /// Requires `requirement` too.
    #[must_use]
    pub fn and(self, requirement: Requirement) -> Self {
        let mut requirements = self.requirements.to_vec();
        requirements.push(requirement);
        Self { requirements: Arc::from(requirements) }
    }

    /// The requirements, in order.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

impl<S> Layer<S> for RequireLayer {
    type Service = Require<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Require { inner, requirements: self.requirements.clone() }
    }
}

/// The service made by [`RequireLayer`].
#[derive(Clone, Debug)]
pub struct Require<S> {
    inner: S,
    requirements: Arc<[Requirement]>,
}

impl<S> Service<Request> for Require<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone that was polled ready serves this request (tower's usual swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let requirements = self.requirements.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let user = match AuthenticatedUser::from_request_parts(&mut parts, &()).await {
                Ok(user) => user,
                Err(rejection) => return Ok(rejection.into_response()),
            };
            let missing: Vec<&Requirement> =
                requirements.iter().filter(|requirement| !requirement.is_met_by(&user)).collect();
            if missing.is_empty() {
                return inner.call(Request::from_parts(parts, body)).await;
            }
            let missing: Vec<String> = missing.iter().map(ToString::to_string).collect();
            tracing::info!(missing = ?missing, path = parts.uri.path(), "a signed-in user lacks what the route requires");
            Ok(forbidden(&missing, is_browser(&parts.headers)))
        })
    }
}

/// The `403`: a page naming what is missing, or JSON for API clients.
fn forbidden(missing: &[String], browser: bool) -> Response {
    if browser {
        let message = format!(
            "You are signed in, but this page requires {}. Ask your administrator for access, then sign out and in again.",
            missing.join(" and ")
        );
        return pages::page(StatusCode::FORBIDDEN, "Access needed", &message, None);
    }
    let body = serde_json::json!({ "error": "forbidden", "missing": missing });
    let mut response = (StatusCode::FORBIDDEN, body.to_string()).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    pages::no_store(response.headers_mut());
    response
}
