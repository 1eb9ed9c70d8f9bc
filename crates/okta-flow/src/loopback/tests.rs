//! Unit tests of the loopback listener, over real sockets on 127.0.0.1: which redirect URIs it
//! accepts, what it hands over, what the browser sees, and how it copes with bad clients.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use url::Url;

use crate::loopback::{
    BindError, CallbackPage, LoopbackListener, MAX_REQUEST_HEAD, WaitError, bind_address,
};

/// Long enough for anything on a loaded machine; the tests never wait this long when they pass.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long to wait for something that must not arrive.
const BRIEFLY: Duration = Duration::from_millis(200);

fn url(text: &str) -> Url {
    Url::parse(text).expect("a URL")
}

fn address(uri: &str) -> Result<String, String> {
    bind_address(&url(uri)).map(|address| address.to_string()).map_err(|err| err.to_string())
}

async fn listener(uri: &str) -> LoopbackListener {
    LoopbackListener::bind(&url(uri)).await.expect("binds")
}

/// A browser that does not follow redirects.
fn browser() -> reqwest::Client {
    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    okta_http::install_default_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PATIENCE)
        .build()
        .expect("a client")
}

/// Sends `request` as is and reads the answer until the server closes the connection.
async fn raw(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.expect("connects");
    // The server may close before reading everything (an oversized head): ignore write errors.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn loopback_http_redirect_uris_give_the_address_to_listen_on() {
    assert_eq!(address("http://127.0.0.1:8400/callback").as_deref(), Ok("127.0.0.1:8400"));
    assert_eq!(address("http://127.0.0.2:8400/").as_deref(), Ok("127.0.0.2:8400"));
    assert_eq!(address("http://[::1]:8400/cb").as_deref(), Ok("[::1]:8400"));
    assert_eq!(address("http://localhost:8080").as_deref(), Ok("127.0.0.1:8080"));
    assert_eq!(address("http://LOCALHOST/cb").as_deref(), Ok("127.0.0.1:80"));
    assert_eq!(address("http://127.0.0.1:0/cb").as_deref(), Ok("127.0.0.1:0"));
}

#[test]
fn other_redirect_uris_are_refused_saying_why_and_without_their_query() {
    assert_eq!(
        address("https://127.0.0.1:8400/cb?token=secret"),
        Err("https://127.0.0.1:8400/cb does not use http".to_owned())
    );
    assert_eq!(
        address("http://app.example.com/cb"),
        Err("http://app.example.com/cb is not on a loopback host (127.0.0.1, [::1] or localhost)"
            .to_owned())
    );
    for uri in [
        "http://10.0.0.1:8400/cb",
        "http://0.0.0.0:8400/cb",
        "http://[::]:8400/cb",
        "http://[::ffff:127.0.0.1]:8400/cb",
        "http://localhost.example.com/cb",
        "file:///tmp/cb",
    ] {
        assert!(address(uri).is_err(), "{uri} refused");
    }
    assert!(matches!(
        bind_address(&url("http://192.168.1.10/cb")),
        Err(BindError::NotLoopback { .. })
    ));
    assert!(matches!(bind_address(&url("https://localhost/cb")), Err(BindError::NotHttp { .. })));
}

#[tokio::test]
async fn binding_a_non_loopback_uri_or_a_relative_path_fails_before_listening() {
    let remote = LoopbackListener::bind(&url("http://app.example.com:0/cb")).await;
    assert!(matches!(remote, Err(BindError::NotLoopback { .. })), "{remote:?}");
    let relative = LoopbackListener::builder(&url("http://127.0.0.1:0/cb"))
        .also_catch("signed-out")
        .bind()
        .await;
    assert!(matches!(relative, Err(BindError::NotAbsolutePath { .. })), "{relative:?}");
}

#[tokio::test]
async fn port_zero_picks_a_free_port_and_gives_back_the_redirect_uri_to_send() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let port = listener.local_addr().port();
    assert_ne!(port, 0);
    assert_eq!(listener.redirect_uri().as_str(), format!("http://127.0.0.1:{port}/callback"));

    let localhost = listener_for_localhost().await;
    let port = localhost.local_addr().port();
    assert_eq!(localhost.local_addr().ip().to_string(), "127.0.0.1");
    assert_eq!(localhost.redirect_uri().as_str(), format!("http://localhost:{port}/cb"));
}

async fn listener_for_localhost() -> LoopbackListener {
    listener("http://localhost:0/cb").await
}

