//! The routes of the API example, shared by `examples/api.rs` and okta-verify's tests
//! (`tests/it/api_example.rs`), so the test checks the router the example serves.

use axum::Router;
use axum::routing::get;
use okta_verify::VerifiedAccessToken;
use okta_verify::axum::{BearerAuthLayer, Require};
use okta_verify::{AccessTokenVerifier, BearerVerifier, IntrospectionVerifier, IssuerChain};
use serde::Deserialize;

/// Which verifier guards the API: every route shares it, whatever it is.
#[derive(Debug)]
pub(crate) enum Guard {
    /// Local validation of a custom authorization server's JWTs.
    Local(AccessTokenVerifier),
    /// Okta's introspection (the org server, or opaque tokens).
    Introspection(IntrospectionVerifier),
    /// Several custom authorization servers, chosen by the token's `iss`.
    Chain(IssuerChain),
}

/// The API's routes under one guard; each route declares what it needs:
///
/// | Route | Needs |
/// | --- | --- |
/// | `GET /api/whoami` | any valid access token |
/// | `GET /api/messages` | scope `messages:read` |
/// | `GET /api/admin` | scope `messages:admin` and group `Admins` |
pub(crate) fn router(guard: Guard) -> Router {
    match guard {
        Guard::Local(verifier) => routes(verifier),
        Guard::Introspection(verifier) => routes(verifier),
        Guard::Chain(verifier) => routes(verifier),
    }
}

fn routes<V: BearerVerifier>(verifier: V) -> Router {
    Router::new()
        .route("/api/whoami", get(whoami))
        .route("/api/messages", get(messages).route_layer(Require::scopes(["messages:read"])))
        .route(
            "/api/admin",
            get(admin_page)
                .route_layer(Require::scopes(["messages:admin"]).and(Require::group("Admins"))),
        )
        .layer(BearerAuthLayer::new(verifier))
}

/// The claims this API reads, typed: the same whether the token was checked locally or by
/// introspection (`cid` in a JWT, `client_id` in an introspection answer).
#[derive(Debug, Deserialize)]
pub(crate) struct ApiClaims {
    sub: String,
    #[serde(alias = "client_id")]
    cid: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
}

async fn whoami(token: VerifiedAccessToken<ApiClaims>) -> String {
    let claims = token.claims();
    serde_json::json!({ "sub": claims.sub, "client": claims.cid, "groups": claims.groups })
        .to_string()
}

async fn messages(token: VerifiedAccessToken<ApiClaims>) -> String {
    serde_json::json!({
        "for": token.claims().sub,
        "messages": ["Welcome to the example API", "Your token carries messages:read"],
    })
    .to_string()
}

async fn admin_page(token: VerifiedAccessToken<ApiClaims>) -> String {
    serde_json::json!({ "admin": token.claims().sub }).to_string()
}
