//! A loopback listener for command-line tools and native applications (feature `loopback`): it
//! receives the sign-in redirect on this machine (RFC 8252 §7.3) and answers the browser with a
//! small page.
//!
//! A tool running on a laptop cannot receive a redirect at `https://app.example.com`. It registers
//! a plain-`http` loopback redirect URI such as `http://127.0.0.1:8400/callback`, listens there,
//! opens the browser at the authorization URL, and waits for the browser to come back:
//!
//! 1. [`LoopbackListener::bind`] (or [`LoopbackListener::builder`]) listens at the redirect URI's
//!    host and port. Only plain `http` on `127.0.0.0/8`, `[::1]` or `localhost` (served on
//!    `127.0.0.1`) is accepted ([`BindError`]). With port 0 a free port is picked, and
//!    [`LoopbackListener::redirect_uri`] is the URI to send: the authorization server must then
//!    accept any port on the loopback host, as RFC 8252 §7.3 asks; if yours compares redirect
//!    URIs exactly, register a fixed port.
//! 2. [`LoopbackListener::next`] waits, with a timeout, for the browser's request to the redirect
//!    URI's path and hands it over as a [`Callback`]: its raw [`query`](Callback::query) goes to
//!    [`OktaClient::finish_login`](crate::OktaClient::finish_login) (or `handle_callback`), which
//!    checks `state`, `iss` and Okta's `error`.
//! 3. [`Callback::respond`] answers the browser with a [`CallbackPage`]: signed in, or why the
//!    sign-in failed. The browser waits for it, so the page can tell the truth.
//! 4. [`LoopbackListener::shut_down`] stops listening once the page is sent; dropping the listener
//!    does the same without waiting.
//!
//! # Example
//!
//! A complete sign-in, as `okta login` does it (this runs as written against the local
//! `okta-devserver`; the hidden lines play the browser):
//!
//! ```
//! use std::time::Duration;
//!
//! use okta_config::{Role, SettingsLoader};
//! use okta_flow::loopback::{CallbackPage, LoopbackListener};
//! use okta_flow::{AuthorizeOptions, OktaClient, SealingKey};
//! use url::Url;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = okta_devserver::DevServer::builder().start().await?;
//! # let issuer = server.issuer("default");
//! // Listen first: port 0 picks a free port, and `redirect_uri()` says which.
//! let listener = LoopbackListener::builder(&Url::parse("http://127.0.0.1:0/callback")?)
//!     .application("acme login")
//!     .bind()
//!     .await?;
//! # server.clients().add(
//! #     okta_devserver::Client::confidential("acme-cli", "acme-cli-secret-0123456789abcdef")
//! #         .with_redirect_uri(listener.redirect_uri().as_str()),
//! # )?;
//! let settings = SettingsLoader::isolated() // a tool would use SettingsLoader::new()
//!     .set("issuer", issuer.as_str())
//!     .set("client_id", "acme-cli")
//!     .set("client_secret", "acme-cli-secret-0123456789abcdef")
//!     .set("redirect_uri", listener.redirect_uri().as_str())
//!     .role(Role::Client)
//!     .load()?;
//! // The pending login never leaves the process: a throw-away sealing key is right.
//! let client = OktaClient::builder(&settings).sealing_key(SealingKey::generate()?).discover().await?;
//! let (url, pending) = client.authorize(&AuthorizeOptions::new())?;
//! // A real tool opens the browser at `url` here (the `open` crate), or prints it.
//! # let browser = tokio::spawn(browse(server.base_url().to_owned(), url.clone()));
//!
//! let callback = listener.next(Duration::from_secs(300)).await?;
//! let tokens = match client.finish_login(callback.query(), &pending).await {
//!     Ok(tokens) => {
//!         callback.respond(CallbackPage::success("You are signed in: you can close this tab."));
//!         tokens
//!     }
//!     Err(err) => {
//!         // Error messages never contain a token or a code.
//!         callback.respond(CallbackPage::failure(err.to_string()));
//!         return Err(err.into());
//!     }
//! };
//! listener.shut_down().await; // after the page reached the browser
//! assert!(tokens.id_token().is_some());
//! # let (status, page) = browser.await??;
//! # assert_eq!(status, 200);
//! # assert!(page.contains("You are signed in"), "{page}");
//! # assert!(page.contains("<title>acme login: Signed in</title>"), "{page}");
//! # Ok(())
//! # }
//! # async fn browse(base: String, url: Url) -> Result<(u16, String), reqwest::Error> {
//! #     okta_http::install_default_crypto_provider(); // reqwest brings no provider (no `ring`)
//! #     let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
//! #     let body = serde_json::json!({"username": okta_devserver::DEMO_USERNAME, "password": okta_devserver::DEMO_PASSWORD});
//! #     let authn: serde_json::Value = browser.post(format!("{base}/api/v1/authn")).json(&body).send().await?.json().await?;
//! #     let token = authn["sessionToken"].as_str().unwrap_or_default();
//! #     let redirect = browser.get(format!("{url}&sessionToken={token}")).send().await?;
//! #     let back = redirect.headers()["location"].to_str().unwrap_or_default().to_owned();
//! #     let page = browser.get(back).send().await?;
//! #     Ok((page.status().as_u16(), page.text().await?))
//! # }
//! ```
//!
//! # What the listener does for you
//!
//! - **One sign-in.** By default only the first request to the callback path is handed over;
//!   later ones (a reload, a second tab) get `409` and an "already handled" page, and
//!   [`LoopbackListener::next`] then says [`WaitError::Closed`]. A test driver that follows many
//!   redirects builds the listener with [`LoopbackListenerBuilder::answer_at_once`] instead: every
//!   request is answered at once with a fixed page, and handed over in order.
//! - **Only this sign-in.** Once told the sign-in in progress ([`LoopbackListener::expect`]),
//!   the listener hands over only a request with its `state`: a forged or stale request gets a
//!   `400` "Request ignored" page and is counted ([`LoopbackListener::ignored_requests`]), and the
//!   wait goes on until the real redirect or the timeout.
//! - **Only its paths.** Requests to any other path (`/favicon.ico` ...) get `404`; requests other
//!   than `GET` to a caught path get `405`. [`LoopbackListenerBuilder::also_catch`] adds a path (a
//!   post-logout redirect URI, say).
//! - **Bounded work for a hostile or stuck local client.** Every connection is served by its own
//!   task (a browser opens idle connections ahead of time), must send its request head within the
//!   [read timeout](LoopbackListenerBuilder::read_timeout) and within [`MAX_REQUEST_HEAD`] bytes
//!   (`431` or `414` otherwise), and is closed after one response. At most 64 connections are served at
//!   once; more are closed unanswered.
//! - **Pages that leak nothing.** A page shows only the title and message it was given, escaped;
//!   never the query. Every response carries `Cache-Control: no-store`, `Referrer-Policy:
//!   no-referrer` (the callback URL holds the code) and a `default-src 'none'` content security
//!   policy. The query is never logged, and [`Callback`]'s `Debug` shows the parameter names only.
//! - **A clean stop.** Dropping the listener stops it: the port is closed, pages being answered
//!   get up to two seconds to reach the browser, then every connection is closed.
//!   [`LoopbackListener::shut_down`] does the same and waits for it.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::fmt;
use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use okta_http::redacted_url;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use url::{Host, Url};

