//! The sign-in routes, sessions and extractor, driven in-process against the devserver: a whole
//! sign-in, the hygiene rules (cookies, `return_to`, callback headers, CSRF on logout, session
//! fixation, single-use pending logins), refresh, lifetimes and the builder's checks.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{HeaderMap, Method, Request, StatusCode, header};
use okta_config::{Role, Settings, SettingsLoader};
use okta_devserver::{
    Client, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_POST_LOGOUT_REDIRECT_URI,
    DEMO_REDIRECT_URI, DEMO_USERNAME, DevServer, DevServerBuilder, ManualClock, TokenLifetimes,
};
use okta_verify::Clock;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use tower_sessions::Session;

use crate::axum::{
    AuthSetupError, AuthenticatedUser, CSRF_FIELD, CSRF_HEADER, MemoryStore, OktaAuth,
    OktaAuthBuilder,
};
use crate::{OktaClient, PendingLogin, Revocable};

const COOKIE_SECRET: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[tokio::test]
async fn a_whole_sign_in_keeps_tokens_on_the_server() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();

    let login = browser.get(&app, "/login?return_to=%2Fprofile%3Ftab%3D2", HTML).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert!(login.location().starts_with(&app.server.issuer("default")), "{}", login.location());
    assert_eq!(login.header(header::CACHE_CONTROL), "no-store");
    let pending_cookie = login.set_cookie("okta_login");
    assert!(pending_cookie.contains("HttpOnly") && pending_cookie.contains("SameSite=Lax"));
    assert!(!pending_cookie.contains("Secure"), "no Secure on loopback http: {pending_cookie}");

    let callback_url = okta_sign_in(&app.server, login.location()).await;
    assert!(callback_url.starts_with("/authorization-code/callback?code="), "{callback_url}");
    let callback = browser.get(&app, &callback_url, HTML).await;

    assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", callback.body);
    assert_eq!(callback.location(), "/profile?tab=2");
    assert_eq!(callback.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(callback.header(header::REFERRER_POLICY), "no-referrer");
    assert!(
        callback.set_cookie("okta_login").contains("Max-Age=0"),
        "the pending login is cleared"
    );
    let session_cookie = callback.set_cookie("okta_session");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session_cookie.contains(attribute), "{attribute} missing: {session_cookie}");
    }
    assert!(!session_cookie.contains("Secure"));

    let profile = browser.get(&app, "/profile", HTML).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    let profile: Value = serde_json::from_str(&profile.body).expect("profile JSON");
    assert_eq!(profile["email"], DEMO_USERNAME, "userinfo was fetched at sign-in");
    assert!(profile["sub"].as_str().is_some_and(|sub| sub.starts_with("00u")));
    assert!(
        profile["scopes"]
            .as_array()
            .is_some_and(|scopes| scopes.contains(&json!("offline_access")))
    );

    // The browser holds a session id and nothing else.
    let access_token = profile["access_token"].as_str().expect("an access token");
    for response in [&login, &callback] {
        assert!(!format!("{:?}{}", response.headers, response.body).contains(access_token));
    }
    assert_eq!(browser.cookies.keys().collect::<Vec<_>>(), ["okta_session"]);
    assert!(browser.cookies["okta_session"].len() < 40);
}

#[tokio::test]
async fn cookies_are_secure_with_host_prefix_outside_loopback() {
    const REDIRECT: &str = "https://app.example.com/authorization-code/callback";
    let app = TestApp::with(
        |server| {
            server.client(
                Client::confidential("https-app", "https-app-secret-0123456789abcdefghijk")
                    .with_redirect_uri(REDIRECT),
            )
        },
        |settings| {
            settings
                .set("client_id", "https-app")
                .set("client_secret", "https-app-secret-0123456789abcdefghijk")
                .set("redirect_uri", REDIRECT)
        },
        |auth| auth,
    )
    .await;
    assert!(app.auth.secure_cookies());
    let mut browser = Browser::default();
    let login = browser.get(&app, "/login", HTML).await;
    let pending = login.set_cookie("__Host-okta_login");
    assert!(pending.contains("Secure") && pending.contains("Path=/"), "{pending}");

    let callback_url = okta_sign_in(&app.server, login.location()).await;
    let callback_url =
        callback_url.strip_prefix("https://app.example.com").unwrap_or(&callback_url);
    let callback = browser.get(&app, callback_url, HTML).await;
    assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", callback.body);
    let session = callback.set_cookie("__Host-okta_session");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{attribute} missing: {session}");
    }
    assert!(!session.contains("Domain"), "__Host- cookies have no Domain");
}

#[tokio::test]
async fn sc_039_unsafe_return_to_falls_back_to_the_default() {
    let app = TestApp::start().await;
    let cases = [
        ("/orders?page=2", "/orders?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/%0d%0aSet-Cookie:x", "/"),
        ("/login", "/"),
        ("/LOGIN?again=1", "/"),
        ("/authorization-code/callback?code=x", "/"),
    ];
    for (return_to, expected) in cases {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", return_to)
            .finish();
        let login = Browser::default().get(&app, &format!("/login?{query}"), HTML).await;
        let pending = app.unseal(&login.cookie_value("okta_login"));
        assert_eq!(pending.return_to(), Some(expected), "return_to {return_to:?}");
    }
    // A repeated parameter is ambiguous: neither value is used.
    let login = Browser::default().get(&app, "/login?return_to=/a&return_to=/b", HTML).await;
    assert_eq!(app.unseal(&login.cookie_value("okta_login")).return_to(), Some("/"));
}

#[tokio::test]
async fn sc_038_the_callback_redirect_carries_no_code_or_state() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    let login = browser.get(&app, "/login?return_to=/profile", HTML).await;
    let callback_url = okta_sign_in(&app.server, login.location()).await;
    let callback = browser.get(&app, &callback_url, HTML).await;
    let location = callback.location();
    assert_eq!(location, "/profile");
    assert!(!location.contains("code=") && !location.contains("state="));
    assert_eq!(callback.header(header::REFERRER_POLICY), "no-referrer");
    assert_eq!(callback.header(header::CACHE_CONTROL), "no-store");
}

#[tokio::test]
async fn browsers_without_a_session_are_sent_to_login_and_api_clients_get_401() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();

    let page = browser.get(&app, "/profile?tab=2", HTML).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?return_to=%2Fprofile%3Ftab%3D2");
    assert_eq!(page.header(header::CACHE_CONTROL), "no-store");

    for accept in ["application/json", "*/*", "", "text/html, application/json", "text/html;q=0"] {
        let api = browser.get(&app, "/profile", accept).await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED, "Accept: {accept:?}");
        assert_eq!(api.header(header::CONTENT_TYPE), "application/json");
        let body: Value = serde_json::from_str(&api.body).expect("JSON body");
        assert_eq!(body["error"], "login_required");
        assert_eq!(body["login_url"], "/login?return_to=%2Fprofile");
    }

    // A page that serves anonymous visitors takes `Option<AuthenticatedUser>`.
    let home = browser.get(&app, "/", HTML).await;
    assert_eq!((home.status, home.body.as_str()), (StatusCode::OK, "anonymous"));
}

