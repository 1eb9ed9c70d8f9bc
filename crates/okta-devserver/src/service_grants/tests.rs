//! Tests of the service-app grants over HTTP (in-process): `client_credentials` at custom
//! servers and at the org server, with secrets and with `private_key_jwt`, and token exchange.

use std::time::Duration;

use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::json;

use crate::form::form_encode;
use crate::testing::{Harness, Reply, TestSigner, assertion_claims, claims, sign_jwt, verifies};
use crate::{
    AccessPolicy, AuthorizationServer, Client, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET, DEMO_JWT_SERVICE_CLIENT_ID,
    DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_EC_KID, DEMO_JWT_SERVICE_RSA_KEY_PEM,
    DEMO_JWT_SERVICE_RSA_KID, DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, DEMO_USERNAME,
    GrantType, PolicyRule, TokenLifetimes,
};

const ORDERS_TOKEN: &str = "/oauth2/orders/v1/token";
const SHIPPING_TOKEN: &str = "/oauth2/shipping/v1/token";
const ORG_TOKEN: &str = "/oauth2/v1/token";
const START: u64 = crate::testing::START;
const SERVICE: Credentials = Some((DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET));
const EXCHANGE: Credentials = Some((DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET));
const DEMO: Credentials = Some((DEMO_CLIENT_ID, DEMO_CLIENT_SECRET));
/// Basic credentials of a test request, if any.
type Credentials = Option<(&'static str, &'static str)>;

const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn assert_error(reply: &Reply, status: StatusCode, error: &str, description: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.json(), json!({"error": error, "error_description": description}));
}

/// A `private_key_jwt` assertion of the demo JWT service for the endpoint at `path`, signed
/// with its RSA key (or its EC key).
fn jwt_assertion(harness: &Harness, path: &str, ec: bool) -> String {
    let aud = format!("{}{path}", harness.server.base_url());
    let claims = assertion_claims(DEMO_JWT_SERVICE_CLIENT_ID, &aud, harness.clock_secs());
    let (header, signer) = if ec {
        (
            json!({"alg": "ES256", "kid": DEMO_JWT_SERVICE_EC_KID}),
            TestSigner::Pem(DEMO_JWT_SERVICE_EC_KEY_PEM, Algorithm::ES256),
        )
    } else {
        (
            json!({"alg": "RS256", "kid": DEMO_JWT_SERVICE_RSA_KID}),
            TestSigner::Pem(DEMO_JWT_SERVICE_RSA_KEY_PEM, Algorithm::RS256),
        )
    };
    sign_jwt(&header, &claims, &signer)
}

fn with_assertion(body: &str, assertion: &str) -> String {
    format!(
        "{body}&client_assertion_type={}&client_assertion={assertion}",
        form_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    )
}

#[tokio::test]
async fn client_credentials_without_scope_get_the_default_scopes_the_policy_allows() {
    let harness = Harness::new().await;
    let reply = harness.post_form(ORDERS_TOKEN, "grant_type=client_credentials", SERVICE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-cache, no-store"));
    let body = reply.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["access_token", "expires_in", "scope", "token_type"],
        "no refresh or ID token"
    );
    assert_eq!(
        (&body["token_type"], &body["expires_in"], &body["scope"]),
        (&json!("Bearer"), &json!(3600), &json!("orders:read"))
    );
    let access = body["access_token"].as_str().unwrap();
    let claims = claims(access);
    assert_eq!(claims["iss"], harness.server.issuer("orders"));
    assert_eq!(claims["aud"], "api://orders");
    assert_eq!(
        (&claims["sub"], &claims["cid"]),
        (&json!(DEMO_SERVICE_CLIENT_ID), &json!(DEMO_SERVICE_CLIENT_ID))
    );
    assert_eq!(claims["scp"], json!(["orders:read"]));
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600);
    for absent in ["uid", "auth_time"] {
        assert!(claims.get(absent).is_none(), "no {absent} without a user");
    }
    assert!(verifies(access, &harness.jwks("orders").await));
}

