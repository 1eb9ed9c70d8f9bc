//! A user agent without JavaScript: keeps cookies, follows redirects itself (so it can stop
//! before one), reads and posts HTML forms, and signs in headlessly through Okta's
//! `/api/v1/authn`.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use okta_http::redacted_url;
use okta_verify::Clock;
use url::Url;

use crate::cookies::CookieJar;
use crate::html;

/// Redirects followed per navigation before giving up.
const MAX_REDIRECTS: usize = 10;
/// Largest response body read.
const MAX_BODY: usize = 1024 * 1024;
/// The `Accept` header of a browser's navigation ([`UserAgent::accepting_html`]).
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A username and password. `Debug` hides the password.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials for a sign-in.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: password.into() }
    }

    /// The devserver's demo user, `alice@example.com`.
    pub fn demo() -> Self {
        Self::new(okta_devserver::DEMO_USERNAME, okta_devserver::DEMO_PASSWORD)
    }

    /// The username (printed in reports).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password (never printed).
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// A one-time `sessionToken` from `/api/v1/authn`. `Debug` hides it.
#[derive(Clone)]
pub struct SessionToken(String);

impl SessionToken {
    /// The token, for the `sessionToken` parameter of `/authorize`.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionToken([redacted], {} chars)", self.0.len())
    }
}

/// Where a navigation ended.
#[derive(Clone)]
pub struct Page {
    url: Url,
    status: u16,
    headers: http::HeaderMap,
    body: String,
    redirects: usize,
    stopped_before: Option<Url>,
}

impl Page {
    /// The URL of the page (after redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value of the response header `name` (the first one), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// How many redirects the navigation followed.
    pub fn redirects(&self) -> usize {
        self.redirects
    }

    /// The redirect target the navigation was told not to follow, when it got there.
    pub fn stopped_before(&self) -> Option<&Url> {
        self.stopped_before.as_ref()
    }

    /// Whether the page has an element with this `id`.
    pub fn has_element(&self, id: &str) -> bool {
        html::has_id(&self.body, id)
    }

    /// The text of the element with this `id`.
    pub fn text_of(&self, id: &str) -> Option<String> {
        html::text_of_id(&self.body, id)
    }
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("url", &redacted_url(&self.url))
            .field("status", &self.status)
            // Names only: `Set-Cookie` values are secrets.
            .field(
                "headers",
                &self.headers.keys().map(http::HeaderName::as_str).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .field("redirects", &self.redirects)
            .field("stopped_before", &self.stopped_before.as_ref().map(redacted_url))
            .finish()
    }
}

/// Why a navigation or sign-in failed. URLs are shown without their query (codes and tokens
/// travel there).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserAgentError {
    /// `/api/v1/authn` did not give a session token.
    #[error("{0}")]
    Authn(String),
    /// The response is not what a browser could go on with (no form, a bad `Location`, ...).
    #[error("{reason} ({url})")]
    Unexpected {
        /// What is wrong.
        reason: String,
        /// The page's URL without its query.
        url: String,
    },
    /// The request failed (connection, timeout, body too large).
    #[error("request to {url} failed: {reason}")]
    Transport {
        /// The URL without its query.
        url: String,
        /// Why.
        reason: String,
    },
    /// More than 10 redirects.
    #[error("more than {MAX_REDIRECTS} redirects, the last to {url}")]
    TooManyRedirects {
        /// The last URL, without its query.
        url: String,
    },
}

/// A cookie-keeping HTTP client that follows redirects itself and reads HTML forms.
pub struct UserAgent {
    http: reqwest::Client,
    jar: Mutex<CookieJar>,
    clock: Clock,
    stop_before: Vec<Url>,
    accept_html: bool,
}

