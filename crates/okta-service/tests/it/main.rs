//! okta-service against the in-process okta-devserver: the counts the issue asks for (1,000
//! concurrent callers at expiry, a failing `/token` for the rest of a token's life, a 429 storm),
//! every client authentication method, Okta's refusals and malformed responses. Time is the
//! devserver's manual clock; waiting moves it, so nothing sleeps.

mod exchange;
mod outgoing;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use okta_config::{ClientId, ClientSecret, ClientSigningKey, Issuer, Scope};
use okta_devserver::{
    DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET, DEMO_JWT_SERVICE_CLIENT_ID,
    DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_EC_KID, DEMO_JWT_SERVICE_RSA_KEY_PEM,
    DEMO_JWT_SERVICE_RSA_KID, DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, DevServer,
    Endpoint, Fault, GrantType, ManualClock, RateLimitFault, TokenResponseFault,
};
use okta_http::{ClientCredentials, Clock, ReqwestHttpClient};
use okta_service::{TokenError, TokenSource};

struct World {
    server: DevServer,
    clock: ManualClock,
    /// Every wait the token source asked for.
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl World {
    async fn start() -> Self {
        let clock = ManualClock::starting_now();
        let server = DevServer::builder().clock(clock.clone()).start().await.expect("devserver");
        Self { server, clock, waits: Arc::default() }
    }

    fn issuer(&self, server: &str) -> Issuer {
        let issuer = if server == "org" {
            self.server.org_issuer().to_owned()
        } else {
            self.server.issuer(server)
        };
        Issuer::parse(&issuer).expect("issuer")
    }

    /// A token source with no jitter, whose waits move the clock.
    fn source(&self, server: &str, credentials: ClientCredentials) -> TokenSource {
        okta_http::install_default_crypto_provider();
        let http = ReqwestHttpClient::new(okta_http::HttpClientOptions::default()).expect("client");
        let clock = self.clock.clone();
        let waits = Arc::clone(&self.waits);
        let reader = self.clock.clone();
        TokenSource::builder(self.issuer(server), credentials, Arc::new(http))
            .clock(Clock::from_fn(move || reader.now()))
            .jitter(|_| Duration::ZERO)
            .sleep(move |wait| {
                waits.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(wait);
                clock.advance(wait);
                Box::pin(async {})
            })
            .build()
    }

    fn token_requests(&self, client_id: &str) -> usize {
        self.server.count_token_requests(GrantType::ClientCredentials, client_id)
    }

    /// The times of the `/token` requests of `client_id`.
    fn request_times(&self, client_id: &str) -> Vec<SystemTime> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path().ends_with("/token") && r.client_id() == Some(client_id))
            .map(okta_devserver::RecordedRequest::time)
            .collect()
    }
}

fn basic(id: &str, secret: &str) -> ClientCredentials {
    ClientCredentials::client_secret_basic(
        ClientId::parse(id).expect("id"),
        ClientSecret::parse(secret.to_owned()).expect("secret"),
    )
}

fn key(pem: &str, kid: &str) -> ClientCredentials {
    let key = ClientSigningKey::parse(pem, None, Some(kid.to_owned())).expect("demo key");
    ClientCredentials::private_key_jwt(
        ClientId::parse(DEMO_JWT_SERVICE_CLIENT_ID).expect("id"),
        &key,
    )
    .expect("signer")
}

fn scopes(names: &[&str]) -> Vec<Scope> {
    names.iter().map(|name| Scope::parse(name).expect("scope")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_at_expiry_make_one_token_request() {
    let world = World::start().await;
    let source = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let first = source.token(&[]).await.unwrap();
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), 1);
    // Cached: no request.
    assert_eq!(source.token(&[]).await.unwrap().secret(), first.secret());
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), 1);

    // The token has expired: 1,000 callers at once.
    world.clock.set(first.expires_at());
    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let callers: Vec<_> = (0..1000)
        .map(|_| {
            let source = source.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                source.token(&[]).await.map(|token| token.secret().to_owned())
            })
        })
        .collect();
    let mut tokens = std::collections::BTreeSet::new();
    for caller in callers {
        tokens.insert(caller.await.unwrap().unwrap());
    }
    assert_eq!(
        world.token_requests(DEMO_SERVICE_CLIENT_ID),
        2,
        "exactly one request for 1,000 callers"
    );
    assert_eq!(tokens.len(), 1, "everyone got the new token");
    assert!(!tokens.contains(first.secret()));

    // In the refresh window (before expiry), 1,000 callers: one refresh, nobody waits for it.
    let second = source.token(&[]).await.unwrap();
    world.clock.set(second.expires_at() - Duration::from_secs(60));
    let callers: Vec<_> = (0..1000)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token(&[]).await.map(|t| t.secret().to_owned()) })
        })
        .collect();
    for caller in callers {
        let token = caller.await.unwrap().unwrap();
        assert!(!token.is_empty());
    }
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), 3, "one refresh ahead of expiry");
    // Different scopes are a different cache entry.
    source.token(&scopes(&["orders:read"])).await.unwrap();
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), 4);
}

