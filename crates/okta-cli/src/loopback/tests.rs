//! Unit tests of the loopback listener: which redirect URIs it accepts, and what the browser
//! sees.

use url::Url;

use crate::error::CliError;
use crate::loopback::{Page, Server, bind, bind_address, escape_html};

fn address(uri: &str) -> Result<String, String> {
    let url = Url::parse(uri).expect("URL");
    bind_address(&url).map(|address| address.to_string()).map_err(|err| match err {
        CliError::Usage(err) => err.to_string(),
        CliError::Failed(err) => panic!("not a usage error: {err}"),
    })
}

#[test]
fn loopback_http_redirect_uris_give_the_address_to_bind() {
    assert_eq!(address("http://127.0.0.1:8400/callback").as_deref(), Ok("127.0.0.1:8400"));
    assert_eq!(address("http://127.0.0.2:8400/").as_deref(), Ok("127.0.0.2:8400"));
    assert_eq!(address("http://[::1]:8400/cb").as_deref(), Ok("[::1]:8400"));
    assert_eq!(address("http://localhost:8080").as_deref(), Ok("127.0.0.1:8080"));
    assert_eq!(address("http://LOCALHOST/cb").as_deref(), Ok("127.0.0.1:80"));
    assert_eq!(address("http://127.0.0.1:0/cb").as_deref(), Ok("127.0.0.1:0"));
}

#[test]
fn other_redirect_uris_are_usage_errors_that_say_why() {
    let https = address("https://127.0.0.1:8400/cb").expect_err("refused");
    assert!(https.contains("does not use http"), "{https}");
    assert!(https.contains("RFC 8252"), "{https}");
    let remote = address("http://app.example.com/cb").expect_err("refused");
    assert!(remote.contains("is not on a loopback host"), "{remote}");
    assert!(address("http://10.0.0.1:8400/cb").is_err());
}

#[tokio::test]
async fn port_zero_picks_a_free_port_and_says_so() {
    let bound =
        bind(&Url::parse("http://127.0.0.1:0/callback").expect("URL")).await.expect("binds");
    assert!(bound.port_picked);
    let port = bound.redirect_uri.port().expect("a port");
    assert_ne!(port, 0);
    assert_eq!(bound.redirect_uri.as_str(), format!("http://127.0.0.1:{port}/callback"));
}

#[tokio::test]
async fn the_first_callback_is_handed_over_and_answered_with_its_page() {
    let bound =
        bind(&Url::parse("http://127.0.0.1:0/callback").expect("URL")).await.expect("binds");
    let base = bound.redirect_uri.clone();
    let mut server = Server::start(bound);
    let browser = reqwest::Client::new();

    let other = browser.get(base.join("/favicon.ico").expect("URL")).send().await.expect("answers");
    assert_eq!(other.status(), 404);

    let first = tokio::spawn({
        let browser = browser.clone();
        let url = format!("{base}?code=abc&state=xyz");
        async move { browser.get(url).send().await.expect("answers") }
    });
    let arrival = server.next().await.expect("a callback");
    assert_eq!(arrival.query, "code=abc&state=xyz");
    arrival.answer(Page::failed("Okta said <no> & \"nope\""));
    let response = first.await.expect("joined");
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let body = response.text().await.expect("body");
    assert!(body.contains("Sign-in failed"), "{body}");
    assert!(body.contains("Okta said &lt;no&gt; &amp; &quot;nope&quot;"), "{body}");

    let again = browser.get(base.as_str()).send().await.expect("answers");
    assert_eq!(again.status(), 409);
    server.shut_down().await;
}

#[test]
fn html_is_escaped() {
    assert_eq!(escape_html("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    let done = Page::done();
    assert!(done.message.contains("You can close this tab"));
}