#[tokio::test]
async fn client_credentials_are_refused_as_okta_refuses_them() {
    let harness = Harness::new().await;
    let cc = |scope: &str| format!("grant_type=client_credentials&scope={}", form_encode(scope));
    let not_configured =
        "One or more scopes are not configured for the authorization server resource.";
    let openid = "Cannot request 'openid' scopes using client credentials.";
    let cases: [(&str, String, Credentials, &str, &str); 8] = [
        (
            ORDERS_TOKEN,
            cc("orders:write"),
            SERVICE,
            "invalid_scope",
            "The following scopes are not allowed for this request: [orders:write].",
        ),
        (ORDERS_TOKEN, cc("openid"), SERVICE, "invalid_scope", openid),
        (ORDERS_TOKEN, cc("orders:read offline_access"), SERVICE, "invalid_scope", openid),
        (ORDERS_TOKEN, cc("orders:delete"), SERVICE, "invalid_scope", not_configured),
        (
            ORDERS_TOKEN,
            cc("orders:read"),
            DEMO,
            "access_denied",
            "Policy evaluation failed for this request, please check the policy configurations.",
        ),
        (
            ORDERS_TOKEN,
            cc("orders:read"),
            EXCHANGE,
            "unauthorized_client",
            "The client is not authorized to use the provided grant type. Configured grant types: [urn:ietf:params:oauth:grant-type:token-exchange].",
        ),
        // `default` has no custom scope, so none is a default scope.
        (
            "/oauth2/default/v1/token",
            "grant_type=client_credentials".to_owned(),
            SERVICE,
            "invalid_scope",
            "No scopes were requested.",
        ),
        ("/oauth2/default/v1/token", cc("api:read"), SERVICE, "invalid_scope", not_configured),
    ];
    for (path, body, client, error, description) in cases {
        let reply = harness.post_form(path, &body, client).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, error, description);
    }
}

#[tokio::test]
async fn private_key_jwt_gets_client_credentials_with_either_key_once_per_assertion() {
    let harness = Harness::new().await;
    let body = "grant_type=client_credentials&scope=orders:read%20orders:write";
    for ec in [false, true] {
        let assertion = jwt_assertion(&harness, ORDERS_TOKEN, ec);
        let reply = harness.post_form(ORDERS_TOKEN, &with_assertion(body, &assertion), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.json()["scope"], "orders:read orders:write");
        assert_eq!(
            claims(reply.json()["access_token"].as_str().unwrap())["cid"],
            DEMO_JWT_SERVICE_CLIENT_ID
        );

        let replay = harness.post_form(ORDERS_TOKEN, &with_assertion(body, &assertion), None).await;
        assert_error(
            &replay,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client_assertion token has already been used.",
        );
        assert!(replay.header("www-authenticate").is_some());
    }
    let for_issuer = {
        let claims =
            assertion_claims(DEMO_JWT_SERVICE_CLIENT_ID, &harness.server.issuer("orders"), START);
        let header = json!({"alg": "RS256", "kid": DEMO_JWT_SERVICE_RSA_KID});
        sign_jwt(&header, &claims, &TestSigner::Pem(DEMO_JWT_SERVICE_RSA_KEY_PEM, Algorithm::RS256))
    };
    let reply = harness.post_form(ORDERS_TOKEN, &with_assertion(body, &for_issuer), None).await;
    assert_error(
        &reply,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "The audience claim for client_assertion must be the endpoint invoked for the request.",
    );
    let elsewhere = jwt_assertion(&harness, SHIPPING_TOKEN, false);
    let reply = harness.post_form(ORDERS_TOKEN, &with_assertion(body, &elsewhere), None).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "an assertion for another server's endpoint"
    );
    assert_eq!(
        harness
            .server
            .count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID),
        6,
        "refused requests count too"
    );
    assert_eq!(
        harness.server.count_token_requests(GrantType::TokenExchange, DEMO_JWT_SERVICE_CLIENT_ID),
        0
    );
}