#[tokio::test]
async fn a_failing_token_endpoint_is_ridden_out_until_the_token_expires() {
    let world = World::start().await;
    let source = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let token = source.token(&[]).await.unwrap();
    let issued = world.clock.now();
    world.server.faults().arm_always(Fault::ServerError { endpoint: Endpoint::Token, status: 503 });

    // From the refresh window to the last usable second, every 5 s: the current token, always.
    let refresh_from = token.expires_at() - Duration::from_secs(5 * 60);
    world.clock.set(refresh_from);
    let usable_until = token.expires_at() - Duration::from_secs(10);
    let mut calls = 0;
    while world.clock.now() < usable_until {
        let got = source.token(&[]).await.expect("no failure while the token lives");
        assert_eq!(got.secret(), token.secret());
        calls += 1;
        world.clock.advance(Duration::from_secs(5));
    }
    let failed_refreshes = world.token_requests(DEMO_SERVICE_CLIENT_ID) - 1;
    println!(
        "failing /token: {calls} calls over the token's last {} s, {failed_refreshes} refresh requests, 0 failures",
        usable_until.duration_since(refresh_from).unwrap().as_secs()
    );
    assert!(failed_refreshes >= 2, "refreshes are tried again");
    assert!(
        failed_refreshes < calls / 2,
        "with backoff, not on every call ({failed_refreshes} of {calls})"
    );
    assert!(issued < refresh_from);

    // Once it has expired, the failure shows.
    world.clock.set(token.expires_at());
    let err = source.token(&[]).await.unwrap_err();
    assert!(matches!(err, TokenError::Unavailable { status: 503 }), "{err:?}");

    // And when Okta recovers, the next call gets a token.
    world.server.faults().clear();
    world.clock.advance(Duration::from_secs(60));
    assert!(source.token(&[]).await.is_ok());
}

#[tokio::test]
async fn a_429_storm_is_ridden_out_by_the_announced_reset() {
    let world = World::start().await;
    let source = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    // Three 429s, each announcing a reset in 20 s (and a later second reset header, ignored).
    world.server.faults().arm_times(
        Fault::RateLimitedWith(
            RateLimitFault::new(Endpoint::Token)
                .reset_in(Duration::from_secs(20))
                .duplicate_reset_in(Duration::from_secs(50)),
        ),
        3,
    );
    let token = source.token(&[]).await.expect("a token after the storm");
    assert!(!token.secret().is_empty());
    let times = world.request_times(DEMO_SERVICE_CLIENT_ID);
    assert_eq!(times.len(), 4, "three 429s and the success");
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]).unwrap();
        assert!(gap >= Duration::from_secs(20), "a request {gap:?} after a 429 announcing 20 s");
    }
    let waits = world.waits.lock().unwrap().clone();
    assert_eq!(waits, vec![Duration::from_secs(20); 3], "the earliest reset minus Date");
    println!("429 storm: {} requests, waits {waits:?}", times.len());

    // Retry-After wins over the reset.
    world.server.faults().arm(Fault::RateLimitedWith(
        RateLimitFault::new(Endpoint::Token)
            .reset_in(Duration::from_secs(40))
            .retry_after(Duration::from_secs(7)),
    ));
    world.clock.set(token.expires_at());
    source.token(&[]).await.unwrap();
    assert_eq!(world.waits.lock().unwrap().last(), Some(&Duration::from_secs(7)));

    // A reset further away than the policy's max wait: a typed error, no second request.
    world.server.faults().arm(Fault::RateLimitedWith(
        RateLimitFault::new(Endpoint::Token).reset_in(Duration::from_secs(600)),
    ));
    let before = world.token_requests(DEMO_SERVICE_CLIENT_ID);
    let fresh = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let err = fresh.token(&[]).await.unwrap_err();
    assert!(
        matches!(err, TokenError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(600)),
        "{err:?}"
    );
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), before + 1);
}