#[tokio::test]
async fn a_protected_path_that_is_not_a_safe_target_logs_in_without_return_to() {
    let app = TestApp::start().await;
    let too_long = format!("/profile?q={}", "a".repeat(crate::MAX_RETURN_TO_LEN));
    let page = Browser::default().get(&app, &too_long, HTML).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login");
}

#[tokio::test]
async fn access_denied_shows_a_friendly_page_and_clears_the_pending_login() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    let login = browser.get(&app, "/login", HTML).await;
    let state = query_param(login.location(), "state");
    let callback = browser
        .get(
            &app,
            &format!("/authorization-code/callback?error=access_denied&error_description=User+said+no&state={state}"),
            HTML,
        )
        .await;
    assert_eq!(callback.status, StatusCode::FORBIDDEN);
    assert!(callback.body.contains("Access denied"), "{}", callback.body);
    assert!(callback.body.contains(r#"href="/login""#));
    assert_eq!(callback.header(header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(callback.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(callback.header(header::REFERRER_POLICY), "no-referrer");
    assert!(callback.set_cookie("okta_login").contains("Max-Age=0"));
    assert!(browser.cookies.is_empty(), "no session, no pending login: {:?}", browser.cookies);
}

#[tokio::test]
async fn a_callback_without_its_pending_login_is_refused_and_still_clears_the_cookie() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    let callback = browser.get(&app, "/authorization-code/callback?code=abc&state=xyz", HTML).await;
    assert_eq!(callback.status, StatusCode::BAD_REQUEST);
    assert!(callback.body.contains("did not start in this browser"), "{}", callback.body);
    assert!(callback.set_cookie("okta_login").contains("Max-Age=0"));
    assert_eq!(callback.header(header::REFERRER_POLICY), "no-referrer");

    // Forged state: the pending login is there, but the state is not its own.
    let login = browser.get(&app, "/login", HTML).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let forged =
        browser.get(&app, "/authorization-code/callback?code=abc&state=forged", HTML).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(forged.set_cookie("okta_login").contains("Max-Age=0"));
    assert!(browser.cookies.is_empty());
}

#[tokio::test]
async fn an_expired_pending_login_asks_to_sign_in_again() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    let login = browser.get(&app, "/login", HTML).await;
    let callback_url = okta_sign_in(&app.server, login.location()).await;
    app.clock.advance(Duration::from_mins(5) + Duration::from_mins(3));
    let callback = browser.get(&app, &callback_url, HTML).await;
    assert_eq!(callback.status, StatusCode::BAD_REQUEST);
    assert!(callback.body.contains("more than five minutes"), "{}", callback.body);
}

#[tokio::test]
async fn a_replayed_pending_login_cannot_sign_in_twice() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    let login = browser.get(&app, "/login", HTML).await;
    let sealed = login.cookie_value("okta_login");
    let callback_url = okta_sign_in(&app.server, login.location()).await;
    let first = browser.get(&app, &callback_url, HTML).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);

    // Another browser replays the cookie and the callback URL: the code is single-use.
    let mut attacker = Browser::default();
    attacker.cookies.insert("okta_login".to_owned(), sealed);
    let replay = attacker.get(&app, &callback_url, HTML).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.body);
    assert!(replay.set_cookie("okta_login").contains("Max-Age=0"));
    assert!(!attacker.cookies.contains_key("okta_session"));
}

/// The sealed pending-login cookie used to finish a sign-in again with a new code (the same
/// authorization URL signed in again at Okta, here as another user) for five minutes: the
/// store now records its use, for every replica that shares it.
#[tokio::test]
async fn a_used_pending_login_cannot_finish_a_sign_in_with_a_new_code() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    let login = browser.get(&app, "/login", HTML).await;
    let sealed = login.cookie_value("okta_login");
    let callback_url = okta_sign_in(&app.server, login.location()).await;
    let first = browser.get(&app, &callback_url, HTML).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);

    let new_code = okta_sign_in_as(
        &app.server,
        login.location(),
        okta_devserver::DEMO_SECOND_USERNAME,
        okta_devserver::DEMO_SECOND_PASSWORD,
    )
    .await;
    assert_ne!(new_code, callback_url, "Okta issued a new code for the same request");
    let mut attacker = Browser::default();
    attacker.cookies.insert("okta_login".to_owned(), sealed);
    let replay = attacker.get(&app, &new_code, HTML).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.body);
    assert!(replay.body.contains("already been used"), "{}", replay.body);
    assert!(!attacker.cookies.contains_key("okta_session"));
}

/// Every failure of the code exchange ends, within a few redirects, on a page that says what
/// happened and what to try, and the log tells the operator which setting to check. A wrong
/// client secret used to end on a 400 "sign in again" page whose link led through Okta back to
/// the same page, forever.
#[tokio::test]
async fn every_failed_code_exchange_ends_on_a_page_that_says_what_to_do() {
    struct Case {
        name: &'static str,
        status: StatusCode,
        title: &'static str,
        retry_link: bool,
        operator_fix: &'static str,
    }
    let cases = [
        Case {
            name: "invalid_client",
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Sign-in is not working",
            retry_link: false,
            operator_fix: "client_secret (OKTA_CLIENT_SECRET)",
        },
        Case {
            name: "invalid_grant",
            status: StatusCode::BAD_REQUEST,
            title: "Sign-in expired",
            retry_link: true,
            operator_fix: "redirect_uri (OKTA_REDIRECT_URI)",
        },
        Case {
            name: "outage",
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "Okta is unavailable",
            retry_link: true,
            operator_fix: "http.proxy",
        },
    ];
    for case in cases {
        let app = if case.name == "invalid_client" {
            TestApp::with(
                |server| server,
                |settings| settings.set("client_secret", "not-the-client-secret-0123456789abcdef"),
                |auth| auth,
            )
            .await
        } else {
            TestApp::start().await
        };
        match case.name {
            "invalid_grant" => app.server.faults().arm_always(okta_devserver::Fault::InvalidGrant),
            "outage" => app.server.faults().arm_always(okta_devserver::Fault::ServerError {
                endpoint: okta_devserver::Endpoint::Token,
                status: 503,
            }),
            _ => {}
        }
        let logs = CapturedLogs::default();
        let _guard = logs.install();
        let mut browser = Browser::default();
        // The user opens a page, and clicks the page's link as long as there is one: each
        // attempt ends on the same page after a bounded number of redirects.
        let mut start = "/profile".to_owned();
        for attempt in 0..3 {
            let (page, redirects) = follow(&app, &mut browser, &start, 6).await;
            let name = case.name;
            assert!(redirects <= 4, "{name}: {redirects} redirects");
            assert_eq!(page.status, case.status, "{name}, attempt {attempt}: {}", page.body);
            assert!(page.body.contains(case.title), "{name}: {}", page.body);
            assert_eq!(
                page.body.contains("auth-error-link"),
                case.retry_link,
                "{name}: {}",
                page.body
            );
            if case.status == StatusCode::SERVICE_UNAVAILABLE {
                assert_eq!(page.header(header::RETRY_AFTER), "30", "{name}");
            }
            let Some(link) = page.body.split(r#"id="auth-error-link" href=""#).nth(1) else {
                break;
            };
            start = link.split('"').next().expect("a link").to_owned();
        }
        let logged = logs.text();
        assert!(
            logged.contains(case.operator_fix),
            "{}: the log names the fix: {logged}",
            case.name
        );
        assert!(!logged.contains("not-the-client-secret"), "no secret in the log: {logged}");
    }
}

