//! [`DevServer`] and its builder: configuration in, a bound loopback server out, with handles
//! to its clients, users, keys, faults and request record.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use http::Method;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::authorization_servers::{AuthServerId, ServerInfo};
use crate::clock::Clock;
use crate::config::{
    AuthorizationServer, Client, ClientAuthMethod, DEFAULT_SERVER_ID, DevServerConfig,
    TokenLifetimes, User,
};
use crate::crypto::random_token;
use crate::faults::Faults;
use crate::handles::{Clients, Keys, Users};
use crate::keys::{KeyError, KeyStore, SigningKey};
use crate::rate::RateWindow;
use crate::recorder::{RecordedRequest, Recorder};
use crate::router;
use crate::state::{AppState, Shared};
use crate::store::Store;

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
}

/// Builds a [`DevServer`]. Every setting has a default, so `DevServer::builder().start()` works.
#[must_use]
pub struct DevServerBuilder {
    addr: SocketAddr,
    clock: Clock,
    lifetimes: TokenLifetimes,
    demo_data: bool,
    admin_routes: bool,
    iss_parameter: bool,
    keys_max_age: Duration,
    clients: Vec<Client>,
    users: Vec<User>,
    servers: Vec<AuthorizationServer>,
    pem_keys: Vec<(AuthServerId, String)>,
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
            .field("keys_max_age", &self.keys_max_age)
            .field("clients", &self.clients)
            .field("users", &self.users)
            .field("servers", &self.servers)
            .field("pem_keys_for", &key_servers)
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
            keys_max_age: Duration::from_hours(24),
            clients: Vec::new(),
            users: Vec::new(),
            servers: Vec::new(),
            pem_keys: Vec::new(),
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

    /// Whether the demo client and users exist. Defaults to `true`.
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

    /// Binds the address and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<DevServer, StartError> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|source| StartError::Bind { addr: self.addr, source })?;
        let local =
            listener.local_addr().map_err(|source| StartError::Bind { addr: self.addr, source })?;
        let host =
            if local.ip().is_unspecified() { Ipv4Addr::LOCALHOST.into() } else { local.ip() };
        let base_url = format!("http://{}", SocketAddr::new(host, local.port()));
        let shared = Arc::new(self.into_shared(base_url)?);
        let app = router::router(Arc::clone(&shared));
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = signal.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "dev server stopped");
            }
        });
        tracing::info!(base_url = %shared.base_url, "okta-devserver listening");
        Ok(DevServer { shared, addr: local, shutdown: Some(shutdown), task: Some(task) })
    }

    fn into_shared(self, base_url: String) -> Result<Shared, StartError> {
        let mut problems = Vec::new();
        let mut clients: BTreeMap<String, Client> = BTreeMap::new();
        let demo_clients = if self.demo_data { vec![Client::demo()] } else { Vec::new() };
        for client in demo_clients.into_iter().chain(self.clients) {
            problems.extend(client.problems());
            // A configured client replaces a demo client of the same id.
            if clients.insert(client.id().to_owned(), client.clone()).is_some()
                && client.id() != crate::DEMO_CLIENT_ID
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
        let mut configured = std::collections::BTreeSet::new();
        for server in self.servers {
            problems.extend(server.problems());
            if !configured.insert(server.id().to_owned()) {
                problems.push(format!("authorization server {} is defined twice", server.id()));
            }
            custom.insert(server.id().to_owned(), server);
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
        })
    }
}

/// A running Okta-compatible authorization server.
///
/// Dropping it sends the graceful-shutdown signal: the listener closes at once and the serving
/// task ends when open connections finish. [`DevServer::shutdown`] also waits for that.
pub struct DevServer {
    shared: AppState,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
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

    /// `http://127.0.0.1:PORT`, which is also the org server's issuer.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
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