#[tokio::test]
async fn every_client_authentication_method_gets_a_token() {
    let world = World::start().await;
    let rsa = world.source("orders", key(DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID));
    let token = rsa.token(&scopes(&["orders:read", "orders:write"])).await.unwrap();
    assert_eq!(token.scopes(), ["orders:read", "orders:write"]);
    let ec = world.source("orders", key(DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_EC_KID));
    // No scopes: the server's default scopes, as Okta grants them.
    assert_eq!(ec.token(&[]).await.unwrap().scopes(), ["orders:read"]);
    // The org server: private_key_jwt and Okta API scopes.
    let org = world.source("org", key(DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID));
    assert_eq!(
        org.token(&scopes(&["okta.users.read"])).await.unwrap().scopes(),
        ["okta.users.read"]
    );
    assert_eq!(world.token_requests(DEMO_JWT_SERVICE_CLIENT_ID), 3);
    // A kid Okta does not know: invalid_client, not retried.
    let unknown = world.source("orders", key(DEMO_JWT_SERVICE_RSA_KEY_PEM, "no-such-kid"));
    let err = unknown.token(&[]).await.unwrap_err();
    assert!(matches!(err, TokenError::InvalidClient { .. }), "{err:?}");
    assert_eq!(world.token_requests(DEMO_JWT_SERVICE_CLIENT_ID), 4);
}

#[tokio::test]
async fn okta_refusals_are_typed_and_never_retried() {
    let world = World::start().await;
    let wrong_secret =
        world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, "not-the-secret-0123456789"));
    let err = wrong_secret.token(&[]).await.unwrap_err();
    assert!(matches!(err, TokenError::InvalidClient { .. }), "{err:?}");
    assert!(err.to_string().contains("client_auth_method"), "{err}");
    assert!(!err.to_string().contains("not-the-secret"));

    let service = world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let err = service.token(&scopes(&["orders:write"])).await.unwrap_err();
    assert!(matches!(err, TokenError::InvalidScope { .. }), "{err:?}");
    assert!(err.to_string().contains("Access Policies"), "{err}");
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), 2, "one request each");

    let exchange_only =
        world.source("shipping", basic(DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET));
    let err = exchange_only.token(&[]).await.unwrap_err();
    assert!(matches!(err, TokenError::UnauthorizedClient { .. }), "{err:?}");
    assert_eq!(world.token_requests(DEMO_EXCHANGE_CLIENT_ID), 1);

    // The org server's rules, before any request.
    let org_secret = world.source("org", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
    let err = org_secret.token(&scopes(&["okta.users.read"])).await.unwrap_err();
    assert!(
        err.to_string().contains("only to apps that authenticate with private_key_jwt"),
        "{err}"
    );
    let org_key = world.source("org", key(DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID));
    for requested in [scopes(&[]), scopes(&["orders:read"])] {
        let err = org_key.token(&requested).await.unwrap_err();
        assert!(err.to_string().contains("only for Okta's API scopes"), "{err}");
    }
    assert_eq!(world.token_requests(DEMO_SERVICE_CLIENT_ID), 2);
    assert_eq!(world.token_requests(DEMO_JWT_SERVICE_CLIENT_ID), 0);
}

#[tokio::test]
async fn malformed_token_responses_are_typed_errors() {
    let world = World::start().await;
    for (fault, reason) in [
        (TokenResponseFault::MissingAccessToken, "no access_token"),
        (TokenResponseFault::MissingExpiresIn, "no expires_in"),
        (TokenResponseFault::NotJson, "not a JSON token response"),
        (TokenResponseFault::WrongTokenType, "not Bearer"),
    ] {
        let source =
            world.source("orders", basic(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
        world.server.faults().arm(Fault::TokenResponse(fault));
        let err = source.token(&[]).await.unwrap_err();
        assert!(
            matches!(&err, TokenError::MalformedResponse { reason: got } if got.contains(reason)),
            "{fault:?}: {err:?}"
        );
    }
}
