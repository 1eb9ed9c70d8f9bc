//! [`DevServer`] and its builder: configuration in, a bound loopback server out, with handles
//! to its clients, users, keys, faults and request record.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http::Method;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::authorization_servers::{AuthServerId, ServerInfo};
use crate::client_assertion::JtiCache;
use crate::clock::Clock;
use crate::config::{
    AuthorizationServer, Client, ClientAuthMethod, DEFAULT_SERVER_ID, DevServerConfig, GrantType,
    TokenLifetimes, User,
};
use crate::crypto::random_token;
use crate::faults::Faults;
use crate::handles::{Clients, Keys, Users};
use crate::keys::{KeyError, KeyStore, SigningKey};
use crate::rate::RateWindow;
use crate::recorder::{RecordedRequest, Recorder};
use crate::router;
use crate::state::{AppState, ConsoleState, Shared};
use crate::store::Store;
use crate::tls::{TlsConfig, TlsError, TlsListener, TlsMaterial};

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is inconsistent; every problem is listed.
    #[error("invalid dev server configuration: {}", problems.join("; "))]
    InvalidConfig {
        /// One sentence per problem.
        problems: Vec<String>,
    },
    /// The TLS certificates could not be made or read.
    #[error("cannot set up TLS")]
    Tls(#[source] TlsError),
}

/// Builds a [`DevServer`]. Every setting has a default, so `DevServer::builder().start()` works.
#[must_use]
#[allow(clippy::struct_excessive_bools, reason = "each is one documented switch of the builder")]
pub struct DevServerBuilder {
    addr: SocketAddr,
    clock: Clock,
    lifetimes: TokenLifetimes,
    demo_data: bool,
    admin_routes: bool,
    iss_parameter: bool,
    strict_state: bool,
    console: bool,
    console_allow_remote: bool,
    keys_max_age: Duration,
    clients: Vec<Client>,
    users: Vec<User>,
    servers: Vec<AuthorizationServer>,
    pem_keys: Vec<(AuthServerId, String)>,
    tls: Option<TlsConfig>,
}

impl fmt::Debug for DevServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key_servers: Vec<&AuthServerId> =
            self.pem_keys.iter().map(|(server, _)| server).collect();
        f.debug_struct("DevServerBuilder")
            .field("addr", &self.addr)
            .field("lifetimes", &self.lifetimes)
            .field("demo_data", &self.demo_data)
            .field("admin_routes", &self.admin_routes)
            .field("iss_parameter", &self.iss_parameter)
            .field("strict_state", &self.strict_state)
            .field("console", &self.console)
            .field("console_allow_remote", &self.console_allow_remote)
            .field("keys_max_age", &self.keys_max_age)
            .field("clients", &self.clients)
            .field("users", &self.users)
            .field("servers", &self.servers)
            .field("pem_keys_for", &key_servers)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Default for DevServerBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            clock: Clock::system(),
            lifetimes: TokenLifetimes::default(),
            demo_data: true,
            admin_routes: false,
            iss_parameter: false,
            strict_state: false,
            console: false,
            console_allow_remote: false,
            keys_max_age: Duration::from_hours(24),
            clients: Vec::new(),
            users: Vec::new(),
            servers: Vec::new(),
            pem_keys: Vec::new(),
            tls: None,
        }
    }
}

impl DevServerBuilder {
    /// The address to listen on. Defaults to `127.0.0.1:0` (a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Applies a parsed configuration file: adds its clients, users and servers, and takes its
    /// lifetimes and switches where it sets them.
    pub fn config(mut self, config: DevServerConfig) -> Self {
        self.clients.extend(config.clients);
        self.users.extend(config.users);
        self.servers.extend(config.authorization_servers);
        if let Some(lifetimes) = config.lifetimes {
            self.lifetimes = lifetimes;
        }
        if let Some(demo_data) = config.demo_data {
            self.demo_data = demo_data;
        }
        if let Some(admin_routes) = config.admin_routes {
            self.admin_routes = admin_routes;
        }
        if let Some(iss) = config.authorization_response_iss {
            self.iss_parameter = iss;
        }
        if let Some(max_age) = config.keys_max_age {
            self.keys_max_age = Duration::from_secs(max_age);
        }
        if let Some(strict) = config.strict_state {
            self.strict_state = strict;
        }
        if let Some(console) = config.console {
            self.console = console;
        }
        if let Some(allow_remote) = config.console_allow_remote {
            self.console_allow_remote = allow_remote;
        }
        self
    }