#[tokio::test]
async fn keys_registered_at_run_time_verify_from_the_next_request() {
    let harness = Harness::new().await;
    let pair = crate::testing::ecdsa_key(&aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING);
    let aud = format!("{}{ORDERS_TOKEN}", harness.server.base_url());
    let assertion = || {
        let claims = assertion_claims(DEMO_JWT_SERVICE_CLIENT_ID, &aud, START);
        sign_jwt(&json!({"alg": "ES384", "kid": "rotated-in"}), &claims, &TestSigner::Ecdsa(&pair))
    };
    let body = "grant_type=client_credentials";
    let before = harness.post_form(ORDERS_TOKEN, &with_assertion(body, &assertion()), None).await;
    assert_error(
        &before,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "The client_assertion JWT kid is invalid.",
    );
    let jwk = crate::testing::ecdsa_jwk(&pair, "P-384", "rotated-in");
    harness.server.clients().add_jwk(DEMO_JWT_SERVICE_CLIENT_ID, jwk.clone()).unwrap();
    let after = harness.post_form(ORDERS_TOKEN, &with_assertion(body, &assertion()), None).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text());
    assert!(matches!(
        harness.server.clients().add_jwk(DEMO_JWT_SERVICE_CLIENT_ID, jwk.clone()),
        Err(crate::RegisterError::Invalid(_))
    ));
    assert!(matches!(
        harness.server.clients().add_jwk("nobody", jwk),
        Err(crate::RegisterError::UnknownClient(_))
    ));
}

#[tokio::test]
async fn a_policy_rule_sets_the_access_token_lifetime() {
    let harness = Harness::with(|builder| {
        builder.authorization_server(
            AuthorizationServer::new("short").with_default_scope("jobs").with_policy(
                AccessPolicy::new("All").with_rule(
                    PolicyRule::new("Ten minutes")
                        .with_access_token_lifetime(Duration::from_mins(10)),
                ),
            ),
        )
    })
    .await;
    let reply =
        harness.post_form("/oauth2/short/v1/token", "grant_type=client_credentials", SERVICE).await;
    assert_eq!(reply.json()["expires_in"], 600);
    let claims = claims(reply.json()["access_token"].as_str().unwrap());
    assert_eq!(claims["exp"], START + 600);
}

