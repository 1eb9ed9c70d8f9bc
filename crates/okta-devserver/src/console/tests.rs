//! Tests of the console: off by default, loopback only, what it shows (masked, escaped,
//! decoded), and its CSRF-protected fault switches.

use std::net::SocketAddr;

use axum::body::Body;
use http::{Request, StatusCode, header};

use crate::testing::{Harness, Reply};
use crate::{Client, ClientAuthMethod, DEMO_CLIENT_ID, DevServer, Fault, StartError};

async fn console() -> Harness {
    Harness::with(|builder| builder.console(true)).await
}

fn csrf(page: &Reply) -> String {
    let text = page.text();
    let start =
        text.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    text[start..].split('"').next().unwrap_or_default().to_owned()
}

async fn post_switch(harness: &Harness, body: &str, origin: Option<&str>) -> Reply {
    let mut request = Request::post("/devserver/console/faults")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    harness.send(request.body(Body::from(body.to_owned())).unwrap()).await
}

#[tokio::test]
async fn the_console_is_off_by_default_and_refuses_a_non_loopback_address() {
    let plain = Harness::new().await;
    assert_eq!(plain.get("/devserver/console").await.status, StatusCode::NOT_FOUND);
    assert!(plain.server.console_url().is_none());

    let anywhere = SocketAddr::from(([0, 0, 0, 0], 0));
    let refused = DevServer::builder().bind(anywhere).console(true).start().await.unwrap_err();
    let StartError::InvalidConfig { problems } = &refused else { panic!("{refused}") };
    assert!(
        problems[0].contains("loopback only") && problems[0].contains("0.0.0.0"),
        "{problems:?}"
    );
    let forced = DevServer::builder()
        .bind(anywhere)
        .console(true)
        .console_allow_remote(true)
        .start()
        .await
        .unwrap();
    assert!(forced.console_url().unwrap().ends_with("/devserver/console"));
    let config: crate::DevServerConfig = toml::from_str("console = true").unwrap();
    let from_file = Harness::with(|builder| builder.config(config)).await;
    assert_eq!(from_file.get("/devserver/console").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_page_lists_requests_masked_escaped_with_refusals_and_decoded_tokens() {
    const POSTER_SECRET: &str = "poster-secret-0123456789abcdefghijklmn";
    let harness = Harness::with(|builder| {
        builder.console(true).client(
            Client::confidential("poster", POSTER_SECRET)
                .with_auth_method(ClientAuthMethod::ClientSecretPost),
        )
    })
    .await;
    let tokens = harness.tokens("default", &[]).await;
    let refused = harness
        .post_form(
            "/oauth2/default/v1/token",
            "grant_type=authorization_code&code=nope&note=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            Some((DEMO_CLIENT_ID, "wrong-secret")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let posted_secret = harness
        .post_form(
            "/oauth2/default/v1/introspect",
            &format!(
                "client_id=poster&client_secret={POSTER_SECRET}&token={}",
                tokens["access_token"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(posted_secret.status, StatusCode::OK);

    let page = harness.get("/devserver/console").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.header("content-security-policy").unwrap().contains("default-src 'none'"));
    let text = page.text();
    assert!(!text.contains("<script"), "nothing from a request is rendered as markup");
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped, still readable");
    assert!(
        text.contains(
            "invalid_client: The client secret supplied for a confidential client is invalid."
        ),
        "the refusal reason"
    );
    assert!(!text.contains(POSTER_SECRET), "secrets are masked");
    assert!(!text.contains(tokens["access_token"].as_str().unwrap()), "raw tokens are not shown");
    assert!(!text.contains(tokens["refresh_token"].as_str().unwrap()));
    assert!(text.contains("[masked, "), "{text}");
    assert!(text.contains("[a JWT, decoded under Tokens, "), "the introspected token");
    // The ID token's claims, decoded (JSON quotes escaped).
    assert!(text.contains("<summary>id_token</summary>"));
    assert!(text.contains("&quot;nonce&quot;: &quot;nonce-456&quot;"), "{text}");
    assert!(
        text.contains("&quot;aud&quot;: &quot;api://default&quot;"),
        "the access token's claims"
    );
    assert!(text.contains(r#"<tr class="refused">"#));

    // The record says it too, for tests.
    let record = harness.server.requests();
    let failed = record.iter().find(|request| request.status() == Some(StatusCode::UNAUTHORIZED));
    assert!(failed.unwrap().refusal().unwrap().starts_with("invalid_client: "));
    let authorize =
        record.iter().find(|request| request.path().ends_with("/v1/authorize")).unwrap();
    assert_eq!(authorize.status(), Some(StatusCode::FOUND));
    assert_eq!(authorize.refusal(), None);
}

#[tokio::test]
async fn refusals_of_every_kind_are_recorded() {
    let harness = console().await;
    let _ = harness.get(&Harness::authorize_uri("default", &[("scope", "openid nope")])).await;
    let _ = harness.get(&Harness::authorize_uri("default", &[("client_id", "nobody")])).await;
    let _ = harness.get("/oauth2/default/v1/userinfo").await;
    let reasons: Vec<String> = harness
        .server
        .requests()
        .iter()
        .filter_map(|request| request.refusal().map(str::to_owned))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].starts_with("invalid_scope: "), "{reasons:?}");
    assert!(reasons[1].starts_with("invalid_client: "), "the error page: {reasons:?}");
    assert!(reasons[2].starts_with("invalid_request: The access token is missing"), "{reasons:?}");
}

#[tokio::test]
async fn switches_need_the_console_s_token_and_origin() {
    let harness = console().await;
    let page = harness.get("/devserver/console").await;
    let token = csrf(&page);
    assert_eq!(token.len(), 43);
    let origin = harness.server.base_url().to_owned();

    let forged = post_switch(&harness, "action=arm&preset=0", None).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no token");
    let wrong = post_switch(&harness, "action=arm&preset=0&csrf=not-the-token", None).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let cross_site = post_switch(
        &harness,
        &format!("action=arm&preset=0&csrf={token}"),
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN, "another origin");
    assert!(harness.server.faults().armed().is_empty(), "nothing armed by refused posts");

    let armed =
        post_switch(&harness, &format!("action=arm&preset=0&csrf={token}"), Some(&origin)).await;
    assert_eq!(armed.status, StatusCode::SEE_OTHER);
    assert_eq!(armed.header("location"), Some("/devserver/console"));
    assert_eq!(harness.server.faults().armed()[0].fault(), &Fault::InvalidGrant);
    let listed = harness.get("/devserver/console").await.text();
    assert!(listed.contains("&quot;fault&quot;:&quot;invalid_grant&quot;"), "{listed}");

    let unknown = post_switch(&harness, &format!("action=arm&preset=999&csrf={token}"), None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let cleared = post_switch(&harness, &format!("action=clear&csrf={token}"), None).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert!(harness.server.faults().armed().is_empty());
}
