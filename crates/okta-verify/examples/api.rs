//! A resource server (an API) whose routes need different scopes, protected by okta-verify's
//! axum layer: every request must carry an Okta access token as `Authorization: Bearer`.
//!
//! ```sh
//! cargo run -p okta-verify --example api --features axum
//! ```
//!
//! It listens on 127.0.0.1:8081 and, by default, trusts the `default` server of the devserver
//! that `cargo run -p okta-flow --example webapp --features axum` starts on 127.0.0.1:8900 (or
//! `cargo run -p okta-devserver`, started with a config that has the custom scopes). Against a
//! real org, set `OKTA_ISSUER` (and `OKTA_AUDIENCE` for a server other than `default`):
//!
//! ```sh
//! OKTA_ISSUER=https://dev-123456.okta.com/oauth2/default cargo run -p okta-verify --example api --features axum
//! ```
//!
//! | Route | Needs | Without it |
//! | --- | --- | --- |
//! | `GET /api/whoami` | any valid access token | 401 |
//! | `GET /api/messages` | scope `messages:read` | 403 `insufficient_scope` |
//! | `GET /api/admin` | scope `messages:admin` and group `Admins` (a rule) | 403 |
//!
//! Try it without a token: `curl -i http://127.0.0.1:8081/api/whoami` answers 401 with
//! `WWW-Authenticate: Bearer`.
//!
//! Option: `--port <n>` (where the API listens, default 8081). A webapp example started with
//! `--devserver-port <m>` runs its devserver elsewhere: start the API with
//! `OKTA_ISSUER=http://127.0.0.1:<m>/oauth2/default` and give the webapp `--api <url>`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::routing::get;
use okta_config::{Role, Scope, Settings, SettingsLoader};
use okta_http::ReqwestHttpClient;
use okta_verify::axum::BearerAuthLayer;
use okta_verify::{
    AccessTokenOptions, AccessTokenVerifier, JwksCache, RuleViolation, VerifiedAccessToken,
};

/// The issuer of the devserver the webapp example starts.
const DEVSERVER_ISSUER: &str = "http://127.0.0.1:8900/oauth2/default";

/// The client id of the devserver's demo web app (`okta_devserver::DEMO_CLIENT_ID`), whose
/// tokens the API accepts.
const DEVSERVER_CLIENT_ID: &str = "demo-client";
/// Where the API listens unless `--port` says otherwise.
const DEFAULT_PORT: u16 = 8081;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,okta_verify=info".into()),
        )
        .init();
    let port = port_option()?;
    let settings = if okta_issuer_is_set() {
        Settings::load(Role::ResourceServer).context("loading the OKTA_* settings")?
    } else {
        SettingsLoader::isolated()
            .set("issuer", DEVSERVER_ISSUER)
            // Whose tokens the API accepts is a choice: here the devserver's demo web app's.
            .set("client_ids", DEVSERVER_CLIENT_ID)
            .role(Role::ResourceServer)
            .load()
            .context("settings for the devserver")?
    };
    let app = api(&settings)?;

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    tracing::info!(issuer = %settings.issuer(), "API on http://{addr}/api/whoami (Ctrl-C stops)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}

/// The routes, each group under a layer with its own verifier; all share one key cache, so the
/// issuer's keys are fetched once for the whole service.
fn api(settings: &Settings) -> anyhow::Result<Router> {
    let http = Arc::new(ReqwestHttpClient::from_settings(settings)?);
    let keys = JwksCache::from_settings(settings, http)?;
    // Issuer, audiences, client ids, leeway and maximum age from the settings.
    let base = AccessTokenOptions::from_settings(settings);

    let any_token = AccessTokenVerifier::new(base.clone(), keys.clone())?;
    let mut read = base.clone();
    read.required_scopes.push(Scope::parse("messages:read")?);
    let read = AccessTokenVerifier::new(read, keys.clone())?;
    let mut admin = base.with_rule(|claims: &okta_verify::OktaAccessTokenClaims| {
        // A custom claim rule: only members of Admins (a `groups` claim in the access token).
        match claims.string_list("groups") {
            Some(groups) if groups.contains(&"Admins") => Ok(()),
            _ => Err(RuleViolation::new("not a member of Admins")),
        }
    });
    admin.required_scopes.push(Scope::parse("messages:admin")?);
    let admin = AccessTokenVerifier::new(admin, keys)?;

    Ok(Router::new()
        .merge(
            Router::new().route("/api/whoami", get(whoami)).layer(BearerAuthLayer::new(any_token)),
        )
        .merge(
            Router::new().route("/api/messages", get(messages)).layer(BearerAuthLayer::new(read)),
        )
        .merge(
            Router::new().route("/api/admin", get(admin_page)).layer(BearerAuthLayer::new(admin)),
        ))
}

async fn whoami(token: VerifiedAccessToken) -> String {
    let claims = token.claims();
    serde_json::json!({ "sub": claims.sub, "scopes": claims.scp, "client": claims.cid }).to_string()
}

async fn messages(token: VerifiedAccessToken) -> String {
    serde_json::json!({
        "for": token.claims().sub,
        "messages": ["Welcome to the example API", "Your token carries messages:read"],
    })
    .to_string()
}

async fn admin_page(token: VerifiedAccessToken) -> String {
    serde_json::json!({ "admin": token.claims().sub }).to_string()
}

/// The command line: nothing, or `--port <n>`.
fn port_option() -> anyhow::Result<u16> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(DEFAULT_PORT),
        [flag, value] if flag == "--port" => match value.parse::<u16>() {
            Ok(port) if port != 0 => Ok(port),
            _ => anyhow::bail!("--port needs a port number from 1 to 65535, not {value:?}"),
        },
        _ => anyhow::bail!("unexpected arguments {args:?} (expected nothing or --port <n>)"),
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the example chooses between a real org and the devserver"
)]
fn okta_issuer_is_set() -> bool {
    std::env::var_os("OKTA_ISSUER").is_some()
}
