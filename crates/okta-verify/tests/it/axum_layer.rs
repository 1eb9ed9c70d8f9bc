//! The tower layer and extractor over HTTP semantics (SC-110, RFC 6750 3), in-process with
//! `oneshot`: statuses, `WWW-Authenticate`, and no echo of the token.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use expect_test::expect;
use okta_verify::axum::BearerAuthLayer;
use okta_verify::{AccessTokenVerifier, JwksCache, VerifiedAccessToken};
use serde_json::json;
use tower::ServiceExt as _;

use crate::support::{
    Key, NOW, access_claims, access_options, access_token, patched, static_keys, token,
};

async fn me(token: VerifiedAccessToken) -> String {
    format!("hello {}", token.claims().sub)
}

fn app(verifier: AccessTokenVerifier) -> Router {
    Router::new().route("/me", get(me)).layer(BearerAuthLayer::new(verifier))
}

/// Sends `GET uri` with these `Authorization` values; describes status, challenge and body.
async fn call(app: &Router, uri: &str, authorizations: &[String]) -> String {
    let mut request = http::Request::builder().uri(uri);
    for value in authorizations {
        request = request.header(http::header::AUTHORIZATION, value);
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

#[tokio::test]
async fn sc_110_statuses_and_challenges() {
    let mut options = access_options();
    options.required_scopes = vec![crate::support::scope("orders:read")];
    let app = app(AccessTokenVerifier::new(options, static_keys()).unwrap());
    let valid = access_token();
    let expired = token(Key::RsaA, &patched(access_claims(), &json!({ "exp": NOW - 1000 })));
    let no_scope = token(Key::RsaA, &patched(access_claims(), &json!({ "scp": ["openid"] })));
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        ("valid", "/me".into(), vec![format!("Bearer {valid}")]),
        ("lower-case scheme", "/me".into(), vec![format!("bearer {valid}")]),
        ("missing", "/me".into(), vec![]),
        ("other scheme", "/me".into(), vec!["Basic dXNlcjpwYXNz".into()]),
        ("two headers", "/me".into(), vec![format!("Bearer {valid}"), format!("Bearer {valid}")]),
        ("extra space", "/me".into(), vec![format!("Bearer  {valid}")]),
        ("token in query", format!("/me?access_token={valid}"), vec![format!("Bearer {valid}")]),
        ("query only", format!("/me?access_token={valid}"), vec![]),
        ("expired", "/me".into(), vec![format!("Bearer {expired}")]),
        ("garbage", "/me".into(), vec!["Bearer abc.def.ghi".into()]),
        ("scope missing", "/me".into(), vec![format!("Bearer {no_scope}")]),
    ];
    let mut out = String::new();
    for (name, uri, headers) in cases {
        let line = call(&app, &uri, &headers).await;
        for secret in [&valid, &expired, &no_scope] {
            assert!(!line.contains(&secret[..40]), "{name} echoed the token");
        }
        writeln!(out, "{name} => {line}").unwrap();
    }
    expect![[r#"
        valid => 200 [-] hello alice@example.com
        lower-case scheme => 200 [-] hello alice@example.com
        missing => 401 [Bearer] 
        other scheme => 401 [Bearer] 
        two headers => 400 [Bearer error="invalid_request"] 
        extra space => 400 [Bearer error="invalid_request"] 
        token in query => 400 [Bearer error="invalid_request"] 
        query only => 400 [Bearer error="invalid_request"] 
        expired => 401 [Bearer error="invalid_token", error_description="expired"] 
        garbage => 401 [Bearer error="invalid_token", error_description="malformed"] 
        scope missing => 403 [Bearer error="insufficient_scope", scope="orders:read"] 
    "#]]
    .assert_eq(&out);
}

#[tokio::test]
async fn unreachable_keys_are_503_and_a_missing_layer_is_500() {
    let offline = Arc::new(|_request: http::Request<Vec<u8>>| async {
        Err::<http::Response<Vec<u8>>, _>(okta_http::TransportError::other("connection refused"))
    });
    let keys = JwksCache::remote(
        "https://example.okta.com/oauth2/default/v1/keys".parse().unwrap(),
        offline,
        okta_verify::JwksCacheOptions::default(),
        okta_verify::Clock::fixed_unix(NOW.unsigned_abs()),
    )
    .unwrap();
    let app = app(AccessTokenVerifier::new(access_options(), keys).unwrap());
    let unavailable = call(&app, "/me", &[format!("Bearer {}", access_token())]).await;
    let bare = Router::new().route("/me", get(me));
    let no_layer = call(&bare, "/me", &[format!("Bearer {}", access_token())]).await;
    expect![[r"
        503 [-] 
        500 [-] "]]
    .assert_eq(&format!("{unavailable}\n{no_layer}"));
}
