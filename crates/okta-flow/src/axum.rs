//! Ready-made sign-in for axum services: login, callback and logout routes, server-side
//! sessions, and an [`AuthenticatedUser`] extractor (feature `axum`).
//!
//! A service builds one [`OktaAuth`] from its [`OktaClient`], merges [`OktaAuth::routes`] into
//! its router, adds [`OktaAuth::layer`] with a session store, and takes [`AuthenticatedUser`] in
//! the handlers that need a signed-in user:
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use okta_config::{Role, Settings};
//! use okta_flow::OktaClient;
//! use okta_flow::axum::{AuthenticatedUser, MemoryStore, OktaAuth};
//!
//! async fn profile(user: AuthenticatedUser) -> String {
//!     format!("hello {}", user.subject())
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::load(Role::Client)?;
//! let okta = OktaAuth::new(OktaClient::discover(&settings).await?)?;
//! let app: Router = Router::new()
//!     .route("/profile", get(profile))
//!     .merge(okta.routes()) // GET /login, GET <redirect URI path>, POST /logout
//!     .layer(okta.layer(MemoryStore::default())); // Redis for several replicas
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! # The routes
//!
//! - `GET /login?return_to=/path`: starts a sign-in and redirects to Okta. The pending login
//!   (`state`, `nonce`, PKCE verifier, `return_to`) is [sealed](crate::PendingLogin::seal) into a
//!   five-minute cookie with the key derived from the `cookie_secret` setting, so that any
//!   replica can finish it and nothing is written to the session store for visitors who never
//!   come back. `return_to` is kept only if it is a same-origin relative path
//!   ([`is_safe_return_to`]); otherwise the user lands on `/`.
//! - `GET /authorization-code/callback` (the path of the configured redirect URI): clears the
//!   pending-login cookie whatever happens, checks the callback, redeems the code, verifies the
//!   ID token, fetches `/userinfo`, gives the session a new id (session fixation), stores the
//!   tokens in the session, and redirects to `return_to`. Every response carries
//!   `Cache-Control: no-store` and `Referrer-Policy: no-referrer`; failures are pages that say
//!   what to do (a declined consent, `access_denied`, is a 403 page, never a 500).
//! - `POST /logout`: needs the session's CSRF token ([`AuthenticatedUser::csrf_token`], in the
//!   form field [`CSRF_FIELD`] or the header [`CSRF_HEADER`]), ends the session, revokes the
//!   refresh token and, when a post-logout redirect URI is configured, sends the browser to Okta's
//!   logout so the Okta session ends too.
//!
//! # Sessions
//!
//! Tokens stay on the server: the browser holds only the session id, in an `HttpOnly`,
//! `SameSite=Lax` cookie that is `Secure` unless the redirect URI is plain `http` on a loopback
//! host (then the name also loses its `__Host-` prefix). The store is any `tower-sessions`
//! store: [`MemoryStore`] for one process (bounded, expired sessions purged),
//! `RedisSessionStore` (feature `redis`, with `redis_store` to connect) for several replicas.
//! With either, a write never brings back a session that has ended: a request in flight when
//! the user signs out cannot undo the sign-out, on any replica. The access token is refreshed [shortly before it
//! expires](OktaAuthBuilder::refresh_margin) when Okta issued a refresh token (`offline_access`);
//! without one, the session ends with the access token.
//!
//! `docs/guides/web-app.md`, `docs/guides/multi-replica.md` and `docs/guides/extending.md`
//! in the repository explain the choices and the deployment.

mod cookies;
mod memory;
mod pages;
#[cfg(feature = "redis")]
mod redis;
mod require;
mod return_to;
mod routes;
mod sealed;
mod session;
mod user;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use tower_layer::Layer;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};

use crate::{AuthorizeOptions, OktaClient};

