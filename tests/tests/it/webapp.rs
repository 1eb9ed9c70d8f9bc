//! The example applications in headless Chromium: `crates/okta-flow/examples/webapp.rs` and
//! `crates/okta-verify/examples/api.rs` are built with the cargo that runs the tests, started as
//! processes on free loopback ports, and used the way a person would: open the app, sign in on
//! the devserver's page, see the profile, call the API, sign out, and be sent to sign in again.
//!
//! The processes are the examples themselves, not a copy of their code, so this also proves that
//! they build and run. After `cargo test --workspace` has built the examples, building them here
//! only checks that they are fresh. A failed step leaves a screenshot under `target/e2e/`.
//! Without Chromium the test is `ignored` with the install command, unless `CI` is set (see
//! `crate::browser`). The API example also runs without a browser, under each of its guards
//! (local JWTs, introspection, an issuer chain), against an in-process devserver.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use okta_devserver::{
    AccessPolicy, AuthorizationServer, DEMO_CLIENT_ID, DEMO_ORDERS_SERVER_ID, DEMO_PASSWORD,
    DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, DEMO_USERNAME, DevServer, GrantType,
    PolicyRule,
};
use okta_e2e::{Browser, BrowserError, BrowserOptions};
use okta_http::redacted_url;
use url::Url;

use crate::browser::{processes_using, require_browser};

/// How long building the examples may take (a build from scratch on two cores takes minutes).
const BUILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// How long an example may take to answer once started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a page may take to load, or an element to appear.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);
/// How many times the examples are started on fresh ports (another process may take a port
/// between choosing it and binding it).
const START_ATTEMPTS: usize = 3;
/// The session cookie of the web app (plain `http` on loopback, so without `__Host-`).
const SESSION_COOKIE: &str = "okta_session";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(has_browser),
    ignore = "Chromium or ChromeDriver not found: apt-get install -y chromium chromium-driver"
)]
#[allow(clippy::print_stdout, reason = "the timings go to the test log")]
async fn the_example_app_signs_in_calls_the_api_and_signs_out_in_chromium() {
    require_browser();
    let building = Instant::now();
    let examples = build_examples().await.unwrap_or_else(|err| panic!("{err}"));
    let built = building.elapsed();
    let running = Instant::now();
    let apps = Apps::start(&examples).await.unwrap_or_else(|err| panic!("{err}"));
    let browser = Browser::start(&browser_options()).await.expect("headless Chromium starts");
    let profile = browser.profile_dir().to_string_lossy().into_owned();

    let outcome = sign_in_call_the_api_and_sign_out(&browser, &apps).await;
    let failure = match outcome {
        Ok(()) => None,
        Err(failure) => Some(failure.report(&browser, &screenshot_dir()).await),
    };
    let closed = browser.close().await;
    let pids = apps.pids();
    let logs = apps.logs();
    drop(apps);
    if let Some(failure) = failure {
        panic!("{failure}\n\n{logs}");
    }
    closed.expect("the browser closes");
    assert_nothing_left_running(&profile, &pids).await;
    println!(
        "examples built (or found fresh) in {:.1} s, scenario run in {:.1} s",
        built.as_secs_f64(),
        running.elapsed().as_secs_f64()
    );
}

