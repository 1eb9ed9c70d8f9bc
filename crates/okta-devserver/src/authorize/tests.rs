//! Tests of `/authorize`, the sign-in form, the consent page, sessions and `sessionToken`s.

use std::time::Duration;

use http::StatusCode;

use crate::testing::{Harness, Reply};
use crate::{Client, DEMO_PASSWORD, DEMO_REDIRECT_URI, DEMO_USERNAME, Fault};

/// Extra `/authorize` parameters, the expected error and the expected `state`.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, Option<&'a str>);

fn authorize(extra: &[(&str, &str)]) -> String {
    Harness::authorize_uri("default", extra)
}

/// Signs in through the form and returns the reply to the form post.
async fn sign_in(harness: &Harness, page: &Reply, username: &str, password: &str) -> Reply {
    let body = format!(
        "tx={}&username={}&password={}",
        page.transaction(),
        crate::form::form_encode(username),
        crate::form::form_encode(password)
    );
    harness.post_form("/login/signin", &body, None).await
}

fn assert_error_redirect(reply: &Reply, error: &str, state: Option<&str>) {
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
    let location = reply.location();
    assert_eq!(location.as_str().split('?').next(), Some(DEMO_REDIRECT_URI));
    assert_eq!(reply.location_param("error").as_deref(), Some(error), "{location}");
    assert!(reply.location_param("error_description").is_some_and(|text| !text.is_empty()));
    assert_eq!(reply.location_param("state").as_deref(), state);
    assert_eq!(reply.location_param("code"), None);
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirect_uris_get_an_error_page_never_a_redirect() {
    let harness = Harness::new().await;
    let cases = [
        authorize(&[("client_id", "nobody")]),
        authorize(&[("client_id", "")]),
        authorize(&[("redirect_uri", "http://127.0.0.1:8080/authorization-code/callback/")]),
        authorize(&[("redirect_uri", "https://evil.example/callback")]),
        authorize(&[("redirect_uri", "")]),
    ];
    for uri in cases {
        let reply = harness.get(&uri).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(reply.header("location").is_none());
        assert!(reply.text().contains(r#"id="error-code""#));
    }
}

#[tokio::test]
async fn request_errors_go_back_to_the_client_with_state() {
    let harness = Harness::new().await;
    let cases: [Case<'_>; 8] = [
        (&[("state", "")], "invalid_request", None),
        (&[("state", "bell\u{7}")], "invalid_request", None),
        (&[("scope", "openid unknown")], "invalid_scope", Some("state-123")),
        (&[("scope", "")], "invalid_scope", Some("state-123")),
        (&[("response_type", "token")], "unsupported_response_type", Some("state-123")),
        (&[("code_challenge_method", "plain")], "invalid_request", Some("state-123")),
        (&[("code_challenge", "too-short")], "invalid_request", Some("state-123")),
        (&[("prompt", "none login")], "invalid_request", Some("state-123")),
    ];
    for (extra, error, state) in cases {
        let reply = harness.get(&authorize(extra)).await;
        assert_error_redirect(&reply, error, state);
    }
    let duplicated = format!("{}&scope=openid", authorize(&[]));
    assert_error_redirect(&harness.get(&duplicated).await, "invalid_request", Some("state-123"));
    let bad_mode = authorize(&[("response_mode", "okta_post_message")]);
    assert_error_redirect(
        &harness.get(&bad_mode).await,
        "unsupported_response_mode",
        Some("state-123"),
    );
    let bad_max_age = authorize(&[("max_age", "-1")]);
    assert_error_redirect(&harness.get(&bad_max_age).await, "invalid_request", Some("state-123"));
}

#[tokio::test]
async fn okta_state_characters_are_accepted() {
    let harness = Harness::new().await;
    let reply = harness.get(&authorize(&[("state", "state-296bc9a0,a2a2.4a57_be1a")])).await;
    assert_eq!(reply.status, StatusCode::OK, "the sign-in page, not an error");
}

/// `state` values that widely used clients send to Okta, which Okta's endpoint accepts.
const LENIENT_STATES: [&str; 5] = [
    // Spring Security's default: padded base64url of 32 bytes.
    "Gk3PzsWMFQdGbxr2YpCxP8i5Ew4JtoQEmGlA0E9t3Dk=",
    "https://localhost/",
    "a:b",
    "with spaces",
    "semi;plus+star*",
];

#[tokio::test]
async fn states_that_okta_accepts_are_accepted_and_echoed_exactly() {
    let harness = Harness::new().await;
    for state in LENIENT_STATES {
        let token = harness.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
        let reply = harness.get(&authorize(&[("state", state), ("sessionToken", &token)])).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{state}: {}", reply.text());
        assert!(reply.location_param("code").is_some(), "{state}: {}", reply.location());
        assert_eq!(reply.location_param("state").as_deref(), Some(state));
    }
}

#[tokio::test]
async fn strict_state_accepts_only_the_documented_characters() {
    let harness = Harness::with(|builder| builder.strict_state(true)).await;
    for state in LENIENT_STATES {
        let reply = harness.get(&authorize(&[("state", state)])).await;
        assert_error_redirect(&reply, "invalid_request", None);
        assert_eq!(
            reply.location_param("error_description").as_deref(),
            Some("The authentication request has an invalid 'state' parameter.")
        );
    }
    let documented = harness.get(&authorize(&[("state", "state-296bc9a0,a2a2.4a57_be1a")])).await;
    assert_eq!(documented.status, StatusCode::OK, "the sign-in page");
    let config: crate::DevServerConfig = toml::from_str("strict_state = true").unwrap();
    let from_file = Harness::with(|builder| builder.config(config)).await;
    assert_error_redirect(
        &from_file.get(&authorize(&[("state", "a:b")])).await,
        "invalid_request",
        None,
    );
}

#[tokio::test]
async fn a_bare_origin_redirect_uri_comes_back_without_a_slash_and_exchanges() {
    let harness = Harness::new().await;
    let bare = "http://localhost:8080";
    let token = harness.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
    let reply = harness
        .get(&authorize(&[("redirect_uri", bare), ("sessionToken", &token), ("state", "s 1")]))
        .await;
    let location = reply.header("location").expect("a redirect").to_owned();
    assert!(location.starts_with("http://localhost:8080?code="), "{location}");
    assert!(location.ends_with("&state=s+1"), "{location}");
    let code = reply.location_param("code").unwrap();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={}",
        crate::form::form_encode(bare),
        crate::testing::VERIFIER
    );
    let exchanged = harness
        .post_form(
            "/oauth2/default/v1/token",
            &body,
            Some((crate::DEMO_CLIENT_ID, crate::DEMO_CLIENT_SECRET)),
        )
        .await;
    assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.text());

    // Errors keep the registered bytes too, and a registered query is extended with `&`.
    let refused = harness.get(&authorize(&[("redirect_uri", bare), ("scope", "nope")])).await;
    let location = refused.header("location").unwrap();
    assert!(location.starts_with("http://localhost:8080?error=invalid_scope&"), "{location}");
    let with_query = Harness::with(|builder| {
        builder.client(
            Client::confidential("q", "q-secret")
                .with_redirect_uri("http://127.0.0.1:9/cb?tenant=a"),
        )
    })
    .await;
    let refused = with_query
        .get(&authorize(&[
            ("client_id", "q"),
            ("redirect_uri", "http://127.0.0.1:9/cb?tenant=a"),
            ("scope", "nope"),
        ]))
        .await;
    let location = refused.header("location").unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:9/cb?tenant=a&error=invalid_scope&"),
        "{location}"
    );
    let fragment = harness
        .get(&authorize(&[
            ("redirect_uri", bare),
            ("scope", "nope"),
            ("response_mode", "fragment"),
        ]))
        .await;
    let location = fragment.header("location").unwrap();
    assert!(location.starts_with("http://localhost:8080#error=invalid_scope&"), "{location}");
}