/// Okta's own error redirects (RFC 6749 §4.1.2.1) each get a page that says what happened, with
/// a link to try again.
#[tokio::test]
async fn okta_error_redirects_get_readable_pages_with_a_retry_link() {
    let app = TestApp::start().await;
    let cases = [
        (
            "access_denied",
            "User is not assigned to the client application.",
            StatusCode::FORBIDDEN,
            "No access to this application",
            "Try again",
        ),
        (
            "access_denied",
            "The resource owner or authorization server denied the request.",
            StatusCode::FORBIDDEN,
            "Access denied",
            "Try again",
        ),
        (
            "login_required",
            "The client specified not to prompt, but the user is not logged in.",
            StatusCode::UNAUTHORIZED,
            "Please sign in",
            "Sign in",
        ),
    ];
    for (error, description, status, title, link) in cases {
        let mut browser = Browser::default();
        let login = browser.get(&app, "/login", HTML).await;
        let authorize = url::Url::parse(login.location()).expect("authorize URL");
        let state = authorize.query_pairs().find(|(name, _)| name == "state").expect("state").1;
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("error", error)
            .append_pair("error_description", description)
            .append_pair("state", &state)
            .append_pair("iss", &app.server.issuer("default"))
            .finish();
        let page = browser.get(&app, &format!("/authorization-code/callback?{query}"), HTML).await;
        assert_eq!(page.status, status, "{error}: {}", page.body);
        assert!(page.body.contains(title), "{error} ({description}): {}", page.body);
        assert!(
            page.body.contains(&format!(r#"<a id="auth-error-link" href="/login">{link}</a>"#)),
            "{error}: {}",
            page.body
        );
    }
}

/// Follows every redirect from `start` as a browser does, signing in at Okta when sent there, at
/// most `max` of them; returns the final response and how many redirects led to it.
async fn follow(
    app: &TestApp,
    browser: &mut Browser,
    start: &str,
    max: usize,
) -> (TestResponse, usize) {
    let issuer = app.server.issuer("default");
    let mut uri = start.to_owned();
    for redirects in 0..=max {
        let response = browser.get(app, &uri, HTML).await;
        if !response.status.is_redirection() {
            return (response, redirects);
        }
        let location = response.location().to_owned();
        uri = if location.starts_with(&issuer) {
            okta_sign_in(&app.server, &location).await
        } else {
            location
        };
    }
    panic!("more than {max} redirects from {start}: a loop");
}

/// The log lines written while [`install`](Self::install)'s guard lives (this thread).
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Routes that require a group or a claim: a member gets in, another signed-in user gets a 403
/// page naming what is missing (JSON for API clients), and a visitor is sent to sign in.
#[tokio::test]
async fn routes_can_require_a_group_or_a_claim_and_say_what_is_missing() {
    use crate::axum::Requirement;
    // The default server with Okta's usual groups claim (ID token and /userinfo).
    let mut app = TestApp::with(
        |server| {
            server.authorization_server(
                okta_devserver::AuthorizationServer::new("default")
                    .with_claim(okta_devserver::CustomClaim::groups()),
            )
        },
        |settings| settings,
        |auth| auth,
    )
    .await;
    let auth = app.auth.clone();
    app.router = Router::new()
        .route("/admin", get(home).route_layer(auth.require(Requirement::group("Admins"))))
        .route(
            "/finance",
            get(home).route_layer(
                auth.require(Requirement::claim("email_verified"))
                    .and(Requirement::claim_equals("groups", "Finance")),
            ),
        )
        .route("/everyone", get(home).route_layer(auth.require(Requirement::group("Everyone"))))
        .merge(auth.routes())
        .layer(auth.layer(app.store.clone()));

    let visitor = Browser::default().get(&app, "/admin", HTML).await;
    assert_eq!(
        (visitor.status, visitor.location()),
        (StatusCode::SEE_OTHER, "/login?return_to=%2Fadmin")
    );

    // Alice is in Everyone, Engineering and Admins.
    let mut alice = Browser::default();
    app.sign_in(&mut alice).await;
    let admin = alice.get(&app, "/admin", HTML).await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.body);
    let finance = alice.get(&app, "/finance", HTML).await;
    assert_eq!(finance.status, StatusCode::FORBIDDEN, "{}", finance.body);
    assert!(finance.body.contains("Access needed"), "{}", finance.body);
    assert!(
        finance
            .body
            .contains("requires the claim &quot;groups&quot; with the value &quot;Finance&quot;"),
        "names what is missing, not what is there: {}",
        finance.body
    );
    assert!(!finance.body.contains("email_verified"), "{}", finance.body);

    // Bob is in Everyone only.
    let mut bob = Browser::default();
    let login = bob.get(&app, "/login", HTML).await;
    let callback = okta_sign_in_as(
        &app.server,
        login.location(),
        okta_devserver::DEMO_SECOND_USERNAME,
        okta_devserver::DEMO_SECOND_PASSWORD,
    )
    .await;
    assert_eq!(bob.get(&app, &callback, HTML).await.status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get(&app, "/everyone", HTML).await.status, StatusCode::OK);
    let page = bob.get(&app, "/admin", HTML).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("membership of the group &quot;Admins&quot;"), "{}", page.body);
    let api = bob.get(&app, "/admin", "application/json").await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    let json: Value = serde_json::from_str(&api.body).expect("JSON");
    assert_eq!(
        json,
        json!({"error": "forbidden", "missing": ["membership of the group \"Admins\""]})
    );
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    let visit = browser.get(&app, "/visit", HTML).await;
    assert_eq!(visit.status, StatusCode::OK);
    let anonymous_id = browser.cookies["okta_session"].clone();

    app.sign_in(&mut browser).await;
    let signed_in_id = browser.cookies["okta_session"].clone();
    assert_ne!(anonymous_id, signed_in_id, "session fixation: the id must change");
    let visits = browser.get(&app, "/visit", HTML).await;
    assert_eq!(visits.body, "2", "the anonymous session's data is kept");

    // The fixed id is worth nothing.
    let mut attacker = Browser::default();
    attacker.cookies.insert("okta_session".to_owned(), anonymous_id);
    assert_eq!(
        attacker.get(&app, "/profile", "application/json").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_needs_a_post_with_the_csrf_token() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let profile: Value =
        serde_json::from_str(&browser.get(&app, "/profile", HTML).await.body).expect("JSON");
    let csrf = profile["csrf"].as_str().expect("a CSRF token").to_owned();

    let get = browser.get(&app, "/logout", HTML).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    for body in ["", "csrf_token=", "csrf_token=wrong", &format!("other={csrf}")] {
        let forged = browser.post_form(&app, "/logout", body, &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "body {body:?}");
        assert!(forged.body.contains("Sign-out refused"));
    }
    let wrong_header = browser.post_form(&app, "/logout", "", &[(CSRF_HEADER, "nope")]).await;
    assert_eq!(wrong_header.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.get(&app, "/profile", HTML).await.status, StatusCode::OK, "still signed in");

    let revocations = app.server.count(Method::POST, "/oauth2/default/v1/revoke");
    let logout = browser.post_form(&app, "/logout", &format!("{CSRF_FIELD}={csrf}"), &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
    let okta_logout = logout.location();
    assert!(okta_logout.starts_with(&format!("{}/v1/logout?", app.server.issuer("default"))));
    assert!(okta_logout.contains("id_token_hint="));
    assert_eq!(query_param(okta_logout, "post_logout_redirect_uri"), DEMO_POST_LOGOUT_REDIRECT_URI);
    assert_eq!(app.server.count(Method::POST, "/oauth2/default/v1/revoke"), revocations + 1);
    assert!(logout.set_cookie("okta_session").contains("Max-Age=0"));
    assert!(browser.cookies.is_empty());
    assert_eq!(browser.get(&app, "/profile", HTML).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn logout_accepts_the_token_in_a_header_and_ends_the_session_in_the_store() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let profile: Value =
        serde_json::from_str(&browser.get(&app, "/profile", HTML).await.body).expect("JSON");
    let csrf = profile["csrf"].as_str().expect("a CSRF token").to_owned();
    let stolen_cookie = browser.cookies["okta_session"].clone();

    let logout = browser.post_form(&app, "/logout", "", &[(CSRF_HEADER, &csrf)]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);

    // The session is gone from the store, not just from this browser.
    let mut replay = Browser::default();
    replay.cookies.insert("okta_session".to_owned(), stolen_cookie);
    assert_eq!(
        replay.get(&app, "/profile", "application/json").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Signed out already: a second logout just goes home.
    let again = replay.post_form(&app, "/logout", "", &[]).await;
    assert_eq!((again.status, again.location()), (StatusCode::SEE_OTHER, "/"));
}

/// While the session store is down (Redis restarting), every answer that needs it is a `503`
/// that says when to try again (`Retry-After`), for browsers and API clients, on protected
/// pages, optional-user pages and the sign-out; and the session is still there afterwards. The
/// store's `503`s had no `Retry-After` (found by `cargo xtask chaos`).
#[tokio::test]
async fn a_session_store_outage_is_a_503_with_retry_after_and_the_session_survives_it() {
    let mut app = TestApp::start().await;
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let store = SwitchableStore { inner: app.store.clone(), down: down.clone() };
    app.router = self::app(&app.auth, &app.in_flight, &store);
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let csrf = app.profile(&mut browser).await["csrf"].as_str().expect("csrf").to_owned();

    down.store(true, std::sync::atomic::Ordering::SeqCst);
    for (path, accept) in [("/profile", HTML), ("/profile", "application/json"), ("/", HTML)] {
        let page = browser.get(&app, path, accept).await;
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path} ({accept}): {}",
            page.body
        );
        assert_eq!(page.header(header::RETRY_AFTER), "5", "{path} ({accept})");
    }
    let logout = browser.post_form(&app, "/logout", "", &[(CSRF_HEADER, &csrf)]).await;
    assert_eq!(logout.status, StatusCode::SERVICE_UNAVAILABLE, "{}", logout.body);
    assert_eq!(logout.header(header::RETRY_AFTER), "5");

    down.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(app.profile(&mut browser).await["csrf"], csrf.as_str(), "the same session");
}

/// A session store that fails while `down` is set, as Redis does while it restarts.
#[derive(Clone, Debug)]
struct SwitchableStore {
    inner: MemoryStore,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl SwitchableStore {
    fn check(&self) -> tower_sessions::session_store::Result<()> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(tower_sessions::session_store::Error::Backend("the store is down".into()));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for SwitchableStore {
    async fn create(
        &self,
        record: &mut tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.check()?;
        self.inner.create(record).await
    }

    async fn save(
        &self,
        record: &tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.check()?;
        self.inner.save(record).await
    }

    async fn load(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>> {
        self.check()?;
        self.inner.load(id).await
    }

    async fn delete(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<()> {
        self.check()?;
        self.inner.delete(id).await
    }
}

/// A request that loaded the session before the sign-out and writes it after (here: the
/// app's own data; a refresh or the idle-expiry push do the same) must not bring the session
/// back: the memory store used to re-insert the deleted record.
#[tokio::test]
async fn a_request_in_flight_at_sign_out_cannot_bring_the_session_back() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let csrf = app.profile(&mut browser).await["csrf"].as_str().expect("csrf").to_owned();
    let stolen = browser.cookies.clone();

    // The request starts, loads the signed-in user, and waits before writing the session.
    let mut in_flight = Browser { cookies: stolen.clone() };
    let pending = {
        let app = &app;
        async move { in_flight.get(app, "/in-flight", HTML).await }
    };
    let (finished, ()) = tokio::join!(pending, async {
        app.in_flight.entered.notified().await;
        let logout = browser.post_form(&app, "/logout", &format!("{CSRF_FIELD}={csrf}"), &[]).await;
        assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
        app.in_flight.release.notify_one();
    });
    assert!(
        finished.status == StatusCode::OK || finished.status == StatusCode::SEE_OTHER,
        "the request in flight gets a normal answer, not {}: {}",
        finished.status,
        finished.body
    );

    // After the sign-out, the old session cookie is worth nothing.
    let mut replay = Browser { cookies: stolen };
    let after = replay.get(&app, "/profile", "application/json").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "the session came back: {}", after.body);
}

/// A copy of the store (a Redis dump, a backup) must give neither a session id a browser could
/// present nor a token: the record is encrypted and stored under a keyed digest of the id. The
/// tokens used to lie in the store in the clear, under the session id itself.
#[tokio::test]
async fn the_store_holds_neither_the_session_id_nor_any_token() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let profile = app.profile(&mut browser).await;
    let page = browser.get(&app, "/record", "application/json").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let record: Value = serde_json::from_str(&page.body).expect("record JSON");

    let records = app.store.raw_records();
    assert_eq!(records.len(), 2, "the session and the used pending login's marker");
    let raw = serde_json::to_string(&records).expect("JSON");
    let cookie = browser.cookies["okta_session"].clone();
    let id: tower_sessions::session::Id = cookie.parse().expect("a session id");
    let mut secrets = vec![cookie.clone(), id.0.to_string()];
    for field in ["access_token", "id_token", "refresh_token", "csrf"] {
        let value = record[field].as_str().expect(field);
        assert!(value.len() > 16, "{field} is a real value");
        secrets.push(value.to_owned());
    }
    secrets.push(profile["sub"].as_str().expect("sub").to_owned());
    secrets.push(profile["email"].as_str().expect("email").to_owned());
    for secret in &secrets {
        assert!(!raw.contains(secret.as_str()), "the store shows {secret:?}: {raw}");
    }
    assert!(records.iter().all(|record| record.id != id), "stored under a digest, not the id");
    for name in ["access_token", "refresh_token", "id_token"] {
        assert!(!raw.contains(name), "no field names either: {raw}");
    }
}

#[tokio::test]
async fn without_a_post_logout_uri_logout_goes_to_the_default_page() {
    let app = TestApp::with(
        |server| server,
        |settings| settings,
        |auth| auth.default_return_to("/goodbye"),
    )
    .await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let profile: Value =
        serde_json::from_str(&browser.get(&app, "/profile", HTML).await.body).expect("JSON");
    let csrf = profile["csrf"].as_str().expect("csrf");
    let logout = browser.post_form(&app, "/logout", &format!("{CSRF_FIELD}={csrf}"), &[]).await;
    assert_eq!((logout.status, logout.location()), (StatusCode::SEE_OTHER, "/goodbye"));
}

#[tokio::test]
async fn the_access_token_is_refreshed_shortly_before_it_expires() {
    let app = TestApp::with(
        |server| {
            server.lifetimes(TokenLifetimes::default().with_access_token(Duration::from_mins(10)))
        },
        |settings| settings,
        |auth| auth.refresh_margin(Duration::from_mins(1)),
    )
    .await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let first = app.profile(&mut browser).await;

    app.clock.advance(Duration::from_mins(8));
    let refresh_grants = app.server.count(Method::POST, "/oauth2/default/v1/token");
    assert_eq!(app.profile(&mut browser).await["access_token"], first["access_token"], "not yet");
    assert_eq!(app.server.count(Method::POST, "/oauth2/default/v1/token"), refresh_grants);

    app.clock.advance(Duration::from_secs(90)); // 30 s before expiry: within the margin
    let refreshed = app.profile(&mut browser).await;
    assert_ne!(refreshed["access_token"], first["access_token"]);
    assert_eq!(refreshed["sub"], first["sub"]);
    assert_eq!(app.server.count(Method::POST, "/oauth2/default/v1/token"), refresh_grants + 1);
    // The new token is kept in the session: no second refresh.
    assert_eq!(app.profile(&mut browser).await["access_token"], refreshed["access_token"]);
    assert_eq!(app.server.count(Method::POST, "/oauth2/default/v1/token"), refresh_grants + 1);
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let refresh_token = app.refresh_token_of(&mut browser).await;
    app.auth
        .client()
        .revoke(Revocable::RefreshToken(&crate::RefreshToken::new(refresh_token)))
        .await
        .expect("revoked");

    app.clock.advance(Duration::from_mins(59) + Duration::from_secs(30));
    let page = browser.get(&app, "/profile", HTML).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?return_to=%2Fprofile");
    assert!(browser.cookies.is_empty(), "the session cookie is removed: {:?}", browser.cookies);
}

#[tokio::test]
async fn without_a_refresh_token_the_session_ends_with_the_access_token() {
    let app = TestApp::with(
        |server| server,
        |settings| settings.set("scopes", ["openid", "profile", "email"]),
        |auth| auth,
    )
    .await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    app.clock.advance(Duration::from_mins(59) + Duration::from_secs(30));
    assert_eq!(browser.get(&app, "/profile", HTML).await.status, StatusCode::OK, "still valid");
    app.clock.advance(Duration::from_mins(1));
    assert_eq!(
        browser.get(&app, "/profile", "application/json").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_unreachable_okta_with_an_expired_token_is_a_503_not_a_sign_out() {
    let app = TestApp::start().await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    app.clock.advance(Duration::from_mins(61));
    app.server.faults().arm(okta_devserver::Fault::ServerError {
        endpoint: okta_devserver::Endpoint::Token,
        status: 503,
    });
    let page = browser.get(&app, "/profile", "application/json").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{}", page.body);
    assert!(page.body.contains("okta_unavailable"));
    // Okta is back: the same session refreshes and goes on.
    assert_eq!(browser.get(&app, "/profile", HTML).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_session_ends_at_its_maximum_lifetime() {
    let app = TestApp::with(
        |server| server,
        |settings| settings,
        |auth| auth.max_lifetime(Duration::from_mins(30)),
    )
    .await;
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    app.clock.advance(Duration::from_mins(29));
    assert_eq!(browser.get(&app, "/profile", HTML).await.status, StatusCode::OK);
    app.clock.advance(Duration::from_mins(1));
    assert_eq!(browser.get(&app, "/profile", HTML).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_extractor_without_the_layer_is_a_500() {
    let router: Router = Router::new().route("/profile", get(profile));
    let response = router
        .oneshot(
            Request::get("/profile")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn the_builder_refuses_unusable_paths_and_durations() {
    let app = TestApp::start().await;
    let client = app.auth.client().clone();
    let cases: Vec<(OktaAuthBuilder, &str)> = vec![
        (OktaAuth::builder(client.clone()).login_path("login"), "login"),
        (OktaAuth::builder(client.clone()).logout_path("/log//out"), "logout"),
        (OktaAuth::builder(client.clone()).login_path("/logout"), "logout"),
        (OktaAuth::builder(client.clone()).login_path("/authorization-code/callback"), "callback"),
        (OktaAuth::builder(client.clone()).login_path("/{id}"), "login"),
        (
            OktaAuth::builder(client.clone()).default_return_to("//evil.example"),
            "default_return_to",
        ),
        (
            OktaAuth::builder(client.clone()).refresh_margin(Duration::from_hours(1)),
            "refresh_margin",
        ),
        (OktaAuth::builder(client.clone()).idle_timeout(Duration::ZERO), "idle_timeout"),
        (OktaAuth::builder(client.clone()).max_lifetime(Duration::from_secs(1)), "max_lifetime"),
    ];
    for (builder, expected) in cases {
        match builder.build() {
            Err(
                AuthSetupError::InvalidPath { name, .. }
                | AuthSetupError::InvalidDuration { name, .. },
            ) => {
                assert_eq!(name, expected);
            }
            other => panic!("expected an error about {expected}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_redirect_uri_without_a_path_of_its_own_is_refused() {
    const SECRET: &str = "root-app-secret-0123456789abcdefghijk";
    let (_server, client) = client_with(
        |server| {
            server.client(
                Client::confidential("root-app", SECRET)
                    .with_redirect_uri("http://localhost:8080/"),
            )
        },
        |settings| {
            settings
                .set("client_id", "root-app")
                .set("client_secret", SECRET)
                .set("redirect_uri", "http://localhost:8080/")
        },
        &ManualClock::starting_now(),
    )
    .await;
    let err = OktaAuth::new(client).expect_err("a callback at / would shadow the home page");
    assert!(matches!(err, AuthSetupError::InvalidPath { name: "callback", .. }), "{err}");
}

#[tokio::test]
async fn the_flow_futures_run_on_spawned_tasks() {
    // Axum handlers and `tokio::spawn` need `Send + 'static` futures.
    let app = TestApp::start().await;
    let client = app.auth.client().clone();
    let token = crate::RefreshToken::new("unknown".to_owned());
    let result = tokio::spawn(async move { client.refresh(&token, "00u1user").await })
        .await
        .expect("the task ran");
    assert_eq!(result.expect_err("an unknown refresh token").kind(), "token_endpoint_error");
}

// ----------------------------------------------------------------------------------------------
// Harness: a devserver, an app with the routes, and a browser that keeps cookies.

struct TestApp {
    server: DevServer,
    clock: ManualClock,
    auth: OktaAuth,
    router: Router,
    in_flight: std::sync::Arc<InFlight>,
    /// The store under the app's `SealedStore`.
    store: MemoryStore,
}

/// Holds the `/in-flight` handler between loading the user and writing the session.
#[derive(Default)]
struct InFlight {
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl TestApp {
    /// The demo client with `offline_access` and a post-logout redirect URI.
    async fn start() -> Self {
        Self::with(
            |server| server,
            |settings| settings.set("post_logout_redirect_uri", DEMO_POST_LOGOUT_REDIRECT_URI),
            |auth| auth,
        )
        .await
    }

    async fn with(
        server: impl FnOnce(DevServerBuilder) -> DevServerBuilder,
        settings: impl FnOnce(SettingsLoader) -> SettingsLoader,
        auth: impl FnOnce(OktaAuthBuilder) -> OktaAuthBuilder,
    ) -> Self {
        let clock = ManualClock::starting_now();
        let (server, client) = client_with(server, settings, &clock).await;
        let auth = auth(OktaAuth::builder(client)).build().expect("valid OktaAuth");
        let in_flight = std::sync::Arc::new(InFlight::default());
        let store = MemoryStore::new();
        let router = app(&auth, &in_flight, &store);
        Self { server, clock, auth, router, in_flight, store }
    }

    async fn sign_in(&self, browser: &mut Browser) {
        let login = browser.get(self, "/login", HTML).await;
        let callback_url = okta_sign_in(&self.server, login.location()).await;
        let callback = browser.get(self, &callback_url, HTML).await;
        assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", callback.body);
    }

    async fn profile(&self, browser: &mut Browser) -> Value {
        let page = browser.get(self, "/profile", HTML).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        serde_json::from_str(&page.body).expect("profile JSON")
    }

    async fn refresh_token_of(&self, browser: &mut Browser) -> String {
        let page = browser.get(self, "/refresh-token", HTML).await;
        assert_eq!(page.status, StatusCode::OK);
        page.body
    }

    fn unseal(&self, sealed: &str) -> PendingLogin {
        let client = self.auth.client();
        PendingLogin::unseal(client.sealing_key(), sealed, client.clock().now(), client.leeway())
            .expect("a pending login sealed by the app")
    }
}

/// A devserver and a client of its `default` server, both on `clock`.
async fn client_with(
    server: impl FnOnce(DevServerBuilder) -> DevServerBuilder,
    settings: impl FnOnce(SettingsLoader) -> SettingsLoader,
    clock: &ManualClock,
) -> (DevServer, OktaClient) {
    let server =
        server(DevServer::builder().clock(clock.clone())).start().await.expect("devserver");
    let issuer = server.issuer("default");
    let settings = settings(
        SettingsLoader::isolated()
            .set("issuer", issuer.as_str())
            .set("client_id", DEMO_CLIENT_ID)
            .set("client_secret", DEMO_CLIENT_SECRET)
            .set("redirect_uri", DEMO_REDIRECT_URI)
            .set("scopes", ["openid", "profile", "email", "offline_access"])
            .set("cookie_secret", COOKIE_SECRET),
    )
    .role(Role::Client)
    .load()
    .expect("valid settings");
    let manual = clock.clone();
    let client = OktaClient::builder(&settings)
        .clock(Clock::from_fn(move || manual.now()))
        .discover()
        .await
        .expect("discovery");
    (server, client)
}

fn app<S: tower_sessions::SessionStore + Clone>(
    auth: &OktaAuth,
    in_flight: &std::sync::Arc<InFlight>,
    store: &S,
) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/profile", get(profile))
        .route("/refresh-token", get(refresh_token))
        .route("/visit", get(visit))
        .route("/record", get(stored_record))
        .route("/in-flight", get(in_flight_request))
        .layer(axum::Extension(in_flight.clone()))
        .merge(auth.routes())
        .layer(auth.layer(store.clone()))
}

/// Loads the user, waits for the test, then writes to the session.
async fn in_flight_request(
    axum::Extension(gate): axum::Extension<std::sync::Arc<InFlight>>,
    user: AuthenticatedUser,
    session: Session,
) -> String {
    gate.entered.notify_one();
    gate.release.notified().await;
    let _ = session.insert("visits", 1_u32).await;
    user.subject().to_owned()
}

async fn home(user: Option<AuthenticatedUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| format!("hello {}", user.subject()))
}

async fn profile(user: AuthenticatedUser) -> String {
    json!({
        "sub": user.subject(),
        "email": user.userinfo().and_then(|info| info.email()),
        "access_token": user.access_token().secret(),
        "scopes": user.scopes(),
        "csrf": user.csrf_token(),
    })
    .to_string()
}

/// The stored user record (tests only: a real app never shows it).
async fn stored_record(_user: AuthenticatedUser, session: Session) -> String {
    let record: Option<Value> = session.get(crate::axum::session::USER_KEY).await.expect("store");
    record.expect("a signed-in user").to_string()
}

/// Reads the stored refresh token (tests only: a real app never shows it).
async fn refresh_token(_user: AuthenticatedUser, session: Session) -> String {
    let record: Option<Value> = session.get(crate::axum::session::USER_KEY).await.expect("store");
    record
        .and_then(|record| record["refresh_token"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn visit(session: Session) -> String {
    let visits: u32 = session.get("visits").await.expect("store").unwrap_or(0) + 1;
    session.insert("visits", visits).await.expect("store");
    visits.to_string()
}

/// A browser: keeps the app's cookies, sends them back, and absorbs `Set-Cookie`.
#[derive(Default)]
struct Browser {
    cookies: BTreeMap<String, String>,
}

struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Browser {
    async fn get(&mut self, app: &TestApp, uri: &str, accept: &str) -> TestResponse {
        let mut request = Request::get(uri);
        if !accept.is_empty() {
            request = request.header(header::ACCEPT, accept);
        }
        self.send(app, request, Body::empty()).await
    }

    async fn post_form(
        &mut self,
        app: &TestApp,
        uri: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = Request::post(uri)
            .header(header::ACCEPT, HTML)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(app, request, Body::from(body.to_owned())).await
    }

    async fn send(
        &mut self,
        app: &TestApp,
        mut request: http::request::Builder,
        body: Body,
    ) -> TestResponse {
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>();
            request = request.header(header::COOKIE, cookie.join("; "));
        }
        let response = app
            .router
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("infallible");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.expect("body");
        for set_cookie in parts.headers.get_all(header::SET_COOKIE) {
            let set_cookie = set_cookie.to_str().expect("ASCII cookie");
            let (pair, attributes) = set_cookie.split_once(';').unwrap_or((set_cookie, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        }
    }
}

impl TestResponse {
    fn header(&self, name: impl header::AsHeaderName) -> &str {
        self.headers.get(name).map_or("", |value| value.to_str().expect("ASCII header"))
    }

    fn location(&self) -> &str {
        self.header(header::LOCATION)
    }

    /// The `Set-Cookie` header for `name`.
    fn set_cookie(&self, name: &str) -> String {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| value.to_str().expect("ASCII cookie").to_owned())
            .find(|value| value.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no Set-Cookie for {name} in {:?}", self.headers))
    }

    fn cookie_value(&self, name: &str) -> String {
        let cookie = self.set_cookie(name);
        let pair = cookie.split(';').next().unwrap_or_default();
        pair.split_once('=').map(|(_, value)| value.to_owned()).unwrap_or_default()
    }
}

/// What the user does at Okta: signs in (headlessly, with a `sessionToken`) and comes back.
/// Returns the path and query of the callback URL.
async fn okta_sign_in(server: &DevServer, authorize_url: &str) -> String {
    okta_sign_in_as(server, authorize_url, DEMO_USERNAME, DEMO_PASSWORD).await
}

/// Signs `username` in at the devserver for `authorize_url`; returns the callback path.
async fn okta_sign_in_as(
    server: &DevServer,
    authorize_url: &str,
    username: &str,
    password: &str,
) -> String {
    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    okta_http::install_default_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client");
    let authn: Value = http
        .post(format!("{}/api/v1/authn", server.base_url()))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("authn answers")
        .json()
        .await
        .expect("authn JSON");
    let token = authn["sessionToken"].as_str().expect("a session token");
    let response = http
        .get(format!("{authorize_url}&sessionToken={token}"))
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status(), 302, "authorize redirects back");
    let location = response.headers()["location"].to_str().expect("ASCII location");
    location.strip_prefix("http://127.0.0.1:8080").unwrap_or(location).to_owned()
}

fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

// ----------------------------------------------------------------------------------------------
// Cancellation: a refresh whose request is dropped.

/// Sends requests through a real HTTP client, but holds Okta's answer to a refresh-token grant
/// until the test releases it, and says when one arrived.
struct RefreshGate {
    http: okta_http::ReqwestHttpClient,
    answered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl okta_http::HttpClient for RefreshGate {
    fn execute(
        &self,
        request: Request<Vec<u8>>,
    ) -> okta_http::BoxFuture<'_, Result<http::Response<Vec<u8>>, okta_http::TransportError>> {
        let refresh = String::from_utf8_lossy(request.body()).contains("grant_type=refresh_token");
        Box::pin(async move {
            let response = self.http.execute(request).await;
            if refresh {
                self.answered.notify_one();
                self.release.notified().await;
            }
            response
        })
    }
}

/// A memory store that says when a session is saved.
#[derive(Clone, Debug, Default)]
struct WatchedStore {
    store: MemoryStore,
    saves: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    saved: std::sync::Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for WatchedStore {
    async fn create(
        &self,
        record: &mut tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.store.create(record).await
    }

    async fn save(
        &self,
        record: &tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.store.save(record).await?;
        self.saves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.saved.notify_one();
        Ok(())
    }

    async fn load(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>> {
        self.store.load(id).await
    }

    async fn delete(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<()> {
        self.store.delete(id).await
    }
}

/// A devserver whose client rotates refresh tokens with no grace period (10-minute access
/// tokens, a manual clock), the client's settings, and a [`RefreshGate`] to hold a refresh.
async fn rotating_without_grace() -> (ManualClock, DevServer, Settings, std::sync::Arc<RefreshGate>)
{
    const CLIENT: &str = "rotating-app";
    const SECRET: &str = "rotating-app-secret-0123456789abcdefghijk";
    let clock = ManualClock::starting_now();
    let server = DevServer::builder()
        .clock(clock.clone())
        .lifetimes(
            TokenLifetimes::default()
                .with_access_token(Duration::from_mins(10))
                .with_refresh_rotation_grace(Duration::ZERO),
        )
        .client(
            Client::confidential(CLIENT, SECRET)
                .with_redirect_uri(DEMO_REDIRECT_URI)
                .with_refresh_token_rotation(true),
        )
        .start()
        .await
        .expect("devserver");
    let settings = SettingsLoader::isolated()
        .set("issuer", server.issuer("default").as_str())
        .set("client_id", CLIENT)
        .set("client_secret", SECRET)
        .set("redirect_uri", DEMO_REDIRECT_URI)
        .set("scopes", ["openid", "profile", "email", "offline_access"])
        .set("cookie_secret", COOKIE_SECRET)
        .role(Role::Client)
        .load()
        .expect("valid settings");
    let gate = std::sync::Arc::new(RefreshGate {
        http: okta_http::ReqwestHttpClient::new(okta_http::HttpClientOptions::default())
            .expect("HTTP client"),
        answered: tokio::sync::Notify::new(),
        release: tokio::sync::Notify::new(),
    });
    (clock, server, settings, gate)
}

/// With refresh-token rotation and no grace period, a request dropped while its refresh waits
/// for Okta's answer (a browser that goes away) must not lose the new refresh token: the old one
/// no longer works, and the next request would end the session.
#[tokio::test]
async fn a_refresh_whose_request_is_dropped_still_keeps_the_rotated_refresh_token() {
    let (clock, server, settings, gate) = rotating_without_grace().await;
    let manual = clock.clone();
    let client = OktaClient::builder(&settings)
        .http_client(gate.clone())
        .clock(Clock::from_fn(move || manual.now()))
        .discover()
        .await
        .expect("discovery");
    let auth = OktaAuth::builder(client).refresh_margin(Duration::from_mins(1)).build().unwrap();
    let store = WatchedStore::default();
    let (saves, saved) = (store.saves.clone(), store.saved.clone());
    let router = Router::new()
        .route("/profile", get(profile))
        .route("/refresh-token", get(refresh_token))
        .merge(auth.routes())
        .layer(auth.layer(store.clone()));
    let app = TestApp {
        server,
        clock,
        auth,
        router,
        in_flight: std::sync::Arc::default(),
        store: store.store.clone(),
    };
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let first = app.profile(&mut browser).await;
    let first_refresh_token = app.refresh_token_of(&mut browser).await;

    // Within the refresh margin, a request starts a refresh; Okta rotates the refresh token and
    // answers, and the request is dropped before the answer reaches it.
    app.clock.advance(Duration::from_secs(9 * 60 + 30));
    let cookie = browser
        .cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let request = Request::get("/profile")
        .header(header::ACCEPT, HTML)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    let saves_before = saves.load(std::sync::atomic::Ordering::SeqCst);
    let dropped = tokio::spawn(app.router.clone().oneshot(request));
    gate.answered.notified().await;
    dropped.abort();
    assert!(dropped.await.expect_err("the request was dropped").is_cancelled());
    gate.release.notify_one();
    // The timeout bounds a wait that would be endless if nothing stored the answer.
    while saves.load(std::sync::atomic::Ordering::SeqCst) == saves_before {
        tokio::time::timeout(Duration::from_secs(30), saved.notified())
            .await
            .expect("the refreshed tokens were saved");
    }

    // The next request is signed in with the new tokens, without refreshing again.
    let refresh_grants = app.server.count(Method::POST, "/oauth2/default/v1/token");
    let refreshed = app.profile(&mut browser).await;
    assert_ne!(refreshed["access_token"], first["access_token"]);
    assert_eq!(refreshed["sub"], first["sub"]);
    assert_eq!(app.server.count(Method::POST, "/oauth2/default/v1/token"), refresh_grants);
    assert_ne!(app.refresh_token_of(&mut browser).await, first_refresh_token, "rotated");
}

/// Two replicas refresh the same session at the same moment, with refresh-token rotation and a
/// grace period of 0: the second replica's refresh would reuse the rotated token, and Okta would
/// revoke the sign-in (okta-facts-2 item 30). The store serialises refreshes: the second
/// replica keeps the still-valid access token, and the session survives.
#[tokio::test]
async fn two_replicas_refreshing_at_once_keep_the_session_with_a_grace_period_of_zero() {
    two_replicas_refreshing_at_once_on(MemoryStore::new()).await;
}

/// The same with the sessions and the refresh lock in a Redis Cluster of three primaries
/// (`redis-cluster://`): the lock's `SET NX` and the sessions' `SET XX` are one key each, so
/// they hold whichever node owns the slot.
#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(has_redis),
    ignore = "redis-server not found on PATH: apt-get install -y redis-server"
)]
async fn two_replicas_refreshing_at_once_keep_the_session_on_a_redis_cluster() {
    use redis_servers::SharedRedis as _;
    let cluster = redis_servers::RedisCluster::start();
    let store = crate::axum::redis_store(&cluster.url(), 2).await.expect("the cluster connects");
    two_replicas_refreshing_at_once_on(store).await;
    assert!(cluster.dbsize() >= 2, "the session and the used-login marker are in the cluster");
}

#[cfg(feature = "redis")]
#[allow(dead_code, unreachable_pub, reason = "the integration tests' Redis processes, in part")]
#[path = "../../tests/it/redis_servers.rs"]
mod redis_servers;

/// Two replicas, sharing `store` (as Redis is shared), refresh one session at once.
async fn two_replicas_refreshing_at_once_on<Store>(store: Store)
where
    Store: tower_sessions::SessionStore + Clone,
{
    let (clock, server, settings, gate) = rotating_without_grace().await;
    let replica = |gated: bool| {
        let manual = clock.clone();
        let mut builder =
            OktaClient::builder(&settings).clock(Clock::from_fn(move || manual.now()));
        if gated {
            builder = builder.http_client(gate.clone());
        }
        async move {
            let client = builder.discover().await.expect("discovery");
            OktaAuth::builder(client).refresh_margin(Duration::from_mins(1)).build().unwrap()
        }
    };
    let (auth_a, auth_b) = (replica(true).await, replica(false).await);
    let router = |auth: &OktaAuth| {
        Router::new()
            .route("/profile", get(profile))
            .route("/refresh-token", get(refresh_token))
            .merge(auth.routes())
            .layer(auth.layer(store.clone()))
    };
    let router_b = router(&auth_b);
    let app = TestApp {
        router: router(&auth_a),
        server,
        clock,
        auth: auth_a,
        in_flight: std::sync::Arc::default(),
        store: MemoryStore::new(), // holds nothing here: the sessions are in `store`
    };
    let mut browser = Browser::default();
    app.sign_in(&mut browser).await;
    let first = app.profile(&mut browser).await;
    let cookie = browser
        .cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let get_on = |router: &Router| {
        let request = Request::get("/profile")
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .expect("request");
        router.clone().oneshot(request)
    };

    // Within the refresh margin, replica A refreshes; Okta has rotated the refresh token and
    // its answer is on its way when replica B gets a request for the same session.
    app.clock.advance(Duration::from_secs(9 * 60 + 30));
    let on_a = tokio::spawn(get_on(&app.router));
    gate.answered.notified().await;
    let on_b = get_on(&router_b).await.expect("replica B answers");
    assert_eq!(on_b.status(), StatusCode::OK, "replica B keeps the valid access token");
    gate.release.notify_one();
    let on_a = on_a.await.expect("joined").expect("replica A answers");
    assert_eq!(on_a.status(), StatusCode::OK);

    // One valid session, with the rotated tokens, on both replicas.
    let after = app.profile(&mut browser).await;
    assert_ne!(after["access_token"], first["access_token"], "refreshed once");
    let on_b = get_on(&router_b).await.expect("replica B answers");
    assert_eq!(on_b.status(), StatusCode::OK, "still signed in on B");
    app.clock.advance(Duration::from_secs(9 * 60 + 30));
    let on_b = get_on(&router_b).await.expect("replica B answers");
    assert_eq!(on_b.status(), StatusCode::OK, "the next refresh works: nothing was revoked");
}
