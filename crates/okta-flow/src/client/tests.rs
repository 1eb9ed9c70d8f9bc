//! Unit tests of the client with an injected HTTP client: the authorization URL, the token
//! request's shape, and every transport or response fault of `/token`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use okta_http::TransportError;
use serde_json::json;

use super::*;
use crate::TokenErrorCode;
use crate::test_support::{Answer, FakeOp, ISSUER, settings};

const TOKEN: &str = "/oauth2/default/v1/token";

async fn client(op: &Arc<FakeOp>) -> OktaClient {
    OktaClient::builder(&settings()).http_client(op.clone()).discover().await.unwrap()
}

fn query(url: &Url) -> Vec<(String, String)> {
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

#[tokio::test]
async fn sc001_the_authorization_url_carries_everything_once() {
    let op = FakeOp::new();
    let client = client(&op).await;
    let (url, pending) = client.authorize(&AuthorizeOptions::new()).unwrap();
    assert_eq!(url.as_str().split('?').next().unwrap(), format!("{ISSUER}/v1/authorize"));
    let pairs = query(&url);
    assert_eq!(param(&pairs, "client_id"), ["0oa-client"]);
    assert_eq!(param(&pairs, "response_type"), ["code"]);
    assert_eq!(param(&pairs, "scope"), ["openid profile email"]);
    assert_eq!(
        param(&pairs, "redirect_uri"),
        ["https://app.example.com/authorization-code/callback"]
    );
    assert_eq!(param(&pairs, "state"), [pending.state.secret().as_str()]);
    assert_eq!(param(&pairs, "nonce"), [pending.nonce.secret().as_str()]);
    assert_eq!(param(&pairs, "code_challenge_method"), ["S256"]);
    let challenge = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        pending.pkce_verifier.secret().as_bytes(),
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(challenge.as_ref());
    assert_eq!(param(&pairs, "code_challenge"), [challenge.as_str()]);
    for (name, _) in &pairs {
        assert_eq!(pairs.iter().filter(|(k, _)| k == name).count(), 1, "{name} appears once");
    }
    // Building a URL calls nobody.
    assert_eq!(op.paths().len(), 1);
}

#[tokio::test]
async fn sc024_options_are_single_encoded_values() {
    let op = FakeOp::new();
    let client = client(&op).await;
    let options = AuthorizeOptions::new()
        .prompt(Prompt::LoginAndConsent)
        .login_hint("a&redirect_uri=https://evil")
        .idp("0oa-idp#x")
        .max_age(Duration::from_secs(300))
        .acr_value("urn:okta:loa:2fa:any")
        .session_token("20111ABCsessiontoken")
        .extra_param("ui_locales", "fr\nCA");
    let (url, pending) = client.authorize(&options).unwrap();
    let pairs = query(&url);
    assert_eq!(
        param(&pairs, "redirect_uri"),
        ["https://app.example.com/authorization-code/callback"]
    );
    assert_eq!(param(&pairs, "login_hint"), ["a&redirect_uri=https://evil"]);
    assert_eq!(param(&pairs, "prompt"), ["login consent"]);
    assert_eq!(param(&pairs, "idp"), ["0oa-idp#x"]);
    assert_eq!(param(&pairs, "max_age"), ["300"]);
    assert_eq!(param(&pairs, "acr_values"), ["urn:okta:loa:2fa:any"]);
    assert_eq!(param(&pairs, "sessionToken"), ["20111ABCsessiontoken"]);
    assert_eq!(param(&pairs, "ui_locales"), ["fr\nCA"]);
    assert_eq!(pending.max_age(), Some(Duration::from_secs(300)));
    assert!(!format!("{options:?}").contains("20111ABC"), "the session token is redacted");

    for reserved in ["state", "redirect_uri", "nonce", "code_challenge", "client_id", "scope"] {
        assert_eq!(
            client.authorize(&AuthorizeOptions::new().extra_param(reserved, "x")).unwrap_err(),
            AuthorizeError::ReservedParameter(reserved.into())
        );
    }
}

#[tokio::test]
async fn scopes_can_be_overridden_and_openid_is_always_first() {
    let op = FakeOp::new();
    let client = client(&op).await;
    let scopes = vec![Scope::parse("offline_access").unwrap(), Scope::parse("openid").unwrap()];
    let (url, _) = client.authorize(&AuthorizeOptions::new().scopes(scopes)).unwrap();
    assert_eq!(param(&query(&url), "scope"), ["openid offline_access"]);
}

/// Starts a login and exchanges a code against whatever `/token` is set to answer.
async fn exchange(op: &Arc<FakeOp>) -> Result<TokenSet, TokenError> {
    let client = client(op).await;
    let (_, pending) = client.authorize(&AuthorizeOptions::new()).unwrap();
    client.exchange_code(AuthorizationCode::new("the-code".into()), &pending).await
}

fn token_requests(op: &FakeOp) -> usize {
    op.paths().iter().filter(|path| *path == TOKEN).count()
}

#[tokio::test]
async fn sc040_sc041_the_token_request_shape_and_basic_encoding() {
    let op = FakeOp::new();
    op.json(400, TOKEN, &json!({"error": "invalid_grant"}));
    let settings = okta_config::SettingsLoader::isolated()
        .set("issuer", ISSUER)
        .set("client_id", "a+b/c=")
        .set("client_secret", "p:%&+=\u{fc}")
        .set("redirect_uri", "https://app.example.com/cb")
        .role(okta_config::Role::Client)
        .load()
        .unwrap();
    let client = OktaClient::builder(&settings).http_client(op.clone()).discover().await.unwrap();
    let (_, pending) = client.authorize(&AuthorizeOptions::new()).unwrap();
    let _ = client.exchange_code(AuthorizationCode::new("the-code".into()), &pending).await;

    let requests = op.requests.lock().unwrap();
    let request = requests.iter().find(|r| r.uri().path() == TOKEN).unwrap();
    assert_eq!(request.method(), http::Method::POST);
    let basic =
        request.headers()["authorization"].to_str().unwrap().strip_prefix("Basic ").unwrap();
    let decoded =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(basic).unwrap())
            .unwrap();
    // RFC 6749 §2.3.1: form-urlencode each part, then Base64.
    assert_eq!(decoded, "a%2Bb%2Fc%3D:p%3A%25%26%2B%3D%C3%BC");
    let body: Vec<(String, String)> = url::form_urlencoded::parse(request.body())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(param(&body, "grant_type"), ["authorization_code"]);
    assert_eq!(param(&body, "code"), ["the-code"]);
    assert_eq!(param(&body, "redirect_uri"), ["https://app.example.com/cb"]);
    assert_eq!(param(&body, "code_verifier"), [pending.pkce_verifier.secret().as_str()]);
    assert!(param(&body, "client_secret").is_empty(), "one authentication method only");
    assert!(param(&body, "client_id").is_empty());
}