use crate::html::escape;

/// The longest request head (request line and headers) a connection may send: room for a
/// [`MAX_QUERY_LEN`](crate::MAX_QUERY_LEN) query and a browser's headers. A longer one is
/// answered `431` (or `414` for a long request line) and never handed over.
pub const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// How long a connection may take to send its request head, unless
/// [`LoopbackListenerBuilder::read_timeout`] says otherwise.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once; more are closed unanswered (a browser opens a handful).
const MAX_CONNECTIONS: usize = 64;
/// Requests waiting for [`LoopbackListener::next`]; when full, new ones are not handed over.
const QUEUE_LEN: usize = 64;
/// How long a stopping listener lets the pages being answered reach the browser.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// The content security policy of every page: no script, no frame, inline style only.
const CONTENT_SECURITY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// Why a listener could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// The redirect URI is not plain `http`, so no browser would bring the redirect to a loopback
    /// listener (which has no certificate).
    #[error("{uri} does not use http")]
    NotHttp {
        /// The redirect URI, without its query.
        uri: String,
    },
    /// The redirect URI's host is not `127.0.0.0/8`, `[::1]` or `localhost`, so the redirect
    /// would not come to this machine.
    #[error("{uri} is not on a loopback host (127.0.0.1, [::1] or localhost)")]
    NotLoopback {
        /// The redirect URI, without its query.
        uri: String,
    },
    /// A path given to [`LoopbackListenerBuilder::also_catch`] does not start with `/`.
    #[error("{path:?} is not an absolute path")]
    NotAbsolutePath {
        /// The path.
        path: String,
    },
    /// The address could not be listened on (the port is taken, say).
    #[error("cannot listen on {address} for {uri}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The redirect URI, without its query.
        uri: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// Why [`LoopbackListener::next`] returned no callback.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// No request to the path arrived in time.
    #[error("no request to {path} within {}", duration(*timeout))]
    Timeout {
        /// The path waited for.
        path: String,
        /// How long it waited.
        timeout: Duration,
    },
    /// The path is not one the listener catches, so nothing can arrive there.
    #[error("the loopback listener does not catch requests to {path}")]
    NotCaught {
        /// The path asked for.
        path: String,
    },
    /// No more callbacks will come: the listener already handed over its one sign-in.
    #[error("the loopback listener already handed over its one sign-in")]
    Closed,
}

