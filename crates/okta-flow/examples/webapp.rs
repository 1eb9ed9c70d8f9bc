//! A web application that signs users in with Okta: a home page, a profile page (ID-token
//! claims and user info), a page that calls an API with the user's access token, and sign-out.
//!
//! Run it against a local Okta-compatible server, started in-process on 127.0.0.1:8900:
//!
//! ```sh
//! cargo run -p okta-flow --example webapp --features axum
//! ```
//!
//! then open <http://127.0.0.1:8080/> and sign in as `alice@example.com` /
//! `correct-horse-battery-staple`. The "Call the API" page calls the resource server of
//! `crates/okta-verify/examples/api.rs` (start it in another terminal with
//! `cargo run -p okta-verify --example api --features axum`; it trusts this devserver by default).
//!
//! Against a real Okta org, set `OKTA_ISSUER` and the other `OKTA_*` settings (or an `okta.toml`,
//! see docs/configuration.md) for a Web application whose sign-in redirect URI is
//! `http://localhost:8080/authorization-code/callback`:
//!
//! ```sh
//! OKTA_ISSUER=https://dev-123456.okta.com/oauth2/default OKTA_CLIENT_ID=0oa... \
//! OKTA_CLIENT_SECRET=... OKTA_REDIRECT_URI=http://localhost:8080/authorization-code/callback \
//! OKTA_POST_LOGOUT_REDIRECT_URI=http://localhost:8080/ \
//! OKTA_SCOPES="openid profile email offline_access" \
//!   cargo run -p okta-flow --example webapp --features axum
//! ```
//!
//! Options: `--api <url>` (where the API runs, default `http://127.0.0.1:8081`),
//! `--redis <url>` (keep sessions in Redis, as several replicas would; `--features axum,redis`;
//! it sets `session.redis_url`, so the `OKTA_SESSION__REDIS_URL` setting does the same),
//! `--redis-ca-file <path>` (sets `session.redis_ca_file`: the CA of a managed Redis's TLS
//! certificate, for a `rediss://` URL; `OKTA_SESSION__REDIS_CA_FILE` does the same),
//! `--port <n>` (where the app listens, default the redirect URI's port: 8080 with the devserver,
//! whose demo client then also accepts the redirect and post-logout URIs on this port),
//! `--devserver-port <n>` (where the devserver listens, default 8900; pass the same issuer to the
//! API with `OKTA_ISSUER=http://127.0.0.1:<n>/oauth2/default`) and `--refresh-margin <seconds>`
//! (how long before its expiry the access token is refreshed, default 60; `cargo xtask chaos`
//! raises it so that five-minute tokens are refreshed every few seconds).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use base64::Engine as _;
use okta_config::{Role, Settings, SettingsLoader};
use okta_devserver::{
    AuthorizationServer, Client, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD,
    DEMO_POST_LOGOUT_REDIRECT_URI, DEMO_REDIRECT_URI, DEMO_USERNAME, DevServer,
};
use okta_flow::OktaClient;
use okta_flow::axum::{AuthenticatedUser, MemoryStore, OktaAuth, escape_html};

/// Where the in-process devserver listens by default; the API example trusts its `default`
/// server.
const DEVSERVER_PORT: u16 = 8900;
/// Where the app listens by default with the devserver: the port of the demo redirect URI.
const DEMO_PORT: u16 = 8080;
/// Custom scopes of the devserver's `default` server, used by the API example's routes.
const API_SCOPES: [&str; 2] = ["messages:read", "messages:admin"];

