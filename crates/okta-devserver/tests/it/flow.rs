//! The seed guide's Authorization Code flow, as a browser and a web application drive it.

use http::{Method, StatusCode, header};
use okta_devserver::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, DevServer, Endpoint, Fault,
};

use crate::{client, param, transaction};

#[tokio::test]
async fn the_seed_guide_flow_works_over_http() {
    let server = DevServer::builder().start().await.expect("the server starts");
    let http = client();
    let base = server.issuer("default");
    // Exactly the guide's request: no nonce, no PKCE, redirect_uri http://localhost:8080.
    let authorize = format!(
        "{base}/v1/authorize?client_id={DEMO_CLIENT_ID}&response_type=code&scope=openid\
         &redirect_uri=http%3A%2F%2Flocalhost%3A8080&state=state-296bc9a0-a2a2-4a57-be1a-d0e2fd9bb601"
    );
    let page = http.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    let signed_in = http
        .post(format!("{}/login/signin", server.base_url()))
        .form(&[
            ("tx", transaction(&page).as_str()),
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::FOUND);
    let location = signed_in.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://localhost:8080?code="), "{location}");
    assert_eq!(
        param(&location, "state").as_deref(),
        Some("state-296bc9a0-a2a2-4a57-be1a-d0e2fd9bb601")
    );
    let cookie = signed_in.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let tokens: serde_json::Value = http
        .post(format!("{base}/v1/token"))
        .header(header::ACCEPT, "application/json")
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://localhost:8080"),
            ("code", &param(&location, "code").unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid");
    assert!(tokens["id_token"].is_string() && tokens["access_token"].is_string());
    assert!(tokens.get("refresh_token").is_none());

    let userinfo = http
        .get(format!("{base}/v1/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::OK);
    let userinfo: serde_json::Value = userinfo.json().await.unwrap();
    assert_eq!(userinfo["sub"], server.users().get(DEMO_USERNAME).unwrap().id().as_str());

    // The browser's session skips the sign-in form next time.
    let again = http.get(&authorize).header(header::COOKIE, cookie).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::FOUND);
    assert_eq!(server.count(Method::POST, "/login/signin"), 1);
}

#[tokio::test]
async fn a_redirecting_token_endpoint_is_seen_not_followed() {
    let server = DevServer::builder().start().await.unwrap();
    server.faults().arm(Fault::Redirect { endpoint: Endpoint::Token, status: 307 });
    let reply = client()
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(server.count(Method::POST, "/devserver/redirected"), 0);

    // A client that follows redirects resends the code and the credentials: the trap records it.
    server.faults().arm(Fault::Redirect { endpoint: Endpoint::Token, status: 307 });
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let following =
        reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap();
    let followed = following
        .post(format!("{}/v1/token", server.issuer("default")))
        .form(&[("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), StatusCode::OK);
    let trapped = server
        .requests()
        .into_iter()
        .find(|request| request.path() == "/devserver/redirected")
        .unwrap();
    assert_eq!(trapped.form("code"), Some("x"));
}

#[tokio::test]
async fn keys_generated_on_demand_are_the_same_for_concurrent_first_requests() {
    let server = DevServer::builder().start().await.unwrap();
    let url = format!("{}/v1/keys", server.issuer("default"));
    let http = client();
    let fetches = (0..8).map(|_| {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move { http.get(url).send().await.unwrap().text().await.unwrap() })
    });
    let mut bodies = Vec::new();
    for fetch in fetches {
        bodies.push(fetch.await.unwrap());
    }
    assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]), "one key set");
    assert_eq!(server.count(Method::GET, "/oauth2/default/v1/keys"), 8);
}

#[tokio::test]
async fn faults_are_armed_through_the_admin_route() {
    let server = DevServer::builder().admin_routes(true).start().await.unwrap();
    let http = client();
    let armed = http
        .post(format!("{}/devserver/faults", server.base_url()))
        .json(&serde_json::json!({"fault": "rate_limited", "with": "keys"}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), StatusCode::CREATED);
    let limited = http.get(format!("{}/oauth2/v1/keys", server.base_url())).send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["x-rate-limit-remaining"], "0");
    assert_eq!(server.faults().fired(), [Fault::RateLimited(Endpoint::Keys)]);
}