#[tokio::test]
async fn public_clients_must_use_pkce() {
    let harness = Harness::with(|builder| {
        builder.client(Client::public("cli").with_redirect_uri(DEMO_REDIRECT_URI))
    })
    .await;
    let without =
        authorize(&[("client_id", "cli"), ("code_challenge", ""), ("code_challenge_method", "")]);
    assert_error_redirect(&harness.get(&without).await, "invalid_request", Some("state-123"));
    let with = authorize(&[("client_id", "cli")]);
    assert_eq!(harness.get(&with).await.status, StatusCode::OK);
}

#[tokio::test]
async fn clients_without_the_code_grant_are_unauthorized() {
    let harness = Harness::with(|builder| {
        builder.client(
            Client::confidential("machine", "machine-secret")
                .with_redirect_uri(DEMO_REDIRECT_URI)
                .with_grant_types([crate::GrantType::ClientCredentials]),
        )
    })
    .await;
    let reply = harness.get(&authorize(&[("client_id", "machine")])).await;
    assert_error_redirect(&reply, "unauthorized_client", Some("state-123"));
}

#[tokio::test]
async fn the_sign_in_page_has_the_stable_element_ids_and_escapes_the_login_hint() {
    let harness = Harness::new().await;
    let reply = harness.get(&authorize(&[("login_hint", r#"x"><script>alert(1)</script>"#)])).await;
    assert_eq!(reply.status, StatusCode::OK);
    let page = reply.text();
    for id in [r#"id="username""#, r#"id="password""#, r#"id="submit""#] {
        assert!(page.contains(id), "{id} missing");
    }
    assert!(!page.contains(r#"id="error""#));
    assert!(!page.contains("<script>"), "the hint is escaped");
    assert!(page.contains("&lt;script&gt;"));
    assert!(!page.to_lowercase().contains("<script"), "no JavaScript at all");
}

#[tokio::test]
async fn a_wrong_password_shows_the_error_and_keeps_the_transaction() {
    let harness = Harness::new().await;
    let page = harness.get(&authorize(&[])).await;
    let failed = sign_in(&harness, &page, DEMO_USERNAME, "wrong").await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    assert!(failed.text().contains(r#"id="error""#));
    assert!(failed.header("set-cookie").is_none());
    let unknown = sign_in(&harness, &page, "nobody@example.com", DEMO_PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let signed_in = sign_in(&harness, &failed, "ALICE@example.com", DEMO_PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::FOUND, "usernames are case-insensitive");
    assert!(signed_in.location_param("code").is_some());
}

#[tokio::test]
async fn signing_in_redirects_with_code_and_state_and_starts_a_session() {
    let harness = Harness::new().await;
    let page = harness.get(&authorize(&[])).await;
    let reply = sign_in(&harness, &page, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.location_param("state").as_deref(), Some("state-123"));
    assert_eq!(reply.location_param("code").map(|code| code.len()), Some(43));
    assert_eq!(reply.location_param("iss"), None, "RFC 9207 is off by default");
    let cookie = reply.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("sid=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
    );

    // The session skips the form next time, and the transaction is single-use.
    let again = harness
        .get_with(&authorize(&[("state", "second")]), &[("cookie", &reply.session_cookie())])
        .await;
    assert_eq!(again.status, StatusCode::FOUND);
    assert_eq!(again.location_param("state").as_deref(), Some("second"));
    let replayed = sign_in(&harness, &page, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn prompt_none_login_and_max_age_follow_the_session() {
    let harness = Harness::new().await;
    let none = harness.get(&authorize(&[("prompt", "none")])).await;
    assert_error_redirect(&none, "login_required", Some("state-123"));

    let page = harness.get(&authorize(&[])).await;
    let cookie = sign_in(&harness, &page, DEMO_USERNAME, DEMO_PASSWORD).await.session_cookie();
    let with_cookie = |extra: &'static [(&'static str, &'static str)]| {
        let harness = &harness;
        let cookie = cookie.clone();
        async move { harness.get_with(&authorize(extra), &[("cookie", &cookie)]).await }
    };
    assert_eq!(with_cookie(&[("prompt", "none")]).await.status, StatusCode::FOUND);
    assert_eq!(with_cookie(&[("prompt", "login")]).await.status, StatusCode::OK, "the form again");

    harness.clock.advance(Duration::from_mins(2));
    assert_eq!(with_cookie(&[("max_age", "300")]).await.status, StatusCode::FOUND);
    assert_eq!(with_cookie(&[("max_age", "60")]).await.status, StatusCode::OK);
    assert_error_redirect(
        &with_cookie(&[("max_age", "60"), ("prompt", "none")]).await,
        "login_required",
        Some("state-123"),
    );

    harness.clock.advance(Duration::from_hours(2));
    assert_eq!(with_cookie(&[]).await.status, StatusCode::OK, "the session expired");
}

#[tokio::test]
async fn prompt_consent_shows_allow_and_deny() {
    let harness = Harness::new().await;
    let page = harness.get(&authorize(&[("prompt", "consent")])).await;
    let consent = sign_in(&harness, &page, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(consent.status, StatusCode::OK);
    let text = consent.text();
    assert!(text.contains(r#"id="allow""#) && text.contains(r#"id="deny""#));
    assert!(text.contains("offline_access"));
    let cookie = consent.session_cookie();

    let denied = harness
        .post_form("/login/consent", &format!("tx={}&decision=deny", consent.transaction()), None)
        .await;
    assert_error_redirect(&denied, "access_denied", Some("state-123"));

    let again =
        harness.get_with(&authorize(&[("prompt", "consent")]), &[("cookie", &cookie)]).await;
    assert_eq!(again.status, StatusCode::OK, "a session still asks for consent");
    let allowed = harness
        .post_form("/login/consent", &format!("tx={}&decision=allow", again.transaction()), None)
        .await;
    assert_eq!(allowed.status, StatusCode::FOUND);
    assert!(allowed.location_param("code").is_some());
    let unknown = harness.post_form("/login/consent", "tx=nope&decision=allow", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn session_tokens_are_single_use_and_expire() {
    let harness = Harness::new().await;
    let token = harness.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
    let first = harness.get(&authorize(&[("sessionToken", &token), ("prompt", "none")])).await;
    assert_eq!(first.status, StatusCode::FOUND);
    assert!(first.location_param("code").is_some());
    assert!(first.header("set-cookie").is_some(), "a session starts");
    let second = harness.get(&authorize(&[("sessionToken", &token), ("prompt", "none")])).await;
    assert_error_redirect(&second, "login_required", Some("state-123"));

    let late = harness.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
    harness.clock.advance(Duration::from_secs(301));
    let expired = harness.get(&authorize(&[("sessionToken", &late), ("prompt", "none")])).await;
    assert_error_redirect(&expired, "login_required", Some("state-123"));
}

#[tokio::test]
async fn a_session_cookie_wins_over_a_session_token_as_in_classic_okta() {
    let harness = Harness::new().await;
    let page = harness.get(&authorize(&[])).await;
    let cookie = sign_in(&harness, &page, DEMO_USERNAME, DEMO_PASSWORD).await.session_cookie();
    let bob = harness.session_token(crate::DEMO_SECOND_USERNAME, crate::DEMO_SECOND_PASSWORD).await;
    let reply =
        harness.get_with(&authorize(&[("sessionToken", &bob)]), &[("cookie", &cookie)]).await;
    let code = reply.location_param("code").unwrap();
    let tokens = harness.exchange("default", &code).await.json();
    let subject = crate::testing::claims(tokens["access_token"].as_str().unwrap())["sub"].clone();
    assert_eq!(subject, DEMO_USERNAME, "alice's session, not bob's token");
    // Bob's token was not consumed.
    let unused = harness.get(&authorize(&[("sessionToken", &bob), ("prompt", "none")])).await;
    assert!(unused.location_param("code").is_some());
}

#[tokio::test]
async fn response_modes_fragment_and_form_post() {
    let harness = Harness::new().await;
    let token = harness.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
    let fragment =
        harness.get(&authorize(&[("sessionToken", &token), ("response_mode", "fragment")])).await;
    let location = fragment.location();
    assert_eq!(location.query(), None);
    assert!(
        location.fragment().is_some_and(
            |fragment| fragment.contains("code=") && fragment.contains("state=state-123")
        )
    );

    let token = harness.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
    let form_post =
        harness.get(&authorize(&[("sessionToken", &token), ("response_mode", "form_post")])).await;
    assert_eq!(form_post.status, StatusCode::OK);
    let page = form_post.text();
    assert!(page.contains(&format!(r#"action="{DEMO_REDIRECT_URI}""#)));
    assert!(page.contains(r#"name="code""#) && page.contains(r#"value="state-123""#));
    assert!(page.contains(r#"id="continue""#));
}

#[tokio::test]
async fn rfc_9207_iss_is_sent_when_enabled_and_faults_change_it() {
    let harness = Harness::with(|builder| builder.authorization_response_iss(true)).await;
    let issuer = harness.server.issuer("default");
    let token = harness.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
    let reply = harness.get(&authorize(&[("sessionToken", &token)])).await;
    assert_eq!(reply.location_param("iss"), Some(issuer.clone()));
    let error = harness.get(&authorize(&[("scope", "bogus")])).await;
    assert_eq!(error.location_param("iss"), Some(issuer.clone()), "error responses carry iss too");

    harness.server.faults().arm(Fault::AuthorizationResponseWrongIss);
    let wrong = harness.get(&authorize(&[("scope", "bogus")])).await;
    assert_eq!(wrong.location_param("iss"), Some(format!("{issuer}1")));
    harness.server.faults().arm(Fault::AuthorizationResponseMissingIss);
    let missing = harness.get(&authorize(&[("scope", "bogus")])).await;
    assert_eq!(missing.location_param("iss"), None);
    let back_to_normal = harness.get(&authorize(&[("scope", "bogus")])).await;
    assert_eq!(back_to_normal.location_param("iss"), Some(issuer));
}

#[tokio::test]
async fn sign_in_transactions_expire() {
    let harness = Harness::new().await;
    let page = harness.get(&authorize(&[])).await;
    harness.clock.advance(Duration::from_secs(601));
    let reply = sign_in(&harness, &page, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.text().contains("expired"));
}

#[tokio::test]
async fn the_org_server_authorizes_too_and_unknown_servers_are_404() {
    let harness = Harness::new().await;
    let reply = harness.get(&Harness::authorize_uri("org", &[])).await;
    assert_eq!(reply.status, StatusCode::OK);
    let unknown = harness.get(&Harness::authorize_uri("nope", &[])).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["errorCode"], "E0000007");
}