#[tokio::test]
async fn a_port_in_use_is_a_listen_error_naming_the_address() {
    let first = listener("http://127.0.0.1:0/callback").await;
    let taken = first.redirect_uri().clone();
    let err = LoopbackListener::bind(&taken).await.expect_err("the port is taken");
    assert!(matches!(err, BindError::Listen { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot listen on {} for {taken}", first.local_addr()),
        "the operating system's reason is the source"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn serves_only_its_address_and_paths() {
    let listener = LoopbackListener::builder(&url("http://127.0.0.1:0/callback"))
        .also_catch("/signed-out")
        .bind()
        .await
        .expect("binds");
    let base = listener.redirect_uri().clone();
    let port = listener.local_addr().port();
    assert!(listener.serves(&base));
    assert!(listener.serves(&base.join("/callback?code=x&state=y").expect("URL")));
    assert!(listener.serves(&base.join("/signed-out").expect("URL")));
    assert!(!listener.serves(&base.join("/favicon.ico").expect("URL")));
    assert!(!listener.serves(&url(&format!("https://127.0.0.1:{port}/callback"))));
    assert!(!listener.serves(&url(&format!("http://[::1]:{port}/callback"))));
    assert!(!listener.serves(&url(&format!("http://127.0.0.1:{}/callback", port ^ 1))));
    assert!(listener.serves(&url(&format!("http://localhost:{port}/callback"))));
}

#[tokio::test]
async fn the_first_callback_is_handed_over_and_its_browser_gets_the_page_given() {
    let listener = LoopbackListener::builder(&url("http://127.0.0.1:0/callback"))
        .application("okta login")
        .bind()
        .await
        .expect("binds");
    let base = listener.redirect_uri().clone();
    let browser = browser();

    let other = browser.get(base.join("/favicon.ico").expect("URL")).send().await.expect("answers");
    assert_eq!(other.status(), 404);
    assert_eq!(other.headers()["cache-control"], "no-store");
    let body = other.text().await.expect("body");
    assert!(body.contains("okta login is waiting for the sign-in redirect at another path"));

    let first = tokio::spawn({
        let browser = browser.clone();
        let url = format!("{base}?code=the-code-value&state=the-state-value");
        async move { browser.get(url).send().await.expect("answers") }
    });
    let callback = listener.next(PATIENCE).await.expect("a callback");
    assert_eq!(callback.path(), "/callback");
    assert_eq!(callback.query(), "code=the-code-value&state=the-state-value");
    assert_eq!(callback.parameter_names(), ["code", "state"]);
    assert_eq!(callback.parameter("state").as_deref(), Some("the-state-value"));
    assert_eq!(callback.parameter("iss"), None);
    let debug = format!("{callback:?}");
    assert!(debug.contains("code") && !debug.contains("the-code-value"), "{debug}");
    assert!(!debug.contains("the-state-value"), "{debug}");

    callback.respond(CallbackPage::failure("Okta said <script>alert('x')</script> & \"nope\""));
    let response = first.await.expect("joined");
    assert_eq!(response.status(), 400);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("ASCII")
            .starts_with("default-src 'none'")
    );
    let body = response.text().await.expect("body");
    assert!(body.contains("<title>okta login: Sign-in failed</title>"), "{body}");
    assert!(body.contains("<main id=\"okta-callback\">"), "{body}");
    assert!(body.contains("<h1 id=\"okta-callback-title\">Sign-in failed</h1>"), "{body}");
    assert!(
        body.contains(
            "Okta said &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;nope&quot;"
        ),
        "{body}"
    );
    assert!(!body.contains("<script>"), "{body}");
    assert!(!body.contains("the-code-value") && !body.contains("the-state-value"), "{body}");

    let again = browser.get(format!("{base}?code=another")).send().await.expect("answers");
    assert_eq!(again.status(), 409);
    assert!(again.text().await.expect("body").contains("Already handled"));
    assert!(matches!(listener.next(BRIEFLY).await, Err(WaitError::Closed)));
    listener.shut_down().await;
}

#[tokio::test]
async fn a_success_page_says_so_with_a_200() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let browse =
        tokio::spawn(browser().get(format!("{}?code=c&state=s", listener.redirect_uri())).send());
    let callback = listener.next(PATIENCE).await.expect("a callback");
    callback.respond(CallbackPage::success("You can close this tab.").with_title("Welcome back"));
    let response = browse.await.expect("joined").expect("answers");
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    assert!(body.contains("<title>The application: Welcome back</title>"), "{body}");
    assert!(body.contains(">You can close this tab.</p>"), "{body}");
}

#[tokio::test]
async fn a_callback_dropped_unanswered_tells_the_browser_the_application_stopped() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let browse = tokio::spawn(browser().get(format!("{}?code=c", listener.redirect_uri())).send());
    drop(listener.next(PATIENCE).await.expect("a callback"));
    let response = browse.await.expect("joined").expect("answers");
    assert_eq!(response.status(), 400);
    let body = response.text().await.expect("body");
    assert!(body.contains("The application stopped before finishing the sign-in."), "{body}");
}

#[tokio::test]
async fn waiting_times_out_and_unknown_paths_are_refused_at_once() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let started = tokio::time::Instant::now();
    let err = listener.next(Duration::from_millis(150)).await.expect_err("nothing came");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(matches!(err, WaitError::Timeout { .. }), "{err:?}");
    assert_eq!(err.to_string(), "no request to /callback within 150 ms");
    let err = listener.next_at("/elsewhere", PATIENCE).await.expect_err("not caught");
    assert!(matches!(err, WaitError::NotCaught { .. }), "{err:?}");
    assert_eq!(
        WaitError::Timeout { path: "/cb".to_owned(), timeout: Duration::from_secs(300) }
            .to_string(),
        "no request to /cb within 300 s"
    );
}