/// Builds a [`LoopbackListener`]; from [`LoopbackListener::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct LoopbackListenerBuilder {
    redirect_uri: Url,
    extra_paths: Vec<String>,
    answer_at_once: Option<CallbackPage>,
    application: Option<String>,
    read_timeout: Duration,
}

impl LoopbackListenerBuilder {
    /// Catches requests to `path` too (an absolute path such as `/signed-out`, the path of a
    /// post-logout redirect URI on the same port); [`LoopbackListener::next_at`] waits for them.
    pub fn also_catch(mut self, path: impl Into<String>) -> Self {
        self.extra_paths.push(path.into());
        self
    }

    /// Answers every request to a caught path at once with `page`, and hands every one over, in
    /// order: for test drivers that follow many redirects, and for applications whose page does
    /// not depend on the outcome. [`Callback::respond`] then has no effect.
    ///
    /// Defaults to one sign-in: the first request is handed over, its browser waits for
    /// [`Callback::respond`], and later requests get `409`.
    pub fn answer_at_once(mut self, page: CallbackPage) -> Self {
        self.answer_at_once = Some(page);
        self
    }

    /// The name shown in the browser tab (`acme login: Signed in`) and in the listener's own
    /// pages ("acme login is waiting for the sign-in redirect at another path"). Defaults to
    /// "The application".
    pub fn application(mut self, name: impl Into<String>) -> Self {
        self.application = Some(name.into());
        self
    }

    /// How long a connection may take to send its request head before it is closed. Defaults to
    /// [`DEFAULT_READ_TIMEOUT`].
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Listens at the redirect URI's address and starts serving.
    ///
    /// Needs a Tokio runtime with the I/O and time drivers enabled.
    pub async fn bind(self) -> Result<LoopbackListener, BindError> {
        let address = bind_address(&self.redirect_uri)?;
        let mut paths = BTreeSet::from([self.redirect_uri.path().to_owned()]);
        for path in self.extra_paths {
            if !path.starts_with('/') {
                return Err(BindError::NotAbsolutePath { path });
            }
            paths.insert(path);
        }
        let listen_error =
            |source| BindError::Listen { address, uri: redacted_url(&self.redirect_uri), source };
        let listener = TcpListener::bind(address).await.map_err(listen_error)?;
        let local_addr = listener.local_addr().map_err(listen_error)?;
        let mut redirect_uri = self.redirect_uri.clone();
        if redirect_uri.port_or_known_default() != Some(local_addr.port()) {
            redirect_uri.set_port(Some(local_addr.port())).map_err(|()| {
                listen_error(io::Error::other("the redirect URI cannot take a port"))
            })?;
        }

        let (sender, receiver) = mpsc::channel(QUEUE_LEN);
        let shared = Arc::new(Shared {
            paths,
            redirect_path: self.redirect_uri.path().to_owned(),
            expected_state: StdMutex::new(None),
            ignored: AtomicUsize::new(0),
            sender: StdMutex::new(Some(sender)),
            answer_at_once: self.answer_at_once,
            application: self.application.unwrap_or_else(|| "The application".to_owned()),
        });
        let (shutdown, stopping) = watch::channel(());
        let task = tokio::spawn(serve(listener, Arc::clone(&shared), self.read_timeout, stopping));
        tracing::debug!(address = %local_addr, "loopback listener started");
        Ok(LoopbackListener {
            redirect_uri,
            local_addr,
            shared,
            callbacks: Mutex::new(receiver),
            shutdown,
            task,
        })
    }
}