#[derive(Clone)]
struct AppState {
    api: String,
    http: reqwest::Client,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,okta_flow=info".into()),
        )
        .init();
    let options = Options::parse()?;

    // Settings: a real org when OKTA_ISSUER is set, else an in-process devserver.
    let (settings, _devserver) = if okta_issuer_is_set() {
        let loader = options.redis_settings(SettingsLoader::new()).role(Role::Client);
        (loader.load().context("loading the OKTA_* settings")?, None)
    } else {
        let port = options.port.unwrap_or(DEMO_PORT);
        let (settings, devserver) = start_devserver(&options, port).await?;
        (settings, Some(devserver))
    };
    let client = OktaClient::discover(&settings).await.context("discovering the issuer")?;
    let okta = OktaAuth::builder(client)
        .refresh_margin(options.refresh_margin)
        .build()
        .context("setting up the sign-in routes")?;

    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    okta_http::install_default_crypto_provider();
    let state = AppState {
        api: options.api.trim_end_matches('/').to_owned(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client")?,
    };
    let routes = Router::new()
        .route("/", get(home))
        .route("/profile", get(profile))
        .route("/call-api", get(call_api))
        .with_state(state)
        .merge(okta.routes());
    let app = if settings.session().redis_url().is_some() {
        with_redis(routes, &okta, &settings).await?
    } else {
        routes.layer(okta.layer(MemoryStore::default()))
    };

    let redirect = settings
        .client()
        .and_then(|client| client.redirect_uri())
        .map(okta_config::RedirectUri::url);
    let port = options.port.or_else(|| redirect.and_then(url::Url::port)).unwrap_or(DEMO_PORT);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr} (the redirect URI's port)"))?;
    tracing::info!("open http://{addr}/ (Ctrl-C stops)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}

async fn home(user: Option<AuthenticatedUser>) -> Html<String> {
    let body = match user {
        Some(user) => format!(
            r#"<p id="greeting">Signed in as {}.</p>
<p><a id="profile-link" href="/profile">Profile</a> · <a id="call-api-link" href="/call-api">Call the API</a></p>
{}"#,
            escape_html(display_name(&user)),
            user.logout_form()
        ),
        None => r#"<p id="greeting">You are not signed in.</p>
<p><a id="login-link" href="/login?return_to=%2Fprofile">Sign in</a></p>"#
            .to_owned(),
    };
    page("Home", &body)
}

async fn profile(user: AuthenticatedUser) -> Html<String> {
    let claims = serde_json::to_string_pretty(user.claims()).unwrap_or_default();
    let userinfo = user.userinfo().map_or_else(
        || "(not available)".to_owned(),
        |info| serde_json::to_string_pretty(info.to_json()).unwrap_or_default(),
    );
    let body = format!(
        r#"<p>Signed in as <span id="profile-email">{email}</span> (<span id="profile-sub">{sub}</span>).</p>
<p>Access token scopes: <span id="profile-scopes">{scopes}</span></p>
<h2>ID token claims</h2><pre id="id-token-claims">{claims}</pre>
<h2>User info</h2><pre id="userinfo">{userinfo}</pre>
<p><a id="call-api-link" href="/call-api">Call the API</a> · <a href="/">Home</a></p>
{logout}"#,
        email = escape_html(user.userinfo().and_then(|info| info.email()).unwrap_or("(no email)")),
        sub = escape_html(user.subject()),
        scopes = escape_html(&user.scopes().join(" ")),
        claims = escape_html(&claims),
        userinfo = escape_html(&userinfo),
        logout = user.logout_form(),
    );
    page("Profile", &body)
}

/// Calls the API example's routes with the user's access token, and shows what each answered.
async fn call_api(State(state): State<AppState>, user: AuthenticatedUser) -> Html<String> {
    let mut rows = String::new();
    for path in ["/api/whoami", "/api/messages", "/api/admin"] {
        let url = format!("{}{path}", state.api);
        let result = state.http.get(&url).bearer_auth(user.access_token().secret()).send().await;
        let (status, detail) = match result {
            Ok(response) => {
                let status = response.status().as_u16().to_string();
                let challenge = response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|value| value.to_str().ok())
                    .map(|value| format!("WWW-Authenticate: {value}\n"))
                    .unwrap_or_default();
                (status, format!("{challenge}{}", response.text().await.unwrap_or_default()))
            }
            Err(err) => (
                "unreachable".to_owned(),
                format!(
                    "{err}: start the API with `cargo run -p okta-verify --example api --features axum`"
                ),
            ),
        };
        let _ = write!(
            rows,
            r#"<tr><td>GET {path}</td><td class="status" data-path="{path}">{}</td><td><pre>{}</pre></td></tr>"#,
            escape_html(&status),
            escape_html(&detail)
        );
    }
    let body = format!(
        r#"<p>The API at {} was called with your access token:</p>
<table id="api-result"><tr><th>Request</th><th>Status</th><th>Answer</th></tr>{rows}</table>
<p><a href="/profile">Profile</a> · <a href="/">Home</a></p>"#,
        escape_html(&state.api)
    );
    page("API", &body)
}

/// The in-process devserver on 127.0.0.1:`options.devserver_port` with the demo client and
/// users, and settings that point at it for an app on 127.0.0.1:`app_port`.
async fn start_devserver(
    options: &Options,
    app_port: u16,
) -> anyhow::Result<(Settings, DevServer)> {
    let mut default_server = AuthorizationServer::new("default");
    for scope in API_SCOPES {
        default_server = default_server.with_scope(scope);
    }
    // The demo client knows the URIs on port 8080; on another port it also needs that port's.
    let (redirect_uri, post_logout_redirect_uri) = if app_port == DEMO_PORT {
        (DEMO_REDIRECT_URI.to_owned(), DEMO_POST_LOGOUT_REDIRECT_URI.to_owned())
    } else {
        (
            format!("http://127.0.0.1:{app_port}/authorization-code/callback"),
            format!("http://127.0.0.1:{app_port}/"),
        )
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], options.devserver_port));
    let mut builder = DevServer::builder().bind(addr).authorization_server(default_server);
    if app_port != DEMO_PORT {
        // Replaces the built-in demo client with one that knows both ports.
        builder = builder.client(
            Client::demo()
                .with_redirect_uri(&redirect_uri)
                .with_post_logout_redirect_uri(&post_logout_redirect_uri),
        );
    }
    let devserver = builder
        .start()
        .await
        .with_context(|| format!("starting the devserver on {addr} (is one already running?)"))?;
    let issuer = devserver.issuer("default");
    tracing::info!(%issuer, "devserver started: sign in as {DEMO_USERNAME} / {DEMO_PASSWORD}");
    let settings = options
        .redis_settings(SettingsLoader::isolated())
        .set("issuer", issuer.as_str())
        .set("client_id", DEMO_CLIENT_ID)
        .set("client_secret", DEMO_CLIENT_SECRET)
        .set("redirect_uri", redirect_uri)
        .set("post_logout_redirect_uri", post_logout_redirect_uri)
        .set("scopes", ["openid", "profile", "email", "offline_access", API_SCOPES[0]])
        .set("cookie_secret", random_cookie_secret()?)
        .role(Role::Client)
        .load()
        .context("settings for the devserver")?;
    Ok((settings, devserver))
}

