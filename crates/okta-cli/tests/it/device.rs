//! `okta login --device` end to end: the binary prints the URL and the code on stderr, the test
//! approves (or denies) on the devserver's activation page, the binary prints the tokens.

use std::time::Duration;

use okta_devserver::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, DevServer, TokenLifetimes,
};

use crate::harness::{Okta, Running, browser, now};

/// A devserver asking devices to poll every second (Okta says 5 s; the test would wait that
/// long in real time for the binary's first poll).
pub(crate) async fn server() -> DevServer {
    DevServer::builder()
        .lifetimes(TokenLifetimes::default().with_device_poll_interval(Duration::from_secs(1)))
        .start()
        .await
        .expect("devserver")
}

/// `okta login --device` for the demo client, with no redirect URI configured.
fn login(server: &DevServer, args: &[&str]) -> Running {
    Okta::new(["login", "--device"].iter().chain(args))
        .envs(&[
            ("OKTA_ISSUER", server.issuer("default")),
            ("OKTA_CLIENT_ID", DEMO_CLIENT_ID.to_owned()),
            ("OKTA_CLIENT_SECRET", DEMO_CLIENT_SECRET.to_owned()),
        ])
        .spawn()
}

/// Reads stderr up to the instructions and returns the verification URI and the user code.
pub(crate) async fn instructions(okta: &mut Running) -> (String, String) {
    let line = okta.stderr_line().await;
    let rest = line.strip_prefix("To sign in, open ").unwrap_or_else(|| panic!("{line}"));
    let (uri, rest) = rest.split_once(' ').expect("a URI");
    let code = rest.rsplit(' ').next().expect("a code").to_owned();
    let complete = okta.stderr_line().await;
    assert_eq!(complete, format!("or open {uri}?user_code={code} (the code is filled in)"));
    (uri.to_owned(), code)
}

pub(crate) async fn decide(uri: &str, user_code: &str, decision: &str) -> String {
    let response = browser()
        .post(uri)
        .form(&[
            ("user_code", user_code),
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
            ("decision", decision),
        ])
        .send()
        .await
        .expect("the activation page answers");
    assert_eq!(response.status(), 200);
    response.text().await.expect("page")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_login_prints_the_code_on_stderr_and_the_verified_tokens_on_stdout() {
    let server = server().await;
    let mut okta = login(&server, &["--json", "--scope", "openid", "--scope", "offline_access"]);
    let (uri, code) = instructions(&mut okta).await;
    assert_eq!(uri, format!("{}/activate", server.base_url()));
    let page = decide(&uri, &code, "allow").await;
    assert!(page.contains("approved"), "{page}");

    let run = okta.finish().await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scope"], "openid profile email offline_access", "added to the defaults");
    assert!(json["refresh_token"].as_str().is_some_and(|token| !token.is_empty()), "{json}");
    assert!(json["expires_at"].as_i64().expect("expires_at") > now() + 3000);
    assert_eq!(json["id_token_claims"]["aud"], DEMO_CLIENT_ID);
    assert_eq!(json["access_token_claims"]["sub"], DEMO_USERNAME);
    assert_eq!(json["access_token_claims"]["cid"], DEMO_CLIENT_ID);
    // stderr has the instructions and nothing secret.
    let access_token = json["access_token"].as_str().expect("access token");
    assert!(!run.stderr.contains(access_token), "{run:?}");
    assert!(run.stderr.contains(&code), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_device_login_fails_with_exit_code_1_and_says_why() {
    let server = server().await;
    let mut okta = login(&server, &[]);
    let (uri, code) = instructions(&mut okta).await;
    decide(&uri, &code, "deny").await;
    let run = okta.finish().await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert!(run.stderr.contains("denied on the other device"), "{run:?}");
    assert!(run.stderr.contains("(access_denied)"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_the_device_grant_gets_the_setting_to_change() {
    let server = server().await;
    let run = Okta::new(["login", "--device"])
        .envs(&[
            ("OKTA_ISSUER", server.issuer("default")),
            ("OKTA_CLIENT_ID", okta_devserver::DEMO_SERVICE_CLIENT_ID.to_owned()),
            ("OKTA_CLIENT_SECRET", okta_devserver::DEMO_SERVICE_CLIENT_SECRET.to_owned()),
        ])
        .run()
        .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("unauthorized_client"), "{run:?}");
    assert!(run.stderr.contains("Device Authorization grant"), "{run:?}");
}

#[tokio::test]
async fn device_conflicts_with_no_browser() {
    let run = Okta::new(["login", "--device", "--no-browser"]).run().await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cannot be used with"), "{run:?}");
}