// The public interface of the module.
pub use self::memory::{DEFAULT_MEMORY_CAPACITY, MemoryStore};
#[cfg(feature = "redis")]
pub use self::redis::{
    RedisConnectError, RedisSessionStore, redis_store, redis_store_from_settings,
};
pub use self::require::{Require, RequireLayer, Requirement};
pub use self::return_to::is_safe_return_to;
pub use self::sealed::SealedStore;
pub use self::user::{AuthenticatedUser, UserRejection};

#[doc(hidden)]
pub use crate::upstream::tower_sessions;
/// The former paths of [`crate::upstream`]'s crates, kept hidden until 0.3
/// (`docs/versioning.md`): use `okta_flow::upstream::{tower_sessions, fred, RedisStore}`.
#[cfg(feature = "redis")]
#[doc(hidden)]
pub use crate::upstream::{RedisStore, fred};

/// Escapes `text` for HTML content and for single- or double-quoted attribute values (`&`, `<`,
/// `>`, `"` and `'`), as the routes' own pages do: for a service's pages that show claims or
/// other text from Okta or the user.
///
/// ```
/// assert_eq!(
///     okta_flow::axum::escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
///     "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
/// );
/// ```
pub fn escape_html(text: &str) -> String {
    crate::html::escape(text)
}

/// The form field `POST /logout` reads the CSRF token from.
pub const CSRF_FIELD: &str = "csrf_token";

/// The request header `POST /logout` also accepts the CSRF token in (for `fetch` callers).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The sign-in routes, session settings and extractor configuration of one service.
///
/// Cheap to clone. Build it with [`OktaAuth::new`] or [`OktaAuth::builder`].
#[derive(Clone)]
pub struct OktaAuth {
    inner: Arc<Config>,
}

/// What an [`OktaAuth`] was built with.
struct Config {
    client: OktaClient,
    login_path: String,
    logout_path: String,
    callback_path: String,
    default_return_to: String,
    authorize_options: AuthorizeOptions,
    refresh_margin: Duration,
    idle_timeout: Duration,
    max_lifetime: Duration,
    fetch_userinfo: bool,
    secure_cookies: bool,
    /// The store of the last layer built, where the callback records used pending logins.
    login_marks: std::sync::RwLock<Option<Arc<dyn sealed::MarkUsed>>>,
}

/// Builds an [`OktaAuth`]; every setting has a default.
#[must_use]
pub struct OktaAuthBuilder {
    client: OktaClient,
    login_path: String,
    logout_path: String,
    default_return_to: String,
    authorize_options: AuthorizeOptions,
    refresh_margin: Duration,
    idle_timeout: Duration,
    max_lifetime: Duration,
    fetch_userinfo: bool,
}

/// Why an [`OktaAuth`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthSetupError {
    /// A route path is not an absolute path of printable ASCII, or two routes share a path.
    #[error("invalid {name} path {path:?}: {reason}")]
    InvalidPath {
        /// Which path (`login`, `logout`, `callback`, `default_return_to`).
        name: &'static str,
        /// The path as given (routes are public; nothing secret).
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A duration is out of its bounds.
    #[error("invalid {name}: {reason}")]
    InvalidDuration {
        /// Which setting.
        name: &'static str,
        /// The bounds.
        reason: &'static str,
    },
}

impl OktaAuth {
    /// The defaults: `/login`, `/logout`, the callback at the redirect URI's path, `/` after
    /// sign-in and sign-out, a 60-second refresh margin, sessions that end after one hour
    /// without a request or twelve hours after sign-in, and `/userinfo` fetched at sign-in.
    pub fn new(client: OktaClient) -> Result<Self, AuthSetupError> {
        Self::builder(client).build()
    }

    /// A builder, to change the paths, the authorization options or the session lifetimes.
    pub fn builder(client: OktaClient) -> OktaAuthBuilder {
        OktaAuthBuilder {
            client,
            login_path: "/login".to_owned(),
            logout_path: "/logout".to_owned(),
            default_return_to: "/".to_owned(),
            authorize_options: AuthorizeOptions::new(),
            refresh_margin: Duration::from_mins(1),
            idle_timeout: Duration::from_hours(1),
            max_lifetime: Duration::from_hours(12),
            fetch_userinfo: true,
        }
    }