#[tokio::test]
async fn client_secret_post_puts_the_credentials_in_the_body_only() {
    let op = FakeOp::new();
    op.json(400, TOKEN, &json!({"error": "invalid_grant"}));
    let settings = okta_config::SettingsLoader::isolated()
        .set("issuer", ISSUER)
        .set("client_id", "cid")
        .set("client_secret", "csecret")
        .set("client_auth_method", "client_secret_post")
        .set("redirect_uri", "https://app.example.com/cb")
        .role(okta_config::Role::Client)
        .load()
        .unwrap();
    let client = OktaClient::builder(&settings).http_client(op.clone()).discover().await.unwrap();
    let (_, pending) = client.authorize(&AuthorizeOptions::new()).unwrap();
    let _ = client.exchange_code(AuthorizationCode::new("c".into()), &pending).await;
    let requests = op.requests.lock().unwrap();
    let request = requests.iter().find(|r| r.uri().path() == TOKEN).unwrap();
    assert!(request.headers().get("authorization").is_none());
    let body: Vec<(String, String)> = url::form_urlencoded::parse(request.body())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(param(&body, "client_id"), ["cid"]);
    assert_eq!(param(&body, "client_secret"), ["csecret"]);
}

#[tokio::test]
async fn sc042_sc043_server_errors_are_typed_and_never_retried() {
    for (status, code, expected) in [
        (400, "invalid_grant", TokenErrorCode::InvalidGrant),
        (400, "invalid_request", TokenErrorCode::InvalidRequest),
        (400, "unauthorized_client", TokenErrorCode::UnauthorizedClient),
        (400, "unsupported_grant_type", TokenErrorCode::UnsupportedGrantType),
        (400, "invalid_scope", TokenErrorCode::InvalidScope),
        (401, "invalid_client", TokenErrorCode::InvalidClient),
        (400, "something_new", TokenErrorCode::Other("something_new".into())),
    ] {
        let op = FakeOp::new();
        op.json(
            status,
            TOKEN,
            &json!({"error": code, "error_description": "The authorization code is invalid."}),
        );
        let err = exchange(&op).await.unwrap_err();
        let TokenError::Rejected { code: got, description, status: got_status } = &err else {
            panic!("{code}: {err:?}")
        };
        assert_eq!(*got, expected);
        assert_eq!(*got_status, status);
        assert_eq!(description.as_deref(), Some("The authorization code is invalid."));
        assert_eq!(token_requests(&op), 1, "a code exchange is never retried");
        assert!(!err.to_string().contains("client-secret-value"));
    }
}