/// Sessions in the Redis of `session.redis_url`, trusting `session.redis_ca_file` when set.
#[cfg(feature = "redis")]
async fn with_redis(
    routes: Router,
    okta: &OktaAuth,
    settings: &Settings,
) -> anyhow::Result<Router> {
    let store = okta_flow::axum::redis_store_from_settings(settings.session(), 4)
        .await
        .context("connecting to Redis (session.redis_url)")?;
    Ok(routes.layer(okta.layer(store)))
}

#[cfg(not(feature = "redis"))]
async fn with_redis(
    _routes: Router,
    _okta: &OktaAuth,
    _settings: &Settings,
) -> anyhow::Result<Router> {
    anyhow::bail!(
        "session.redis_url (or --redis) needs the redis feature: cargo run ... --features \
         axum,redis"
    )
}

/// One process, so any key works; replicas would share one `cookie_secret` instead.
fn random_cookie_secret() -> anyhow::Result<String> {
    let mut key = [0_u8; 32];
    aws_lc_rs::rand::fill(&mut key).map_err(|_| anyhow::anyhow!("no randomness available"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(key))
}

#[allow(
    clippy::disallowed_methods,
    reason = "the example chooses between a real org and the devserver"
)]
fn okta_issuer_is_set() -> bool {
    std::env::var_os("OKTA_ISSUER").is_some()
}

fn display_name(user: &AuthenticatedUser) -> &str {
    let info = user.userinfo();
    info.and_then(|info| info.name())
        .or_else(|| info.and_then(|info| info.email()))
        .unwrap_or(user.subject())
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · okta-flow example</title></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n"
    ))
}