    /// Registers a client.
    pub fn client(mut self, client: Client) -> Self {
        self.clients.push(client);
        self
    }

    /// Registers a user.
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Adds a custom authorization server; one with id `default` replaces the built-in one.
    pub fn authorization_server(mut self, server: AuthorizationServer) -> Self {
        self.servers.push(server);
        self
    }

    /// Sets the lifetimes of codes, tokens and sessions. Defaults to Okta's.
    pub fn lifetimes(mut self, lifetimes: TokenLifetimes) -> Self {
        self.lifetimes = lifetimes;
        self
    }

    /// Sets the clock (a [`crate::ManualClock`] in tests). Defaults to the system clock.
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// Whether the demo data exists: the demo client, the demo service apps, the demo APIs
    /// (`orders`, `shipping`) and the demo users. Defaults to `true`.
    pub fn demo_data(mut self, demo_data: bool) -> Self {
        self.demo_data = demo_data;
        self
    }

    /// Whether the admin routes under `/devserver/` exist. Defaults to `false`.
    pub fn admin_routes(mut self, enabled: bool) -> Self {
        self.admin_routes = enabled;
        self
    }

    /// RFC 9207: advertise `authorization_response_iss_parameter_supported` and send `iss` on
    /// the authorization response. Defaults to `false`.
    pub fn authorization_response_iss(mut self, enabled: bool) -> Self {
        self.iss_parameter = enabled;
        self
    }

    /// Whether `/authorize` accepts only the `state` characters Okta documents (letters,
    /// digits, `,`, `.`, `_`, `-`). Defaults to `false`: like Okta's endpoint, any non-empty
    /// `state` without control characters is accepted, such as Spring Security's padded
    /// base64url.
    pub fn strict_state(mut self, strict: bool) -> Self {
        self.strict_state = strict;
        self
    }

    /// Whether the console exists at `/devserver/console`: recent requests with their
    /// parameters (secrets masked), decoded tokens and refusal reasons, and switches for the
    /// faults. Development only; defaults to `false`. A server with the console on refuses to
    /// start on an address other than loopback unless
    /// [`DevServerBuilder::console_allow_remote`] says otherwise.
    pub fn console(mut self, enabled: bool) -> Self {
        self.console = enabled;
        self
    }

    /// Lets the console run on an address other than loopback (`0.0.0.0` in a container, say),
    /// where anyone who reaches the port sees request parameters and tokens and can arm faults.
    /// Defaults to `false`.
    pub fn console_allow_remote(mut self, allow: bool) -> Self {
        self.console_allow_remote = allow;
        self
    }

    /// `max-age` of `/keys` responses. Defaults to one day.
    pub fn keys_max_age(mut self, max_age: Duration) -> Self {
        self.keys_max_age = max_age;
        self
    }

    /// Uses a PEM RSA private key (PKCS#1 or PKCS#8) as the signing key of `server` instead of
    /// generating one. Several calls add several keys, the first signing; the server generates
    /// more until it publishes two.
    pub fn signing_key_pem(
        mut self,
        server: impl Into<AuthServerId>,
        pem: impl Into<String>,
    ) -> Self {
        self.pem_keys.push((server.into(), pem.into()));
        self
    }

