//! A local Okta-compatible authorization server for development and tests.
//!
//! `okta-devserver` serves what an Okta org serves to an OpenID Connect client: the org
//! authorization server (issuer `http://127.0.0.1:PORT`) and custom authorization servers
//! (issuer `…/oauth2/{id}`, `default` always present), each with `/v1/authorize`, `/v1/token`,
//! `/v1/keys`, `/v1/introspect`, `/v1/revoke`, `/v1/userinfo`, `/v1/logout` and the discovery
//! documents, plus `/api/v1/authn` for headless sign-in. Paths, claims, error bodies and
//! status codes follow Okta, so code that works here works against a real org.
//!
//! # Contents
//!
//! - [Starting a server](#starting-a-server)
//! - [Injecting faults](#injecting-faults)
//! - [Asserting on requests](#asserting-on-requests)
//! - [Controlling time](#controlling-time)
//! - [Service apps](#service-apps)
//!
//! `docs/devserver.md` lists what is reproduced and what is not.
//!
//! # Starting a server
//!
//! [`DevServer::builder`] binds `127.0.0.1:0` by default and registers a demo client
//! ([`DEMO_CLIENT_ID`]) and two demo users ([`DEMO_USERNAME`]); add your own with
//! [`DevServerBuilder::client`] and [`DevServerBuilder::user`]. Dropping the server shuts it
//! down.
//!
//! ```no_run
//! use okta_devserver::{Client, DevServer, User};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = DevServer::builder()
//!     .client(Client::confidential("web-app", "s3cret").with_redirect_uri("http://127.0.0.1:3000/cb"))
//!     .user(User::new("carol@example.com", "carol-password").with_groups(["Everyone"]))
//!     .start()
//!     .await?;
//! let issuer = server.issuer("default"); // http://127.0.0.1:PORT/oauth2/default
//! let discovery = format!("{issuer}/.well-known/openid-configuration");
//! # let _ = discovery;
//! # Ok(())
//! # }
//! ```
//!
//! # Injecting faults
//!
//! [`DevServer::faults`] arms a [`Fault`] for the next matching event (or several, or until
//! cleared); with [`DevServerBuilder::admin_routes`] the same is possible over HTTP at
//! `POST /devserver/faults`.
//!
//! ```no_run
//! # use okta_devserver::{DevServer, Endpoint, Fault, TokenFault};
//! # async fn run(server: DevServer) {
//! server.faults().arm(Fault::IdToken(TokenFault::WrongNonce));
//! server.faults().arm_times(Fault::ServerError { endpoint: Endpoint::Keys, status: 503 }, 2);
//! server.faults().clear();
//! # }
//! ```
//!
//! # Asserting on requests
//!
//! Every request is recorded ([`DevServer::requests`], [`RecordedRequest`]), so a test can check
//! what a client did, not only what it returned:
//!
//! ```no_run
//! # use okta_devserver::DevServer;
//! # use http::Method;
//! # fn check(server: &DevServer) {
//! assert_eq!(server.count(Method::GET, "/oauth2/default/v1/keys"), 1);
//! assert_eq!(server.count(Method::GET, "/oauth2/default/v1/userinfo"), 0);
//! # }
//! ```
//!
//! # Controlling time
//!
//! Codes, sessions and tokens expire by the server's [`Clock`]; a [`ManualClock`] lets a test
//! move time forward without sleeping:
//!
//! ```no_run
//! # use std::time::Duration;
//! # use okta_devserver::{DevServer, ManualClock};
//! # async fn run() -> Result<(), okta_devserver::StartError> {
//! let clock = ManualClock::starting_now();
//! let server = DevServer::builder().clock(clock.clone()).start().await?;
//! clock.advance(Duration::from_secs(301)); // every authorization code has now expired
//! # Ok(())
//! # }
//! ```