    /// The client that signs users in.
    pub fn client(&self) -> &OktaClient {
        &self.inner.client
    }

    /// The path of `GET /login`.
    pub fn login_path(&self) -> &str {
        &self.inner.login_path
    }

    /// The path of `POST /logout`.
    pub fn logout_path(&self) -> &str {
        &self.inner.logout_path
    }

    /// The path of the callback: the configured redirect URI's.
    pub fn callback_path(&self) -> &str {
        &self.inner.callback_path
    }

    /// Whether cookies are `Secure` (everywhere but plain `http` on a loopback host).
    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    /// The name of the session cookie: `__Host-okta_session`, or `okta_session` without
    /// `Secure`.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.inner.secure_cookies { "__Host-okta_session" } else { "okta_session" }
    }

    /// The name of the pending-login cookie: `__Host-okta_login`, or `okta_login` without
    /// `Secure`.
    pub fn login_cookie_name(&self) -> &'static str {
        if self.inner.secure_cookies { "__Host-okta_login" } else { "okta_login" }
    }

    /// `login_path?return_to=<target>` when `target` is a safe return path, else `login_path`.
    pub fn login_url(&self, return_to: &str) -> String {
        match self.safe_target(Some(return_to)) {
            Some(target) if target != self.inner.default_return_to => {
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", &target)
                    .finish();
                format!("{}?{query}", self.inner.login_path)
            }
            _ => self.inner.login_path.clone(),
        }
    }

    // `OktaAuth::routes` is in routes.rs, beside the routes it builds: they take an `OktaAuth`,
    // so this file stays below them (files import downward only).

    /// A `tower-sessions` layer with this module's cookie settings: name
    /// [`session_cookie_name`](Self::session_cookie_name), `HttpOnly`, `SameSite=Lax`, `Secure`
    /// as [`secure_cookies`](Self::secure_cookies), `Path=/`, and an expiry extended while the
    /// user is active; `store` is wrapped in a [`SealedStore`] with the client's
    /// [`SessionKeys`](crate::SessionKeys). [`layer`](Self::layer) uses it; use it directly only
    /// to change something.
    pub fn session_layer<Store: SessionStore>(
        &self,
        store: Store,
    ) -> SessionManagerLayer<SealedStore<Store>> {
        self.sealed_session_layer(self.seal_store(store))
    }

    fn seal_store<Store: SessionStore>(&self, store: Store) -> SealedStore<Store> {
        let keys = self.inner.client.session_keys();
        if keys.is_ephemeral()
            && std::any::TypeId::of::<Store>() != std::any::TypeId::of::<MemoryStore>()
        {
            tracing::warn!(
                "neither session.key nor cookie_secret is configured: sessions are encrypted with \
                 a random key of this process, so no other replica can read them and a restart \
                 ends them"
            );
        }
        let sealed = SealedStore::new(store, keys.clone());
        let marks: Arc<dyn sealed::MarkUsed> = Arc::new(sealed.clone());
        *self.inner.login_marks.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(marks);
        sealed
    }

    /// Where the callback records used pending logins: the store of the last layer built.
    fn login_marks(&self) -> Option<Arc<dyn sealed::MarkUsed>> {
        self.inner.login_marks.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn sealed_session_layer<Store: SessionStore>(
        &self,
        store: SealedStore<Store>,
    ) -> SessionManagerLayer<SealedStore<Store>> {
        let idle =
            CookieDuration::try_from(self.inner.idle_timeout).unwrap_or(CookieDuration::hours(1));
        SessionManagerLayer::new(store)
            .with_name(self.session_cookie_name())
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(self.inner.secure_cookies)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(idle))
    }

    /// The layer that gives the routes and the extractor their session and configuration: a
    /// [`session_layer`](Self::session_layer) on `store` plus this `OktaAuth` as a request
    /// extension. Add it to the router that holds both the routes and the protected handlers.
    ///
    /// The store also records which pending logins were used (a marker per sign-in, under a
    /// keyed digest of its `state`, for five minutes), so a pending-login cookie finishes one
    /// sign-in on whichever replica shares the store.
    pub fn layer<Store: SessionStore>(&self, store: Store) -> OktaLayer<Store> {
        OktaLayer { sessions: self.session_layer(store), auth: self.clone() }
    }

    /// `Some(target)` if `target` is a safe same-origin path that is not one of the sign-in
    /// routes (returning to `/login` would sign in forever), else the default.
    fn safe_target(&self, target: Option<&str>) -> Option<String> {
        let target = target.filter(|target| is_safe_return_to(target))?;
        let path = target.split(['?', '#']).next().unwrap_or_default();
        let config = &self.inner;
        if [&config.login_path, &config.logout_path, &config.callback_path]
            .iter()
            .any(|route| path.eq_ignore_ascii_case(route))
        {
            return None;
        }
        Some(target.to_owned())
    }

    /// The safe target, or the default one.
    fn target_or_default(&self, target: Option<&str>) -> String {
        self.safe_target(target).unwrap_or_else(|| self.inner.default_return_to.clone())
    }
}