#[tokio::test]
async fn sc044_sc047_unusable_responses_are_malformed() {
    for body in [
        Answer::Respond(200, "text/html", b"<html>hi</html>".to_vec()),
        Answer::Respond(200, "application/json", b"not json".to_vec()),
        Answer::Respond(200, "application/json", b"[1]".to_vec()),
        Answer::Respond(200, "application/json", br#"{"token_type":"Bearer"}"#.to_vec()),
        Answer::Respond(200, "application/json", br#"{"access_token":"at"}"#.to_vec()),
        Answer::Respond(
            200,
            "application/json",
            br#"{"access_token":"at","token_type":"Bearer","expires_in":"3600"}"#.to_vec(),
        ),
        Answer::Respond(
            200,
            "application/json",
            br#"{"access_token":"at","token_type":"Bearer","expires_in":-5}"#.to_vec(),
        ),
        Answer::Respond(
            200,
            "application/json",
            br#"{"access_token":"at","token_type":"Bearer","expires_in":1e400}"#.to_vec(),
        ),
        Answer::Respond(
            200,
            "application/json",
            br#"{"access_token":"at","token_type":"Bearer","expires_in":3600}"#.to_vec(),
        ),
    ] {
        let op = FakeOp::new();
        op.answer(TOKEN, body.clone());
        let err = exchange(&op).await.unwrap_err();
        assert!(matches!(err, TokenError::MalformedResponse(_)), "{err:?}");
        assert_eq!(token_requests(&op), 1);
    }
}

#[tokio::test]
async fn sc046_only_bearer_tokens_in_any_case() {
    for token_type in ["mac", "N_A"] {
        let op = FakeOp::new();
        op.json(
            200,
            TOKEN,
            &json!({"access_token": "at", "token_type": token_type, "id_token": "x.y.z"}),
        );
        assert!(
            matches!(exchange(&op).await, Err(TokenError::UnsupportedTokenType(_))),
            "{token_type}"
        );
    }
    // BEARER passes the type check and then reaches the ID token, which here is garbage.
    let op = FakeOp::new();
    op.json(
        200,
        TOKEN,
        &json!({"access_token": "at", "token_type": "BEARER", "id_token": "x.y.z"}),
    );
    assert!(matches!(exchange(&op).await, Err(TokenError::IdToken(_))));
}

#[tokio::test]
async fn sc048_transport_faults_are_typed_and_never_retried() {
    for (failure, kind) in [
        (TransportError::Redirect { status: 307, url: "x".into() }, "transport"),
        (TransportError::TooLarge { limit: 1024, url: "x".into() }, "transport"),
        (TransportError::Timeout { after: Duration::from_secs(10), url: "x".into() }, "transport"),
        (TransportError::other("connection reset"), "transport"),
    ] {
        let op = FakeOp::new();
        op.answer(TOKEN, Answer::Fail(failure));
        let err = exchange(&op).await.unwrap_err();
        assert_eq!(err.kind(), kind);
        assert_eq!(token_requests(&op), 1);
    }
    for (status, content_type, body, kind) in [
        (503, "text/html", &b"<html>down</html>"[..], "server_failure"),
        (500, "application/json", &b"{}"[..], "server_failure"),
        (
            429,
            "application/json",
            &br#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit"}"#[..],
            "rate_limited",
        ),
    ] {
        let op = FakeOp::new();
        op.answer(TOKEN, Answer::Respond(status, content_type, body.to_vec()));
        let err = exchange(&op).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status}: {err:?}");
        if let TokenError::RateLimited { reset } = err {
            assert_eq!(reset, Some(1_700_000_060));
        }
        assert_eq!(token_requests(&op), 1);
    }
}

#[tokio::test]
async fn the_logout_url() {
    let op = FakeOp::new();
    let client = client(&op).await;
    let hint = IdToken("eyJ.header.sig".into());
    let after = RedirectUri::parse("https://app.example.com/signed-out").unwrap();
    let url = client.logout_url(&hint, Some(&after), Some("st8")).unwrap();
    let pairs = query(&url);
    assert_eq!(url.path(), "/oauth2/default/v1/logout");
    assert_eq!(param(&pairs, "id_token_hint"), ["eyJ.header.sig"]);
    assert_eq!(param(&pairs, "post_logout_redirect_uri"), ["https://app.example.com/signed-out"]);
    assert_eq!(param(&pairs, "state"), ["st8"]);
    let url = client.logout_url(&hint, None, None).unwrap();
    assert!(param(&query(&url), "post_logout_redirect_uri").is_empty());
}

#[tokio::test]
async fn setup_needs_a_complete_client() {
    let op = FakeOp::new();
    let settings = okta_config::SettingsLoader::isolated().set("issuer", ISSUER).load().unwrap();
    let err = OktaClient::builder(&settings).http_client(op.clone()).discover().await.unwrap_err();
    assert!(matches!(err, SetupError::Settings("no client_id")));
}

#[tokio::test]
async fn nothing_secret_in_debug_output() {
    let op = FakeOp::new();
    let client = client(&op).await;
    let (_, pending) = client.authorize(&AuthorizeOptions::new()).unwrap();
    let debug = format!("{client:?} {pending:?} {:?}", client.metadata());
    assert!(!debug.contains("client-secret-value"));
    assert!(!debug.contains(pending.state.secret().as_str()));
}

#[tokio::test]
async fn sc116_a_signed_userinfo_answer_is_refused() {
    // Okta answers /userinfo with JSON; a JWT answer (which we cannot verify here) is refused.
    let op = FakeOp::new();
    op.answer(
        "/oauth2/default/v1/userinfo",
        Answer::Respond(
            200,
            "application/jwt",
            b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyIn0.".to_vec(),
        ),
    );
    let client = client(&op).await;
    let result = client.userinfo(&AccessToken::new("at".into()), "user").await;
    assert!(result.is_err(), "{result:?}");
}

#[tokio::test]
async fn a_metadata_refresh_dropped_mid_flight_does_not_stop_later_refreshes() {
    const DISCOVERY: &str = "/oauth2/default/.well-known/openid-configuration";
    let op = FakeOp::new();
    let now = Arc::new(std::sync::atomic::AtomicU64::new(1_700_000_000));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || {
            std::time::UNIX_EPOCH + Duration::from_secs(now.load(Ordering::SeqCst))
        })
    };
    let client = OktaClient::builder(&settings())
        .http_client(op.clone())
        .clock(clock)
        .discover()
        .await
        .unwrap();
    let discoveries = || op.paths().iter().filter(|path| *path == DISCOVERY).count();
    assert_eq!(discoveries(), 1);

    // A day later the metadata is stale; the refresh's request never answers, and the caller's
    // future is dropped while it waits (a cancelled request).
    now.fetch_add(25 * 3600, Ordering::SeqCst);
    op.answer(DISCOVERY, Answer::Pending);
    {
        let mut refresh = std::pin::pin!(client.refresh_stale_metadata());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(refresh.as_mut().poll(&mut cx).is_pending());
        assert_eq!(discoveries(), 2, "the refresh is in flight");
        // While it is in flight, other callers do not start a second one.
        client.refresh_stale_metadata().await;
        assert_eq!(discoveries(), 2);
    }

    // The next caller refreshes.
    op.json(200, DISCOVERY, &crate::test_support::discovery_json());
    client.refresh_stale_metadata().await;
    assert_eq!(discoveries(), 3, "the dropped refresh must not leave the flight taken");
    let fetched_at = client.inner.discovered.load().fetched_at;
    assert_eq!(fetched_at, client.clock().now(), "the metadata was replaced");
}