/// The command line: `--api <url>`, `--redis <url>`, `--redis-ca-file <path>`, `--port <n>`,
/// `--devserver-port <n>`, `--refresh-margin <seconds>`.
struct Options {
    api: String,
    redis: Option<String>,
    redis_ca_file: Option<String>,
    port: Option<u16>,
    devserver_port: u16,
    refresh_margin: Duration,
}

impl Options {
    fn parse() -> anyhow::Result<Self> {
        Self::parse_from(std::env::args().skip(1))
    }

    fn parse_from(mut args: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let mut options = Self {
            api: "http://127.0.0.1:8081".to_owned(),
            redis: None,
            redis_ca_file: None,
            port: None,
            devserver_port: DEVSERVER_PORT,
            refresh_margin: Duration::from_mins(1),
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--api" => options.api = value()?,
                "--redis" => options.redis = Some(value()?),
                "--redis-ca-file" => options.redis_ca_file = Some(value()?),
                "--port" => options.port = Some(port(&arg, &value()?)?),
                "--devserver-port" => options.devserver_port = port(&arg, &value()?)?,
                "--refresh-margin" => {
                    let text = value()?;
                    let seconds = text.parse::<u64>().with_context(|| {
                        format!("--refresh-margin needs a number of seconds, not {text:?}")
                    })?;
                    options.refresh_margin = Duration::from_secs(seconds);
                }
                other => anyhow::bail!(
                    "unknown argument {other:?} (expected --api, --redis, --redis-ca-file, --port, \
                     --devserver-port or --refresh-margin)"
                ),
            }
        }
        Ok(options)
    }

    /// `--redis` and `--redis-ca-file` as the `session.redis_url` and `session.redis_ca_file`
    /// settings, over what the file and the environment say; okta-config checks them (the URL's
    /// form, the CA file's certificates) with the other settings.
    fn redis_settings(&self, mut loader: SettingsLoader) -> SettingsLoader {
        if let Some(url) = &self.redis {
            loader = loader.set_with_origin("session.redis_url", url.as_str(), "flag --redis");
        }
        if let Some(path) = &self.redis_ca_file {
            loader = loader.set_with_origin(
                "session.redis_ca_file",
                path.as_str(),
                "flag --redis-ca-file",
            );
        }
        loader
    }
}

fn port(arg: &str, value: &str) -> anyhow::Result<u16> {
    match value.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => anyhow::bail!("{arg} needs a port number from 1 to 65535, not {value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../okta-config/tests/data/ca.pem");

    fn parsed(args: &[&str]) -> Options {
        Options::parse_from(args.iter().map(|arg| (*arg).to_owned())).unwrap()
    }

    fn load(options: &Options) -> Result<Settings, okta_config::LoadError> {
        options
            .redis_settings(SettingsLoader::isolated())
            .set("issuer", "http://127.0.0.1:8900/oauth2/default")
            .set("client_id", DEMO_CLIENT_ID)
            .set("client_secret", DEMO_CLIENT_SECRET)
            .set("redirect_uri", DEMO_REDIRECT_URI)
            .role(Role::Client)
            .load()
    }

    #[test]
    fn redis_flags_are_the_session_settings_redis_store_from_settings_reads() {
        let options = parsed(&[
            "--redis",
            "rediss://127.0.0.1:6380",
            "--redis-ca-file",
            CA,
            "--port",
            "8081",
        ]);
        let settings = load(&options).unwrap();
        let session = settings.session();
        assert_eq!(
            session.redis_url().map(ToString::to_string).as_deref(),
            Some("rediss://127.0.0.1:6380")
        );
        assert_eq!(session.redis_ca_file(), Some(std::path::Path::new(CA)));
        assert_eq!(session.redis_ca_certificates().len(), 1);
        // Checked with the other settings, the flag named as the origin.
        let report = load(&parsed(&[
            "--redis",
            "rediss://127.0.0.1:6380",
            "--redis-ca-file",
            "/nonexistent/ca.pem",
        ]))
        .unwrap_err()
        .to_string();
        assert!(report.contains("session.redis_ca_file (from flag --redis-ca-file)"), "{report}");
        // Without the flags: memory sessions.
        assert!(load(&parsed(&[])).unwrap().session().redis_url().is_none());
    }
}
