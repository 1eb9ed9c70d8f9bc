//! Headless Chromium driven through ChromeDriver (W3C WebDriver, with `fantoccini`): the
//! `--browser` sign-in. ChromeDriver is spawned on a free loopback port and killed on drop;
//! every session gets a fresh profile directory.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use okta_http::redacted_url;
use url::Url;

/// The command that installs what the browser run needs (Debian and Ubuntu, as root).
pub const INSTALL_HINT: &str = "apt-get install -y chromium chromium-driver";

/// Where Debian, Ubuntu and Google put the browser.
const CHROMIUM_CANDIDATES: [&str; 4] = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
];

/// How to start the browser.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BrowserOptions {
    /// The Chromium binary. Defaults to the first of `/usr/bin/chromium`,
    /// `/usr/bin/chromium-browser`, `/usr/bin/google-chrome` and `/usr/bin/google-chrome-stable`
    /// that exists.
    pub chromium: Option<PathBuf>,
    /// The ChromeDriver command. Defaults to `chromedriver` (looked up in `PATH`).
    pub chromedriver: PathBuf,
    /// How long ChromeDriver and the browser may take to start, and a page to load. Defaults to
    /// 30 seconds.
    pub timeout: Duration,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            chromium: None,
            chromedriver: PathBuf::from("chromedriver"),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Why the browser could not be started or driven.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// Chromium or ChromeDriver is missing.
    #[error(
        "{what} is not installed: install Chromium and ChromeDriver with `{INSTALL_HINT}` (as root)"
    )]
    NotInstalled {
        /// `chromium` or `chromedriver`.
        what: &'static str,
    },
    /// ChromeDriver or the browser did not start.
    #[error("the browser did not start: {0}")]
    Start(String),
    /// A WebDriver command failed.
    #[error("{action} failed: {reason}")]
    Command {
        /// What was attempted, such as `clicking #submit`.
        action: String,
        /// What ChromeDriver said.
        reason: String,
    },
}

/// A headless Chromium session. Close it with [`Browser::close`]; dropping it kills ChromeDriver.
pub struct Browser {
    client: Client,
    driver: Child,
    port: u16,
    /// The WebDriver session, deleted on drop unless [`Browser::close`] did it.
    session: Option<String>,
    profile: tempfile::TempDir,
    timeout: Duration,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("chromedriver_pid", &self.driver.id())
            .field("profile", &self.profile.path())
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Checks that Chromium and ChromeDriver are installed, without starting them.
    pub fn check_installed(options: &BrowserOptions) -> Result<PathBuf, BrowserError> {
        let chromium = match &options.chromium {
            Some(path) if path.exists() => path.clone(),
            Some(_) => return Err(BrowserError::NotInstalled { what: "chromium" }),
            None => CHROMIUM_CANDIDATES
                .iter()
                .map(PathBuf::from)
                .find(|path| path.exists())
                .ok_or(BrowserError::NotInstalled { what: "chromium" })?,
        };
        let version = Command::new(&options.chromedriver)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match version {
            Ok(status) if status.success() => Ok(chromium),
            Ok(_) => Err(BrowserError::Start(format!(
                "`{} --version` failed",
                options.chromedriver.display()
            ))),
            Err(_) => Err(BrowserError::NotInstalled { what: "chromedriver" }),
        }
    }

    /// Starts ChromeDriver on a free loopback port and a headless browser with a fresh profile.
    pub async fn start(options: &BrowserOptions) -> Result<Self, BrowserError> {
        let chromium = Self::check_installed(options)?;
        let port =
            free_port().map_err(|err| BrowserError::Start(format!("no free port: {err}")))?;
        let profile = tempfile::Builder::new()
            .prefix("okta-e2e-chromium-")
            .tempdir()
            .map_err(|err| BrowserError::Start(format!("no profile directory: {err}")))?;
        let driver = Command::new(&options.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|_| BrowserError::NotInstalled { what: "chromedriver" })?;
        // From here on, `Starting` kills the driver if anything fails.
        let mut starting = Starting { driver: Some(driver) };
        let url = format!("http://127.0.0.1:{port}");
        wait_until_ready(&url, &mut starting, options.timeout).await?;
        let capabilities = capabilities(&chromium, profile.path());
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .map_err(|err| BrowserError::Start(format!("no WebDriver session: {err}")))?;
        let timeouts = TimeoutConfiguration::new(
            Some(options.timeout),
            Some(options.timeout),
            Some(Duration::ZERO),
        );
        if let Err(err) = client.update_timeouts(timeouts).await {
            let _ = client.close().await;
            return Err(BrowserError::Start(format!("cannot set timeouts: {err}")));
        }
        let session = client.session_id().await.ok().flatten();
        let driver = starting
            .driver
            .take()
            .ok_or_else(|| BrowserError::Start("lost ChromeDriver".into()))?;
        Ok(Self { client, driver, port, session, profile, timeout: options.timeout })
    }