impl fmt::Debug for OktaAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.inner;
        f.debug_struct("OktaAuth")
            .field("client", &config.client)
            .field("login_path", &config.login_path)
            .field("logout_path", &config.logout_path)
            .field("callback_path", &config.callback_path)
            .field("default_return_to", &config.default_return_to)
            .field("refresh_margin", &config.refresh_margin)
            .field("idle_timeout", &config.idle_timeout)
            .field("max_lifetime", &config.max_lifetime)
            .field("fetch_userinfo", &config.fetch_userinfo)
            .field("secure_cookies", &config.secure_cookies)
            .finish_non_exhaustive()
    }
}

impl OktaAuthBuilder {
    /// The path of the login route. Defaults to `/login`.
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.login_path = path.into();
        self
    }

    /// The path of the logout route. Defaults to `/logout`.
    pub fn logout_path(mut self, path: impl Into<String>) -> Self {
        self.logout_path = path.into();
        self
    }

    /// Where users land after sign-in when `return_to` is absent or refused, and after
    /// sign-out when no post-logout redirect URI is configured. Defaults to `/`.
    pub fn default_return_to(mut self, path: impl Into<String>) -> Self {
        self.default_return_to = path.into();
        self
    }

    /// Options of every authorization request (extra scopes, `prompt`, `acr_values`, ...).
    /// Defaults to none: the settings' scopes.
    pub fn authorize_options(mut self, options: AuthorizeOptions) -> Self {
        self.authorize_options = options;
        self
    }

    /// How long before its expiry the access token is refreshed, when a refresh token exists.
    /// At most ten minutes. Defaults to 60 seconds.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// A session ends after this long without a request. One minute to one week. Defaults to
    /// one hour.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// A session ends this long after sign-in, active or not. One minute to 366 days. Defaults
    /// to twelve hours.
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// Whether the callback fetches `/userinfo` ([`AuthenticatedUser::userinfo`]). Defaults to
    /// `true`: the code flow's ID token carries no profile claims.
    pub fn fetch_userinfo(mut self, fetch: bool) -> Self {
        self.fetch_userinfo = fetch;
        self
    }

    /// Checks the paths and durations and builds the [`OktaAuth`].
    pub fn build(self) -> Result<OktaAuth, AuthSetupError> {
        let redirect = self.client.redirect_uri().url().clone();
        let callback_path = redirect.path().to_owned();
        check_path("login", &self.login_path)?;
        check_path("logout", &self.logout_path)?;
        check_path("callback", &callback_path)?;
        if !is_safe_return_to(&self.default_return_to) {
            return Err(AuthSetupError::InvalidPath {
                name: "default_return_to",
                path: self.default_return_to,
                reason: "not a same-origin relative path",
            });
        }
        if callback_path == "/" {
            return Err(AuthSetupError::InvalidPath {
                name: "callback",
                path: callback_path,
                reason: "the redirect URI needs a path of its own, such as /authorization-code/callback",
            });
        }
        let paths = [
            ("login", &self.login_path),
            ("logout", &self.logout_path),
            ("callback", &callback_path),
        ];
        for (i, (name, path)) in paths.iter().enumerate() {
            if paths[..i].iter().any(|(_, other)| other.eq_ignore_ascii_case(path)) {
                return Err(AuthSetupError::InvalidPath {
                    name,
                    path: (*path).clone(),
                    reason: "another sign-in route has the same path",
                });
            }
        }
        check_duration(
            "refresh_margin",
            self.refresh_margin,
            Duration::ZERO,
            Duration::from_mins(10),
            "0 to 10 minutes",
        )?;
        check_duration(
            "idle_timeout",
            self.idle_timeout,
            Duration::from_mins(1),
            Duration::from_hours(7 * 24),
            "1 minute to 7 days",
        )?;
        check_duration(
            "max_lifetime",
            self.max_lifetime,
            Duration::from_mins(1),
            Duration::from_hours(366 * 24),
            "1 minute to 366 days",
        )?;
        let secure_cookies =
            !(redirect.scheme() == "http" && okta_config::is_loopback_url(&redirect));
        Ok(OktaAuth {
            inner: Arc::new(Config {
                client: self.client,
                login_path: self.login_path,
                logout_path: self.logout_path,
                callback_path,
                default_return_to: self.default_return_to,
                authorize_options: self.authorize_options,
                refresh_margin: self.refresh_margin,
                idle_timeout: self.idle_timeout,
                max_lifetime: self.max_lifetime,
                fetch_userinfo: self.fetch_userinfo,
                secure_cookies,
                login_marks: std::sync::RwLock::new(None),
            }),
        })
    }
}