    /// Serves HTTPS instead of HTTP, with a local CA (see [`TlsConfig`]): the issuers become
    /// `https://127.0.0.1:PORT...`, and clients trust [`DevServer::ca_certificate_pem`] (or the
    /// file at [`DevServer::ca_certificate_path`]). Defaults to plain HTTP.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Binds the address and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<DevServer, StartError> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|source| StartError::Bind { addr: self.addr, source })?;
        let local =
            listener.local_addr().map_err(|source| StartError::Bind { addr: self.addr, source })?;
        let host =
            if local.ip().is_unspecified() { Ipv4Addr::LOCALHOST.into() } else { local.ip() };
        let tls = match &self.tls {
            Some(config) => {
                let config = config.clone();
                let bound = local.ip();
                // Key generation and file IO: off the async threads.
                let material = tokio::task::spawn_blocking(move || {
                    TlsMaterial::load_or_create(&config, bound)
                })
                .await
                .map_err(|error| StartError::Tls(TlsError::Certificate(error.into())))?
                .map_err(StartError::Tls)?;
                Some(material)
            }
            None => None,
        };
        let addr = self.addr;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{}", SocketAddr::new(host, local.port()));
        let shared = Arc::new(self.into_shared(base_url)?);
        let app = router::router(Arc::clone(&shared));
        let (shutdown, signal) = oneshot::channel::<()>();
        let signal = async {
            let _ = signal.await;
        };
        let (task, tls) = match tls {
            Some(material) => {
                let listener = TlsListener::new(listener, Arc::clone(&material.server_config))
                    .map_err(|source| StartError::Bind { addr, source })?;
                let info = TlsInfo { ca_pem: material.ca_pem, ca_path: material.ca_path };
                (spawn_serve(listener, app, signal), Some(info))
            }
            None => (spawn_serve(listener, app, signal), None),
        };
        tracing::info!(base_url = %shared.base_url, "okta-devserver listening");
        Ok(DevServer { shared, addr: local, tls, shutdown: Some(shutdown), task: Some(task) })
    }

    fn into_shared(self, base_url: String) -> Result<Shared, StartError> {
        let mut problems = self.lifetimes.problems();
        if self.console && !self.addr.ip().is_loopback() && !self.console_allow_remote {
            problems.push(format!(
                "the console shows request parameters and tokens and arms faults, so it runs on \
                 loopback only, and this server listens on {}: bind 127.0.0.1, or set \
                 console_allow_remote (--console-allow-remote) if everyone who can reach it may \
                 see that",
                self.addr.ip()
            ));
        }
        let mut clients: BTreeMap<String, Client> = BTreeMap::new();
        let demo_clients = if self.demo_data { demo_clients() } else { Vec::new() };
        let demo_ids: Vec<String> =
            demo_clients.iter().map(|client| client.id().to_owned()).collect();
        for client in demo_clients.into_iter().chain(self.clients) {
            problems.extend(client.problems());
            // A configured client replaces a demo client of the same id.
            if clients.insert(client.id().to_owned(), client.clone()).is_some()
                && !demo_ids.iter().any(|id| id == client.id())
            {
                problems.push(format!("client {} is registered twice", client.id()));
            }
        }
        let mut users: Vec<User> =
            if self.demo_data { vec![User::demo(), User::demo_second()] } else { Vec::new() };
        for user in self.users {
            problems.extend(user.problems());
            let existing = users
                .iter()
                .position(|known| known.username().eq_ignore_ascii_case(user.username()));
            match existing {
                Some(index) if index < 2 && self.demo_data => users[index] = user,
                Some(_) => problems.push(format!("user {} is registered twice", user.username())),
                None => users.push(user),
            }
        }
        let mut custom: BTreeMap<String, AuthorizationServer> = BTreeMap::from([(
            DEFAULT_SERVER_ID.to_owned(),
            AuthorizationServer::new(DEFAULT_SERVER_ID),
        )]);
        if self.demo_data {
            for server in [AuthorizationServer::demo_orders(), AuthorizationServer::demo_shipping()]
            {
                custom.insert(server.id().to_owned(), server);
            }
        }
        let mut configured = std::collections::BTreeSet::new();
        for server in self.servers {
            problems.extend(server.problems());
            if !configured.insert(server.id().to_owned()) {
                problems.push(format!("authorization server {} is defined twice", server.id()));
            }
            custom.insert(server.id().to_owned(), server);
        }
        for server in custom.values() {
            problems.extend(server.trust_problems(|id| custom.contains_key(id)));
        }
        let mut servers = BTreeMap::new();
        servers.insert(AuthServerId::Org, Arc::new(ServerInfo::org(&base_url)));
        for server in custom.values() {
            servers.insert(
                AuthServerId::Custom(server.id().to_owned()),
                Arc::new(ServerInfo::custom(&base_url, server)),
            );
        }
        let mut loaded: BTreeMap<AuthServerId, Vec<SigningKey>> = BTreeMap::new();
        for (server, pem) in self.pem_keys {
            if !servers.contains_key(&server) {
                problems.push(format!(
                    "a signing key is given for unknown authorization server {server}"
                ));
                continue;
            }
            match SigningKey::from_pem(&pem) {
                Ok(key) => loaded.entry(server).or_default().push(key),
                Err(error) => problems.push(format!("signing key for {server}: {error}")),
            }
        }
        if !problems.is_empty() {
            return Err(StartError::InvalidConfig { problems });
        }
        Ok(Shared {
            base_url,
            clock: self.clock,
            lifetimes: self.lifetimes,
            iss_parameter: self.iss_parameter,
            admin_routes: self.admin_routes,
            strict_state: self.strict_state,
            keys_max_age: self.keys_max_age,
            idp_id: format!("00o{}", &random_token(24).replace(['-', '_'], "x")[..17]),
            keys: KeyStore::new(servers.keys().cloned(), loaded),
            servers,
            clients: RwLock::new(clients),
            users: RwLock::new(users),
            faults: Faults::default(),
            recorder: Recorder::default(),
            store: Store::default(),
            rate: RateWindow::default(),
            console: self.console.then(|| ConsoleState { csrf_token: random_token(32) }),
            assertion_jtis: JtiCache::default(),
        })
    }
}

