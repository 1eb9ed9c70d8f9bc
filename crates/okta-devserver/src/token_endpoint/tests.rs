//! Tests of `/token`: the three grants, client authentication, codes and refresh tokens.

use std::time::Duration;

use http::StatusCode;
use serde_json::Value;

use crate::form::form_encode;
use crate::testing::{
    CHALLENGE, Harness, VERIFIER, claims, expected_at_hash, jwt_header, verifies,
};
use crate::{
    AuthorizationServer, ClaimTarget, ClaimValue, Client, ClientAuthMethod, CustomClaim,
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, DEMO_USERNAME, Fault, GrantType,
    TokenLifetimes, TokenResponseFault, User,
};

const TOKEN: &str = "/oauth2/default/v1/token";
const DEMO: Option<(&str, &str)> = Some((DEMO_CLIENT_ID, DEMO_CLIENT_SECRET));

fn code_body(code: &str) -> String {
    format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
        form_encode(DEMO_REDIRECT_URI)
    )
}

/// The body of a `refresh_token` grant.
fn refresh_body(refresh_token: &str) -> String {
    format!("grant_type=refresh_token&refresh_token={refresh_token}")
}

fn assert_oauth_error(reply: &crate::testing::Reply, status: StatusCode, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|text| !text.is_empty()));
    assert_eq!(reply.header("cache-control"), Some("no-cache, no-store"), "as Okta's /token");
    assert_eq!(reply.header("pragma"), Some("no-cache"));
}

#[tokio::test]
async fn a_code_exchange_returns_okta_shaped_tokens() {
    let harness = Harness::new().await;
    let code = harness.code("default", &[]).await;
    let reply = harness.exchange("default", &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-cache, no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "openid profile email offline_access");
    assert!(body["refresh_token"].is_string());

    let now = 1_800_000_000_u64;
    let access = body["access_token"].as_str().unwrap();
    let access_claims = claims(access);
    let issuer = harness.server.issuer("default");
    let alice = harness.server.users().get(DEMO_USERNAME).unwrap();
    assert_eq!(access_claims["ver"], 1);
    assert!(access_claims["jti"].as_str().unwrap().starts_with("AT."));
    assert_eq!(access_claims["iss"], issuer.as_str());
    assert_eq!(access_claims["aud"], "api://default");
    assert_eq!(
        (access_claims["iat"].as_u64(), access_claims["exp"].as_u64()),
        (Some(now), Some(now + 3600))
    );
    assert_eq!(access_claims["cid"], DEMO_CLIENT_ID);
    assert_eq!(access_claims["uid"], alice.id().as_str());
    assert_eq!(access_claims["sub"], DEMO_USERNAME);
    assert_eq!(
        access_claims["scp"],
        serde_json::json!(["openid", "profile", "email", "offline_access"])
    );
    assert_eq!(access_claims["auth_time"], now);
    assert_eq!(
        jwt_header(access),
        serde_json::json!({"kid": harness.server.keys().signing_kid("default").unwrap(), "alg": "RS256"})
    );

    let id_token = body["id_token"].as_str().unwrap();
    let id_claims = claims(id_token);
    assert_eq!(id_claims["sub"], alice.id().as_str());
    assert_eq!(id_claims["aud"], DEMO_CLIENT_ID);
    assert_eq!(id_claims["iss"], issuer.as_str());
    assert_eq!(id_claims["nonce"], "nonce-456");
    assert_eq!(id_claims["amr"], serde_json::json!(["pwd"]));
    assert!(id_claims["jti"].as_str().unwrap().starts_with("ID."));
    assert!(id_claims["idp"].as_str().unwrap().starts_with("00o"));
    assert_eq!(id_claims["at_hash"], expected_at_hash(access).as_str());
    assert_eq!(id_claims["email"], DEMO_USERNAME, "a thin ID token has email and name");
    assert!(
        id_claims.get("given_name").is_none(),
        "other profile claims come from /userinfo in the code flow"
    );

    let jwks = harness.jwks("default").await;
    assert!(verifies(access, &jwks) && verifies(id_token, &jwks));
}

