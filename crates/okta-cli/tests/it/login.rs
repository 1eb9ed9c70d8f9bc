//! `okta login --no-browser`, completed by the test acting as the browser.

use okta_devserver::{Client, DEMO_PASSWORD, DEMO_USERNAME, DevServer, Fault, TokenFault};
use serde_json::Value;

use crate::harness::{Okta, Running, browser, client_env, location, now, session_token};

const CLIENT_ID: &str = "okta-cli";
const SECRET: &str = "okta-cli-secret-0123456789abcdefghijklmn";

/// Starts `okta login --no-browser` with `args`, with a redirect URI on a free port, and returns
/// it with the authorization URL it printed. The client is registered with the port the CLI
/// picked, as an authorization server accepting any loopback port would (RFC 8252 §7.3).
async fn start_login(server: &DevServer, args: &[&str]) -> (Running, url::Url) {
    let mut okta = Okta::new(["login", "--no-browser"].iter().chain(args))
        .envs(&client_env(server, CLIENT_ID, SECRET, "http://127.0.0.1:0/callback"))
        .spawn();
    let url = url::Url::parse(&okta.line().await).expect("the first line is the authorization URL");
    let redirect_uri = parameter(&url, "redirect_uri").expect("a redirect_uri");
    assert!(redirect_uri.starts_with("http://127.0.0.1:"), "{redirect_uri}");
    assert!(!redirect_uri.starts_with("http://127.0.0.1:0/"), "a real port: {redirect_uri}");
    server
        .clients()
        .add(Client::confidential(CLIENT_ID, SECRET).with_redirect_uri(redirect_uri))
        .expect("client registered");
    (okta, url)
}

