//! The proxy is a setting: requests go through the configured proxy, and through no other.

use std::fmt::Write as _;
use std::time::Duration;

use okta_config::{Settings, SettingsLoader};
use okta_http::{HttpClient as _, HttpClientOptions, ReqwestHttpClient, TransportError};

use crate::support::{Recorder, get};

const ISSUER: &str = "https://dev-123456.okta.com/oauth2/default";

/// Settings with the issuer and these `http.*` values, plus these "environment" variables.
fn settings(values: &[(&str, &str)], env: &[(&str, &str)]) -> Settings {
    let mut loader = SettingsLoader::isolated().set("issuer", ISSUER).env_vars(env.to_vec());
    for (key, value) in values {
        loader = loader.set(*key, *value);
    }
    loader.load().unwrap()
}

fn client(settings: &Settings) -> ReqwestHttpClient {
    let mut options = HttpClientOptions::from_settings(settings);
    options.timeout = Duration::from_secs(5);
    ReqwestHttpClient::new(options).unwrap()
}

async fn body_of(client: &ReqwestHttpClient, url: &str) -> String {
    let response = client.execute(get(url)).await.unwrap();
    String::from_utf8(response.body().clone()).unwrap()
}

#[tokio::test]
async fn an_explicit_proxy_carries_requests_with_its_credentials() {
    let okta = Recorder::start("direct").await;
    let proxy = Recorder::start("via proxy").await;
    let proxy_url = format!("http://svc:pa55word@{}", proxy.address);
    let settings = settings(&[("http.proxy", &proxy_url)], &[]);
    let client = client(&settings);

    let url = format!("{}/oauth2/default/v1/keys", okta.url());
    assert_eq!(body_of(&client, &url).await, "via proxy");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(heads[0].starts_with(&format!("GET {url} HTTP/1.1\r\n")), "{}", heads[0]);
    // svc:pa55word in base64, sent to the proxy only.
    assert!(
        heads[0].to_ascii_lowercase().contains("proxy-authorization: basic c3zjonbhntv3b3jk"),
        "{}",
        heads[0]
    );
    assert!(okta.heads().is_empty(), "the request went around the proxy");
    for shown in [format!("{client:?}"), client.options().to_string()] {
        assert!(!shown.contains("pa55word"), "{shown}");
    }
}

#[tokio::test]
async fn https_requests_are_tunnelled_through_the_proxy() {
    let proxy = Recorder::start("via proxy").await;
    let settings =
        settings(&[("http.proxy", &format!("http://svc:pa55word@{}", proxy.address))], &[]);
    let err = client(&settings)
        .execute(get("https://dev-123456.okta.example/oauth2/default/v1/keys?code=abc"))
        .await
        .unwrap_err();
    // The stand-in proxy refuses the tunnel: a typed connect error, naming no credentials.
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let _ = write!(chain, ": {cause}");
        source = cause.source();
    }
    assert!(!chain.contains("pa55word") && !chain.contains("code=abc"), "{chain}");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("CONNECT dev-123456.okta.example:443 HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    let okta = Recorder::start("direct").await;
    let proxy = Recorder::start("via proxy").await;
    let settings =
        settings(&[("http.proxy", &proxy.url()), ("http.no_proxy", "localhost, 127.0.0.1")], &[]);
    assert_eq!(body_of(&client(&settings), &format!("{}/v1/keys", okta.url())).await, "direct");
    assert!(proxy.heads().is_empty());
    assert_eq!(okta.heads().len(), 1);
}

#[tokio::test]
async fn proxy_variables_are_used_only_when_the_setting_says_environment() {
    let okta = Recorder::start("direct").await;
    let proxy = Recorder::start("via proxy").await;
    let variables = [
        ("HTTP_PROXY", proxy.url()),
        ("HTTPS_PROXY", proxy.url()),
        ("ALL_PROXY", proxy.url()),
        ("http_proxy", proxy.url()),
    ];
    let variables: Vec<(&str, &str)> =
        variables.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let url = format!("{}/oauth2/default/v1/keys", okta.url());

    // The default, `none`: the variables are ignored.
    let direct = settings(&[], &variables);
    assert_eq!(body_of(&client(&direct), &url).await, "direct");
    assert!(proxy.heads().is_empty(), "{:?}", proxy.heads());

    // `environment`: HTTP_PROXY carries the http request.
    let environment = settings(&[("http.proxy", "environment")], &variables);
    assert_eq!(body_of(&client(&environment), &url).await, "via proxy");
    assert_eq!(proxy.heads().len(), 1);
    assert_eq!(okta.heads().len(), 1, "only the first request reached the server directly");
}

/// Set in the child process that [`the_client_never_reads_the_process_environment`] starts.
const CHILD: &str = "OKTA_HTTP_PROXY_TEST_CHILD";

/// The other half of [`the_client_never_reads_the_process_environment`]: run in a child process
/// whose real environment holds the proxy variables, it loads the settings from that environment
/// and sends one request. In an ordinary test run (no `OKTA_HTTP_PROXY_TEST_CHILD`) it returns
/// at once.
#[test]
fn child_process_sends_one_request() {
    #[allow(clippy::disallowed_methods, reason = "the test's own marker, not a setting")]
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let settings = SettingsLoader::new().no_file().load().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = format!("{}/v1/keys", settings.issuer());
    let response = runtime.block_on(client(&settings).execute(get(&url))).unwrap();
    assert_eq!(response.status(), 200);
}

/// reqwest reads `HTTP_PROXY` and friends by itself unless told not to: with the process's real
/// environment full of them, the request still goes where the settings say.
#[test]
fn the_client_never_reads_the_process_environment() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (okta, proxy) = runtime
        .block_on(async { (Recorder::start("direct").await, Recorder::start("via proxy").await) });
    let run_child = |proxy_setting: &str| {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "proxy::child_process_sends_one_request", "--test-threads", "1"])
            .env_clear()
            .env(CHILD, "1")
            .env("OKTA_ISSUER", format!("{}/oauth2/default", okta.url()))
            .env("OKTA_HTTP__PROXY", proxy_setting)
            .env("HTTP_PROXY", proxy.url())
            .env("http_proxy", proxy.url())
            .env("HTTPS_PROXY", proxy.url())
            .env("ALL_PROXY", proxy.url())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "child failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("1 passed"), "the child ran");
    };
    run_child("none");
    assert_eq!((okta.heads().len(), proxy.heads().len()), (1, 0), "none: direct");
    // The control: the same environment with `environment` does reach the proxy.
    run_child("environment");
    assert_eq!((okta.heads().len(), proxy.heads().len()), (1, 1), "environment: via the proxy");
}