#[tokio::test]
async fn only_get_requests_are_handed_over() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let base = listener.redirect_uri().clone();
    let posted = browser().post(format!("{base}?code=c")).body("x").send().await.expect("answers");
    assert_eq!(posted.status(), 405);
    assert_eq!(posted.headers()["allow"], "GET");
    assert!(matches!(listener.next(BRIEFLY).await, Err(WaitError::Timeout { .. })));

    let browse = tokio::spawn(browser().get(format!("{base}?code=c")).send());
    listener.next(PATIENCE).await.expect("the GET").respond(CallbackPage::success("ok"));
    assert_eq!(browse.await.expect("joined").expect("answers").status(), 200);
}

#[tokio::test]
async fn answering_at_once_hands_over_every_request_in_order() {
    let listener =
        LoopbackListener::builder(&url("http://127.0.0.1:0/authorization-code/callback"))
            .also_catch("/signed-out")
            .answer_at_once(CallbackPage::success("Back at the application."))
            .bind()
            .await
            .expect("binds");
    let base = listener.redirect_uri().clone();
    let browser = browser();
    // The browser gets its page before anyone waits for the callback.
    for (path, query) in [
        ("/authorization-code/callback", "code=1"),
        ("/signed-out", "state=2"),
        ("/authorization-code/callback", "code=3"),
    ] {
        let response = browser
            .get(base.join(&format!("{path}?{query}")).expect("URL"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200);
        let body = response.text().await.expect("body");
        assert!(body.contains("Back at the application."), "{body}");
        assert!(!body.contains(query), "{body}");
    }
    let favicon =
        browser.get(base.join("/favicon.ico").expect("URL")).send().await.expect("answers");
    assert_eq!(favicon.status(), 404);

    let first = listener.next(PATIENCE).await.expect("the first callback");
    assert_eq!(first.query(), "code=1");
    first.respond(CallbackPage::failure("no effect: the page was sent already"));
    // The post-logout request came before: `next` skipped it.
    let third = listener.next(PATIENCE).await.expect("the third");
    assert_eq!(third.query(), "code=3");

    let signed_out = base.join("/signed-out?state=4").expect("URL");
    assert_eq!(browser.get(signed_out).send().await.expect("answers").status(), 200);
    let back = listener.next_at("/signed-out", PATIENCE).await.expect("the post-logout request");
    assert_eq!((back.path(), back.query()), ("/signed-out", "state=4"));

    browser
        .get(base.join("/authorization-code/callback?code=5").expect("URL"))
        .send()
        .await
        .expect("answers");
    listener.clear().await;
    assert!(matches!(listener.next(BRIEFLY).await, Err(WaitError::Timeout { .. })));
}

#[tokio::test]
async fn an_oversized_request_is_refused_and_not_handed_over() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let padding = "a".repeat(MAX_REQUEST_HEAD);
    let request = format!("GET /callback?code={padding} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let answer = raw(listener.local_addr(), request.as_bytes()).await;
    // 414 when the whole head was read before the buffer filled up, else 431.
    assert!(
        answer.starts_with("HTTP/1.1 414 ") || answer.starts_with("HTTP/1.1 431 "),
        "{}",
        &answer[..answer.len().min(200)]
    );
    let header =
        format!("GET /callback?code=c HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {padding}\r\n\r\n");
    let answer = raw(listener.local_addr(), header.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{}", &answer[..answer.len().min(200)]);
    assert!(matches!(listener.next(BRIEFLY).await, Err(WaitError::Timeout { .. })));

    // A query of okta-flow's maximum length still fits.
    let query = format!("code={}", "c".repeat(crate::MAX_QUERY_LEN - 5));
    let browse = tokio::spawn(browser().get(format!("{}?{query}", listener.redirect_uri())).send());
    let callback = listener.next(PATIENCE).await.expect("a callback");
    assert_eq!(callback.query(), query);
    callback.respond(CallbackPage::success("ok"));
    assert_eq!(browse.await.expect("joined").expect("answers").status(), 200);
}

#[tokio::test]
async fn a_stuck_client_is_cut_off_and_never_blocks_the_browser() {
    let listener = LoopbackListener::builder(&url("http://127.0.0.1:0/callback"))
        .answer_at_once(CallbackPage::success("ok"))
        .read_timeout(Duration::from_millis(300))
        .bind()
        .await
        .expect("binds");
    // One client connects and sends nothing; another sends half a request head.
    let mut silent = TcpStream::connect(listener.local_addr()).await.expect("connects");
    let mut slow = TcpStream::connect(listener.local_addr()).await.expect("connects");
    slow.write_all(b"GET /callback?code=slow HTTP/1.1\r\nHost: 127.0").await.expect("writes");

    // The browser is served meanwhile.
    let response = browser()
        .get(format!("{}?code=browser", listener.redirect_uri()))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(listener.next(PATIENCE).await.expect("a callback").query(), "code=browser");

    // Both stuck connections are closed after the read timeout, unanswered.
    for stream in [&mut silent, &mut slow] {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server closed the connection");
        assert_eq!(String::from_utf8_lossy(&answer), "", "no answer");
    }
    assert!(matches!(listener.next(BRIEFLY).await, Err(WaitError::Timeout { .. })));
}

#[tokio::test]
async fn shutting_down_delivers_the_page_then_closes_the_port() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let address = listener.local_addr();
    let browse = tokio::spawn(browser().get(format!("{}?code=c", listener.redirect_uri())).send());
    let callback = listener.next(PATIENCE).await.expect("a callback");
    callback.respond(CallbackPage::success("done"));
    listener.shut_down().await;
    let response = browse.await.expect("joined").expect("the page arrived");
    assert!(response.text().await.expect("body").contains("done"));
    assert!(TcpStream::connect(address).await.is_err(), "nobody listens any more");
}

#[tokio::test]
async fn dropping_the_listener_closes_the_port() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let address = listener.local_addr();
    drop(listener);
    // The server task notices at its next turn: poll for a bounded time.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while TcpStream::connect(address).await.is_ok() {
        assert!(tokio::time::Instant::now() < deadline, "{address} still accepts connections");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn pages_keep_what_they_are_given() {
    let page = CallbackPage::failure("why").with_title("Nope");
    assert_eq!((page.status(), page.title(), page.message()), (400, "Nope", "why"));
    let page = CallbackPage::success("You can close this tab.");
    assert_eq!((page.status(), page.title()), (200, "Signed in"));
    assert_eq!(CallbackPage::ELEMENT_ID, "okta-callback");
}

/// The first forged or stale request to the redirect URI used to be handed over, and its wrong
/// `state` ended the sign-in. With the sign-in expected, such requests are answered, counted
/// and ignored, and the real redirect is still handed over.
#[tokio::test]
async fn requests_without_the_sign_in_s_state_are_ignored_and_counted() {
    let listener = listener("http://127.0.0.1:0/callback").await;
    let (pending, _) =
        crate::PendingLogin::start(listener.redirect_uri().as_str(), std::time::UNIX_EPOCH, None);
    listener.expect(&pending);
    let state = pending.state.secret().clone();
    let base = listener.redirect_uri().clone();
    let browser = browser();

    for query in
        ["code=forged&state=forged", "code=forged", &format!("code=x&state={state}&state=forged")]
    {
        let forged = browser.get(format!("{base}?{query}")).send().await.expect("answers");
        assert_eq!(forged.status(), 400, "{query}");
        let body = forged.text().await.expect("body");
        assert!(body.contains("Request ignored"), "{body}");
        assert!(!body.contains("forged"), "{body}");
    }
    assert_eq!(listener.ignored_requests(), 3);
    assert!(
        matches!(listener.next(BRIEFLY).await, Err(WaitError::Timeout { .. })),
        "still waiting"
    );

    let real = tokio::spawn({
        let url = format!("{base}?code=the-code&state={state}");
        async move { browser.get(url).send().await.expect("answers") }
    });
    let callback = listener.next(PATIENCE).await.expect("the real redirect");
    assert_eq!(callback.parameter("code").as_deref(), Some("the-code"));
    callback.respond(CallbackPage::success("done"));
    assert_eq!(real.await.expect("joined").status(), 200);
    assert_eq!(listener.ignored_requests(), 3);
    listener.shut_down().await;
}