#[tokio::test]
async fn the_org_server_gives_okta_api_scopes_to_private_key_jwt_for_a_fixed_hour() {
    let harness = Harness::with(|builder| {
        builder.lifetimes(TokenLifetimes::default().with_access_token(Duration::from_mins(10)))
    })
    .await;
    let org = |scope: &str| {
        let body = format!("grant_type=client_credentials&scope={}", form_encode(scope));
        with_assertion(&body, &jwt_assertion(&harness, ORG_TOKEN, false))
    };
    let reply = harness.post_form(ORG_TOKEN, &org("okta.users.read okta.apps.read"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        (&body["expires_in"], &body["scope"]),
        (&json!(3600), &json!("okta.users.read okta.apps.read"))
    );
    let access = body["access_token"].as_str().unwrap();
    let claims = claims(access);
    assert_eq!(
        (&claims["iss"], &claims["aud"]),
        (&json!(harness.server.org_issuer()), &json!(harness.server.org_issuer()))
    );
    assert_eq!(
        (&claims["sub"], &claims["cid"]),
        (&json!(DEMO_JWT_SERVICE_CLIENT_ID), &json!(DEMO_JWT_SERVICE_CLIENT_ID))
    );
    assert_eq!(claims["exp"], START + 3600, "fixed at one hour whatever is configured");
    assert!(claims.get("uid").is_none());
    assert!(!verifies(access, &harness.jwks("org").await), "org access tokens are for Okta only");

    let cases = [
        (org(""), "No scopes were requested."),
        (
            org("okta.users.manage"),
            "The following scopes are not allowed for this request: [okta.users.manage].",
        ),
        (
            org("okta.users.read okta.groups.read"),
            "The following scopes are not allowed for this request: [okta.groups.read].",
        ),
        (
            org("orders:read"),
            "One or more scopes are not configured for the authorization server resource.",
        ),
        (org("openid"), "Cannot request 'openid' scopes using client credentials."),
    ];
    for (body, description) in cases {
        assert_error(
            &harness.post_form(ORG_TOKEN, &body, None).await,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            description,
        );
    }
    let secret = harness
        .post_form(ORG_TOKEN, "grant_type=client_credentials&scope=okta.users.read", SERVICE)
        .await;
    assert_error(
        &secret,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method",
    );
    assert!(secret.header("www-authenticate").is_some());
}

#[tokio::test]
async fn introspection_and_revocation_take_assertions_for_their_own_endpoint() {
    let harness = Harness::new().await;
    let token = harness
        .post_form(ORDERS_TOKEN, "grant_type=client_credentials", SERVICE)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let introspect = "/oauth2/orders/v1/introspect";
    let assertion = jwt_assertion(&harness, introspect, false);
    let reply = harness
        .post_form(introspect, &with_assertion(&format!("token={token}"), &assertion), None)
        .await;
    let body = reply.json();
    assert_eq!(
        (&body["active"], &body["client_id"], &body["sub"]),
        (&json!(true), &json!(DEMO_SERVICE_CLIENT_ID), &json!(DEMO_SERVICE_CLIENT_ID))
    );
    assert!(body.get("uid").is_none() && body.get("username").is_none());

    let for_token = jwt_assertion(&harness, ORDERS_TOKEN, false);
    let reply = harness
        .post_form(introspect, &with_assertion(&format!("token={token}"), &for_token), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "aud is the token endpoint, not introspect");

    let revoke = "/oauth2/orders/v1/revoke";
    let revoked = harness.post_form(revoke, &format!("token={token}"), SERVICE).await;
    assert_eq!(revoked.status, StatusCode::OK);
    let after = harness.post_form(introspect, &format!("token={token}"), SERVICE).await;
    assert_eq!(after.json()["active"], false);
}

/// An access token for the demo user from the demo web app at `server`, with `scope`.
async fn user_token(harness: &Harness, server: &str, scope: &str) -> String {
    let tokens = harness.tokens(server, &[("scope", scope)]).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

fn exchange_body(subject: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("grant_type", GrantType::TokenExchange.as_str()),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("subject_token", subject),
        ("audience", "api://shipping"),
        ("scope", "shipping:read"),
    ];
    for (name, value) in extra {
        params.retain(|(known, _)| known != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    params
        .iter()
        .map(|(name, value)| format!("{name}={}", form_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn a_service_app_exchanges_a_user_s_token_for_a_trusting_server_s_audience() {
    let harness = Harness::new().await;
    let subject = user_token(&harness, "orders", "openid orders:read").await;
    let reply = harness.post_form(SHIPPING_TOKEN, &exchange_body(&subject, &[]), EXCHANGE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-cache, no-store"));
    let body = reply.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["access_token", "expires_in", "issued_token_type", "scope", "token_type"]);
    assert_eq!(
        (&body["token_type"], &body["expires_in"], &body["scope"], &body["issued_token_type"]),
        (&json!("Bearer"), &json!(3600), &json!("shipping:read"), &json!(ACCESS_TOKEN_TYPE))
    );
    let access = body["access_token"].as_str().unwrap();
    let exchanged = claims(access);
    let original = claims(&subject);
    let alice = harness.server.users().get(DEMO_USERNAME).unwrap();
    assert_eq!(exchanged["iss"], harness.server.issuer("shipping"));
    assert_eq!(exchanged["aud"], "api://shipping");
    assert_eq!((&exchanged["sub"], &exchanged["uid"]), (&json!(DEMO_USERNAME), &json!(alice.id())));
    assert_eq!(exchanged["cid"], DEMO_EXCHANGE_CLIENT_ID, "the exchanging service app");
    assert_eq!(original["cid"], DEMO_CLIENT_ID);
    assert_eq!(exchanged["scp"], json!(["shipping:read"]));
    assert_eq!(exchanged["auth_time"], original["auth_time"]);
    assert!(verifies(access, &harness.jwks("shipping").await));

    let introspected = harness
        .post_form("/oauth2/shipping/v1/introspect", &format!("token={access}"), EXCHANGE)
        .await
        .json();
    assert_eq!(introspected["active"], true);
    assert_eq!(
        (&introspected["username"], &introspected["uid"]),
        (&json!(DEMO_USERNAME), &json!(alice.id()))
    );
    assert_eq!(
        (&introspected["client_id"], &introspected["aud"]),
        (&json!(DEMO_EXCHANGE_CLIENT_ID), &json!("api://shipping"))
    );

    let defaults = harness
        .post_form(SHIPPING_TOKEN, &exchange_body(&subject, &[("scope", "")]), EXCHANGE)
        .await;
    assert_eq!(defaults.json()["scope"], "shipping:read", "no scope: the default scopes");
    assert_eq!(
        harness.server.count_token_requests(GrantType::TokenExchange, DEMO_EXCHANGE_CLIENT_ID),
        2
    );
}

#[tokio::test]
async fn token_exchange_refuses_what_okta_refuses() {
    let harness = Harness::new().await;
    let subject = user_token(&harness, "orders", "openid orders:read offline_access").await;
    let tokens = harness.tokens("orders", &[("scope", "openid offline_access")]).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let from_default = user_token(&harness, "default", "openid").await;
    let from_org = user_token(&harness, "org", "openid").await;
    let service_token = harness
        .post_form(ORDERS_TOKEN, "grant_type=client_credentials", SERVICE)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let invalid_request =
        |description: &'static str| (StatusCode::BAD_REQUEST, "invalid_request", description);
    let invalid_grant =
        |description: &'static str| (StatusCode::BAD_REQUEST, "invalid_grant", description);
    let unknown = "The 'subject_token' is invalid or expired.";
    let cases: Vec<(String, (StatusCode, &str, &str))> = vec![
        (
            exchange_body(&subject, &[("subject_token_type", "")]),
            invalid_request("The 'subject_token_type' parameter is required."),
        ),
        (
            exchange_body(
                &subject,
                &[("subject_token_type", "urn:ietf:params:oauth:token-type:id_token")],
            ),
            invalid_request(
                "The 'subject_token_type' urn:ietf:params:oauth:token-type:id_token is not supported: only urn:ietf:params:oauth:token-type:access_token is exchanged on behalf of a user.",
            ),
        ),
        (
            exchange_body(&subject, &[("subject_token_type", "access_token")]),
            invalid_request("The 'subject_token_type' is invalid."),
        ),
        (exchange_body("", &[]), invalid_request("The 'subject_token' parameter is required.")),
        (
            exchange_body(
                &subject,
                &[("actor_token", "x"), ("actor_token_type", ACCESS_TOKEN_TYPE)],
            ),
            invalid_request(
                "The 'actor_token' parameter is not supported for an exchange on behalf of a user.",
            ),
        ),
        (
            exchange_body(
                &subject,
                &[("requested_token_type", "urn:ietf:params:oauth:token-type:id_token")],
            ),
            invalid_request("The 'requested_token_type' is invalid."),
        ),
        (
            exchange_body(&subject, &[("audience", "")]),
            invalid_request("The 'audience' parameter is required."),
        ),
        (
            exchange_body(&subject, &[("audience", "api://orders")]),
            (
                StatusCode::BAD_REQUEST,
                "invalid_target",
                "The 'audience' is not the audience of this authorization server.",
            ),
        ),
        (
            exchange_body(&subject, &[("scope", "shipping:read openid")]),
            (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The following scopes are not allowed for this request: [openid].",
            ),
        ),
        (
            exchange_body(&subject, &[("scope", "shipping:write")]),
            (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The following scopes are not allowed for this request: [shipping:write].",
            ),
        ),
        (
            exchange_body(&subject, &[("scope", "orders:read")]),
            (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "One or more scopes are not configured for the authorization server resource.",
            ),
        ),
        (exchange_body("not-a-token", &[]), invalid_grant(unknown)),
        (exchange_body(&id_token, &[]), invalid_grant(unknown)),
        (exchange_body(&refresh_token, &[]), invalid_grant(unknown)),
        (
            exchange_body(&from_default, &[]),
            invalid_grant(
                "The 'subject_token' was issued by authorization server default, which is not a trusted server of this authorization server.",
            ),
        ),
        (
            exchange_body(&from_org, &[]),
            invalid_grant(
                "The 'subject_token' was issued by the org authorization server, which is not a trusted server of this authorization server.",
            ),
        ),
        (
            exchange_body(&service_token, &[]),
            invalid_grant("The subject token was not issued to a user."),
        ),
    ];
    for (body, (status, error, description)) in cases {
        let reply = harness.post_form(SHIPPING_TOKEN, &body, EXCHANGE).await;
        assert_error(&reply, status, error, description);
    }
    let not_allowed =
        harness.post_form(SHIPPING_TOKEN, &exchange_body(&subject, &[]), SERVICE).await;
    assert_error(
        &not_allowed,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        "The client is not authorized to use the provided grant type. Configured grant types: [client_credentials].",
    );
    let no_policy = harness
        .post_form(
            ORDERS_TOKEN,
            &exchange_body(&subject, &[("audience", "api://orders"), ("scope", "orders:read")]),
            EXCHANGE,
        )
        .await;
    assert_eq!(
        no_policy.json()["error"],
        "access_denied",
        "orders has no token-exchange rule for it"
    );
    let org = harness.post_form(ORG_TOKEN, &exchange_body(&subject, &[]), EXCHANGE).await;
    assert_eq!(org.json()["error"], "invalid_request", "{}", org.text());
}

#[tokio::test]
async fn a_subject_token_must_still_be_live() {
    let harness = Harness::new().await;
    let revoked = user_token(&harness, "orders", "openid orders:read").await;
    let reply =
        harness.post_form("/oauth2/orders/v1/revoke", &format!("token={revoked}"), DEMO).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = harness.post_form(SHIPPING_TOKEN, &exchange_body(&revoked, &[]), EXCHANGE).await;
    assert_eq!(reply.json()["error"], "invalid_grant", "revoked");

    let expiring = user_token(&harness, "orders", "openid orders:read").await;
    harness.clock.advance(Duration::from_secs(3599));
    let reply = harness.post_form(SHIPPING_TOKEN, &exchange_body(&expiring, &[]), EXCHANGE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    harness.clock.advance(Duration::from_secs(1));
    let reply = harness.post_form(SHIPPING_TOKEN, &exchange_body(&expiring, &[]), EXCHANGE).await;
    assert_eq!(reply.json()["error"], "invalid_grant", "expired");
}

#[tokio::test]
async fn within_one_server_an_exchange_needs_no_trust() {
    let harness = Harness::with(|builder| {
        builder
            .authorization_server(
                AuthorizationServer::new("default").with_default_scope("api:read"),
            )
            .client(
                Client::service("bff", "bff-secret").with_grant_types([GrantType::TokenExchange]),
            )
    })
    .await;
    let subject = user_token(&harness, "default", "openid api:read").await;
    let body = exchange_body(&subject, &[("audience", "api://default"), ("scope", "api:read")]);
    let reply =
        harness.post_form("/oauth2/default/v1/token", &body, Some(("bff", "bff-secret"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(claims(reply.json()["access_token"].as_str().unwrap())["cid"], "bff");
}

#[tokio::test]
async fn public_clients_need_pkce_and_cannot_use_grants_without_a_user() {
    let harness = Harness::with(|builder| {
        builder.client(Client::public("cli").with_redirect_uri(crate::DEMO_REDIRECT_URI))
    })
    .await;
    let without = harness
        .get(&Harness::authorize_uri(
            "default",
            &[("client_id", "cli"), ("code_challenge", ""), ("code_challenge_method", "")],
        ))
        .await;
    assert_eq!(
        without.location_param("error").as_deref(),
        Some("invalid_request"),
        "PKCE required at /authorize"
    );
    let code = harness.code("default", &[("client_id", "cli")]).await;
    let body = |verifier: &str| {
        format!(
            "grant_type=authorization_code&client_id=cli&code={code}&redirect_uri={}{verifier}",
            form_encode(crate::DEMO_REDIRECT_URI)
        )
    };
    let no_verifier = harness.post_form("/oauth2/default/v1/token", &body(""), None).await;
    assert_eq!(no_verifier.json()["error"], "invalid_grant", "PKCE required at /token");
    let with_verifier = harness
        .post_form(
            "/oauth2/default/v1/token",
            &body(&format!("&code_verifier={}", crate::testing::VERIFIER)),
            None,
        )
        .await;
    assert_eq!(with_verifier.status, StatusCode::OK, "{}", with_verifier.text());
    let cc =
        harness.post_form(ORDERS_TOKEN, "grant_type=client_credentials&client_id=cli", None).await;
    assert_eq!(cc.json()["error"], "unauthorized_client");
}

#[test]
fn the_scope_parameter_drops_duplicates() {
    assert_eq!(super::scopes(Some("a  b a ")), ["a", "b"]);
    assert!(super::scopes(None).is_empty());
}
