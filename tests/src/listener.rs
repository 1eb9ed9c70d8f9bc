//! A real loopback HTTP listener at the redirect URI's address: it catches the browser's
//! redirect back from the authorization server and answers with a small page.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use okta_verify::http::redacted_url;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use url::Url;

/// Longest request head read from a browser.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The id of the heading on the page the listener answers with.
pub const CALLBACK_PAGE_ID: &str = "okta-e2e-callback";

/// A request the listener caught. `Debug` hides the query (it carries the code).
#[derive(Clone, PartialEq, Eq)]
pub struct Caught {
    path: String,
    query: String,
}

impl Caught {
    /// The path, such as `/authorization-code/callback`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The names of the query parameters, in order (for reports: values may be secrets).
    pub fn parameter_names(&self) -> Vec<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .map(|(name, _)| name.into_owned())
            .collect()
    }

    /// The first value of a query parameter.
    pub fn parameter(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

impl fmt::Debug for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caught")
            .field("path", &self.path)
            .field("parameters", &self.parameter_names())
            .finish_non_exhaustive()
    }
}

/// Why the listener could not start or caught nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenerError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why (for example the port is in use).
        reason: String,
    },
    /// The URI's host is not a loopback address, so no local listener can receive it.
    #[error("{url} is not a loopback address: no local listener can catch it")]
    NotLoopback {
        /// The URI without its query.
        url: String,
    },
    /// Nothing arrived at the path in time.
    #[error("no request to {path} within {} s", timeout.as_secs())]
    Timeout {
        /// The path waited for.
        path: String,
        /// The wait.
        timeout: Duration,
    },
}

/// A loopback HTTP listener that records every request it receives.
///
/// Each connection gets its own task with a bounded read, so idle connections (browsers open
/// some ahead of time) never block the next one. Dropping the listener stops it.
pub struct CallbackListener {
    addr: SocketAddr,
    caught: Mutex<mpsc::UnboundedReceiver<Caught>>,
    task: JoinHandle<()>,
}

impl fmt::Debug for CallbackListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackListener").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl CallbackListener {
    /// Listens on `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> Result<Self, ListenerError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|err| ListenerError::Bind { addr, reason: err.to_string() })?;
        let addr = listener
            .local_addr()
            .map_err(|err| ListenerError::Bind { addr, reason: err.to_string() })?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(accept(listener, sender));
        Ok(Self { addr, caught: Mutex::new(receiver), task })
    }

    /// Listens on a free port of 127.0.0.1.
    pub async fn bind_free_port() -> Result<Self, ListenerError> {
        Self::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await
    }

    /// Listens where `uri` points (`localhost` means 127.0.0.1); fails for other hosts.
    pub async fn bind_for(uri: &Url) -> Result<Self, ListenerError> {
        let not_loopback = || ListenerError::NotLoopback { url: redacted_url(uri) };
        if !okta_config::is_loopback_url(uri) {
            return Err(not_loopback());
        }
        let ip = match uri.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let port = uri.port_or_known_default().ok_or_else(not_loopback)?;
        Self::bind(SocketAddr::new(ip, port)).await
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether this listener receives requests for `uri` (same loopback host family and port).
    pub fn serves(&self, uri: &Url) -> bool {
        okta_config::is_loopback_url(uri) && uri.port_or_known_default() == Some(self.addr.port())
    }

    /// Waits up to `timeout` for the next request to `path`; requests to other paths (such as
    /// `/favicon.ico`) are skipped.
    pub async fn next(&self, path: &str, timeout: Duration) -> Result<Caught, ListenerError> {
        let mut caught = self.caught.lock().await;
        let wait = async {
            while let Some(request) = caught.recv().await {
                if request.path == path {
                    return Some(request);
                }
            }
            None
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(Some(request)) => Ok(request),
            _ => Err(ListenerError::Timeout { path: path.to_owned(), timeout }),
        }
    }

    /// Forgets every request caught so far.
    pub async fn clear(&self) {
        let mut caught = self.caught.lock().await;
        while caught.try_recv().is_ok() {}
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, sender: mpsc::UnboundedSender<Caught>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(serve(stream, sender.clone()));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Reads one request head (bounded in size and time), records it, and answers.
async fn serve(mut stream: TcpStream, sender: mpsc::UnboundedSender<Caught>) {
    let mut head = Vec::with_capacity(1024);
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        let mut buffer = [0_u8; 2048];
        while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < MAX_HEAD {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
        true
    })
    .await;
    if !matches!(read, Ok(true)) {
        return;
    }
    let Some(request_line) = head.split(|byte| *byte == b'\n').next() else { return };
    let request_line = String::from_utf8_lossy(request_line);
    let mut words = request_line.split_whitespace();
    let (Some(_method), Some(target)) = (words.next(), words.next()) else { return };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let response = if path == "/favicon.ico" {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
    } else {
        let _ = sender.send(Caught { path: path.to_owned(), query: query.to_owned() });
        let body = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>okta-e2e</title></head>\
             <body><h1 id=\"{CALLBACK_PAGE_ID}\">Back at the application: you can close this window.</h1></body></html>\n"
        );
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n\
             Referrer-Policy: no-referrer\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
