//! The API example's router (`examples/api/routes.rs`, the file the example serves) under each
//! guard it offers: local JWTs, introspection and an issuer chain, with its per-route rules and
//! typed claims.

use std::fmt::Write as _;

use axum::Router;
use axum::body::Body;
use expect_test::expect;
use okta_verify::IssuerChain;
use serde_json::json;
use tower::ServiceExt as _;

use crate::rules_and_claims::{OPAQUE, introspection, introspection_answer, local_verifier};
use crate::support::{Key, access_claims, patched, token};

#[path = "../../examples/api/routes.rs"]
mod routes;

async fn status(app: &Router, uri: &str, bearer: &str) -> String {
    let mut request = http::Request::builder().uri(uri);
    if !bearer.is_empty() {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {bearer}"));
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .map_or_else(String::new, |value| format!(" [{}]", value.to_str().unwrap()));
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    format!("{status}{challenge} {}", String::from_utf8_lossy(&body))
}

async fn describe(out: &mut String, name: &str, app: &Router, bearer: &str) {
    for uri in ["/api/whoami", "/api/messages", "/api/admin"] {
        writeln!(out, "{name} {uri} => {}", status(app, uri, bearer).await).unwrap();
    }
}

#[tokio::test]
async fn the_example_router_under_every_guard() {
    let reader = json!({ "scp": ["openid", "messages:read"], "groups": ["Everyone"] });
    let admin = json!({ "scp": ["messages:read", "messages:admin"], "groups": ["Admins"] });
    let mut out = String::new();
    for (name, guard) in [
        ("local", routes::Guard::Local(local_verifier())),
        ("chain", routes::Guard::Chain(IssuerChain::new([local_verifier()]).unwrap())),
    ] {
        let app = routes::router(guard);
        describe(
            &mut out,
            &format!("{name}, reader"),
            &app,
            &token(Key::RsaA, &patched(access_claims(), &reader)),
        )
        .await;
        describe(
            &mut out,
            &format!("{name}, admin"),
            &app,
            &token(Key::RsaA, &patched(access_claims(), &admin)),
        )
        .await;
        describe(&mut out, &format!("{name}, none"), &app, "").await;
    }
    for (name, scope, groups) in [
        ("introspection, reader", "openid messages:read", json!(["Everyone"])),
        ("introspection, admin", "messages:read messages:admin", json!(["Admins"])),
    ] {
        let answer = introspection_answer(&json!({ "scope": scope, "groups": groups }));
        let app = routes::router(routes::Guard::Introspection(introspection(answer)));
        describe(&mut out, name, &app, OPAQUE).await;
    }
    expect![[r#"
        local, reader /api/whoami => 200 {"client":"0oa1client","groups":["Everyone"],"sub":"alice@example.com"}
        local, reader /api/messages => 200 {"for":"alice@example.com","messages":["Welcome to the example API","Your token carries messages:read"]}
        local, reader /api/admin => 403 [Bearer error="insufficient_scope", scope="messages:admin"] 
        local, admin /api/whoami => 200 {"client":"0oa1client","groups":["Admins"],"sub":"alice@example.com"}
        local, admin /api/messages => 200 {"for":"alice@example.com","messages":["Welcome to the example API","Your token carries messages:read"]}
        local, admin /api/admin => 200 {"admin":"alice@example.com"}
        local, none /api/whoami => 401 [Bearer] 
        local, none /api/messages => 401 [Bearer] 
        local, none /api/admin => 401 [Bearer] 
        chain, reader /api/whoami => 200 {"client":"0oa1client","groups":["Everyone"],"sub":"alice@example.com"}
        chain, reader /api/messages => 200 {"for":"alice@example.com","messages":["Welcome to the example API","Your token carries messages:read"]}
        chain, reader /api/admin => 403 [Bearer error="insufficient_scope", scope="messages:admin"] 
        chain, admin /api/whoami => 200 {"client":"0oa1client","groups":["Admins"],"sub":"alice@example.com"}
        chain, admin /api/messages => 200 {"for":"alice@example.com","messages":["Welcome to the example API","Your token carries messages:read"]}
        chain, admin /api/admin => 200 {"admin":"alice@example.com"}
        chain, none /api/whoami => 401 [Bearer] 
        chain, none /api/messages => 401 [Bearer] 
        chain, none /api/admin => 401 [Bearer] 
        introspection, reader /api/whoami => 200 {"client":"0oa1client","groups":["Everyone"],"sub":"alice@example.com"}
        introspection, reader /api/messages => 200 {"for":"alice@example.com","messages":["Welcome to the example API","Your token carries messages:read"]}
        introspection, reader /api/admin => 403 [Bearer error="insufficient_scope", scope="messages:admin"] 
        introspection, admin /api/whoami => 200 {"client":"0oa1client","groups":["Admins"],"sub":"alice@example.com"}
        introspection, admin /api/messages => 200 {"for":"alice@example.com","messages":["Welcome to the example API","Your token carries messages:read"]}
        introspection, admin /api/admin => 200 {"admin":"alice@example.com"}
    "#]].assert_eq(&out);
}
