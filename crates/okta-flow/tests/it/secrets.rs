//! No secret reaches a log line, a `Debug` output or an error message (SC-119): a complete flow
//! with its error paths runs with every `tracing` event at TRACE captured, then every secret the
//! flow handled is searched for in the capture.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

use http::Method;
use okta_devserver::{DEMO_CLIENT_SECRET, Fault, TokenFault};
use okta_flow::{AuthorizeOptions, PendingLogin, Revocable};
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::harness::{Harness, follow_authorize, session_token};

thread_local! {
    /// What the global test subscriber wrote for this thread, while capturing.
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// A `tracing` writer that appends to the calling thread's capture.
struct ThreadCapture;

impl Write for ThreadCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|captured| {
            if let Some(buffer) = captured.borrow_mut().as_mut() {
                buffer.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing every `tracing` event (and `log` record) of this thread at TRACE (the
/// devserver's own excepted).
///
/// The subscriber is the process-wide default, installed once and filtering per thread: a scoped
/// subscriber races with the tests that run in parallel without one, whose threads can cache a
/// callsite as "never interested" and so drop events at random. The filter is
/// dynamic (`dynamic_filter_fn`) for the same reason: a plain `filter_fn` caches its first
/// answer per callsite, so a callsite first reached by a thread that is not capturing would
/// stay disabled for the capturing one.
pub(crate) fn start_capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let capturing = tracing_subscriber::filter::dynamic_filter_fn(|metadata, _context| {
            !metadata.target().starts_with("okta_devserver")
                && CAPTURED
                    .try_with(|captured| captured.try_borrow().is_ok_and(|c| c.is_some()))
                    .unwrap_or(false)
        });
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(|| ThreadCapture)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_filter(capturing);
        // `try_init` also forwards the `log` records of dependencies (fred's) to the layer.
        tracing_subscriber::registry()
            .with(layer)
            .try_init()
            .expect("no other test installs a global subscriber or logger");
    });
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
}

pub(crate) fn captured() -> String {
    let bytes = CAPTURED.with(|captured| captured.borrow_mut().take()).unwrap_or_default();
    String::from_utf8(bytes).expect("UTF-8 logs")
}

#[tokio::test]
async fn no_secret_or_token_in_any_log_line_debug_output_or_error() {
    // Everything our client side logs, at TRACE, with span fields; the devserver's own logs are
    // the server's business and are left out.
    start_capture();

    let h = Harness::start().await;
    let mut secrets: Vec<String> = vec![DEMO_CLIENT_SECRET.to_owned()];
    let mut outputs: Vec<String> = Vec::new();

    // A complete login, sealing the pending login as a web app would.
    let session =
        session_token(&h.server, okta_devserver::DEMO_USERNAME, okta_devserver::DEMO_PASSWORD)
            .await;
    let (url, pending) =
        h.client.authorize(&AuthorizeOptions::new().session_token(session.clone())).unwrap();
    let sealed = pending.seal(h.client.sealing_key()).unwrap();
    let pending =
        PendingLogin::unseal(h.client.sealing_key(), &sealed, h.now(), h.client.leeway()).unwrap();
    let location = follow_authorize(url.as_str()).await;
    let query = location.split_once('?').unwrap().1.to_owned();
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let url_params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let value = |pairs: &[(String, String)], name: &str| {
        pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap()
    };
    secrets.extend([
        session,
        sealed,
        value(&params, "code"),
        value(&params, "state"),
        value(&url_params, "nonce"),
    ]);
    let tokens = h.client.finish_login(&query, &pending).await.expect("login");
    let verifier = h
        .server
        .requests()
        .iter()
        .find(|r| r.path().ends_with("/v1/token"))
        .and_then(|r| r.form("code_verifier").map(str::to_owned))
        .expect("the token request carried the PKCE verifier");
    secrets.push(verifier);
    secrets.push(tokens.access_token().secret().to_owned());
    secrets.push(tokens.refresh_token().unwrap().secret().to_owned());
    secrets.push(tokens.id_token().unwrap().secret().to_owned());
    outputs.push(format!("{tokens:?} {pending:?} {:?}", h.client));

    // The rest of the tokens' life.
    let sub = tokens.id_token_claims().unwrap().sub.clone();
    outputs.push(format!("{:?}", h.client.userinfo(tokens.access_token(), &sub).await.unwrap()));
    let refreshed = h.client.refresh(tokens.refresh_token().unwrap(), &sub).await.unwrap();
    secrets.push(refreshed.access_token().secret().to_owned());
    outputs.push(format!("{refreshed:?}"));
    outputs.push(format!(
        "{:?}",
        h.client.introspect(refreshed.access_token().secret()).await.unwrap()
    ));
    h.client.revoke(Revocable::AccessToken(refreshed.access_token())).await.unwrap();
    h.client.revoke(Revocable::RefreshToken(tokens.refresh_token().unwrap())).await.unwrap();
    let inactive = h.client.introspect(refreshed.access_token().secret()).await.unwrap_err();
    outputs.push(format!("{inactive} {inactive:?}"));
    let refused = h.client.refresh(tokens.refresh_token().unwrap(), &sub).await.unwrap_err();
    outputs.push(format!("{refused} {refused:?}"));

    // Error paths: a replayed code, a bad ID token, a forged callback.
    let replay = h.client.finish_login(&query, &pending).await.unwrap_err();
    outputs.push(format!("{replay} {replay:?}"));
    h.server.faults().arm(Fault::IdToken(TokenFault::BadSignature));
    let (bad_query, bad_pending) = h.sign_in(AuthorizeOptions::new()).await;
    let bad = h.client.finish_login(&bad_query, &bad_pending).await.unwrap_err();
    outputs.push(format!("{bad} {bad:?}"));
    let bad_code = url::form_urlencoded::parse(bad_query.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    secrets.push(bad_code);
    let forged = h
        .client
        .handle_callback(&format!("code=x&state={}", value(&params, "state")), &bad_pending);
    outputs.push(format!("{forged:?}"));
    assert_eq!(h.count(&Method::POST, "/v1/revoke"), 2);

    let logs = captured();
    assert!(logs.contains("okta.exchange_code"), "the capture holds the flow's spans:\n{logs}");
    assert!(logs.len() > 2000, "TRACE captured the transport too ({} bytes)", logs.len());
    let outputs = outputs.join("\n");
    for secret in &secrets {
        assert!(secret.len() >= 16, "a secret long enough to search for: {secret:?}");
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs: {}…", &secret[..8]);
        let leak = outputs.lines().find(|line| line.contains(secret.as_str()));
        assert!(
            leak.is_none(),
            "a secret reached Debug/Display: {}… in {:.300}",
            &secret[..8],
            leak.unwrap_or_default()
        );
    }
}