#[tokio::test]
async fn codes_are_single_use_and_a_replay_revokes_the_tokens() {
    let harness = Harness::new().await;
    let code = harness.code("default", &[]).await;
    let tokens = harness.exchange("default", &code).await.json();
    let replay = harness.exchange("default", &code).await;
    assert_oauth_error(&replay, StatusCode::BAD_REQUEST, "invalid_grant");
    let introspected = harness
        .post_form(
            "/oauth2/default/v1/introspect",
            &format!("token={}", tokens["access_token"].as_str().unwrap()),
            DEMO,
        )
        .await;
    assert_eq!(introspected.json()["active"], false, "revoked by the replay");
    let refreshed = harness
        .post_form(TOKEN, &refresh_body(tokens["refresh_token"].as_str().unwrap()), DEMO)
        .await;
    assert_oauth_error(&refreshed, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn codes_expire_after_300_seconds() {
    let harness = Harness::new().await;
    let fresh = harness.code("default", &[]).await;
    harness.clock.advance(Duration::from_secs(299));
    assert_eq!(harness.exchange("default", &fresh).await.status, StatusCode::OK);
    let stale = harness.code("default", &[]).await;
    harness.clock.advance(Duration::from_mins(5));
    assert_oauth_error(
        &harness.exchange("default", &stale).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

#[tokio::test]
async fn codes_are_bound_to_redirect_uri_pkce_client_and_server() {
    let harness = Harness::with(|builder| {
        builder.client(
            Client::confidential("other", "other-secret").with_redirect_uri(DEMO_REDIRECT_URI),
        )
    })
    .await;
    let code = harness.code("default", &[]).await;
    let cases = [
        (code_body(&code).replace("authorization-code%2Fcallback", "other"), DEMO, "invalid_grant"),
        (code_body(&code).replace(VERIFIER, &CHALLENGE.replace('E', "F")), DEMO, "invalid_grant"),
        (
            code_body(&code).replace(&format!("&code_verifier={VERIFIER}"), ""),
            DEMO,
            "invalid_grant",
        ),
        (code_body(&code), Some(("other", "other-secret")), "invalid_grant"),
    ];
    for (body, client, error) in cases {
        assert_oauth_error(
            &harness.post_form(TOKEN, &body, client).await,
            StatusCode::BAD_REQUEST,
            error,
        );
    }
    let other_server = harness.post_form("/oauth2/v1/token", &code_body(&code), DEMO).await;
    assert_oauth_error(&other_server, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        harness.post_form(TOKEN, &code_body(&code), DEMO).await.status,
        StatusCode::OK,
        "failures did not burn it"
    );

    let without_pkce =
        harness.code("default", &[("code_challenge", ""), ("code_challenge_method", "")]).await;
    let reply = harness.post_form(TOKEN, &code_body(&without_pkce), DEMO).await;
    assert_oauth_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn client_secret_basic_decodes_form_encoded_credentials() {
    let secret = "s+cr/t=with:odd%chars and ü";
    let harness = Harness::with(|builder| {
        builder.client(
            Client::confidential("odd client:id", secret).with_redirect_uri(DEMO_REDIRECT_URI),
        )
    })
    .await;
    let code = harness.code("default", &[("client_id", "odd client:id")]).await;
    let reply = harness.post_form(TOKEN, &code_body(&code), Some(("odd client:id", secret))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let recorded =
        harness.server.requests().into_iter().rfind(|request| request.path() == TOKEN).unwrap();
    assert_eq!(
        recorded.client_auth(),
        &crate::ClientAuthentication::ClientSecretBasic { client_id: "odd client:id".to_owned() }
    );
    assert!(recorded.form("client_secret").is_none());
}

#[tokio::test]
async fn client_authentication_failures_are_okta_shaped() {
    let harness = Harness::with(|builder| {
        builder.client(
            Client::confidential("poster", "poster-secret")
                .with_auth_method(ClientAuthMethod::ClientSecretPost)
                .with_redirect_uri(DEMO_REDIRECT_URI),
        )
    })
    .await;
    let body = "grant_type=authorization_code&code=x&redirect_uri=y";
    let none = harness.post_form(TOKEN, body, None).await;
    assert_oauth_error(&none, StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(none.json()["error_description"], "No client credentials found.");
    let wrong = harness.post_form(TOKEN, body, Some((DEMO_CLIENT_ID, "nope"))).await;
    assert_oauth_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(wrong.header("www-authenticate").is_some_and(|value| value.starts_with("Basic")));
    let both = harness.post_form(TOKEN, &format!("{body}&client_secret=x"), DEMO).await;
    assert_oauth_error(&both, StatusCode::BAD_REQUEST, "invalid_request");
    let jwt_client = Some((crate::DEMO_JWT_SERVICE_CLIENT_ID, "a-secret"));
    let wrong_method = harness.post_form(TOKEN, body, jwt_client).await;
    assert_oauth_error(&wrong_method, StatusCode::UNAUTHORIZED, "invalid_client");

    let code = harness.code("default", &[("client_id", "poster")]).await;
    let post = format!("{}&client_id=poster&client_secret=poster-secret", code_body(&code));
    assert_eq!(harness.post_form(TOKEN, &post, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_secret_client_may_use_either_secret_method() {
    let harness = Harness::with(|builder| {
        builder.client(
            Client::confidential("poster", "poster-secret")
                .with_auth_method(ClientAuthMethod::ClientSecretPost)
                .with_redirect_uri(DEMO_REDIRECT_URI),
        )
    })
    .await;
    let code = harness.code("default", &[("client_id", "poster")]).await;
    let basic =
        harness.post_form(TOKEN, &code_body(&code), Some(("poster", "poster-secret"))).await;
    assert_eq!(basic.status, StatusCode::OK, "registered for the body, Basic: {}", basic.text());

    let code = harness.code("default", &[]).await;
    let post = format!(
        "{}&client_id={DEMO_CLIENT_ID}&client_secret={}",
        code_body(&code),
        form_encode(DEMO_CLIENT_SECRET)
    );
    let reply = harness.post_form(TOKEN, &post, None).await;
    assert_eq!(reply.status, StatusCode::OK, "registered for Basic, body: {}", reply.text());
}

#[tokio::test]
async fn malformed_requests_are_invalid_requests() {
    let harness = Harness::new().await;
    let json = harness
        .send(
            http::Request::post(TOKEN)
                .header("content-type", "application/json")
                .header(
                    "authorization",
                    crate::testing::basic_header(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
                )
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_oauth_error(&json, StatusCode::BAD_REQUEST, "invalid_request");
    let duplicate =
        harness.post_form(TOKEN, "grant_type=authorization_code&code=a&code=b", DEMO).await;
    assert_oauth_error(&duplicate, StatusCode::BAD_REQUEST, "invalid_request");
    let no_grant = harness.post_form(TOKEN, "code=a", DEMO).await;
    assert_oauth_error(&no_grant, StatusCode::BAD_REQUEST, "invalid_request");
    let no_code = harness.post_form(TOKEN, "grant_type=authorization_code", DEMO).await;
    assert_oauth_error(&no_code, StatusCode::BAD_REQUEST, "invalid_request");
    let unknown = harness.post_form(TOKEN, "grant_type=password&username=a&password=b", DEMO).await;
    assert_oauth_error(&unknown, StatusCode::BAD_REQUEST, "unsupported_grant_type");
}

#[tokio::test]
async fn grants_a_client_is_not_allowed_are_unauthorized_client() {
    let harness = Harness::with(|builder| {
        builder.client(
            Client::confidential("web", "web-secret")
                .with_grant_types([GrantType::AuthorizationCode]),
        )
    })
    .await;
    let reply = harness
        .post_form(TOKEN, "grant_type=client_credentials&scope=x", Some(("web", "web-secret")))
        .await;
    assert_oauth_error(&reply, StatusCode::BAD_REQUEST, "unauthorized_client");
}

#[tokio::test]
async fn refresh_tokens_need_offline_access_and_refresh_without_rotation() {
    let harness = Harness::new().await;
    let without = harness.tokens("default", &[("scope", "openid profile")]).await;
    assert!(without.get("refresh_token").is_none());

    let tokens = harness.tokens("default", &[]).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    harness.clock.advance(Duration::from_mins(1));
    let reply = harness.post_form(TOKEN, &refresh_body(refresh_token), DEMO).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let refreshed = reply.json();
    assert_eq!(refreshed["refresh_token"], refresh_token, "no rotation by default");
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    let id_claims = claims(refreshed["id_token"].as_str().unwrap());
    assert!(id_claims.get("nonce").is_none());
    assert_eq!(id_claims["iat"], 1_800_000_060_u64);
    assert_eq!(
        id_claims["at_hash"],
        expected_at_hash(refreshed["access_token"].as_str().unwrap()).as_str()
    );
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["sub"], id_claims["sub"]);

    let narrowed = harness
        .post_form(
            TOKEN,
            &format!("grant_type=refresh_token&refresh_token={refresh_token}&scope=openid"),
            DEMO,
        )
        .await;
    assert_eq!(narrowed.json()["scope"], "openid");
    let widened = harness
        .post_form(
            TOKEN,
            &format!(
                "grant_type=refresh_token&refresh_token={refresh_token}&scope=openid%20groups"
            ),
            DEMO,
        )
        .await;
    assert_oauth_error(&widened, StatusCode::BAD_REQUEST, "invalid_scope");
    let bogus =
        harness.post_form(TOKEN, "grant_type=refresh_token&refresh_token=bogus", DEMO).await;
    assert_oauth_error(&bogus, StatusCode::BAD_REQUEST, "invalid_grant");
    let other_server =
        harness.post_form("/oauth2/v1/token", &refresh_body(refresh_token), DEMO).await;
    assert_oauth_error(&other_server, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn rotated_refresh_tokens_work_for_the_grace_period_only() {
    let harness = Harness::with(|builder| {
        builder.client(
            Client::confidential("rotating", "rotating-secret")
                .with_redirect_uri(DEMO_REDIRECT_URI)
                .with_refresh_token_rotation(true),
        )
    })
    .await;
    let client = Some(("rotating", "rotating-secret"));
    let code = harness.code("default", &[("client_id", "rotating")]).await;
    let tokens = harness.post_form(TOKEN, &code_body(&code), client).await.json();
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String| {
        let harness = &harness;
        async move { harness.post_form(TOKEN, &refresh_body(&token), client).await }
    };
    let second = refresh(first.clone()).await.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    harness.clock.advance(Duration::from_secs(29));
    assert_eq!(refresh(first.clone()).await.status, StatusCode::OK, "inside the 30 s grace period");
    harness.clock.advance(Duration::from_secs(1));
    assert_oauth_error(&refresh(first).await, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(refresh(second).await.status, StatusCode::OK);

    let stolen = harness
        .post_form(TOKEN, &refresh_body(tokens["refresh_token"].as_str().unwrap()), DEMO)
        .await;
    assert_oauth_error(&stolen, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn refresh_tokens_expire() {
    let harness = Harness::with(|builder| {
        builder.lifetimes(TokenLifetimes::default().with_refresh_token(Duration::from_mins(10)))
    })
    .await;
    let tokens = harness.tokens("default", &[]).await;
    harness.clock.advance(Duration::from_mins(10));
    let reply = harness
        .post_form(TOKEN, &refresh_body(tokens["refresh_token"].as_str().unwrap()), DEMO)
        .await;
    assert_oauth_error(&reply, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn client_credentials_work_on_custom_servers_with_custom_scopes_only() {
    let harness = Harness::with(|builder| {
        builder.authorization_server(
            AuthorizationServer::new("payments")
                .with_audience("api://payments")
                .with_scope("payments:read"),
        )
    })
    .await;
    let reply = harness
        .post_form(
            "/oauth2/payments/v1/token",
            "grant_type=client_credentials&scope=payments:read",
            DEMO,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["sub"], DEMO_CLIENT_ID);
    assert_eq!(access["aud"], "api://payments");
    assert!(access.get("uid").is_none() && access.get("auth_time").is_none());
    assert_eq!(access["scp"], serde_json::json!(["payments:read"]));

    for scope in ["", "openid", "payments:write"] {
        let reply = harness
            .post_form(
                "/oauth2/payments/v1/token",
                &format!("grant_type=client_credentials&scope={scope}"),
                DEMO,
            )
            .await;
        assert_oauth_error(&reply, StatusCode::BAD_REQUEST, "invalid_scope");
    }
    let org =
        harness.post_form("/oauth2/v1/token", "grant_type=client_credentials&scope=x", DEMO).await;
    assert_oauth_error(&org, StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(
        org.json()["error_description"],
        "Client Credentials requests to the Org Authorization Server must use the private_key_jwt \
         token_endpoint_auth_method",
        "the org server takes client_credentials only with private_key_jwt"
    );
}

#[tokio::test]
async fn org_access_tokens_are_signed_with_a_key_the_org_never_publishes() {
    let harness = Harness::new().await;
    let tokens = harness.tokens("org", &[]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let jwks = harness.jwks("org").await;
    let kid = jwt_header(access)["kid"].as_str().unwrap().to_owned();
    assert!(!jwks.to_string().contains(&kid));
    assert!(!verifies(access, &jwks));
    assert_eq!(claims(access)["aud"], harness.server.org_issuer());
    assert_eq!(claims(access)["iss"], harness.server.org_issuer());
    assert!(verifies(tokens["id_token"].as_str().unwrap(), &jwks), "ID tokens use published keys");
}

#[tokio::test]
async fn custom_claims_follow_their_target_and_scopes() {
    let harness = Harness::with(|builder| {
        builder.authorization_server(
            AuthorizationServer::new("default")
                .with_scope("groups")
                .with_claim(CustomClaim::groups().only_with_scopes(["groups"]))
                .with_claim(CustomClaim::new("tier", ClaimValue::Static(serde_json::json!("gold"))))
                .with_claim(
                    CustomClaim::new("department", ClaimValue::Static(serde_json::json!("R&D")))
                        .include_in(ClaimTarget::IdToken),
                ),
        )
    })
    .await;
    let plain = harness.tokens("default", &[("scope", "openid")]).await;
    let (access, id): (Value, Value) = (
        claims(plain["access_token"].as_str().unwrap()),
        claims(plain["id_token"].as_str().unwrap()),
    );
    assert!(access.get("groups").is_none() && id.get("groups").is_none());
    assert_eq!(access["tier"], "gold");
    assert!(id.get("tier").is_none());
    assert_eq!(id["department"], "R&D");
    assert!(access.get("department").is_none());

    let grouped = harness.tokens("default", &[("scope", "openid groups")]).await;
    let groups = serde_json::json!(["Everyone", "Engineering", "Admins"]);
    assert_eq!(claims(grouped["access_token"].as_str().unwrap())["groups"], groups);
    assert_eq!(claims(grouped["id_token"].as_str().unwrap())["groups"], groups);
}

#[tokio::test]
async fn configured_lifetimes_are_used() {
    let lifetimes = TokenLifetimes::default().with_access_token(Duration::from_mins(5));
    let harness = Harness::with(|builder| builder.lifetimes(lifetimes)).await;
    let tokens = harness.tokens("default", &[]).await;
    assert_eq!(tokens["expires_in"], 300);
    assert_eq!(claims(tokens["access_token"].as_str().unwrap())["exp"], 1_800_000_300_u64);
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["exp"], 1_800_003_600_u64);
}

#[tokio::test]
async fn the_invalid_grant_fault_fails_the_next_exchange_only() {
    let harness = Harness::new().await;
    let code = harness.code("default", &[]).await;
    harness.server.faults().arm(Fault::InvalidGrant);
    assert_oauth_error(
        &harness.exchange("default", &code).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        harness.exchange("default", &code).await.status,
        StatusCode::OK,
        "the code was not consumed"
    );
    assert_eq!(harness.server.faults().fired(), [Fault::InvalidGrant]);
}

#[tokio::test]
async fn users_added_at_run_time_can_sign_in() {
    let harness = Harness::new().await;
    harness.server.users().add(User::new("dave@example.com", "dave-password")).unwrap();
    assert!(harness.server.users().add(User::new("DAVE@example.com", "x")).is_err());
    let token = harness.session_token("dave@example.com", "dave-password").await;
    assert!(!token.is_empty());
}

#[tokio::test]
async fn token_response_faults_break_the_next_successful_response_only() {
    let harness = Harness::new().await;
    let service = Some((crate::DEMO_SERVICE_CLIENT_ID, crate::DEMO_SERVICE_CLIENT_SECRET));
    let request =
        || harness.post_form("/oauth2/orders/v1/token", "grant_type=client_credentials", service);
    let keys = |reply: &crate::testing::Reply| -> Vec<String> {
        reply.json().as_object().unwrap().keys().cloned().collect()
    };
    harness.server.faults().arm(Fault::TokenResponse(TokenResponseFault::MissingExpiresIn));
    assert_eq!(keys(&request().await), ["access_token", "scope", "token_type"]);
    harness.server.faults().arm(Fault::TokenResponse(TokenResponseFault::MissingAccessToken));
    assert_eq!(keys(&request().await), ["expires_in", "scope", "token_type"]);
    harness.server.faults().arm(Fault::TokenResponse(TokenResponseFault::WrongTokenType));
    assert_eq!(request().await.json()["token_type"], "N_A");
    harness.server.faults().arm(Fault::TokenResponse(TokenResponseFault::NotJson));
    let not_json = request().await;
    assert_eq!(not_json.status, StatusCode::OK);
    assert_eq!(not_json.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&not_json.body).is_err(), "{}", not_json.text());
    assert_eq!(
        keys(&request().await),
        ["access_token", "expires_in", "scope", "token_type"],
        "one each"
    );

    harness.server.faults().arm(Fault::TokenResponse(TokenResponseFault::MissingExpiresIn));
    let refused = harness
        .post_form("/oauth2/orders/v1/token", "grant_type=client_credentials&scope=nope", service)
        .await;
    assert_eq!(
        refused.json()["error"],
        "invalid_scope",
        "an error response is not a token response"
    );
    let code = harness.code("default", &[]).await;
    let reply = harness.exchange("default", &code).await;
    assert!(
        reply.json().get("expires_in").is_none(),
        "still armed, and any grant's response breaks"
    );
    assert!(reply.json()["id_token"].is_string());
}
