//! Tokens on outgoing calls: a small API on loopback that refuses the first token it sees as
//! `invalid_token` (as if revoked), called through the reqwest-middleware middleware and through
//! the tower layer.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::http::{HeaderMap, StatusCode, header};
use okta_devserver::{DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET};
use okta_service::upstream::BearerMiddleware;
use okta_service::{BearerAuth, BearerLayer, OutgoingError};
use tower_layer::Layer as _;
use tower_service::Service as _;
use url::Url;

use crate::{World, basic};

/// The API: it refuses the first token it sees with `invalid_token` and accepts any later one,
/// and records every `Authorization` it got.
#[derive(Clone, Default)]
struct Api {
    seen: Arc<Mutex<Vec<String>>>,
}

impl Api {
    fn answer(&self, headers: &HeaderMap) -> (StatusCode, [(header::HeaderName, &'static str); 1]) {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = seen.first().cloned();
        seen.push(authorization.clone());
        if first.is_none() || first.as_deref() == Some(authorization.as_str()) {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            )
        } else {
            (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")])
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    async fn serve(&self) -> Url {
        let api = self.clone();
        let router = axum::Router::new().route(
            "/orders",
            axum::routing::any(move |headers: HeaderMap| {
                let api = api.clone();
                async move { api.answer(&headers) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Url::parse(&format!("http://{addr}/orders")).expect("URL")
    }
}

#[tokio::test]
async fn the_middleware_refreshes_once_on_invalid_token_and_never_sends_elsewhere() {
    let world = World::start().await;
    let source = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let api = Api::default();
    let url = api.serve().await;
    okta_http::install_default_crypto_provider();
    let client = reqwest_middleware::ClientBuilder::new(
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
    )
    .with(BearerMiddleware::from(BearerAuth::new(source, [], &url)))
    .build();

    let response = client.get(url.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200, "retried with a new token");
    let seen = api.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].starts_with("Bearer ") && seen[1].starts_with("Bearer "));
    assert_ne!(seen[0], seen[1], "the second attempt carries a new token");
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), 2);

    // A POST is not idempotent: the 401 comes back, no retry. (The API refuses only its first
    // token; a fresh API shows it.)
    let api_post = Api::default();
    let post_url = api_post.serve().await;
    let source = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(BearerMiddleware::from(BearerAuth::new(source, [], &post_url)))
        .build();
    let response = client.post(post_url.clone()).body("order").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(api_post.seen().len(), 1);

    // Another origin (another port of the same host): refused, nothing sent.
    let mut elsewhere = post_url.clone();
    elsewhere.set_port(Some(1)).unwrap();
    let err = client.get(elsewhere).send().await.unwrap_err();
    let reqwest_middleware::Error::Middleware(err) = err else { panic!("{err:?}") };
    let err = err.downcast::<OutgoingError>().unwrap();
    assert!(
        matches!(&err, OutgoingError::ForeignOrigin { origin } if origin.ends_with(":1")),
        "{err:?}"
    );
    assert_eq!(api_post.seen().len(), 1);
}

/// An inner service that calls the API with reqwest, as a hyper client would.
#[derive(Clone)]
struct Send(reqwest::Client);

impl tower_service::Service<http::Request<String>> for Send {
    type Response = http::Response<Vec<u8>>;
    type Error = reqwest::Error;
    type Future = okta_http::BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<String>) -> Self::Future {
        let client = self.0.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            let mut answer = http::Response::new(body);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(answer)
        })
    }
}

#[tokio::test]
async fn the_tower_layer_does_the_same() {
    let world = World::start().await;
    let source = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let api = Api::default();
    let url = api.serve().await;
    okta_http::install_default_crypto_provider();
    let mut service =
        BearerLayer::new(BearerAuth::new(source, [], &url)).layer(Send(reqwest::Client::new()));
    let request = http::Request::get(url.as_str()).body(String::new()).unwrap();
    let response = service.call(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(api.seen().len(), 2);

    let foreign =
        http::Request::get("https://evil.example.com/orders").body(String::new()).unwrap();
    let err = service.call(foreign).await.unwrap_err();
    let err = err.downcast::<OutgoingError>().unwrap();
    assert!(matches!(*err, OutgoingError::ForeignOrigin { .. }), "{err:?}");
    assert_eq!(api.seen().len(), 2, "nothing sent");
}