/// A listener on a loopback redirect URI's address that hands over the browser's requests.
///
/// Dropping it stops it (see the [module documentation](self)).
pub struct LoopbackListener {
    redirect_uri: Url,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    callbacks: Mutex<mpsc::Receiver<Callback>>,
    // Dropping it tells the server task and every connection to stop.
    shutdown: watch::Sender<()>,
    task: JoinHandle<()>,
}

impl fmt::Debug for LoopbackListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackListener")
            .field("redirect_uri", &redacted_url(&self.redirect_uri))
            .field("local_addr", &self.local_addr)
            .field("paths", &self.shared.paths)
            .finish_non_exhaustive()
    }
}

impl LoopbackListener {
    /// Listens at `redirect_uri`'s address for one sign-in, with the defaults of
    /// [`LoopbackListener::builder`].
    pub async fn bind(redirect_uri: &Url) -> Result<Self, BindError> {
        Self::builder(redirect_uri).bind().await
    }

    /// A listener for `redirect_uri`, to configure before [binding](LoopbackListenerBuilder::bind).
    pub fn builder(redirect_uri: &Url) -> LoopbackListenerBuilder {
        LoopbackListenerBuilder {
            redirect_uri: redirect_uri.clone(),
            extra_paths: Vec::new(),
            answer_at_once: None,
            application: None,
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }

    /// The redirect URI to send to the authorization server: the one given, with the port picked
    /// when it asked for port 0.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// The address listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether a browser sent to `uri` reaches this listener at a path it catches.
    pub fn serves(&self, uri: &Url) -> bool {
        bind_address(uri).is_ok_and(|address| address == self.local_addr)
            && self.shared.paths.contains(uri.path())
    }

    /// From now on, hands over only the requests to the redirect URI's path that carry the
    /// `state` of `pending`, the sign-in in progress: any other request there (forged by another
    /// program on this machine, or left over from an earlier sign-in) gets a `400` page saying it
    /// was ignored, is [counted](Self::ignored_requests), and does not end the wait, so the real
    /// redirect can still arrive until the timeout of [`next`](Self::next).
    pub fn expect(&self, pending: &crate::PendingLogin) {
        *self.shared.expected_state.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(pending.state.secret().clone());
    }

    /// How many requests [`expect`](Self::expect) ignored so far.
    pub fn ignored_requests(&self) -> usize {
        self.shared.ignored.load(Ordering::Relaxed)
    }

    /// Waits up to `timeout` for the next request to the redirect URI's path.
    ///
    /// Requests to other caught paths that arrive first are dropped (their browser gets its page
    /// anyway).
    pub async fn next(&self, timeout: Duration) -> Result<Callback, WaitError> {
        self.next_at(self.redirect_uri.path(), timeout).await
    }

    /// Waits up to `timeout` for the next request to `path`, the redirect URI's path or one added
    /// with [`LoopbackListenerBuilder::also_catch`]; requests to other paths that arrive first are
    /// dropped.
    pub async fn next_at(&self, path: &str, timeout: Duration) -> Result<Callback, WaitError> {
        if !self.shared.paths.contains(path) {
            return Err(WaitError::NotCaught { path: path.to_owned() });
        }
        let wait = async {
            let mut callbacks = self.callbacks.lock().await;
            while let Some(callback) = callbacks.recv().await {
                if callback.path == path {
                    return Ok(callback);
                }
            }
            Err(WaitError::Closed)
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or_else(|_| Err(WaitError::Timeout { path: path.to_owned(), timeout }))
    }

    /// Drops every request received and not yet handed over, so that the next one waited for is
    /// caused by what the caller does next (a browser may load a page twice).
    pub async fn clear(&self) {
        let mut callbacks = self.callbacks.lock().await;
        while callbacks.try_recv().is_ok() {}
    }

    /// Stops listening and waits (at most two seconds) for the pages being answered to reach the
    /// browser.
    pub async fn shut_down(self) {
        let Self { callbacks, shutdown, task, .. } = self;
        // Callbacks never taken answer their browser with the "stopped" page.
        drop(callbacks);
        drop(shutdown);
        let _ = task.await;
    }
}

/// A request the listener caught: the browser coming back with the authorization response.
///
/// `Debug` shows the path and the parameter names only: the query holds the code and `state`.
pub struct Callback {
    path: String,
    query: String,
    page: Option<oneshot::Sender<CallbackPage>>,
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("path", &self.path)
            .field("parameters", &self.parameter_names())
            .finish_non_exhaustive()
    }
}

impl Callback {
    /// The path, such as `/callback`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string without `?`, possibly empty: what
    /// [`OktaClient::handle_callback`](crate::OktaClient::handle_callback) checks. Never log it.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The names of the query parameters, in order: for reports, since values may be secrets.
    pub fn parameter_names(&self) -> Vec<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect()
    }