//! # Service apps
//!
//! Service apps get tokens with `client_credentials` (by the access policies of a custom
//! server, or Okta API scopes at the org server) and exchange users' access tokens (RFC 8693),
//! authenticating with a secret, `client_secret_jwt` or `private_key_jwt`. The demo data has
//! three ([`DEMO_SERVICE_CLIENT_ID`], [`DEMO_JWT_SERVICE_CLIENT_ID`] with committed test keys,
//! [`DEMO_EXCHANGE_CLIENT_ID`]) and two APIs to call (`orders`, `shipping`); register your own
//! with a public key:
//!
//! ```no_run
//! use okta_devserver::{
//!     AccessPolicy, AuthorizationServer, Client, DevServer, GrantType, PolicyRule, public_jwk,
//! };
//!
//! # async fn run(private_key_pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let server = DevServer::builder()
//!     .client(Client::service_with_key("reports", public_jwk(private_key_pem, "key-1")?))
//!     .authorization_server(
//!         AuthorizationServer::new("payments")
//!             .with_default_scope("payments:read")
//!             .with_policy(AccessPolicy::new("Reports").for_clients(["reports"]).with_rule(
//!                 PolicyRule::new("Read").with_grant_types([GrantType::ClientCredentials]),
//!             )),
//!     )
//!     .start()
//!     .await?;
//! // ... the client under test asks for a token, then:
//! assert_eq!(server.count_token_requests(GrantType::ClientCredentials, "reports"), 1);
//! # Ok(())
//! # }
//! ```

// Files import downward only (docs/architecture.md, "Layers"; `cargo xtask tidy` checks it).
//
// The bottom: configuration, clock, keys, stores, faults, the state every request shares, and
// the helpers the handlers share (forms, client authentication, sessions, minting, pages).
mod access_policy;
mod authorization_servers;
mod client_assertion;
mod client_auth;
mod client_keys;
mod clock;
mod config;
mod crypto;
mod error;
#[cfg(test)]
mod error_chains;
mod extract;
mod faults;
mod form;
mod keys;
mod minting;
mod pages;
mod rate;
mod recorder;
mod service_apps;
mod sessions;
mod state;
mod store;
mod tls;

// The middle: one module per endpoint, the middleware, the admin routes and the handles.
mod admin;
mod authn;
mod authorize;
mod console;
mod device;
mod discovery;
mod edge;
mod handles;
mod introspection;
mod logout;
mod service_grants;
mod token_endpoint;
mod userinfo;

// The top: the router and the public `DevServer`.
mod dev_server;
mod router;

#[cfg(test)]
mod testing;

// The public interface.
pub use crate::authorization_servers::AuthServerId;
pub use crate::client_auth::ClientAuthentication;
pub use crate::clock::{Clock, ManualClock};
pub use crate::config::{
    AccessPolicy, ApplicationType, AuthorizationServer, ClaimTarget, ClaimValue, Client,
    ClientAuthMethod, CustomClaim, DEFAULT_SERVER_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_PASSWORD, DEMO_POST_LOGOUT_REDIRECT_URI, DEMO_REDIRECT_URI, DEMO_SECOND_PASSWORD,
    DEMO_SECOND_USERNAME, DEMO_USERNAME, DevServerConfig, GrantType, PolicyRule, TokenLifetimes,
    User, UserStatus,
};
pub use crate::dev_server::{DevServer, DevServerBuilder, StartError};
pub use crate::faults::{
    ArmedFault, Endpoint, Fault, Faults, RateLimitFault, TokenFault, TokenResponseFault,
};
pub use crate::handles::{Clients, Keys, RegisterError, Users};
pub use crate::keys::KeyError;
pub use crate::recorder::RecordedRequest;
pub use crate::service_apps::{
    DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET, DEMO_JWT_SERVICE_CLIENT_ID,
    DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_EC_KID, DEMO_JWT_SERVICE_RSA_KEY_PEM,
    DEMO_JWT_SERVICE_RSA_KID, DEMO_ORDERS_SERVER_ID, DEMO_SERVICE_CLIENT_ID,
    DEMO_SERVICE_CLIENT_SECRET, DEMO_SHIPPING_SERVER_ID, public_jwk,
};
pub use crate::tls::{TlsConfig, TlsError};