    /// The fresh profile directory of this session (removed on drop).
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &Url) -> Result<(), BrowserError> {
        self.client
            .goto(url.as_str())
            .await
            .map_err(|err| command(&format!("opening {}", redacted_url(url)), &err))
    }

    /// The URL the browser shows.
    pub async fn current_url(&self) -> Result<Url, BrowserError> {
        self.client.current_url().await.map_err(|err| command("reading the URL", &err))
    }

    /// Whether the current page has an element with this `id`.
    pub async fn has_element(&self, id: &str) -> Result<bool, BrowserError> {
        Ok(!self
            .client
            .find_all(Locator::Id(id))
            .await
            .map_err(|err| command(&format!("looking for #{id}"), &err))?
            .is_empty())
    }

    /// The text of the element with this `id`, if the page has one.
    pub async fn text_of(&self, id: &str) -> Result<Option<String>, BrowserError> {
        let found = self
            .client
            .find_all(Locator::Id(id))
            .await
            .map_err(|err| command(&format!("looking for #{id}"), &err))?;
        match found.first() {
            Some(element) => Ok(Some(
                element.text().await.map_err(|err| command(&format!("reading #{id}"), &err))?,
            )),
            None => Ok(None),
        }
    }

    /// Waits (up to the configured timeout) until one of `ids` is on the page and returns it.
    pub async fn wait_for_any(&self, ids: &[&str]) -> Result<String, BrowserError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            for id in ids {
                if self.has_element(id).await? {
                    return Ok((*id).to_owned());
                }
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Command {
                    action: format!("waiting for one of {ids:?}"),
                    reason: format!("none appeared within {} s", self.timeout.as_secs()),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text` into the element with this `id`.
    pub async fn type_into(&self, id: &str, text: &str) -> Result<(), BrowserError> {
        let action = format!("typing into #{id}");
        let element =
            self.client.find(Locator::Id(id)).await.map_err(|err| command(&action, &err))?;
        element.send_keys(text).await.map_err(|err| command(&action, &err))
    }

    /// Clicks the element with this `id` (a submit button navigates).
    pub async fn click(&self, id: &str) -> Result<(), BrowserError> {
        let action = format!("clicking #{id}");
        let element =
            self.client.find(Locator::Id(id)).await.map_err(|err| command(&action, &err))?;
        element.click().await.map_err(|err| command(&action, &err))
    }

    /// The value of the cookie `name` that the current page can see (`HttpOnly` ones included),
    /// if there is one.
    ///
    /// A cookie's value can be a secret, such as a session id: send it or compare it, never
    /// print it.
    pub async fn cookie(&self, name: &str) -> Result<Option<String>, BrowserError> {
        let cookies =
            self.client.get_all_cookies().await.map_err(|err| command("reading cookies", &err))?;
        Ok(cookies
            .iter()
            .find(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned()))
    }

    /// Deletes the cookies the current page can see.
    pub async fn delete_cookies(&self) -> Result<(), BrowserError> {
        self.client.delete_all_cookies().await.map_err(|err| command("deleting cookies", &err))
    }

    /// Saves a PNG screenshot of the page to `path` (creating its directory).
    pub async fn screenshot(&self, path: &Path) -> Result<(), BrowserError> {
        let png =
            self.client.screenshot().await.map_err(|err| command("taking a screenshot", &err))?;
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, png)
        };
        write().map_err(|err| BrowserError::Command {
            action: format!("saving {}", path.display()),
            reason: err.to_string(),
        })
    }

    /// Ends the WebDriver session (the browser exits) and stops ChromeDriver.
    pub async fn close(mut self) -> Result<(), BrowserError> {
        let result =
            self.client.clone().close().await.map_err(|err| command("closing the session", &err));
        if result.is_ok() {
            self.session = None;
        }
        result
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing ChromeDriver alone would leave the browser running: end the session first.
        if let Some(session) = self.session.take() {
            delete_session(self.port, &session);
        }
        stop(&mut self.driver);
    }
}

/// `DELETE /session/{id}` with a blocking socket (a drop cannot await); bounded by timeouts.
fn delete_session(port: u16, session: &str) {
    use std::io::{Read as _, Write as _};
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // ChromeDriver answers once the browser has quit; it may keep the connection open, so read
    // exactly one response (headers, then Content-Length bytes).
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 1024];
    loop {
        if let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return;
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Kills ChromeDriver unless the start succeeded.
struct Starting {
    driver: Option<Child>,
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(driver) = &mut self.driver {
            stop(driver);
        }
    }
}

fn stop(driver: &mut Child) {
    if matches!(driver.try_wait(), Ok(None)) {
        let _ = driver.kill();
    }
    let _ = driver.wait();
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    Ok(listener.local_addr()?.port())
}

/// Polls `/status` until ChromeDriver answers, or it exits, or the timeout passes.
async fn wait_until_ready(
    url: &str,
    starting: &mut Starting,
    timeout: Duration,
) -> Result<(), BrowserError> {
    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    okta_http::install_default_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|err| BrowserError::Start(err.to_string()))?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(response) = http.get(format!("{url}/status")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if let Some(driver) = &mut starting.driver
            && let Ok(Some(status)) = driver.try_wait()
        {
            return Err(BrowserError::Start(format!("ChromeDriver exited ({status})")));
        }
        if Instant::now() >= deadline {
            return Err(BrowserError::Start(format!(
                "ChromeDriver did not answer within {} s",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Headless, no sandbox (CI runs as root), nothing that dials out, a fresh profile.
fn capabilities(chromium: &Path, profile: &Path) -> fantoccini::wd::Capabilities {
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--window-size=1024,768",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let mut capabilities = fantoccini::wd::Capabilities::new();
    capabilities.insert("browserName".into(), "chrome".into());
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"binary": chromium.display().to_string(), "args": args}),
    );
    capabilities
}

fn command(action: &str, err: &fantoccini::error::CmdError) -> BrowserError {
    // ChromeDriver's messages can quote the URL of the page, whose query may hold a code.
    let reason = err.to_string();
    let reason = reason.split('?').next().unwrap_or_default().to_owned();
    BrowserError::Command { action: action.to_owned(), reason }
}

#[cfg(test)]
mod tests;