    /// The first value of the query parameter `name`, decoded. Use
    /// [`OktaClient::handle_callback`](crate::OktaClient::handle_callback) to read the code: it
    /// checks `state` first.
    pub fn parameter(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// Answers the browser with `page`. Dropping the callback unanswered shows a page saying the
    /// application stopped. No effect when the listener
    /// [answers at once](LoopbackListenerBuilder::answer_at_once) or the browser went away.
    pub fn respond(mut self, page: CallbackPage) {
        if let Some(reply) = self.page.take() {
            let _ = reply.send(page);
        }
    }
}

/// The page the browser shows after the redirect: a title and one message, both escaped.
///
/// Every page the listener serves has an element with id [`CallbackPage::ELEMENT_ID`] (a
/// `<main>`), with the title in `#okta-callback-title` and the message in
/// `#okta-callback-message`, for browser tests. Never put a token or a code in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackPage {
    status: StatusCode,
    title: String,
    message: String,
}

impl CallbackPage {
    /// The id of the element that wraps every page the listener serves.
    pub const ELEMENT_ID: &'static str = "okta-callback";

    /// The sign-in worked: `200`, titled "Signed in", with `message` (such as "You can close this
    /// tab").
    pub fn success(message: impl Into<String>) -> Self {
        Self { status: StatusCode::OK, title: "Signed in".to_owned(), message: message.into() }
    }

    /// The sign-in failed: `400`, titled "Sign-in failed", with `message` saying why (an error's
    /// `Display`; it is escaped).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            title: "Sign-in failed".to_owned(),
            message: message.into(),
        }
    }

    /// Replaces the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// The HTTP status: `200` for a success, `400` for a failure.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn listener_page(status: StatusCode, title: &str, message: String) -> Self {
        Self { status, title: title.to_owned(), message }
    }

    /// The HTML document, with `application` in the browser tab's title.
    fn html(&self, application: &str) -> String {
        let mut html = String::with_capacity(1024);
        let _ = write!(
            html,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{application}: {title}</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;\
             padding:0 1em;line-height:1.5}}h1{{font-size:1.4em}}</style></head>\n\
             <body><main id=\"{id}\"><h1 id=\"{id}-title\">{title}</h1>\
             <p id=\"{id}-message\">{message}</p></main></body></html>\n",
            application = escape(application),
            title = escape(&self.title),
            message = escape(&self.message),
            id = Self::ELEMENT_ID,
        );
        html
    }

    fn response(&self, application: &str) -> Response<String> {
        let mut response = Response::new(self.html(application));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY));
        response
    }
}

/// Where to listen for `redirect_uri`: its loopback IP (`localhost` is `127.0.0.1`) and port (80
/// when it has none; 0 picks a free one).
fn bind_address(redirect_uri: &Url) -> Result<SocketAddr, BindError> {
    if redirect_uri.scheme() != "http" {
        return Err(BindError::NotHttp { uri: redacted_url(redirect_uri) });
    }
    let ip = match redirect_uri.host() {
        Some(Host::Ipv4(ip)) if ip.is_loopback() => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) if ip.is_loopback() => IpAddr::V6(ip),
        Some(Host::Domain(domain)) if domain.eq_ignore_ascii_case("localhost") => {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        _ => return Err(BindError::NotLoopback { uri: redacted_url(redirect_uri) }),
    };
    Ok(SocketAddr::new(ip, redirect_uri.port_or_known_default().unwrap_or(80)))
}

/// What the server task and its connections share.
struct Shared {
    /// The paths whose requests are handed over.
    paths: BTreeSet<String>,
    /// The redirect URI's path, where [`LoopbackListener::expect`] applies.
    redirect_path: String,
    /// The `state` of the sign-in in progress, once [`LoopbackListener::expect`] set it.
    expected_state: StdMutex<Option<String>>,
    /// Requests to the redirect path ignored because their `state` was not the expected one.
    ignored: AtomicUsize,
    /// Where requests are handed over; taken by the first one for a one-sign-in listener.
    sender: StdMutex<Option<mpsc::Sender<Callback>>>,
    answer_at_once: Option<CallbackPage>,
    application: String,
}