fn parameter(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// Signs in with a `sessionToken` and follows the redirect to the CLI: returns the page's status
/// and body.
async fn browse_with_session_token(server: &DevServer, url: &url::Url) -> (u16, String) {
    let token = session_token(server).await;
    let browser = browser();
    let back = location(
        browser.get(format!("{url}&sessionToken={token}")).send().await.expect("authorize"),
    )
    .await;
    let page = browser.get(back).send().await.expect("the CLI answers the redirect");
    (page.status().as_u16(), page.text().await.expect("page"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_prints_verified_tokens_as_json_and_writes_them_with_mode_0600() {
    let server = DevServer::builder().start().await.expect("devserver");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tokens.json");
    let file_arg = file.to_str().expect("UTF-8 path");
    let (okta, url) = start_login(
        &server,
        &["--json", "--scope", "profile", "--scope", "offline_access", "--token-file", file_arg],
    )
    .await;
    // --scope adds to the configured scopes (here okta-config's default, openid profile email).
    assert_eq!(parameter(&url, "scope").as_deref(), Some("openid profile email offline_access"));
    assert_eq!(parameter(&url, "code_challenge_method").as_deref(), Some("S256"));
    for name in ["state", "nonce", "code_challenge"] {
        assert!(parameter(&url, name).is_some_and(|value| value.len() >= 43), "{name} in {url}");
    }

    let (status, page) = browse_with_session_token(&server, &url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You can close this tab"), "{page}");

    let run = okta.finish().await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "one JSON object after the URL line: {run:?}");
    let json = run.json();
    let issuer = server.issuer("default");
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["access_token"].as_str().expect("access token").split('.').count(), 3);
    assert_eq!(json["id_token"].as_str().expect("ID token").split('.').count(), 3);
    assert!(json["refresh_token"].as_str().is_some_and(|token| !token.is_empty()), "{json}");
    assert!(json["expires_at"].as_i64().expect("expires_at") > now() + 3000);
    assert_eq!(json["scope"], "openid profile email offline_access");
    let id = &json["id_token_claims"];
    assert_eq!(id["iss"], issuer.as_str());
    assert_eq!(id["aud"], CLIENT_ID);
    assert_eq!(id["nonce"].as_str(), parameter(&url, "nonce").as_deref());
    let access = &json["access_token_claims"];
    assert_eq!(access["sub"], DEMO_USERNAME);
    assert_eq!(access["cid"], CLIENT_ID);
    assert_eq!(access["aud"], "api://default");
    assert_eq!(access["scp"], serde_json::json!(["openid", "profile", "email", "offline_access"]));
    // Off a terminal nothing else is said, and tokens never reach stderr.
    assert_eq!(run.stderr, "", "{run:?}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("the file exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let written: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("JSON");
    assert_eq!(written, json);

    // The token is accepted by `okta verify` too.
    let access_token = json["access_token"].as_str().expect("access token");
    let verified = Okta::new(["verify", access_token]).env("OKTA_ISSUER", &issuer).run().await;
    assert_eq!(verified.code, 0, "{verified:?}");
    assert_eq!(verified.json()["claims"], json["access_token_claims"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_through_the_sign_in_form_passes_prompt_and_login_hint_and_prints_the_access_token() {
    let server = DevServer::builder().start().await.expect("devserver");
    let (okta, url) =
        start_login(&server, &["--prompt", "login", "--login-hint", DEMO_USERNAME]).await;
    assert_eq!(parameter(&url, "prompt").as_deref(), Some("login"));
    assert_eq!(parameter(&url, "login_hint").as_deref(), Some(DEMO_USERNAME));
    assert_eq!(
        parameter(&url, "scope").as_deref(),
        Some("openid profile email"),
        "the default scopes"
    );

    // The sign-in page, pre-filled with the hint; then the form post a browser makes.
    let browser = browser();
    let form =
        browser.get(url.as_str()).send().await.expect("authorize").text().await.expect("page");
    assert!(form.contains(&format!("value=\"{DEMO_USERNAME}\"")), "{form}");
    let tx = form
        .split("name=\"tx\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's transaction id");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("tx", tx)
        .append_pair("username", DEMO_USERNAME)
        .append_pair("password", DEMO_PASSWORD)
        .finish();
    let signed_in = browser
        .post(format!("{}/login/signin", server.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("sign-in");
    let back = location(signed_in).await;
    let page = browser.get(back).send().await.expect("the CLI answers");
    assert_eq!(page.status(), 200);

    // Without --json, stdout is the URL line and then the access token alone.
    let run = okta.finish().await;
    assert_eq!(run.code, 0, "{run:?}");
    let access_token = run.stdout.trim();
    assert_eq!(access_token.split('.').count(), 3, "{run:?}");
    let decoded = Okta::new(["decode", "--json", access_token]).run().await;
    assert_eq!(decoded.json()["claims"]["sub"], DEMO_USERNAME);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_org_server_the_access_token_is_opaque_and_not_verified_locally() {
    let server = DevServer::builder().start().await.expect("devserver");
    let (okta, url) = start_login(&server, &["--json", "--issuer", server.org_issuer()]).await;
    assert!(
        url.as_str().starts_with(&format!("{}/oauth2/v1/authorize?", server.org_issuer())),
        "{url}"
    );
    let (status, page) = browse_with_session_token(&server, &url).await;
    assert_eq!(status, 200, "{page}");
    let run = okta.finish().await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(json["id_token_claims"]["iss"], server.org_issuer());
    assert_eq!(json["access_token_claims"], Value::Null);
    assert!(json["access_token"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_id_token_fails_the_login_and_the_browser_is_told_without_tokens() {
    let server = DevServer::builder().start().await.expect("devserver");
    server.faults().arm(Fault::IdToken(TokenFault::WrongNonce));
    let (okta, url) = start_login(&server, &["--json"]).await;
    let (status, page) = browse_with_session_token(&server, &url).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Sign-in failed"), "{page}");
    assert!(page.contains("nonce mismatch"), "{page}");
    assert!(!page.contains("eyJ"), "no token in the page: {page}");

    let run = okta.finish().await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "", "nothing after the URL line: {run:?}");
    assert!(
        run.stderr.contains("the ID token was refused (nonce_mismatch): nonce mismatch"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("eyJ"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_fails_the_login_with_its_kind() {
    let server = DevServer::builder().start().await.expect("devserver");
    server.faults().arm(Fault::AccessToken(TokenFault::Expired));
    let (okta, url) = start_login(&server, &[]).await;
    let (status, page) = browse_with_session_token(&server, &url).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("the access token was refused (expired)"), "{page}");
    let run = okta.finish().await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "", "no token printed: {run:?}");
    assert!(
        run.stderr.starts_with(
            "okta: error: the access token was refused (expired): the token expired at "
        ),
        "{run:?}"
    );
    assert!(run.stderr.contains("1 hour ago; leeway 120 s)"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_gives_up_after_the_timeout_with_exit_code_1() {
    let server = DevServer::builder().start().await.expect("devserver");
    let started = std::time::Instant::now();
    let (okta, _url) = start_login(&server, &["--timeout", "1"]).await;
    let run = okta.finish().await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(run.stderr.starts_with("okta: error: timed out after 1 s waiting for the browser to come back to http://127.0.0.1:"), "{run:?}");
    assert!(run.stderr.contains("--timeout SECS"), "{run:?}");
    // The likely causes, the SSH case among them.
    assert!(run.stderr.contains("Likely causes:"), "{run:?}");
    assert!(run.stderr.contains("Sign-in redirect URIs"), "{run:?}");
    assert!(run.stderr.contains("okta login --device"), "{run:?}");
    assert_eq!(run.stdout, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistered_redirect_uri_fails_before_the_browser_opens_with_its_causes() {
    let server = DevServer::builder().start().await.expect("devserver");
    // The demo client, with a redirect URI it does not have.
    let run = Okta::new(["login", "--timeout", "600"])
        .envs(&client_env(
            &server,
            okta_devserver::DEMO_CLIENT_ID,
            okta_devserver::DEMO_CLIENT_SECRET,
            "http://127.0.0.1:0/not-registered",
        ))
        .run()
        .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("Okta refuses this sign-in (authorize_refused)"), "{run:?}");
    assert!(run.stderr.contains("nothing was opened"), "{run:?}");
    assert!(
        run.stderr.contains("client id") && run.stderr.contains("Sign-in redirect URIs"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("Opening the browser"), "no browser was opened: {run:?}");
    assert_eq!(server.count(http::Method::POST, "/oauth2/default/v1/token"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_file_that_cannot_be_written_fails_before_the_sign_in() {
    let server = DevServer::builder().start().await.expect("devserver");
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-directory").join("tokens.json");
    let run = Okta::new(["login", "--no-browser", "--token-file", missing.to_str().unwrap()])
        .envs(&client_env(&server, CLIENT_ID, SECRET, "http://127.0.0.1:0/callback"))
        .run()
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("the tokens could not be written there"), "{run:?}");
    assert_eq!(run.stdout, "", "no authorization URL was printed: {run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_needs_a_loopback_http_redirect_uri() {
    let server = DevServer::builder().start().await.expect("devserver");
    let run = Okta::new(["login", "--no-browser"])
        .envs(&client_env(&server, CLIENT_ID, SECRET, "https://app.example.com/callback"))
        .run()
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("the redirect URI must be a plain-http loopback URI"), "{run:?}");
    assert_eq!(run.stdout, "");

    let run = Okta::new(["login", "--no-browser"])
        .env("OKTA_ISSUER", &server.issuer("default"))
        .run()
        .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("client_id"), "the settings problems are listed: {run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_client_signs_in_with_pkce_and_no_secret() {
    let server = DevServer::builder().start().await.expect("devserver");
    let mut okta = Okta::new(["login", "--no-browser", "--json"])
        .env("OKTA_ISSUER", &server.issuer("default"))
        .env("OKTA_CLIENT_ID", "okta-cli-public")
        .env("OKTA_CLIENT_AUTH_METHOD", "none")
        .env("OKTA_REDIRECT_URI", "http://127.0.0.1:0/callback")
        .spawn();
    let url = url::Url::parse(&okta.line().await).expect("the authorization URL");
    let redirect_uri = parameter(&url, "redirect_uri").expect("a redirect_uri");
    server
        .clients()
        .add(Client::public("okta-cli-public").with_redirect_uri(redirect_uri))
        .expect("client registered");
    assert_eq!(parameter(&url, "code_challenge_method").as_deref(), Some("S256"));
    let (status, page) = browse_with_session_token(&server, &url).await;
    assert_eq!(status, 200, "{page}");
    let run = okta.finish().await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["id_token_claims"]["aud"], "okta-cli-public");
    // The code exchange carried the client id and the PKCE verifier, and no secret.
    let exchange = server
        .requests()
        .into_iter()
        .find(|request| request.path().ends_with("/token"))
        .expect("a code exchange");
    assert_eq!(exchange.form("client_id"), Some("okta-cli-public"));
    assert!(exchange.form("code_verifier").is_some());
    assert!(exchange.form("client_secret").is_none());
}

/// A forged or stale request to the loopback redirect URI (another program on this machine,
/// a tab of an earlier sign-in) used to end the login with a state mismatch. It is ignored and
/// counted, and the real redirect still signs the user in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_requests_to_the_loopback_listener_are_ignored_and_the_login_goes_on() {
    let server = DevServer::builder().start().await.expect("devserver");
    let (okta, url) = start_login(&server, &["--json"]).await;
    let redirect_uri = parameter(&url, "redirect_uri").expect("a redirect_uri");
    let browser = browser();
    for query in ["code=forged&state=forged", "error=access_denied"] {
        let forged = browser.get(format!("{redirect_uri}?{query}")).send().await.expect("answers");
        assert_eq!(forged.status(), 400, "{query}");
        assert!(forged.text().await.expect("page").contains("Request ignored"));
    }

    let (status, page) = browse_with_session_token(&server, &url).await;
    assert_eq!(status, 200, "{page}");
    let run = okta.finish().await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["token_type"], "Bearer");
    assert!(run.stderr.contains("Ignored 2 request(s)"), "{run:?}");
    assert!(!run.stderr.contains("forged"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_adds_to_the_configured_scopes_and_replace_scopes_replaces_them() {
    let server = DevServer::builder().start().await.expect("devserver");
    let (okta, url) =
        start_login(&server, &["--scope", "offline_access", "--scope", "email"]).await;
    assert_eq!(
        parameter(&url, "scope").as_deref(),
        Some("openid profile email offline_access"),
        "added once each, after the configured ones"
    );
    drop(okta);

    // start_login registers the client with the port it picked: a second server for a second
    // login.
    let server = DevServer::builder().start().await.expect("devserver");
    let (okta, url) = start_login(
        &server,
        &["--replace-scopes", "--scope", "openid", "--scope", "offline_access"],
    )
    .await;
    assert_eq!(parameter(&url, "scope").as_deref(), Some("openid offline_access"));
    drop(okta);
}

#[tokio::test]
async fn replaced_scopes_without_openid_are_refused_like_the_setting() {
    let env = |scopes: Option<&str>| {
        let mut vars = vec![
            ("OKTA_ISSUER", "https://dev-1.okta.com/oauth2/default".to_owned()),
            ("OKTA_CLIENT_ID", CLIENT_ID.to_owned()),
            ("OKTA_CLIENT_SECRET", SECRET.to_owned()),
            ("OKTA_REDIRECT_URI", "http://127.0.0.1:0/callback".to_owned()),
        ];
        if let Some(scopes) = scopes {
            vars.push(("OKTA_SCOPES", scopes.to_owned()));
        }
        vars
    };
    let flag =
        Okta::new(["login", "--no-browser", "--replace-scopes", "--scope", "offline_access"])
            .envs(&env(None))
            .run()
            .await;
    assert_eq!(flag.code, 2, "{flag:?}");
    assert!(flag.stderr.contains("must include `openid`"), "{flag:?}");
    assert!(flag.stderr.contains("--scope"), "the flag is named: {flag:?}");

    // The same rule as the setting itself.
    let setting =
        Okta::new(["login", "--no-browser"]).envs(&env(Some("profile offline_access"))).run().await;
    assert_eq!(setting.code, 2, "{setting:?}");
    assert!(setting.stderr.contains("must include `openid`"), "{setting:?}");

    // Adding to a configuration without openid does not hide the problem either.
    let added = Okta::new(["login", "--no-browser", "--scope", "openid"])
        .envs(&env(Some("profile")))
        .run()
        .await;
    assert_eq!(added.code, 2, "{added:?}");
}