impl fmt::Debug for OktaAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaAuthBuilder")
            .field("client", &self.client)
            .field("login_path", &self.login_path)
            .field("logout_path", &self.logout_path)
            .finish_non_exhaustive()
    }
}

/// The layer made by [`OktaAuth::layer`]: sessions, plus the [`OktaAuth`] as a request
/// extension for the extractor.
#[derive(Clone, Debug)]
pub struct OktaLayer<Store: SessionStore> {
    sessions: SessionManagerLayer<SealedStore<Store>>,
    auth: OktaAuth,
}

impl<S, Store: SessionStore> Layer<S> for OktaLayer<Store> {
    type Service = <SessionManagerLayer<SealedStore<Store>> as Layer<
        <Extension<OktaAuth> as Layer<S>>::Service,
    >>::Service;

    fn layer(&self, inner: S) -> Self::Service {
        self.sessions.layer(Extension(self.auth.clone()).layer(inner))
    }
}

fn check_path(name: &'static str, path: &str) -> Result<(), AuthSetupError> {
    let reason = if !path.starts_with('/') {
        "it must start with /"
    } else if path.contains("//") {
        "it must not contain //"
    } else if !path.bytes().all(|byte| byte.is_ascii_graphic() && !b"?#\\{}*".contains(&byte)) {
        "it must be printable ASCII without ?, #, \\, {, } or *"
    } else {
        return Ok(());
    };
    Err(AuthSetupError::InvalidPath { name, path: path.to_owned(), reason })
}

fn check_duration(
    name: &'static str,
    value: Duration,
    min: Duration,
    max: Duration,
    reason: &'static str,
) -> Result<(), AuthSetupError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(AuthSetupError::InvalidDuration { name, reason })
    }
}

/// The guides in `docs/guides`: their Rust blocks compile as doctests of this crate.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../../docs/guides/web-app.md")]
    struct WebApp;

    #[doc = include_str!("../../../docs/guides/api.md")]
    struct Api;

    #[doc = include_str!("../../../docs/guides/multi-replica.md")]
    struct MultiReplica;

    #[doc = include_str!("../../../docs/guides/extending.md")]
    struct Extending;
}

#[cfg(test)]
mod tests;