impl Shared {
    /// Whether `query` carries exactly one `state`, the expected one (compared in constant
    /// time); `true` while nothing is expected.
    fn belongs_to_the_sign_in(&self, query: &str) -> bool {
        let expected = self.expected_state.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Some(expected) = expected else { return true };
        let mut states =
            url::form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name == "state");
        match (states.next(), states.next()) {
            (Some((_, state)), None) => {
                bool::from(subtle::ConstantTimeEq::ct_eq(state.as_bytes(), expected.as_bytes()))
            }
            _ => false,
        }
    }

    fn page(&self, page: &CallbackPage) -> Response<String> {
        page.response(&self.application)
    }

    /// Answers one request.
    async fn answer(&self, method: &Method, path: &str, query: &str) -> Response<String> {
        let application = &self.application;
        if !self.paths.contains(path) {
            return self.page(&CallbackPage::listener_page(
                StatusCode::NOT_FOUND,
                "Not found",
                format!("{application} is waiting for the sign-in redirect at another path."),
            ));
        }
        if method != Method::GET {
            let mut response = self.page(&CallbackPage::listener_page(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                format!("{application} receives the sign-in redirect as a GET request."),
            ));
            response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET"));
            return response;
        }
        if path == self.redirect_path && !self.belongs_to_the_sign_in(query) {
            let ignored = self.ignored.fetch_add(1, Ordering::Relaxed) + 1;
            // Never the query: it may hold a code.
            tracing::warn!(
                ignored,
                "loopback listener: ignored a request without this sign-in's state"
            );
            return self.page(&CallbackPage::listener_page(
                StatusCode::BAD_REQUEST,
                "Request ignored",
                format!(
                    "This request does not belong to the sign-in {application} is waiting for, so it was ignored. Finish the sign-in in the tab that {application} opened."
                ),
            ));
        }
        tracing::debug!(path, "loopback listener: the browser came back");
        let callback = |page| Callback { path: path.to_owned(), query: query.to_owned(), page };
        if let Some(page) = &self.answer_at_once {
            let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner).clone();
            if sender.is_some_and(|sender| sender.try_send(callback(None)).is_err()) {
                tracing::warn!(path, "loopback listener: too many requests waiting; one dropped");
            }
            return self.page(page);
        }
        // One sign-in: the first request takes the sender, so later ones find none.
        let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(sender) = sender else {
            return self.page(&CallbackPage::listener_page(
                StatusCode::CONFLICT,
                "Already handled",
                format!("{application} already received this sign-in; it has the result."),
            ));
        };
        let (reply, page) = oneshot::channel();
        let stopped = || {
            CallbackPage::failure(format!("{application} stopped before finishing the sign-in."))
        };
        if sender.try_send(callback(Some(reply))).is_err() {
            return self.page(&stopped());
        }
        drop(sender);
        self.page(&page.await.unwrap_or_else(|_| stopped()))
    }
}

/// Accepts connections until the listener is dropped, then lets the connections finish (bounded).
async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    read_timeout: Duration,
    mut stopping: watch::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopping.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Over the limit, the connection is closed unanswered.
                    if let Ok(permit) = Arc::clone(&permits).try_acquire_owned() {
                        connections.spawn(connection(
                            stream,
                            Arc::clone(&shared),
                            read_timeout,
                            stopping.clone(),
                            permit,
                        ));
                    }
                }
                Err(err) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::debug!(error = %err, "loopback listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    // Past the grace period, dropping the set aborts what is left.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, drain).await;
    tracing::debug!("loopback listener stopped");
}

/// Serves one connection: one request head, bounded in size and time, and one response.
async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    read_timeout: Duration,
    mut stopping: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
) {
    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
        let shared = Arc::clone(&shared);
        async move {
            let uri = request.uri();
            let response =
                shared.answer(request.method(), uri.path(), uri.query().unwrap_or_default()).await;
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .max_buf_size(MAX_REQUEST_HEAD)
        .max_header_size(MAX_REQUEST_HEAD)
        .keep_alive(false);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                // hyper's errors name what went wrong (timeout, too large), never the request.
                tracing::debug!(error = %err, "loopback listener: connection failed");
            }
        }
        _ = stopping.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// `300 s`, or `500 ms` below a second.
fn duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests;
