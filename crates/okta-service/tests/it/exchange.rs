//! Token exchange on behalf of a signed-in user, against the devserver: the orders API trades
//! the user's token for a shipping token; the cache is keyed, bounded and never outlives the
//! user's token.

use std::time::Duration;

use okta_config::{Audience, Scope};
use okta_devserver::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET,
    DEMO_PASSWORD, DEMO_USERNAME, GrantType,
};
use okta_service::{TokenError, TokenExchanger};

use crate::{World, basic};

/// Signs the demo user in at the orders server (headless) and returns their access token.
pub(crate) async fn user_token(world: &World) -> String {
    okta_http::install_default_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let authn: serde_json::Value = http
        .post(format!("{}/api/v1/authn", world.server.base_url()))
        .json(&serde_json::json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("authn")
        .json()
        .await
        .expect("authn JSON");
    let orders = world.server.issuer("orders");
    let authorize = http
        .get(format!("{orders}/v1/authorize"))
        .query(&[
            ("client_id", DEMO_CLIENT_ID),
            ("response_type", "code"),
            ("scope", "openid orders:read"),
            ("redirect_uri", "http://localhost:8080"),
            ("state", "s-1"),
            ("sessionToken", authn["sessionToken"].as_str().expect("session token")),
        ])
        .send()
        .await
        .expect("authorize");
    let location = authorize.headers()["location"].to_str().expect("location").to_owned();
    let code = url::Url::parse(&location)
        .expect("redirect URL")
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .expect("a code");
    let tokens: serde_json::Value = http
        .post(format!("{orders}/v1/token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://localhost:8080"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    tokens["access_token"].as_str().expect("an access token").to_owned()
}

fn exchanger(world: &World, capacity: usize) -> TokenExchanger {
    let http =
        okta_http::ReqwestHttpClient::new(okta_http::HttpClientOptions::default()).expect("client");
    let clock = world.clock.clone();
    TokenExchanger::builder(
        world.issuer("shipping"),
        basic(DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET),
        std::sync::Arc::new(http),
    )
    .clock(okta_http::Clock::from_fn(move || clock.now()))
    .capacity(capacity)
    .build()
}

fn exchanges(world: &World) -> usize {
    world.server.count_token_requests(GrantType::TokenExchange, DEMO_EXCHANGE_CLIENT_ID)
}

#[tokio::test]
async fn a_users_token_is_exchanged_once_and_cached_until_it_expires() {
    let world = World::start().await;
    let user = user_token(&world).await;
    let exchanger = exchanger(&world, 100);
    let shipping = Audience::parse("api://shipping").unwrap();
    let read = [Scope::parse("shipping:read").unwrap()];

    let token = exchanger.exchange(&user, &shipping, &read).await.unwrap();
    assert_eq!(token.scopes(), ["shipping:read"]);
    assert_eq!(exchanges(&world), 1);
    let again = exchanger.exchange(&user, &shipping, &read).await.unwrap();
    assert_eq!(again.secret(), token.secret(), "cached");
    assert_eq!(exchanges(&world), 1);
    // Other scopes are another entry (none: the server's default scopes).
    exchanger.exchange(&user, &shipping, &[]).await.unwrap();
    assert_eq!(exchanges(&world), 2);
    // Another user token (the same user, signed in again) is another entry.
    let other = user_token(&world).await;
    exchanger.exchange(&other, &shipping, &read).await.unwrap();
    assert_eq!(exchanges(&world), 3);
    assert_eq!(exchanger.cached(), 3);

    // Past the user's token's expiry, nothing is served from the cache: Okta is asked, and
    // refuses the expired subject token.
    world.clock.advance(Duration::from_secs(3600));
    let err = exchanger.exchange(&user, &shipping, &read).await.unwrap_err();
    assert!(matches!(err, TokenError::Refused { status: 400, .. }), "{err:?}");
    assert_eq!(exchanges(&world), 4);
    assert!(!format!("{err:?} {err}").contains(&user), "no token in errors");
}

#[tokio::test]
async fn the_cache_is_bounded_and_errors_are_typed() {
    let world = World::start().await;
    let user = user_token(&world).await;
    let exchanger = exchanger(&world, 1);
    let shipping = Audience::parse("api://shipping").unwrap();
    exchanger.exchange(&user, &shipping, &[Scope::parse("shipping:read").unwrap()]).await.unwrap();
    exchanger.exchange(&user, &shipping, &[]).await.unwrap();
    assert!(exchanger.cached() <= 1, "bounded: {}", exchanger.cached());

    // A scope the policy does not grant.
    let err = exchanger
        .exchange(&user, &shipping, &[Scope::parse("shipping:write").unwrap()])
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::InvalidScope { .. }), "{err:?}");
    // Not a token at all.
    let err = exchanger.exchange("not-a-token", &shipping, &[]).await.unwrap_err();
    assert!(matches!(err, TokenError::Refused { .. }), "{err:?}");
}
