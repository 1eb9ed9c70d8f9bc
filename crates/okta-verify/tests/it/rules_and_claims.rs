//! Typed team claims (`VerifiedAccessToken<C>`) and per-route rules (`Require`) under one shared
//! verifier, over the local verifier, introspection and an issuer chain, in-process with `oneshot`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use expect_test::expect;
use okta_verify::axum::{BearerAuthLayer, Require};
use okta_verify::{
    AccessTokenVerifier, BearerVerifier, IntrospectionOptions, IntrospectionVerifier, IssuerChain,
    VerifiedAccessToken,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::{Key, NOW, access_claims, access_options, patched, static_keys, token};

/// The claims a team reads: Okta's and its own (`department`, `employee_number`).
#[derive(Debug, Deserialize)]
struct TeamClaims {
    sub: String,
    department: String,
    employee_number: u32,
    #[serde(default)]
    groups: Vec<String>,
}

/// Sends `method uri` with `Authorization: Bearer <token>` (none when empty); describes status,
/// challenge and body.
async fn call(app: &Router, method: &str, uri: &str, bearer: &str) -> String {
    let mut request = http::Request::builder().method(method).uri(uri);
    if !bearer.is_empty() {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {bearer}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .map_or_else(|| "-".to_owned(), |value| value.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    format!("{status} [{challenge}] {}", String::from_utf8_lossy(&body))
}

pub(crate) fn local_verifier() -> AccessTokenVerifier {
    AccessTokenVerifier::new(access_options(), static_keys()).unwrap()
}

fn team_token(patch: &Value) -> String {
    let claims =
        patched(access_claims(), &json!({ "department": "payments", "employee_number": 42 }));
    token(Key::RsaA, &patched(claims, patch))
}

/// An introspection verifier whose endpoint answers `answer` for every token.
pub(crate) fn introspection(answer: Value) -> IntrospectionVerifier {
    let answer = answer.to_string();
    let http = Arc::new(move |_request: http::Request<Vec<u8>>| {
        let body = answer.clone().into_bytes();
        async move { Ok(http::Response::builder().status(200).body(body).unwrap()) }
    });
    let mut options =
        IntrospectionOptions::new("https://example.okta.com/oauth2/v1/introspect".parse().unwrap());
    options.audiences = vec![okta_config::Audience::parse("https://example.okta.com").unwrap()];
    options.any_client = true;
    options.clock = okta_verify::Clock::fixed_unix(NOW.unsigned_abs());
    let credentials = okta_http::ClientCredentials::client_secret_basic(
        okta_config::ClientId::parse("0oa1api").unwrap(),
        okta_config::ClientSecret::parse("an-api-client-secret".to_owned()).unwrap(),
    );
    IntrospectionVerifier::new(options, credentials, http).unwrap()
}

pub(crate) fn introspection_answer(patch: &Value) -> Value {
    patched(
        json!({
            "active": true, "token_type": "Bearer", "scope": "openid orders:read",
            "client_id": "0oa1client", "exp": NOW + 3600, "iat": NOW - 60,
            "sub": "alice@example.com", "aud": "https://example.okta.com",
            "iss": "https://example.okta.com", "jti": "AT.1",
            "department": "payments", "employee_number": 42, "groups": ["Everyone", "admins"]
        }),
        patch,
    )
}

pub(crate) const OPAQUE: &str = "0Hn2XVcJq1bPJqPzDQm8hT3nkgGl4fLw2dw4R7eMo-Y";

/// A router whose one handler takes typed claims and counts its runs.
fn typed_app<V: BearerVerifier>(verifier: V, runs: &Arc<AtomicUsize>) -> Router {
    let runs = Arc::clone(runs);
    let handler = move |token: VerifiedAccessToken<TeamClaims>| async move {
        runs.fetch_add(1, Ordering::SeqCst);
        let claims = token.claims();
        format!(
            "{} of {} (#{}, groups {:?}, kid {:?})",
            claims.sub,
            claims.department,
            claims.employee_number,
            claims.groups,
            token.kid()
        )
    };
    Router::new().route("/me", get(handler)).layer(BearerAuthLayer::new(verifier))
}

/// Typed claims are deserialized before the handler runs, over every verifier; claims that do
/// not fit are a 401 `invalid_claims` and the handler does not run.
#[tokio::test]
async fn typed_claims_over_local_introspection_and_chain() {
    let runs = Arc::new(AtomicUsize::new(0));
    let mut out = String::new();

    let local = typed_app(local_verifier(), &runs);
    let chain = typed_app(IssuerChain::new([local_verifier()]).unwrap(), &runs);
    for (name, app) in [("local", &local), ("chain", &chain)] {
        for (case, bearer) in [
            ("fits", team_token(&json!({}))),
            ("no department", team_token(&json!({ "department": null }))),
            ("number as text", team_token(&json!({ "employee_number": "42" }))),
        ] {
            writeln!(out, "{name}, {case} => {}", call(app, "GET", "/me", &bearer).await).unwrap();
        }
    }
    for (case, answer) in [
        ("fits", introspection_answer(&json!({}))),
        ("no department", introspection_answer(&json!({ "department": null }))),
    ] {
        let app = typed_app(introspection(answer), &runs);
        writeln!(out, "introspection, {case} => {}", call(&app, "GET", "/me", OPAQUE).await)
            .unwrap();
    }
    expect![[r#"
        local, fits => 200 [-] alice@example.com of payments (#42, groups ["Everyone", "admins"], kid Some("key-a"))
        local, no department => 401 [Bearer error="invalid_token", error_description="invalid_claims"] 
        local, number as text => 401 [Bearer error="invalid_token", error_description="invalid_claims"] 
        chain, fits => 200 [-] alice@example.com of payments (#42, groups ["Everyone", "admins"], kid Some("key-a"))
        chain, no department => 401 [Bearer error="invalid_token", error_description="invalid_claims"] 
        chain, number as text => 401 [Bearer error="invalid_token", error_description="invalid_claims"] 
        introspection, fits => 200 [-] alice@example.com of payments (#42, groups ["Everyone", "admins"], kid None)
        introspection, no department => 401 [Bearer error="invalid_token", error_description="invalid_claims"] 
    "#]]
    .assert_eq(&out);
    assert_eq!(runs.load(Ordering::SeqCst), 3, "the handler ran only for the claims that fit");
}

/// Okta's own claims keep their token shapes for typed claims: `aud` one string, `scp` an array,
/// times as numbers; an introspection answer's `scope` is the space-separated string.
#[tokio::test]
async fn typed_claims_see_the_claims_as_the_token_carried_them() {
    #[derive(Deserialize)]
    struct Shapes {
        aud: String,
        scp: Vec<String>,
        exp: i64,
        cid: String,
    }
    #[derive(Deserialize)]
    struct IntrospectionShapes {
        scope: String,
        client_id: String,
        exp: i64,
    }
    async fn local(token: VerifiedAccessToken<Shapes>) -> String {
        let claims = token.claims();
        format!("{} {:?} {} {}", claims.aud, claims.scp, claims.exp - NOW, claims.cid)
    }
    async fn introspected(token: VerifiedAccessToken<IntrospectionShapes>) -> String {
        let claims = token.claims();
        format!("{:?} {} {}", claims.scope, claims.client_id, claims.exp - NOW)
    }
    let app = Router::new().route("/me", get(local)).layer(BearerAuthLayer::new(local_verifier()));
    let introspected = Router::new()
        .route("/me", get(introspected))
        .layer(BearerAuthLayer::new(introspection(introspection_answer(&json!({})))));
    let out = format!(
        "{}\n{}",
        call(&app, "GET", "/me", &team_token(&json!({}))).await,
        call(&introspected, "GET", "/me", OPAQUE).await
    );
    expect![[r#"
        200 [-] api://default ["openid", "orders:read"] 3540 0oa1client
        200 [-] "openid orders:read" 0oa1client 3600"#]]
    .assert_eq(&out);
}

async fn ok() -> &'static str {
    "ok"
}

/// One verifier, several rules: scopes, groups and claims per route, in a nested router too.
fn ruled_app<V: BearerVerifier>(verifier: V) -> Router {
    let admin = Router::new().route("/users", get(ok).route_layer(Require::group("admins"))).route(
        "/payroll",
        get(ok).route_layer(Require::group("admins").and(Require::scopes(["payroll:read"]))),
    );
    Router::new()
        .route("/orders", get(ok).route_layer(Require::scopes(["orders:read"])))
        .route("/orders", post(ok).route_layer(Require::scopes(["orders:read", "orders:write"])))
        .route("/payments", get(ok).route_layer(Require::claim_equals("department", "payments")))
        .route(
            "/veterans",
            get(ok).route_layer(Require::claim("employee_number", "below 100", |number| {
                number.as_u64().is_some_and(|number| number < 100)
            })),
        )
        .route("/open", get(ok))
        .nest("/admin", admin)
        .layer(BearerAuthLayer::new(verifier))
}

#[tokio::test]
async fn per_route_rules_with_one_verifier() {
    let app = ruled_app(local_verifier());
    let alice = team_token(&json!({}));
    let bob = team_token(&json!({
        "sub": "bob@example.com", "groups": ["Everyone"], "department": "sales",
        "employee_number": 1234, "scp": ["openid"]
    }));
    let requests = [
        ("GET", "/open"),
        ("GET", "/orders"),
        ("POST", "/orders"),
        ("GET", "/payments"),
        ("GET", "/veterans"),
        ("GET", "/admin/users"),
        ("GET", "/admin/payroll"),
    ];
    let mut out = String::new();
    for (who, bearer) in [("alice", &alice), ("bob", &bob), ("nobody", &String::new())] {
        for (method, uri) in requests {
            let line = call(&app, method, uri, bearer).await;
            if !bearer.is_empty() {
                assert!(!line.contains(&bearer[..40]), "{who} {uri} echoed the token");
            }
            writeln!(out, "{who} {method} {uri} => {line}").unwrap();
        }
    }
    expect![[r#"
        alice GET /open => 200 [-] ok
        alice GET /orders => 200 [-] ok
        alice POST /orders => 403 [Bearer error="insufficient_scope", scope="orders:read orders:write"] 
        alice GET /payments => 200 [-] ok
        alice GET /veterans => 200 [-] ok
        alice GET /admin/users => 200 [-] ok
        alice GET /admin/payroll => 403 [Bearer error="insufficient_scope", scope="payroll:read"] 
        bob GET /open => 200 [-] ok
        bob GET /orders => 403 [Bearer error="insufficient_scope", scope="orders:read"] 
        bob POST /orders => 403 [Bearer error="insufficient_scope", scope="orders:read orders:write"] 
        bob GET /payments => 403 [Bearer error="insufficient_scope"] 
        bob GET /veterans => 403 [Bearer error="insufficient_scope"] 
        bob GET /admin/users => 403 [Bearer error="insufficient_scope"] 
        bob GET /admin/payroll => 403 [Bearer error="insufficient_scope"] 
        nobody GET /open => 401 [Bearer] 
        nobody GET /orders => 401 [Bearer] 
        nobody POST /orders => 401 [Bearer] 
        nobody GET /payments => 401 [Bearer] 
        nobody GET /veterans => 401 [Bearer] 
        nobody GET /admin/users => 401 [Bearer] 
        nobody GET /admin/payroll => 401 [Bearer] 
    "#]]
    .assert_eq(&out);
}

/// The same rules over introspection: `scope` of the answer, its `groups` and custom members.
#[tokio::test]
async fn per_route_rules_over_introspection() {
    let mut out = String::new();
    for (who, answer) in [
        ("alice", introspection_answer(&json!({}))),
        (
            "bob",
            introspection_answer(&json!({
                "scope": "openid", "groups": ["Everyone"], "department": "sales"
            })),
        ),
    ] {
        let app = ruled_app(introspection(answer));
        for uri in ["/orders", "/payments", "/admin/users"] {
            writeln!(out, "{who} {uri} => {}", call(&app, "GET", uri, OPAQUE).await).unwrap();
        }
    }
    expect![[r#"
        alice /orders => 200 [-] ok
        alice /payments => 200 [-] ok
        alice /admin/users => 200 [-] ok
        bob /orders => 403 [Bearer error="insufficient_scope", scope="orders:read"] 
        bob /payments => 403 [Bearer error="insufficient_scope"] 
        bob /admin/users => 403 [Bearer error="insufficient_scope"] 
    "#]]
    .assert_eq(&out);
}

/// A verifier a team writes that exposes no claims.
#[derive(Clone)]
struct Opaque;

impl BearerVerifier for Opaque {
    type Verified = ();

    fn verify_bearer(
        &self,
        _token: &str,
    ) -> impl Future<Output = Result<(), okta_verify::VerifyError>> + Send {
        std::future::ready(Ok(()))
    }
}

/// Rules and typed claims fail closed: without the layer, or under a verifier that exposes no
/// claims, the route answers 500 and the handler does not run.
#[tokio::test]
async fn rules_and_typed_claims_fail_closed() {
    async fn typed_handler(_token: VerifiedAccessToken<TeamClaims>) -> &'static str {
        "ran"
    }
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let count = move || {
        counted.fetch_add(1, Ordering::SeqCst);
        std::future::ready("ran")
    };
    let bare =
        Router::new().route("/rule", get(count.clone()).route_layer(Require::group("admins")));
    let opaque = Router::new()
        .route("/rule", get(count).route_layer(Require::group("admins")))
        .route("/typed", get(typed_handler))
        .layer(BearerAuthLayer::new(Opaque));
    let bearer = team_token(&json!({}));
    let out = format!(
        "{}\n{}\n{}",
        call(&bare, "GET", "/rule", &bearer).await,
        call(&opaque, "GET", "/rule", OPAQUE).await,
        call(&opaque, "GET", "/typed", OPAQUE).await,
    );
    expect![[r"
        500 [-] 
        500 [-] 
        500 [-] "]]
    .assert_eq(&out);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}