/// The demo clients: the web app and the three service apps.
fn demo_clients() -> Vec<Client> {
    vec![
        Client::demo(),
        Client::demo_service(),
        Client::demo_jwt_service(),
        Client::demo_exchange_service(),
    ]
}

/// A running Okta-compatible authorization server.
///
/// Dropping it sends the graceful-shutdown signal: the listener closes at once and the serving
/// task ends when open connections finish. [`DevServer::shutdown`] also waits for that.
pub struct DevServer {
    shared: AppState,
    addr: SocketAddr,
    tls: Option<TlsInfo>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// What a client of a TLS server needs: the CA to trust.
#[derive(Debug)]
struct TlsInfo {
    ca_pem: String,
    ca_path: Option<PathBuf>,
}

/// Serves `app` on `listener` until `signal` completes.
fn spawn_serve<L>(
    listener: L,
    app: axum::Router,
    signal: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Addr: fmt::Debug,
{
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(signal).await {
            tracing::error!(%error, "dev server stopped");
        }
    })
}

impl DevServer {
    /// A builder with every default: demo data, `127.0.0.1:0`, the system clock.
    pub fn builder() -> DevServerBuilder {
        DevServerBuilder::default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` in TLS mode), which is also the org server's issuer.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The PEM of the local CA that signed the server certificate, in TLS mode: what a client
    /// adds to its trusted roots.
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.ca_pem.as_str())
    }

    /// Where the local CA's certificate is kept, in TLS mode with a directory.
    pub fn ca_certificate_path(&self) -> Option<&std::path::Path> {
        self.tls.as_ref().and_then(|tls| tls.ca_path.as_deref())
    }

    /// The console's URL, when it is on ([`DevServerBuilder::console`]).
    pub fn console_url(&self) -> Option<String> {
        self.shared
            .console
            .as_ref()
            .map(|_| format!("{}{}", self.shared.base_url, crate::console::CONSOLE_PATH))
    }

    /// The org authorization server's issuer (same as [`DevServer::base_url`]).
    pub fn org_issuer(&self) -> &str {
        &self.shared.base_url
    }

    /// The issuer of custom authorization server `server_id`: `{base_url}/oauth2/{server_id}`.
    /// It does not check that the server exists.
    pub fn issuer(&self, server_id: &str) -> String {
        format!("{}/oauth2/{server_id}", self.shared.base_url)
    }

    /// The issuers of every authorization server, org server first.
    pub fn issuers(&self) -> Vec<(AuthServerId, String)> {
        let mut issuers: Vec<_> = self
            .shared
            .servers
            .values()
            .map(|server| (server.id.clone(), server.issuer.clone()))
            .collect();
        issuers.sort_by_key(|(id, _)| *id != AuthServerId::Org);
        issuers
    }

    /// The custom authorization servers as configured (the demo ones included), ordered by id.
    pub fn authorization_servers(&self) -> Vec<AuthorizationServer> {
        self.shared.servers.values().filter_map(|server| server.configured.clone()).collect()
    }

    /// The okta-config keys and values that point a client at this server: `issuer`,
    /// `client_id`, and, as far as the client has them, `client_secret`, `client_auth_method`,
    /// `redirect_uri` and `post_logout_redirect_uri` (the first registered ones), plus `audience`
    /// (the server's access-token audience). Feed them to `okta_config::SettingsLoader::set`.
    /// `None` if the server or the client does not exist.
    ///
    /// ```no_run
    /// # use okta_devserver::{DevServer, DEMO_CLIENT_ID};
    /// # fn run(server: &DevServer) -> Option<()> {
    /// for (key, value) in server.okta_settings("default", DEMO_CLIENT_ID)? {
    ///     println!("{key} = {value}"); // or loader = loader.set(key, value)
    /// }
    /// # Some(())
    /// # }
    /// ```
    pub fn okta_settings(
        &self,
        server: impl Into<AuthServerId>,
        client_id: &str,
    ) -> Option<Vec<(&'static str, String)>> {
        let server = self.shared.server(&server.into())?;
        let client = self.shared.client(client_id)?;
        let mut settings =
            vec![("issuer", server.issuer.clone()), ("client_id", client.id().to_owned())];
        if let Some(secret) = client.secret() {
            settings.push(("client_secret", secret.to_owned()));
        }
        if matches!(
            client.auth_method(),
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
        ) {
            settings.push(("client_auth_method", client.auth_method().as_str().to_owned()));
        }
        if let Some(uri) = client.redirect_uris().first() {
            settings.push(("redirect_uri", uri.clone()));
        }
        if let Some(uri) = client.post_logout_redirect_uris().first() {
            settings.push(("post_logout_redirect_uri", uri.clone()));
        }
        settings.push(("audience", server.audience.clone()));
        Some(settings)
    }

    /// The registered clients.
    pub fn clients(&self) -> Clients {
        Clients { shared: Arc::clone(&self.shared) }
    }

    /// The registered users.
    pub fn users(&self) -> Users {
        Users { shared: Arc::clone(&self.shared) }
    }

    /// The signing keys.
    pub fn keys(&self) -> Keys {
        Keys { shared: Arc::clone(&self.shared) }
    }

    /// The fault injector.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Rotates the signing key of `server` (see [`Keys::rotate`]); returns the new `kid`.
    pub fn rotate_keys(&self, server: impl Into<AuthServerId>) -> Result<String, KeyError> {
        self.keys().rotate(server)
    }

    /// Every request received so far, oldest first (admin routes excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.all()
    }

