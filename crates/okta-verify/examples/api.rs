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
//! | `GET /api/messages` | scope `messages:read` | 403 `insufficient_scope`, `scope="messages:read"` |
//! | `GET /api/admin` | scope `messages:admin` and group `Admins` | 403 `insufficient_scope` |
//!
//! One verifier guards every route; each route declares its own rules (`Require`), and the
//! handlers read typed claims (`VerifiedAccessToken<ApiClaims>`). The routes are in
//! `examples/api/routes.rs`, which okta-verify's tests build too.
//!
//! Try it without a token: `curl -i http://127.0.0.1:8081/api/whoami` answers 401 with
//! `WWW-Authenticate: Bearer`. `curl http://127.0.0.1:8081/metrics` shows okta-verify's metrics
//! in Prometheus text (`docs/verify.md`, "Metrics"); refusals are logged at INFO, at most ten
//! lines a second.
//!
//! Options:
//! - `--port <n>`: where the API listens (default 8081). A webapp example started with
//!   `--devserver-port <m>` runs its devserver elsewhere: start the API with
//!   `OKTA_ISSUER=http://127.0.0.1:<m>/oauth2/default` and give the webapp `--api <url>`.
//! - `--guard local` (the default): JWTs of the issuer's custom authorization server, checked
//!   locally with its keys.
//! - `--guard introspection`: every token checked by the issuer's `/introspect` (the org server,
//!   or opaque tokens); needs `OKTA_CLIENT_ID` and `OKTA_CLIENT_SECRET` of the API's own client.
//! - `--guard chain --also-issuer <url>` (repeatable): JWTs of `OKTA_ISSUER` and of each further
//!   custom authorization server, the verifier chosen by the token's `iss`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use okta_config::{Issuer, Role, Settings, SettingsLoader};
use okta_http::ReqwestHttpClient;
use okta_verify::{
    AccessTokenOptions, AccessTokenVerifier, IntrospectionVerifier, IssuerChain, JwksCache,
    JwksCacheOptions,
};

use crate::routes::Guard;

#[path = "api/routes.rs"]
mod routes;

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
    let options = Options::parse(std::env::args().skip(1))?;
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
    // okta-verify's metrics (docs/verify.md, "Metrics") as Prometheus text on /metrics, which is
    // outside the guard: expose it on an internal address only.
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("installing the Prometheus recorder")?;
    let upkeep = metrics.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = api(&settings, &options)?
        .route("/metrics", axum::routing::get(move || std::future::ready(metrics.render())));

    let addr = SocketAddr::from(([127, 0, 0, 1], options.port));
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    tracing::info!(
        issuer = %settings.issuer(),
        guard = options.guard.name(),
        "API on http://{addr}/api/whoami (Ctrl-C stops)"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}

/// The router under the guard the options choose; the issuer's keys are fetched once for the
/// whole service, whatever the routes need.
fn api(settings: &Settings, options: &Options) -> anyhow::Result<Router> {
    let http = Arc::new(ReqwestHttpClient::from_settings(settings)?);
    let guard = match options.guard {
        GuardKind::Local => {
            let keys = JwksCache::from_settings(settings, http)?;
            Guard::Local(AccessTokenVerifier::from_settings(settings, keys)?)
        }
        GuardKind::Introspection => Guard::Introspection(
            IntrospectionVerifier::from_settings(settings, http)
                .context("introspection needs OKTA_CLIENT_ID and OKTA_CLIENT_SECRET")?,
        ),
        GuardKind::Chain => {
            let keys = JwksCache::from_settings(settings, http.clone())?;
            let mut verifiers = vec![AccessTokenVerifier::from_settings(settings, keys)?];
            for issuer in &options.also_issuers {
                // The same audiences, clients and times; this issuer and its own keys.
                let mut other = AccessTokenOptions::from_settings(settings);
                other.issuer = issuer.clone();
                let keys = JwksCache::for_issuer(
                    issuer,
                    http.clone(),
                    JwksCacheOptions::from_settings(settings),
                    okta_verify::Clock::system(),
                )?;
                verifiers.push(AccessTokenVerifier::new(other, keys)?);
            }
            Guard::Chain(IssuerChain::new(verifiers)?)
        }
    };
    Ok(routes::router(guard))
}

/// The command line.
#[derive(Debug)]
struct Options {
    port: u16,
    guard: GuardKind,
    also_issuers: Vec<Issuer>,
}

/// `--guard`: which verifier guards the routes.
#[derive(Debug, Clone, Copy)]
enum GuardKind {
    Chain,
    Introspection,
    Local,
}

impl GuardKind {
    fn name(self) -> &'static str {
        match self {
            Self::Chain => "chain",
            Self::Introspection => "introspection",
            Self::Local => "local",
        }
    }
}

impl Options {
    /// `--port <n>`, `--guard local|introspection|chain`, `--also-issuer <url>` (repeatable,
    /// with `--guard chain`).
    fn parse(args: impl IntoIterator<Item = String>) -> anyhow::Result<Self> {
        let mut options =
            Self { port: DEFAULT_PORT, guard: GuardKind::Local, also_issuers: Vec::new() };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args.next().with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--port" => match value.parse::<u16>() {
                    Ok(port) if port != 0 => options.port = port,
                    _ => anyhow::bail!("--port needs a port number from 1 to 65535, not {value:?}"),
                },
                "--guard" => {
                    options.guard = match value.as_str() {
                        "local" => GuardKind::Local,
                        "introspection" => GuardKind::Introspection,
                        "chain" => GuardKind::Chain,
                        _ => {
                            anyhow::bail!("--guard is local, introspection or chain, not {value:?}")
                        }
                    }
                }
                "--also-issuer" => options.also_issuers.push(
                    Issuer::parse(&value).with_context(|| format!("--also-issuer {value:?}"))?,
                ),
                _ => anyhow::bail!(
                    "unexpected argument {flag:?} (expected --port, --guard or --also-issuer)"
                ),
            }
        }
        if !options.also_issuers.is_empty() && !matches!(options.guard, GuardKind::Chain) {
            anyhow::bail!("--also-issuer needs --guard chain");
        }
        Ok(options)
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the example chooses between a real org and the devserver"
)]
fn okta_issuer_is_set() -> bool {
    std::env::var_os("OKTA_ISSUER").is_some()
}
