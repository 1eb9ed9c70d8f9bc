//! The tower layer and extractor over HTTP semantics (SC-110, RFC 6750 3), in-process with
//! `oneshot`: statuses, `WWW-Authenticate`, and no echo of the token.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use expect_test::expect;
use okta_verify::axum::BearerAuthLayer;
use okta_verify::{
    AccessTokenVerifier, BearerVerifier, IssuerChain, JwksCache, VerifiedAccessToken,
};
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

/// A guard over two authorization servers: the issuer picks the verifier; an unknown issuer is
/// `wrong_issuer` (not `key_not_found` or `audience_mismatch`), with no key fetch.
#[tokio::test]
async fn one_guard_over_several_issuers_refuses_an_unknown_issuer_without_a_fetch() {
    const OTHER: &str = "https://example.okta.com/oauth2/aus2orders";
    let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&fetches);
    let jwks = crate::support::jwks_json();
    let remote_keys = JwksCache::remote(
        format!("{OTHER}/v1/keys").parse().unwrap(),
        Arc::new(move |_request: http::Request<Vec<u8>>| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = jwks.clone().into_bytes();
            async move { Ok(http::Response::builder().status(200).body(body).unwrap()) }
        }),
        okta_verify::JwksCacheOptions::default(),
        okta_verify::Clock::fixed_unix(NOW.unsigned_abs()),
    )
    .unwrap();
    let mut other = access_options();
    other.issuer = okta_config::Issuer::parse(OTHER).unwrap();
    let chain = IssuerChain::new([
        AccessTokenVerifier::new(access_options(), static_keys()).unwrap(),
        AccessTokenVerifier::new(other, remote_keys).unwrap(),
    ])
    .unwrap();
    let app = Router::new().route("/me", get(me)).layer(BearerAuthLayer::new(chain.clone()));
    let default_token = access_token();
    let other_token = token(Key::RsaA, &patched(access_claims(), &json!({ "iss": OTHER })));
    let typo = token(
        Key::RsaA,
        &patched(access_claims(), &json!({ "iss": "https://example.okta.com/oauth2/defualt" })),
    );
    let mut out = String::new();
    for (name, token) in [("default", &default_token), ("orders", &other_token), ("typo", &typo)] {
        writeln!(out, "{name} => {}", call(&app, "/me", &[format!("Bearer {token}")]).await)
            .unwrap();
    }
    expect![[r#"
        default => 200 [-] hello alice@example.com
        orders => 200 [-] hello alice@example.com
        typo => 401 [Bearer error="invalid_token", error_description="wrong_issuer"] 
    "#]]
    .assert_eq(&out);
    assert_eq!(
        fetches.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "only the orders token fetched"
    );
    let err = chain.verify(&typo).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrong issuer https://example.okta.com/oauth2/defualt, expected \
         https://example.okta.com/oauth2/default or https://example.okta.com/oauth2/aus2orders"
    );
    assert!(IssuerChain::new([]).is_err());
}

/// A verifier a team writes: the layer takes it as it takes Okta's.
#[derive(Clone)]
struct Allowlist;

#[derive(Clone)]
struct Caller(String);

impl BearerVerifier for Allowlist {
    type Verified = Caller;

    fn verify_bearer(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Caller, okta_verify::VerifyError>> + Send {
        let result = if token == "the-partner-s-long-opaque-token" {
            Ok(Caller("partner".to_owned()))
        } else {
            Err(okta_verify::VerifyError::IntrospectionInactive)
        };
        std::future::ready(result)
    }
}

#[tokio::test]
async fn the_layer_takes_introspection_and_team_written_verifiers() {
    async fn partner(axum::Extension(caller): axum::Extension<Caller>) -> String {
        format!("hello {}", caller.0)
    }
    async fn introspected(token: okta_verify::IntrospectedToken) -> String {
        format!("hello {}", token.claims().sub.as_deref().unwrap_or("?"))
    }
    let app = Router::new().route("/me", get(partner)).layer(BearerAuthLayer::new(Allowlist));
    let accepted = call(&app, "/me", &["Bearer the-partner-s-long-opaque-token".to_owned()]).await;
    let refused = call(&app, "/me", &["Bearer another-token".to_owned()]).await;
    expect![[r#"
        200 [-] hello partner
        401 [Bearer error="invalid_token", error_description="introspection_inactive"] "#]]
    .assert_eq(&format!("{accepted}\n{refused}"));

    // Introspection: the handler takes the IntrospectedToken.
    let answer = json!({
        "active": true, "token_type": "Bearer", "scope": "orders:read",
        "client_id": "0oa1client", "exp": NOW + 3600, "sub": "alice@example.com",
        "aud": "https://example.okta.com", "iss": "https://example.okta.com", "jti": "AT.1"
    })
    .to_string();
    let http = Arc::new(move |_request: http::Request<Vec<u8>>| {
        let body = answer.clone().into_bytes();
        async move { Ok(http::Response::builder().status(200).body(body).unwrap()) }
    });
    let mut options = okta_verify::IntrospectionOptions::new(
        "https://example.okta.com/oauth2/v1/introspect".parse().unwrap(),
    );
    options.audiences = vec![okta_config::Audience::parse("https://example.okta.com").unwrap()];
    options.any_client = true;
    options.clock = okta_verify::Clock::fixed_unix(NOW.unsigned_abs());
    let credentials = okta_http::ClientCredentials::client_secret_basic(
        okta_config::ClientId::parse("0oa1api").unwrap(),
        okta_config::ClientSecret::parse("an-api-client-secret".to_owned()).unwrap(),
    );
    let verifier = okta_verify::IntrospectionVerifier::new(options, credentials, http).unwrap();
    let app = Router::new().route("/me", get(introspected)).layer(BearerAuthLayer::new(verifier));
    let answer =
        call(&app, "/me", &["Bearer 0Hn2XVcJq1bPJqPzDQm8hT3nkgGl4fLw2dw4R7eMo-Y".to_owned()]).await;
    expect![[r#"200 [-] hello alice@example.com"#]].assert_eq(&answer);
}

/// What `Router::layer(BearerAuthLayer)` does to a path that matches no route: axum runs the
/// layer around the fallback too, so an unknown path without a token is 401 (nothing is said
/// about which paths exist), and with a valid token the fallback's 404. `route_layer` guards
/// only the routes that match: there an unknown path is 404 whatever the token.
#[tokio::test]
async fn routes_that_match_nothing() {
    let verifier = AccessTokenVerifier::new(access_options(), static_keys()).unwrap();
    let layered = app(verifier.clone());
    let route_layered =
        Router::new().route("/me", get(me)).route_layer(BearerAuthLayer::new(verifier));
    let bearer = [format!("Bearer {}", access_token())];
    let mut out = String::new();
    for (name, app) in [("layer", &layered), ("route_layer", &route_layered)] {
        writeln!(out, "{name}, no token => {}", call(app, "/nope", &[]).await).unwrap();
        writeln!(out, "{name}, valid token => {}", call(app, "/nope", &bearer).await).unwrap();
    }
    expect![[r#"
        layer, no token => 401 [Bearer] 
        layer, valid token => 404 [-] 
        route_layer, no token => 404 [-] 
        route_layer, valid token => 404 [-] 
    "#]]
    .assert_eq(&out);
}