    /// How many `method` requests reached exactly `path` (no query), e.g.
    /// `server.count(Method::GET, "/oauth2/default/v1/keys")`.
    #[allow(clippy::needless_pass_by_value, reason = "`count(Method::GET, path)` reads best")]
    pub fn count(&self, method: Method, path: &str) -> usize {
        self.shared.recorder.count(&method, path)
    }

    /// How many requests reached any server's `/v1/token` with `grant_type` from `client_id`
    /// (by Basic, body, or the `iss` of a client assertion), including refused ones and ones a
    /// fault answered: for example the number of `client_credentials` requests a token cache
    /// made.
    ///
    /// ```no_run
    /// # use okta_devserver::{DevServer, GrantType, DEMO_SERVICE_CLIENT_ID};
    /// # fn check(server: &DevServer) {
    /// assert_eq!(server.count_token_requests(GrantType::ClientCredentials, DEMO_SERVICE_CLIENT_ID), 1);
    /// # }
    /// ```
    pub fn count_token_requests(&self, grant_type: GrantType, client_id: &str) -> usize {
        self.shared.recorder.count_token_requests(grant_type.as_str(), client_id)
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.recorder.clear();
    }

    /// Stops accepting connections and waits (up to 5 s, then aborts) for the serving task.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
        }
    }

    /// The router sharing this server's state, for in-process `oneshot` tests.
    #[cfg(test)]
    pub(crate) fn router(&self) -> axum::Router {
        router::router(Arc::clone(&self.shared))
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl fmt::Debug for DevServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevServer").field("base_url", &self.shared.base_url).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