impl fmt::Debug for UserAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAgent")
            .field("stop_before", &self.stop_before.iter().map(redacted_url).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl UserAgent {
    /// A user agent with an empty cookie jar and a 10-second timeout per request.
    pub fn new() -> Result<Self, UserAgentError> {
        // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
        okta_http::install_default_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("okta-e2e/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| UserAgentError::Transport {
                url: String::new(),
                reason: err.to_string(),
            })?;
        Ok(Self {
            http,
            jar: Mutex::default(),
            clock: Clock::system(),
            stop_before: Vec::new(),
            accept_html: false,
        })
    }

    /// Sends `Accept: text/html` on every navigation, as a browser does (a web application
    /// then answers with redirects and pages rather than an API client's `401`).
    #[must_use]
    pub fn accepting_html(mut self) -> Self {
        self.accept_html = true;
        self
    }

    /// The `Cookie` header this agent would send to `url` (the values are secrets: for replaying
    /// a session in tests, never for printing).
    pub fn cookie_header(&self, url: &Url) -> Option<String> {
        self.jar().header_for(url)
    }

    /// Does not follow redirects to this URL (scheme, host, port and path compared): the
    /// navigation ends with [`Page::stopped_before`] set. For redirect URIs nobody listens on.
    #[must_use]
    pub fn stopping_before(mut self, url: Url) -> Self {
        self.stop_before.push(url);
        self
    }

    /// GETs `url` and follows redirects.
    pub async fn open(&self, url: &Url) -> Result<Page, UserAgentError> {
        let request = self.http.get(url.clone());
        self.navigate(url.clone(), request).await
    }

    /// Submits the form of `page` that holds the button with id `button` (or the first form when
    /// `button` is `None`), with the form's own fields overridden by `fields`, and follows
    /// redirects.
    pub async fn submit(
        &self,
        page: &Page,
        button: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Result<Page, UserAgentError> {
        let unexpected = |reason: &str| UserAgentError::Unexpected {
            reason: reason.to_owned(),
            url: redacted_url(&page.url),
        };
        let forms = html::forms(&page.body);
        let form = match button {
            Some(id) => forms
                .iter()
                .find(|form| form.buttons.iter().any(|b| b.id.as_deref() == Some(id)))
                .ok_or_else(|| unexpected(&format!("no form with a button id=\"{id}\"")))?,
            None => forms.first().ok_or_else(|| unexpected("no form on the page"))?,
        };
        let action = page.url.join(&form.action).map_err(|_| unexpected("bad form action"))?;
        // The serializer is not `Send`: it ends in this block, before the first await, so that
        // the future is `Send`.
        let encoded = {
            let mut body = url::form_urlencoded::Serializer::new(String::new());
            for input in &form.inputs {
                let value = fields
                    .iter()
                    .find(|(name, _)| *name == input.name)
                    .map_or(input.value.as_str(), |(_, value)| value);
                body.append_pair(&input.name, value);
            }
            for (name, value) in fields {
                if !form.inputs.iter().any(|input| input.name == *name) {
                    body.append_pair(name, value);
                }
            }
            if let Some(pressed) =
                button.and_then(|id| form.buttons.iter().find(|b| b.id.as_deref() == Some(id)))
                && let (Some(name), Some(value)) = (&pressed.name, &pressed.value)
            {
                body.append_pair(name, value);
            }
            body.finish()
        };
        let request = if form.method == "post" {
            self.http
                .post(action.clone())
                .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(encoded)
        } else {
            let mut target = action.clone();
            target.set_query(Some(&encoded));
            self.http.get(target)
        };
        self.navigate(action, request).await
    }

    /// Signs in through Okta's Authentication API (`POST {origin}/api/v1/authn`) and returns the
    /// one-time `sessionToken` for `/authorize`.
    pub async fn authn(
        &self,
        origin: &Url,
        credentials: &Credentials,
    ) -> Result<SessionToken, UserAgentError> {
        let url = origin.join("/api/v1/authn").map_err(|_| UserAgentError::Unexpected {
            reason: "bad issuer origin".to_owned(),
            url: redacted_url(origin),
        })?;
        let body = serde_json::json!({
            "username": credentials.username,
            "password": credentials.password,
            "options": {"multiOptionalFactorEnroll": false, "warnBeforePasswordExpired": false},
        });
        let response = self
            .http
            .post(url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|err| transport(&url, &err))?;
        let status = response.status().as_u16();
        let body = read_body(&url, response).await?;
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let field = |name: &str| json.get(name).and_then(serde_json::Value::as_str);
        if status != 200 {
            let code = field("errorCode").unwrap_or("no error code");
            let summary = field("errorSummary").unwrap_or("no summary");
            return Err(UserAgentError::Authn(format!(
                "/api/v1/authn refused the credentials of {}: HTTP {status}, {code}: {summary}",
                credentials.username
            )));
        }
        match (field("status"), field("sessionToken")) {
            (Some("SUCCESS"), Some(token)) if !token.is_empty() => {
                Ok(SessionToken(token.to_owned()))
            }
            (status, _) => Err(UserAgentError::Authn(format!(
                "/api/v1/authn answered status {} instead of SUCCESS with a sessionToken: the test \
                 user must be able to sign in with a password alone (no MFA, no password change)",
                status.unwrap_or("(none)")
            ))),
        }
    }

    /// The names of the cookies held for `host` (values are secrets).
    pub fn cookie_names(&self, host: &str) -> Vec<String> {
        self.jar().names_for(host).into_iter().map(str::to_owned).collect()
    }

    /// Forgets every cookie, as a new browser profile would.
    pub fn clear_cookies(&self) {
        self.jar().clear();
    }

    async fn navigate(
        &self,
        mut url: Url,
        mut request: reqwest::RequestBuilder,
    ) -> Result<Page, UserAgentError> {
        let mut redirects = 0;
        loop {
            if let Some(cookies) = self.jar().header_for(&url) {
                request = request.header(http::header::COOKIE, cookies);
            }
            if self.accept_html {
                request = request.header(http::header::ACCEPT, BROWSER_ACCEPT);
            }
            let response = request.send().await.map_err(|err| transport(&url, &err))?;
            let now = self.clock.now();
            for header in response.headers().get_all(http::header::SET_COOKIE) {
                if let Ok(header) = header.to_str() {
                    self.jar().store(&url, header, now);
                }
            }
            let status = response.status();
            if !status.is_redirection() {
                let headers = response.headers().clone();
                let body = read_body(&url, response).await?;
                return Ok(Page {
                    url,
                    status: status.as_u16(),
                    headers,
                    body,
                    redirects,
                    stopped_before: None,
                });
            }
            let bad_location = || UserAgentError::Unexpected {
                reason: format!("redirect (HTTP {}) without a usable Location", status.as_u16()),
                url: redacted_url(&url),
            };
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(bad_location)?;
            let next = url.join(location).map_err(|_| bad_location())?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(bad_location());
            }
            if self.stop_before.iter().any(|stop| same_endpoint(stop, &next)) {
                let headers = response.headers().clone();
                let body = read_body(&url, response).await?;
                return Ok(Page {
                    url,
                    status: status.as_u16(),
                    headers,
                    body,
                    redirects,
                    stopped_before: Some(next),
                });
            }
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(UserAgentError::TooManyRedirects { url: redacted_url(&next) });
            }
            url = next;
            request = self.http.get(url.clone());
        }
    }

    fn jar(&self) -> std::sync::MutexGuard<'_, CookieJar> {
        self.jar.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Same scheme, host, port and path.
fn same_endpoint(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin() && a.path() == b.path()
}

fn transport(url: &Url, err: &reqwest::Error) -> UserAgentError {
    let reason = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "cannot connect".to_owned()
    } else {
        // Without the URL: reqwest's message would repeat it with its query.
        let mut reason = "the exchange failed".to_owned();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            reason = format!("{reason}: {cause}");
            source = cause.source();
        }
        reason
    };
    UserAgentError::Transport { url: redacted_url(url), reason }
}

async fn read_body(url: &Url, mut response: reqwest::Response) -> Result<String, UserAgentError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|err| transport(url, &err))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(UserAgentError::Transport {
                url: redacted_url(url),
                reason: format!("the body is larger than {MAX_BODY} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}
