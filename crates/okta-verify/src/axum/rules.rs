//! Per-route rules under one shared verifier: the scopes, groups and claims a route needs, checked
//! after [`BearerAuthLayer`](crate::axum::BearerAuthLayer) verified the token.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::Response;
use http::Request;
use okta_http::BoxFuture;
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;

use crate::axum::{BearerRejection, Guarded, bearer_token, verified_claims};
use crate::{BearerClaims, VerifyError};

/// What a route needs of a verified token, as a layer: add it with `Router::route_layer` (or
/// `MethodRouter::layer`) under one [`BearerAuthLayer`](crate::axum::BearerAuthLayer) that
/// verifies every token with one verifier.
///
/// | rule | refusal |
/// | --- | --- |
/// | [`Require::scopes`] | 403, `Bearer error="insufficient_scope", scope="<the rule's scopes>"` (RFC 6750 3.1) |
/// | [`Require::group`], [`Require::claim`], [`Require::claim_equals`] | 403, `Bearer error="insufficient_scope"` |
///
/// Rules combine with [`Require::and`]; the first that fails answers. Without a
/// `BearerAuthLayer` around the route the answer is 500 (fail closed), as it is for a verifier
/// that exposes no claims ([`BearerVerifier::claims_of`](crate::BearerVerifier::claims_of)).
///
/// ```no_run
/// use axum::{Router, routing::{get, post}};
/// use okta_verify::axum::{BearerAuthLayer, Require};
/// use okta_verify::{AccessTokenVerifier, VerifiedAccessToken};
///
/// async fn list(token: VerifiedAccessToken) -> String {
///     token.claims().sub.clone()
/// }
///
/// fn app(verifier: AccessTokenVerifier) -> Router {
///     Router::new()
///         .route("/orders", get(list).route_layer(Require::scopes(["orders:read"])))
///         .route("/orders/cancel", post(list).route_layer(Require::scopes(["orders:write"])))
///         .route("/admin", get(list).route_layer(Require::group("Admins")))
///         .layer(BearerAuthLayer::new(verifier))
/// }
/// ```
#[derive(Clone)]
pub struct Require {
    rules: Arc<Vec<Rule>>,
}

impl Require {
    /// Every one of `scopes` must be granted (`scp`, or `scope` of an introspection answer).
    pub fn scopes<I>(scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self::one(Rule::Scopes(scopes.into_iter().map(Into::into).collect()))
    }

    /// The `groups` claim (an array of strings, Okta's groups claim) must contain `group`.
    pub fn group(group: impl Into<String>) -> Self {
        Self::one(Rule::Group(group.into()))
    }

    /// The claim `name` must be present and satisfy `predicate`; `description` says what the
    /// rule wants, for logs (no secrets).
    pub fn claim<F>(
        name: impl Into<String>,
        description: impl Into<Cow<'static, str>>,
        predicate: F,
    ) -> Self
    where
        F: Fn(&Value) -> bool + Send + Sync + 'static,
    {
        Self::one(Rule::Claim {
            name: name.into(),
            description: description.into(),
            predicate: Arc::new(predicate),
        })
    }

    /// The claim `name` must equal `value` (JSON equality: `"payments"` is not `["payments"]`).
    pub fn claim_equals(name: impl Into<String>, value: impl Into<Value>) -> Self {
        let value = value.into();
        let description = format!("equal to {value}");
        Self::claim(name, description, move |found| *found == value)
    }

    /// These rules and `other`'s, checked in order.
    #[must_use]
    pub fn and(self, other: Require) -> Self {
        let mut rules = Arc::unwrap_or_clone(self.rules);
        rules.extend(Arc::unwrap_or_clone(other.rules));
        Self { rules: Arc::new(rules) }
    }

    /// Checks `claims`; on failure, the refusal and the scope to name in the challenge.
    fn check(&self, claims: &dyn BearerClaims) -> Result<(), (VerifyError, String)> {
        self.rules.iter().try_for_each(|rule| rule.check(claims))
    }

    fn one(rule: Rule) -> Self {
        Self { rules: Arc::new(vec![rule]) }
    }
}

impl fmt::Debug for Require {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.rules.iter()).finish()
    }
}

impl<S> Layer<S> for Require {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireService { inner, require: self.clone() }
    }
}

/// The service made by [`Require`]: checks the route's rules, then calls the inner service.
#[derive(Debug, Clone)]
pub struct RequireService<S> {
    inner: S,
    require: Require,
}

impl<S, B> Service<Request<B>> for RequireService<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let refusal = match verified_claims(request.extensions()) {
            Ok(claims) => self.require.check(claims).err().map(|(err, scope)| {
                tracing::debug!(
                    reason = err.kind(),
                    error = &err as &dyn std::error::Error,
                    "route rule refused the token"
                );
                let reason = err.kind();
                let response = BearerRejection::Token(err).response(&scope);
                if let Some(guarded) = request.extensions().get::<Guarded>() {
                    let token = bearer_token(request.headers(), request.uri()).ok();
                    guarded.observer.refused(reason, response.status().as_u16(), token);
                }
                response
            }),
            Err(rejection) => Some(rejection.response("")),
        };
        if let Some(response) = refusal {
            return Box::pin(std::future::ready(Ok(response)));
        }
        // The clone that was driven to readiness serves this request (tower's usual pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move { inner.call(request).await })
    }
}

#[derive(Clone)]
enum Rule {
    Scopes(Vec<String>),
    Group(String),
    Claim {
        name: String,
        description: Cow<'static, str>,
        predicate: Arc<dyn Fn(&Value) -> bool + Send + Sync>,
    },
}

impl Rule {
    fn check(&self, claims: &dyn BearerClaims) -> Result<(), (VerifyError, String)> {
        match self {
            Self::Scopes(scopes) => {
                let granted = claims.scopes();
                let missing: Vec<String> =
                    scopes.iter().filter(|scope| !granted.contains(scope)).cloned().collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err((VerifyError::InsufficientScope { missing }, scopes.join(" ")))
                }
            }
            Self::Group(group) => {
                let member = claims.claim("groups").is_some_and(|groups| {
                    groups.as_array().is_some_and(|groups| {
                        groups.iter().any(|member| member.as_str() == Some(group.as_str()))
                    })
                });
                if member {
                    Ok(())
                } else {
                    let reason = format!("not a member of group {group}");
                    Err((VerifyError::RuleViolation { reason: reason.into() }, String::new()))
                }
            }
            Self::Claim { name, description, predicate } => {
                if claims.claim(name).is_some_and(|value| predicate(&value)) {
                    Ok(())
                } else {
                    let reason = format!("claim {name} is not {description}");
                    Err((VerifyError::RuleViolation { reason: reason.into() }, String::new()))
                }
            }
        }
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scopes(scopes) => f.debug_tuple("Scopes").field(scopes).finish(),
            Self::Group(group) => f.debug_tuple("Group").field(group).finish(),
            Self::Claim { name, description, .. } => f
                .debug_struct("Claim")
                .field("name", name)
                .field("description", description)
                .finish(),
        }
    }
}