#[tokio::test]
#[cfg_attr(
    not(has_browser),
    ignore = "Chromium or ChromeDriver not found: apt-get install -y chromium chromium-driver"
)]
async fn a_failed_step_leaves_a_screenshot_named_after_it() {
    require_browser();
    let browser = Browser::start(&browser_options()).await.expect("headless Chromium starts");
    let page = Url::parse("data:text/html,<p%20id=greeting>You%20are%20not%20signed%20in.</p>")
        .expect("a data URL");
    let failure = step("sign in", async {
        browser.goto(&page).await?;
        expect_text(&browser, "greeting", "Signed in as").await?;
        Ok(())
    })
    .await
    .expect_err("the page greets nobody");
    let shots = tempfile::tempdir().expect("a temporary directory");
    let report = failure.report(&browser, shots.path()).await;
    browser.close().await.expect("the browser closes");

    let path = screenshot_path(shots.path(), "sign in");
    assert_eq!(path.file_name().and_then(|name| name.to_str()), Some("webapp-sign-in.png"));
    assert!(report.starts_with("step `sign in` failed: #greeting says"), "{report}");
    assert!(report.contains("You are not signed in."), "{report}");
    assert!(report.contains(&format!("screenshot: {}", path.display())), "{report}");
    let png = std::fs::read(&path).expect("the screenshot is written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
}

#[test]
fn screenshots_go_to_e2e_in_the_target_directory() {
    let dir = screenshot_dir();
    assert!(dir.ends_with("e2e"), "{}", dir.display());
    // Cargo marks the root of its target directory with CACHEDIR.TAG.
    assert!(dir.parent().unwrap().join("CACHEDIR.TAG").is_file(), "{}", dir.display());
    let path = screenshot_path(&dir, "call the API");
    assert_eq!(path, dir.join("webapp-call-the-api.png"));
}

#[test]
fn the_api_page_is_read_row_by_row() {
    // As ChromeDriver reads the table: each answer (a <pre>) on the lines after its row.
    let text = "Request Status Answer\nGET /api/whoami 200\n{\"sub\":\"alice@example.com\"}\n\
                GET /api/messages 200\n{\"for\":\"alice@example.com\"}\nGET /api/admin 403\n\
                WWW-Authenticate: Bearer error=\"insufficient_scope\"\n";
    assert_eq!(
        api_statuses(text),
        [("/api/whoami", "200"), ("/api/messages", "200"), ("/api/admin", "403")]
    );
    assert!(api_statuses("Request Status Answer").is_empty());
}

/// The scenario, step by step; the first failed check ends it.
async fn sign_in_call_the_api_and_sign_out(browser: &Browser, apps: &Apps) -> Result<(), Failure> {
    let home = apps.url("/");
    let profile = apps.url("/profile");
    let callback = apps.url("/authorization-code/callback");

    step("open the home page", async {
        browser.goto(&home).await?;
        wait_for(browser, "login-link", &["greeting", "logout"]).await?;
        expect_text(browser, "greeting", "You are not signed in").await?;
        Ok(())
    })
    .await?;

    step("follow the sign-in link", async {
        browser.click("login-link").await?;
        wait_for(browser, "username", &["profile-email"]).await?;
        expect_sign_in_page(browser, apps, &callback).await
    })
    .await?;

    step("sign in", async {
        browser.type_into("username", DEMO_USERNAME).await?;
        browser.type_into("password", DEMO_PASSWORD).await?;
        browser.click("submit").await?;
        wait_for(browser, "profile-email", &["error"]).await?;
        // Back on the page the sign-in link asked for, with no code or state in the address.
        expect_url(browser, &profile).await?;
        expect_text(browser, "profile-email", DEMO_USERNAME).await?;
        expect_text(browser, "profile-scopes", "messages:read").await?;
        Ok(())
    })
    .await?;

    let session = step("read the session", async {
        let session = browser
            .cookie(SESSION_COOKIE)
            .await?
            .ok_or_else(|| Problem(format!("the browser holds no {SESSION_COOKIE} cookie")))?;
        // The cookie alone is the session: the same request from outside the browser works.
        let (status, _, body) = get_with_cookie(&profile, Some(&session)).await?;
        if status != 200 || !body.contains(DEMO_USERNAME) {
            return Err(Problem(format!("the profile with the session cookie answered {status}")));
        }
        Ok(session)
    })
    .await?;

    step("call the API", async {
        browser.click("call-api-link").await?;
        wait_for(browser, "api-result", &[]).await?;
        let table = text(browser, "api-result").await?;
        let expected = [("/api/whoami", "200"), ("/api/messages", "200"), ("/api/admin", "403")];
        if api_statuses(&table) != expected {
            return Err(Problem(format!(
                "expected {expected:?} from the API, the page shows:\n{table}"
            )));
        }
        // The API saw the signed-in user's access token (whose `sub` is the login, as at Okta).
        let whoami = format!("\"sub\":\"{DEMO_USERNAME}\"");
        if !table.contains(&whoami) || !table.contains("\"client\":\"demo-client\"") {
            return Err(Problem(format!("the API did not name {DEMO_USERNAME}:\n{table}")));
        }
        Ok(())
    })
    .await?;

    step("sign out", async {
        browser.goto(&profile).await?;
        wait_for(browser, "logout", &["username"]).await?;
        browser.click("logout").await?;
        // Signed out at the devserver too, then back to the post-logout page: the home page.
        wait_for(browser, "login-link", &["greeting"]).await?;
        expect_url(browser, &home).await?;
        expect_text(browser, "greeting", "You are not signed in").await?;
        Ok(())
    })
    .await?;

    step("the session has ended", async {
        // Ended on the server, not only forgotten by the browser: the old cookie leads to login.
        let (status, location, _) = get_with_cookie(&profile, Some(&session)).await?;
        if status != 303 || location.as_deref() != Some("/login?return_to=%2Fprofile") {
            return Err(Problem(format!(
                "the profile with the old session cookie answered {status} to {location:?}, not \
                 303 to the login"
            )));
        }
        Ok(())
    })
    .await?;

    step("the profile asks to sign in again", async {
        browser.goto(&profile).await?;
        // The devserver's session ended as well: its sign-in page, not straight back in.
        wait_for(browser, "username", &["profile-email"]).await?;
        expect_sign_in_page(browser, apps, &callback).await
    })
    .await
}

/// A failed step: its name and what went wrong.
#[derive(Debug)]
struct Failure {
    step: &'static str,
    problem: String,
}

impl Failure {
    /// Saves a screenshot of the page the browser shows under `dir` and describes the failure.
    async fn report(&self, browser: &Browser, dir: &Path) -> String {
        let path = screenshot_path(dir, self.step);
        let screenshot = match browser.screenshot(&path).await {
            Ok(()) => format!("screenshot: {}", path.display()),
            Err(err) => format!("no screenshot: {err}"),
        };
        format!("step `{}` failed: {}\n{screenshot}", self.step, self.problem)
    }
}

/// Why a check failed.
#[derive(Debug)]
struct Problem(String);

impl From<BrowserError> for Problem {
    fn from(err: BrowserError) -> Self {
        Self(err.to_string())
    }
}

/// Runs one named step of the scenario.
async fn step<T>(
    name: &'static str,
    body: impl Future<Output = Result<T, Problem>>,
) -> Result<T, Failure> {
    body.await.map_err(|Problem(problem)| Failure { step: name, problem })
}

/// `target/e2e`, in the target directory cargo builds into.
fn screenshot_dir() -> PathBuf {
    // Cargo's temporary directory for tests is `tmp` in the target directory.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("e2e")
}

/// `webapp-<step in kebab case>.png` in `dir`.
fn screenshot_path(dir: &Path, step: &str) -> PathBuf {
    let slug: String = step
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    dir.join(format!("webapp-{slug}.png"))
}

fn browser_options() -> BrowserOptions {
    let mut options = BrowserOptions::default();
    options.timeout = PAGE_TIMEOUT;
    options
}

/// Waits for `expected`; if one of `instead` shows up first, fails with its text.
async fn wait_for(browser: &Browser, expected: &str, instead: &[&str]) -> Result<(), Problem> {
    let ids: Vec<&str> = std::iter::once(expected).chain(instead.iter().copied()).collect();
    let found = browser.wait_for_any(&ids).await?;
    // The page may have changed between looking for `expected` and finding `found`: look again.
    if found == expected || browser.has_element(expected).await? {
        return Ok(());
    }
    let shown = browser.text_of(&found).await?.unwrap_or_default();
    let url = browser.current_url().await?;
    Err(Problem(format!(
        "expected #{expected} on {}, found #{found} ({shown:?}) instead",
        redacted_url(&url)
    )))
}

/// The text of the element `id`, which must be on the page.
async fn text(browser: &Browser, id: &str) -> Result<String, Problem> {
    browser.text_of(id).await?.ok_or_else(|| Problem(format!("the page has no #{id}")))
}

/// Checks that the element `id` holds `expected`.
async fn expect_text(browser: &Browser, id: &str, expected: &str) -> Result<(), Problem> {
    let shown = text(browser, id).await?;
    if shown.contains(expected) {
        Ok(())
    } else {
        Err(Problem(format!("#{id} says {shown:?}, expected {expected:?}")))
    }
}

/// Checks that the browser shows exactly `expected` (no query, so no `code` or `state`).
async fn expect_url(browser: &Browser, expected: &Url) -> Result<(), Problem> {
    let url = browser.current_url().await?;
    if &url == expected {
        Ok(())
    } else {
        Err(Problem(format!("the browser shows {}, expected {expected}", shown_url(&url))))
    }
}

/// Checks that the browser shows the devserver's sign-in page for a login the app started: the
/// authorize endpoint, asked to come back to the app's callback.
async fn expect_sign_in_page(
    browser: &Browser,
    apps: &Apps,
    callback: &Url,
) -> Result<(), Problem> {
    let url = browser.current_url().await?;
    let redirect_uri =
        url.query_pairs().find(|(name, _)| name == "redirect_uri").map(|(_, value)| value);
    let on_devserver =
        url.origin() == apps.devserver.origin() && url.path() == "/oauth2/default/v1/authorize";
    if on_devserver && redirect_uri.as_deref() == Some(callback.as_str()) {
        Ok(())
    } else {
        Err(Problem(format!(
            "expected the devserver's sign-in page for {callback}, the browser shows {} \
             (redirect_uri {redirect_uri:?})",
            redacted_url(&url)
        )))
    }
}

/// The URL in full when it carries nothing secret, else without its query.
fn shown_url(url: &Url) -> String {
    if url.query().is_some() {
        format!("{}?(query hidden)", redacted_url(url))
    } else {
        url.to_string()
    }
}

/// The status of each API call on the API page, in order: (path, status).
fn api_statuses(table: &str) -> Vec<(&str, &str)> {
    table
        .lines()
        .filter_map(|line| match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["GET", path, status, ..] => Some((*path, *status)),
            _ => None,
        })
        .collect()
}

