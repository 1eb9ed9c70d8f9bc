//! Tests of `/userinfo`.

use http::StatusCode;

use crate::testing::Harness;
use crate::{
    AuthorizationServer, ClaimValue, CustomClaim, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_USERNAME, Fault,
};

const USERINFO: &str = "/oauth2/default/v1/userinfo";
const ORG_USERINFO: &str = "/oauth2/v1/userinfo";

fn challenge(reply: &crate::testing::Reply) -> String {
    reply.header("www-authenticate").expect("a WWW-Authenticate header").to_owned()
}

#[tokio::test]
async fn claims_follow_the_granted_scopes() {
    let harness = Harness::new().await;
    let alice = harness.server.users().get(DEMO_USERNAME).unwrap();
    let full = harness.tokens("org", &[("scope", "openid profile email groups")]).await;
    let bearer = format!("Bearer {}", full["access_token"].as_str().unwrap());
    let reply = harness.get_with(ORG_USERINFO, &[("authorization", &bearer)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["sub"], alice.id().as_str());
    assert_eq!(body["name"], "Alice Liddell");
    assert_eq!(body["given_name"], "Alice");
    assert_eq!(body["family_name"], "Liddell");
    assert_eq!(body["preferred_username"], DEMO_USERNAME);
    assert_eq!(body["email"], DEMO_USERNAME);
    assert_eq!(body["email_verified"], true);
    assert_eq!(body["groups"], serde_json::json!(["Everyone", "Engineering", "Admins"]));

    let minimal = harness.tokens("default", &[("scope", "openid")]).await;
    let bearer = format!("bearer {}", minimal["access_token"].as_str().unwrap());
    let body = harness.get_with(USERINFO, &[("authorization", &bearer)]).await.json();
    assert_eq!(body, serde_json::json!({ "sub": alice.id() }), "lower-case scheme accepted");

    let posted = harness
        .send(
            http::Request::post(ORG_USERINFO)
                .header(
                    "authorization",
                    format!("Bearer {}", full["access_token"].as_str().unwrap()),
                )
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(posted.status, StatusCode::OK);
}

#[tokio::test]
async fn groups_is_an_org_scope_and_custom_servers_send_their_id_token_claims() {
    let harness = Harness::with(|builder| {
        builder.authorization_server(
            AuthorizationServer::new("default")
                .with_scope("groups")
                .with_claim(CustomClaim::groups().only_with_scopes(["groups"]))
                .with_claim(CustomClaim::new(
                    "tier",
                    ClaimValue::Static(serde_json::json!("gold")),
                )),
        )
    })
    .await;
    // Without a configured `groups` scope, the default server refuses it (Okta's too).
    let plain = Harness::new().await;
    let refused = plain
        .get(&Harness::authorize_uri(
            "default",
            &[("scope", "openid groups"), ("sessionToken", "x")],
        ))
        .await;
    assert_eq!(refused.location_param("error").as_deref(), Some("invalid_scope"));

    let tokens = harness.tokens("default", &[("scope", "openid groups")]).await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let body = harness.get_with(USERINFO, &[("authorization", &bearer)]).await.json();
    assert_eq!(body["groups"], serde_json::json!(["Everyone", "Engineering", "Admins"]));
    assert!(body.get("tier").is_none(), "access-token claims stay out of userinfo: {body}");
}

#[tokio::test]
async fn the_challenge_names_the_org_as_realm() {
    let harness = Harness::new().await;
    let missing = harness.get(USERINFO).await;
    let realm = format!(r#"realm="{}""#, harness.server.base_url());
    assert!(challenge(&missing).contains(&realm), "{}", challenge(&missing));
    assert!(challenge(&missing).contains(&format!(
        r#"authorization_uri="{}/v1/authorize""#,
        harness.server.issuer("default")
    )));
}

#[tokio::test]
async fn refusals_carry_www_authenticate() {
    let harness = Harness::new().await;
    let missing = harness.get(USERINFO).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&missing).starts_with("Bearer ")
            && challenge(&missing).contains(r#"error="invalid_request""#)
    );

    let invalid = harness.get_with(USERINFO, &[("authorization", "Bearer not-a-token")]).await;
    assert_eq!(invalid.status, StatusCode::UNAUTHORIZED);
    assert!(challenge(&invalid).contains(r#"error="invalid_token""#));

    let tokens = harness.tokens("default", &[]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let in_query = harness.get(&format!("{USERINFO}?access_token={access}")).await;
    assert_eq!(in_query.status, StatusCode::UNAUTHORIZED, "tokens in the query are not accepted");
    let id_token = format!("Bearer {}", tokens["id_token"].as_str().unwrap());
    assert_eq!(
        harness.get_with(USERINFO, &[("authorization", &id_token)]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let other_server = harness
        .get_with("/oauth2/v1/userinfo", &[("authorization", &format!("Bearer {access}"))])
        .await;
    assert_eq!(other_server.status, StatusCode::UNAUTHORIZED);

    let machine = harness
        .post_form(
            "/oauth2/default/v1/token",
            "grant_type=client_credentials&scope=api:read",
            Some((DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)),
        )
        .await;
    assert_eq!(
        machine.status,
        StatusCode::BAD_REQUEST,
        "no custom scope on the default server yet"
    );
    let no_openid = harness.tokens("default", &[("scope", "profile")]).await;
    let forbidden = harness
        .get_with(
            USERINFO,
            &[(
                "authorization",
                &format!("Bearer {}", no_openid["access_token"].as_str().unwrap()),
            )],
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(challenge(&forbidden).contains(r#"error="insufficient_scope""#));

    harness.clock.advance(std::time::Duration::from_hours(1));
    let expired =
        harness.get_with(USERINFO, &[("authorization", &format!("Bearer {access}"))]).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_sub_mismatch_fault_appends_invalid() {
    let harness = Harness::new().await;
    let tokens = harness.tokens("default", &[]).await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let sub = crate::testing::claims(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    harness.server.faults().arm(Fault::UserinfoSubMismatch);
    assert_eq!(
        harness.get_with(USERINFO, &[("authorization", &bearer)]).await.json()["sub"],
        format!("{sub}invalid")
    );
    assert_eq!(
        harness.get_with(USERINFO, &[("authorization", &bearer)]).await.json()["sub"],
        sub.as_str()
    );
}
