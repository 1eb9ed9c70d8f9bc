//! Tests of `/logout`.

use http::StatusCode;

use crate::testing::Harness;
use crate::{DEMO_PASSWORD, DEMO_POST_LOGOUT_REDIRECT_URI, DEMO_USERNAME};

const LOGOUT: &str = "/oauth2/default/v1/logout";

#[tokio::test]
async fn logout_validates_its_parameters_on_an_error_page() {
    let harness = Harness::new().await;
    let tokens = harness.tokens("default", &[]).await;
    let hint = tokens["id_token"].as_str().unwrap();
    let cases = [
        LOGOUT.to_owned(),
        format!("{LOGOUT}?id_token_hint=garbage"),
        format!("{LOGOUT}?id_token_hint={}", tokens["access_token"].as_str().unwrap()),
        format!(
            "{LOGOUT}?id_token_hint={hint}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"
        ),
        format!("/oauth2/v1/logout?id_token_hint={hint}"),
    ];
    for uri in cases {
        let reply = harness.get(&uri).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(reply.header("location").is_none());
    }
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_with_state() {
    let harness = Harness::new().await;
    let page = harness.get(&Harness::authorize_uri("default", &[])).await;
    let body =
        format!("tx={}&username={DEMO_USERNAME}&password={DEMO_PASSWORD}", page.transaction());
    let signed_in = harness.post_form("/login/signin", &body, None).await;
    let cookie = signed_in.session_cookie();
    let code = signed_in.location_param("code").unwrap();
    let tokens = harness.exchange("default", &code).await.json();

    // An expired ID token (1 h) is still a valid hint while the session (2 h) lives.
    harness.clock.advance(std::time::Duration::from_secs(7000));
    let uri = format!(
        "{LOGOUT}?id_token_hint={}&post_logout_redirect_uri={}&state=bye-1",
        tokens["id_token"].as_str().unwrap(),
        crate::form::form_encode(DEMO_POST_LOGOUT_REDIRECT_URI)
    );
    let reply = harness.get_with(&uri, &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.location().as_str(), format!("{DEMO_POST_LOGOUT_REDIRECT_URI}?state=bye-1"));
    assert!(reply.header("set-cookie").unwrap().contains("Max-Age=0"));

    let after = harness
        .get_with(&Harness::authorize_uri("default", &[("prompt", "none")]), &[("cookie", &cookie)])
        .await;
    assert_eq!(
        after.location_param("error").as_deref(),
        Some("login_required"),
        "the session is gone"
    );

    let bare = harness
        .get(&format!("{LOGOUT}?id_token_hint={}", tokens["id_token"].as_str().unwrap()))
        .await;
    assert_eq!(bare.status, StatusCode::OK);
    assert!(bare.text().contains(r#"id="signed-out""#));
}