/// `GET url` as a browser navigation, without following redirects, with the session cookie if
/// given: status, `Location` and body.
async fn get_with_cookie(
    url: &Url,
    session: Option<&str>,
) -> Result<(u16, Option<String>, String), Problem> {
    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    okta_http::install_default_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|err| Problem(format!("no HTTP client: {err}")))?;
    let mut request = http.get(url.as_str()).header("accept", "text/html");
    if let Some(session) = session {
        request = request.header("cookie", format!("{SESSION_COOKIE}={session}"));
    }
    let response =
        request.send().await.map_err(|err| Problem(format!("GET {url} failed: {err}")))?;
    let status = response.status().as_u16();
    let location =
        response.headers().get("location").and_then(|value| value.to_str().ok()).map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    Ok((status, location, body))
}

/// Fails unless the browser (found by its profile directory) and the examples have exited.
async fn assert_nothing_left_running(profile: &str, pids: &[u32]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let browsers = processes_using(profile);
        let examples: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|pid| Path::new(&format!("/proc/{pid}")).exists())
            .collect();
        if browsers.is_empty() && examples.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left running: browser processes {browsers:?}, example processes {examples:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The API example without a browser, against an in-process devserver, under each of its
/// guards: local JWTs, introspection, and a chain over two custom servers. One verifier guards
/// every route; the route rules refuse a token without `messages:read` with 403 and name the
/// scope; the handlers read typed claims whichever verifier checked the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_example_under_each_guard_against_the_devserver() {
    let examples = build_examples().await.unwrap_or_else(|err| panic!("{err}"));
    let messages = AuthorizationServer::new("messages")
        .with_audience("api://messages")
        .with_scope("messages:read")
        .with_policy(
            AccessPolicy::new("Service").for_clients([DEMO_SERVICE_CLIENT_ID]).with_rule(
                PolicyRule::new("Read messages")
                    .with_grant_types([GrantType::ClientCredentials])
                    .with_scopes(["messages:read"]),
            ),
        );
    let devserver =
        DevServer::builder().authorization_server(messages).start().await.expect("devserver");
    let messages_issuer = devserver.issuer("messages");
    let orders_issuer = devserver.issuer(DEMO_ORDERS_SERVER_ID);
    okta_http::install_default_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let service_token = |issuer: String, scope: &'static str| {
        let http = http.clone();
        async move {
            let response = http
                .post(format!("{issuer}/v1/token"))
                .basic_auth(DEMO_SERVICE_CLIENT_ID, Some(DEMO_SERVICE_CLIENT_SECRET))
                .form(&[("grant_type", "client_credentials"), ("scope", scope)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "a token from {issuer}");
            let body: serde_json::Value =
                serde_json::from_str(&response.text().await.unwrap()).unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    // A token with messages:read (server `messages`), one without it (server `orders`).
    let reader = service_token(messages_issuer.clone(), "messages:read").await;
    let orders = service_token(orders_issuer.clone(), "orders:read").await;

    let dir = tempfile::tempdir().unwrap();
    let guards: [(&str, Vec<String>); 3] = [
        ("local", vec![]),
        ("introspection", vec!["--guard".into(), "introspection".into()]),
        ("chain", vec!["--guard".into(), "chain".into(), "--also-issuer".into(), orders_issuer]),
    ];
    let mut out = Vec::new();
    for (name, args) in guards {
        let [port, _, _] = free_ports().unwrap();
        let api = loopback(port).unwrap();
        let mut command = example(&examples.api, dir.path());
        command
            .args(["--port", &port.to_string()])
            .args(&args)
            .env("OKTA_ISSUER", &messages_issuer)
            .env("OKTA_AUDIENCE", "api://messages api://orders")
            .env("OKTA_CLIENT_IDS", DEMO_SERVICE_CLIENT_ID);
        if name == "introspection" {
            // The API introspects with a client of its own (here the demo service app's).
            command
                .env("OKTA_CLIENT_ID", DEMO_SERVICE_CLIENT_ID)
                .env("OKTA_CLIENT_SECRET", DEMO_SERVICE_CLIENT_SECRET);
        }
        let mut process =
            Process::spawn("api", &mut command, dir.path().join(format!("api-{name}.log")))
                .unwrap();
        let whoami = api.join("api/whoami").unwrap();
        process.wait_until_it_answers(&whoami, 401).await.unwrap_or_else(|err| panic!("{err}"));
        for (who, token) in [("reader", &reader), ("orders", &orders)] {
            for path in ["api/whoami", "api/messages"] {
                let response =
                    http.get(api.join(path).unwrap()).bearer_auth(token).send().await.unwrap();
                let status = response.status().as_u16();
                let challenge = response
                    .headers()
                    .get("www-authenticate")
                    .map(|value| value.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                let body = response.text().await.unwrap();
                let sub = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|json| json["sub"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                // Why a token of an issuer the verifier does not know is refused is the
                // verifiers' business (tested in okta-verify): the guard's answer here is 401.
                let challenge = challenge.split(", error_description").next().unwrap_or_default();
                let parts = [format!("{name} {who} /{path} {status}"), challenge.to_owned(), sub];
                let parts: Vec<&str> =
                    parts.iter().map(String::as_str).filter(|part| !part.is_empty()).collect();
                out.push(parts.join(" "));
            }
        }
        drop(process);
    }
    devserver.shutdown().await;
    assert_eq!(
        out,
        [
            "local reader /api/whoami 200 demo-service",
            "local reader /api/messages 200",
            "local orders /api/whoami 401 Bearer error=\"invalid_token\"",
            "local orders /api/messages 401 Bearer error=\"invalid_token\"",
            "introspection reader /api/whoami 200 demo-service",
            "introspection reader /api/messages 200",
            "introspection orders /api/whoami 401 Bearer error=\"invalid_token\"",
            "introspection orders /api/messages 401 Bearer error=\"invalid_token\"",
            "chain reader /api/whoami 200 demo-service",
            "chain reader /api/messages 200",
            "chain orders /api/whoami 200 demo-service",
            "chain orders /api/messages 403 Bearer error=\"insufficient_scope\", scope=\"messages:read\"",
        ]
    );
}

/// The executables of the two examples.
#[derive(Debug)]
struct Examples {
    webapp: PathBuf,
    api: PathBuf,
}

/// Builds the examples with the cargo that runs the tests (`$CARGO`), with the features and
/// packages of `cargo test --workspace` (so that after it nothing is rebuilt), and returns where
/// they are.
async fn build_examples() -> Result<Examples, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the okta-e2e package is not inside the workspace")?;
    let output = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
    let log = output.path().join("build.log");
    let mut command = cargo();
    command.current_dir(workspace).args([
        "build",
        "--workspace",
        "--example",
        "webapp",
        "--example",
        "api",
        "--features",
        "okta-flow/axum,okta-verify/axum",
        "--message-format=json-render-diagnostics",
    ]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let mut build = Process::spawn("cargo build", &mut command, log)?;
    let status = build.wait(BUILD_TIMEOUT).await?;
    let messages = std::fs::read_to_string(&build.log).unwrap_or_default();
    if !status.success() {
        return Err(format!("building the examples failed ({status}):\n{}", build.log_tail(40)));
    }
    let executable = |name: &str| {
        messages
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|message| {
                message["reason"] == "compiler-artifact"
                    && message["target"]["name"] == name
                    && message["target"]["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|kind| kind == "example"))
            })
            .and_then(|message| message["executable"].as_str().map(PathBuf::from))
            .ok_or_else(|| format!("cargo built no example {name}:\n{}", build.log_tail(40)))
    };
    Ok(Examples { webapp: executable("webapp")?, api: executable("api")? })
}

/// The variables cargo sets for the test it runs, which must not reach a nested cargo: some
/// crates read them at compile time (ring reads `CARGO_MANIFEST_DIR`), so the nested build would
/// see them changed, rebuild those crates, and the next `cargo test` rebuild them again.
const TEST_RUN_VARIABLES: [&str; 21] = [
    "CARGO_CRATE_NAME",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_LINKS",
    "CARGO_MANIFEST_PATH",
    "CARGO_PKG_AUTHORS",
    "CARGO_PKG_DESCRIPTION",
    "CARGO_PKG_HOMEPAGE",
    "CARGO_PKG_LICENSE",
    "CARGO_PKG_LICENSE_FILE",
    "CARGO_PKG_NAME",
    "CARGO_PKG_README",
    "CARGO_PKG_REPOSITORY",
    "CARGO_PKG_RUST_VERSION",
    "CARGO_PKG_VERSION",
    "CARGO_PKG_VERSION_MAJOR",
    "CARGO_PKG_VERSION_MINOR",
    "CARGO_PKG_VERSION_PATCH",
    "CARGO_PKG_VERSION_PRE",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_RUSTC_CURRENT_DIR",
    "CARGO_TARGET_TMPDIR",
];

/// The cargo that runs the tests, as xtask finds it, without the variables of this test run.
#[allow(
    clippy::disallowed_methods,
    reason = "cargo tells the processes it runs where it lives in $CARGO, not an Okta setting"
)]
fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for variable in TEST_RUN_VARIABLES {
        command.env_remove(variable);
    }
    command
}

/// The web-app example (with its in-process devserver) and the API example, each a process on a
/// free loopback port, killed on drop.
#[derive(Debug)]
struct Apps {
    /// `http://127.0.0.1:<port>/`, the web app.
    app: Url,
    /// `http://127.0.0.1:<port>/`, the devserver inside the web app.
    devserver: Url,
    webapp: Process,
    api: Process,
    /// Holds the logs, and is the working directory of both (no `okta.toml` there).
    _dir: tempfile::TempDir,
}

impl Apps {
    async fn start(examples: &Examples) -> Result<Self, String> {
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(examples).await {
                Ok(apps) => return Ok(apps),
                Err(err) => last = err,
            }
        }
        Err(format!("the examples did not start ({START_ATTEMPTS} attempts); the last: {last}"))
    }

    async fn try_start(examples: &Examples) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
        let [app_port, devserver_port, api_port] = free_ports()?;
        let app = loopback(app_port)?;
        let devserver = loopback(devserver_port)?;
        let api = loopback(api_port)?;
        let issuer = devserver.join("oauth2/default").map_err(|err| err.to_string())?;

        // The web app is what a developer runs, with three ports chosen instead of the defaults.
        let mut command = example(&examples.webapp, dir.path());
        command.args([
            "--port",
            &app_port.to_string(),
            "--devserver-port",
            &devserver_port.to_string(),
            "--api",
            api.as_str().trim_end_matches('/'),
        ]);
        let mut webapp = Process::spawn("webapp", &mut command, dir.path().join("webapp.log"))?;
        webapp.wait_until_it_answers(&app, 200).await?;

        // The API trusts that devserver as it would trust an Okta org: through OKTA_ISSUER.
        let mut command = example(&examples.api, dir.path());
        // It accepts the web app's tokens only (OKTA_CLIENT_IDS: an API must say whose tokens).
        command
            .args(["--port", &api_port.to_string()])
            .env("OKTA_ISSUER", issuer.as_str())
            .env("OKTA_CLIENT_IDS", DEMO_CLIENT_ID);
        let mut api_process = Process::spawn("api", &mut command, dir.path().join("api.log"))?;
        let whoami = api.join("api/whoami").map_err(|err| err.to_string())?;
        api_process.wait_until_it_answers(&whoami, 401).await?;

        Ok(Self { app, devserver, webapp, api: api_process, _dir: dir })
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.app.clone();
        url.set_path(path);
        url
    }

    fn pids(&self) -> Vec<u32> {
        vec![self.webapp.child.id(), self.api.child.id()]
    }

    /// The end of both logs, for a failure message.
    fn logs(&self) -> String {
        format!(
            "--- webapp log (end) ---\n{}\n--- api log (end) ---\n{}",
            self.webapp.log_tail(40),
            self.api.log_tail(40)
        )
    }
}

