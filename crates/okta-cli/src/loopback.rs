//! The loopback listener of `okta login` (RFC 8252 §7.3): binds the redirect URI's address,
//! hands the first callback to the login, and answers the browser with a small page.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use url::{Host, Url};

use crate::error::{CliError, FailedContext as _};

/// Where the listener must bind for `redirect_uri`, which must be a plain-`http` loopback URI.
///
/// `localhost` binds `127.0.0.1`; a missing port is 80; port 0 means any free port.
pub(crate) fn bind_address(redirect_uri: &Url) -> Result<SocketAddr, CliError> {
    let explain = |why: &str| {
        CliError::usage(format!(
            "okta login receives the sign-in on this machine, so the redirect URI must be a \
             plain-http loopback URI such as http://127.0.0.1:8400/callback (RFC 8252 §7.3); \
             {redirect_uri} {why}"
        ))
    };
    if redirect_uri.scheme() != "http" {
        return Err(explain("does not use http"));
    }
    let ip = match redirect_uri.host() {
        Some(Host::Ipv4(ip)) if ip.is_loopback() => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) if ip.is_loopback() => IpAddr::V6(ip),
        Some(Host::Domain(domain)) if domain.eq_ignore_ascii_case("localhost") => {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        _ => return Err(explain("is not on a loopback host (127.0.0.1, [::1] or localhost)")),
    };
    let port = redirect_uri.port_or_known_default().unwrap_or(80);
    Ok(SocketAddr::new(ip, port))
}

/// A bound listener and the redirect URI it serves (with the real port when 0 was asked for).
#[derive(Debug)]
pub(crate) struct Bound {
    listener: TcpListener,
    /// The redirect URI to send to Okta.
    pub(crate) redirect_uri: Url,
    /// Whether the configured port was 0 and a free one was picked.
    pub(crate) port_picked: bool,
}

/// Binds the listener for `redirect_uri`.
pub(crate) async fn bind(redirect_uri: &Url) -> Result<Bound, CliError> {
    let address = bind_address(redirect_uri)?;
    let listener = TcpListener::bind(address)
        .await
        .failed(&format!("listening on {address} for the redirect to {redirect_uri}"))?;
    let mut redirect_uri = redirect_uri.clone();
    let port_picked = address.port() == 0;
    if port_picked {
        let port = listener.local_addr().failed("reading the listener's port")?.port();
        redirect_uri
            .set_port(Some(port))
            .map_err(|()| CliError::usage(format!("{redirect_uri} cannot take a port")))?;
    }
    Ok(Bound { listener, redirect_uri, port_picked })
}

/// One request to the callback path, waiting for the page to answer with.
#[derive(Debug)]
pub(crate) struct Arrival {
    /// The raw query string (without `?`), possibly empty.
    pub(crate) query: String,
    reply: oneshot::Sender<Page>,
}

impl Arrival {
    /// Answers the browser with `page`.
    pub(crate) fn answer(self, page: Page) {
        // The browser may have gone away; the terminal says what happened anyway.
        let _ = self.reply.send(page);
    }
}

/// The page shown in the browser after the callback. It never contains a token.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    status: StatusCode,
    title: &'static str,
    message: String,
}

impl Page {
    /// The sign-in worked.
    pub(crate) fn done() -> Self {
        Self {
            status: StatusCode::OK,
            title: "Signed in",
            message: "You are signed in. You can close this tab and return to the terminal."
                .to_owned(),
        }
    }

    /// The sign-in failed; `message` is shown escaped.
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            title: "Sign-in failed",
            message: format!(
                "{}. The terminal says more; run okta login again to retry.",
                message.into().trim_end_matches('.')
            ),
        }
    }

    fn render(&self) -> Response {
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>okta login: {title}</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;\
             padding:0 1em;line-height:1.5}}h1{{font-size:1.4em}}</style></head>\
             <body><h1 id=\"title\">{title}</h1><p id=\"message\">{message}</p></body></html>\n",
            title = self.title,
            message = escape_html(&self.message),
        );
        (
            self.status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
                (header::REFERRER_POLICY, "no-referrer"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// The running listener: callbacks arrive on [`Server::next`].
#[derive(Debug)]
pub(crate) struct Server {
    arrivals: mpsc::Receiver<Arrival>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Serves `bound` until [`Server::shut_down`]; requests to any path but the redirect URI's
    /// get a 404, and requests after the first callback a page saying it was handled.
    pub(crate) fn start(bound: Bound) -> Self {
        let (sender, arrivals) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            path: bound.redirect_uri.path().to_owned(),
            arrivals: sender,
            taken: AtomicBool::new(false),
        });
        let app = Router::new().fallback(callback).with_state(shared);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(bound.listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                tracing::warn!(error = %err, "the loopback listener stopped");
            }
        });
        Self { arrivals, shutdown: Some(shutdown), task: Some(task) }
    }

    /// The first callback, or `None` when the listener stopped.
    pub(crate) async fn next(&mut self) -> Option<Arrival> {
        self.arrivals.recv().await
    }

    /// Stops listening, letting the page being answered reach the browser (bounded wait).
    pub(crate) async fn shut_down(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
    }
}

struct Shared {
    path: String,
    arrivals: mpsc::Sender<Arrival>,
    taken: AtomicBool,
}

async fn callback(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    if uri.path() != shared.path {
        return Page {
            status: StatusCode::NOT_FOUND,
            title: "Not found",
            message: "okta login is waiting for the sign-in redirect at another path.".to_owned(),
        }
        .render();
    }
    if shared.taken.swap(true, Ordering::AcqRel) {
        return Page {
            status: StatusCode::CONFLICT,
            title: "Already handled",
            message: "This sign-in was already handled; the terminal has the result.".to_owned(),
        }
        .render();
    }
    let (reply, page) = oneshot::channel();
    let arrival = Arrival { query: uri.query().unwrap_or_default().to_owned(), reply };
    if shared.arrivals.send(arrival).await.is_err() {
        return Page::failed("okta login is no longer waiting for this sign-in.").render();
    }
    match page.await {
        Ok(page) => page.render(),
        Err(_) => Page::failed("okta login stopped before finishing the sign-in.").render(),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(character),
        }
    }
    out
}

#[cfg(test)]
mod tests;