/// An example's command: no inherited environment (so no `OKTA_*` setting of the developer's
/// reaches it), info logs without colour, run in `dir`.
fn example(program: &Path, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.env_clear().env("RUST_LOG", "info").env("NO_COLOR", "1").current_dir(dir);
    command
}

fn loopback(port: u16) -> Result<Url, String> {
    Url::parse(&format!("http://127.0.0.1:{port}/")).map_err(|err| err.to_string())
}

/// Three distinct free loopback ports (free when chosen; see [`START_ATTEMPTS`]).
fn free_ports() -> Result<[u16; 3], String> {
    let bind = || {
        TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .map_err(|err| format!("no free port: {err}"))
    };
    // All three are held at once, so they differ.
    let listeners = [bind()?, bind()?, bind()?];
    let mut ports = [0_u16; 3];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr().map_err(|err| err.to_string())?.port();
    }
    Ok(ports)
}

/// A child process with its output in a log file; killed and reaped on drop.
#[derive(Debug)]
struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Process {
    fn spawn(name: &'static str, command: &mut Command, log: PathBuf) -> Result<Self, String> {
        let file =
            File::create(&log).map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let stderr = file.try_clone().map_err(|err| err.to_string())?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(stderr)
            .spawn()
            .map_err(|err| format!("cannot start {name}: {err}"))?;
        Ok(Self { name, child, log })
    }

    /// Waits for the process to exit; kills it after `timeout`.
    async fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not finish within {} s:\n{}",
                    self.name,
                    timeout.as_secs(),
                    self.log_tail(40)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls `url` until it answers `status`; fails if the process exits first or the time
    /// runs out.
    async fn wait_until_it_answers(&mut self, url: &Url, status: u16) -> Result<(), String> {
        okta_http::install_default_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|err| format!("no HTTP client: {err}"))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(response) = http.get(url.as_str()).send().await
                && response.status().as_u16() == status
            {
                return Ok(());
            }
            if let Some(exit) = self.exited()? {
                return Err(format!("{} exited ({exit}):\n{}", self.name, self.log_tail(40)));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not answer {url} with {status} within {} s:\n{}",
                    self.name,
                    START_TIMEOUT.as_secs(),
                    self.log_tail(40)
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn exited(&mut self) -> Result<Option<ExitStatus>, String> {
        self.child.try_wait().map_err(|err| format!("cannot watch {}: {err}", self.name))
    }

    /// The last `lines` lines of the log.
    fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = log.lines().filter(|line| !line.starts_with('{')).collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
