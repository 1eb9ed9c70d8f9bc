//! Tests of the discovery documents and `/keys`.

use http::StatusCode;

use crate::testing::Harness;
use crate::{AuthorizationServer, Fault};

#[tokio::test]
async fn every_okta_metadata_path_answers_with_its_issuer() {
    let harness = Harness::new().await;
    let org = harness.server.org_issuer().to_owned();
    let default = harness.server.issuer("default");
    let cases = [
        ("/.well-known/openid-configuration", &org, true),
        ("/.well-known/oauth-authorization-server", &org, false),
        ("/oauth2/default/.well-known/openid-configuration", &default, true),
        ("/oauth2/default/.well-known/oauth-authorization-server", &default, false),
        ("/.well-known/oauth-authorization-server/oauth2/default", &default, false),
    ];
    for (path, issuer, openid) in cases {
        let reply = harness.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let document = reply.json();
        assert_eq!(document["issuer"], issuer.as_str(), "{path}");
        let endpoints =
            if issuer == &org { format!("{org}/oauth2/v1") } else { format!("{default}/v1") };
        assert_eq!(document["authorization_endpoint"], format!("{endpoints}/authorize"));
        assert_eq!(document["token_endpoint"], format!("{endpoints}/token"));
        assert_eq!(document["jwks_uri"], format!("{endpoints}/keys"));
        assert_eq!(document["introspection_endpoint"], format!("{endpoints}/introspect"));
        assert_eq!(document["revocation_endpoint"], format!("{endpoints}/revoke"));
        assert_eq!(document["end_session_endpoint"], format!("{endpoints}/logout"));
        assert_eq!(document["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        assert_eq!(
            document["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
                "private_key_jwt",
                "none"
            ])
        );
        assert_eq!(
            document["response_types_supported"],
            serde_json::json!([
                "code",
                "id_token",
                "code id_token",
                "code token",
                "id_token token",
                "code id_token token"
            ]),
            "as Okta lists them"
        );
        let grants: Vec<&str> = document["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        assert_eq!(&grants[..4], ["authorization_code", "implicit", "refresh_token", "password"]);
        assert!(grants.contains(&"urn:ietf:params:oauth:grant-type:device_code"));
        assert_eq!(grants.contains(&"client_credentials"), !openid, "{path}: {grants:?}");
        assert_eq!(reply.header("cache-control"), Some("max-age=86400, must-revalidate"));
        // The harness clock stands at 2027-01-15T08:00:00Z: a day later.
        assert_eq!(reply.header("expires"), Some("Sat, 16 Jan 2027 08:00:00 GMT"));
        assert!(document.get("authorization_response_iss_parameter_supported").is_none());
        if openid {
            assert_eq!(document["userinfo_endpoint"], format!("{endpoints}/userinfo"));
            assert_eq!(
                document["id_token_signing_alg_values_supported"],
                serde_json::json!(["RS256"])
            );
            assert_eq!(document["subject_types_supported"], serde_json::json!(["public"]));
        } else {
            assert!(document.get("userinfo_endpoint").is_none(), "{path}");
        }
    }
}

#[tokio::test]
async fn custom_servers_list_their_scopes_and_unknown_ones_are_404() {
    let harness = Harness::with(|builder| {
        builder
            .authorization_server(AuthorizationServer::new("payments").with_scope("payments:read"))
    })
    .await;
    let document = harness.get("/oauth2/payments/.well-known/openid-configuration").await.json();
    let scopes = document["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&"openid".into()) && scopes.contains(&"payments:read".into()));
    assert!(!scopes.contains(&"groups".into()), "groups is an org-server scope");
    let grants = |document: &serde_json::Value| -> Vec<String> {
        document["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|grant| grant.as_str().map(str::to_owned))
            .collect()
    };
    let exchange = "urn:ietf:params:oauth:grant-type:token-exchange".to_owned();
    assert!(grants(&document).contains(&exchange), "a custom server lists token exchange");
    assert!(!grants(&document).contains(&"client_credentials".to_owned()));
    let oauth = harness.get("/oauth2/payments/.well-known/oauth-authorization-server").await.json();
    assert!(
        grants(&oauth).contains(&exchange)
            && grants(&oauth).contains(&"client_credentials".to_owned())
    );
    let org = harness.get("/.well-known/openid-configuration").await.json();
    assert!(org["scopes_supported"].as_array().unwrap().contains(&"groups".into()));
    assert!(!grants(&org).contains(&exchange), "the org server has no token exchange");
    let org_oauth = harness.get("/.well-known/oauth-authorization-server").await.json();
    assert!(
        grants(&org_oauth).contains(&"client_credentials".to_owned()),
        "the org server has client_credentials (Okta API scopes)"
    );
    for path in
        ["/oauth2/nope/.well-known/openid-configuration", "/oauth2/nope/v1/keys", "/no/such/path"]
    {
        let reply = harness.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.json()["errorCode"], "E0000007");
    }
}

#[tokio::test]
async fn rfc_9207_support_is_advertised_when_enabled() {
    let harness = Harness::with(|builder| builder.authorization_response_iss(true)).await;
    let document = harness.get("/oauth2/default/.well-known/openid-configuration").await.json();
    assert_eq!(document["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn the_issuer_mismatch_fault_appends_invalid_once() {
    let harness = Harness::new().await;
    harness.server.faults().arm(Fault::DiscoveryIssuerMismatch);
    let issuer = harness.server.issuer("default");
    let bent = harness.get("/oauth2/default/.well-known/openid-configuration").await.json();
    assert_eq!(bent["issuer"], format!("{issuer}INVALID"));
    let normal = harness.get("/oauth2/default/.well-known/openid-configuration").await.json();
    assert_eq!(normal["issuer"], issuer.as_str());
}

#[tokio::test]
async fn keys_carry_cache_control_and_no_rate_limit_headers() {
    let harness =
        Harness::with(|builder| builder.keys_max_age(std::time::Duration::from_hours(1))).await;
    let reply = harness.get("/oauth2/default/v1/keys").await;
    assert_eq!(reply.header("cache-control"), Some("max-age=3600, must-revalidate"));
    assert!(reply.header("x-rate-limit-limit").is_none());
    assert_eq!(reply.json()["keys"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_random_jwks_path_fault_moves_the_keys_until_cleared() {
    let harness = Harness::new().await;
    let normal = harness.jwks("default").await;
    harness.server.faults().arm(Fault::JwksUriRandomPath);
    let jwks_uri =
        harness.get("/oauth2/default/.well-known/openid-configuration").await.json()["jwks_uri"]
            .as_str()
            .unwrap()
            .to_owned();
    let path = url::Url::parse(&jwks_uri).unwrap().path().to_owned();
    assert!(
        path.starts_with("/oauth2/default/v1/jwks")
            && path.len() == "/oauth2/default/v1/jwks".len() + 10,
        "{path}"
    );
    let moved = harness.get(&path).await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(moved.json(), normal);
    assert_eq!(harness.get("/oauth2/default/v1/keys").await.status, StatusCode::NOT_FOUND);
    let again = harness.get("/oauth2/default/.well-known/openid-configuration").await.json();
    assert_eq!(again["jwks_uri"], jwks_uri.as_str(), "stable while armed");
    assert_eq!(harness.server.count(http::Method::GET, &path), 1);
    harness.server.faults().clear();
    assert_eq!(harness.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(harness.get("/oauth2/default/v1/keys").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_unusable_keys_fault_adds_akp_and_unknown_keys_next_to_the_real_ones() {
    let harness = Harness::new().await;
    harness.server.faults().arm(Fault::JwksUnusableKeys);
    for _ in 0..2 {
        let jwks = harness.jwks("default").await;
        let keys = jwks["keys"].as_array().unwrap();
        let kinds: Vec<&str> = keys.iter().map(|jwk| jwk["kty"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["RSA", "RSA", "AKP", "DEVSERVER-UNKNOWN"]);
        let kids: std::collections::BTreeSet<&str> =
            keys.iter().map(|jwk| jwk["kid"].as_str().unwrap()).collect();
        assert_eq!(kids.len(), 4, "each key has its own kid");
    }
    let tokens = harness.tokens("default", &[]).await;
    assert!(crate::testing::verifies(
        tokens["id_token"].as_str().unwrap(),
        &harness.jwks("default").await
    ));
}

#[tokio::test]
async fn rotating_keys_publishes_the_new_key_and_keeps_the_previous_one() {
    let harness = Harness::new().await;
    let before = harness.server.keys().signing_kid("default").unwrap();
    let new_kid = harness.server.rotate_keys("default").unwrap();
    let jwks = harness.jwks("default").await;
    let kids: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|jwk| jwk["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, [new_kid.as_str(), before.as_str()]);
    let tokens = harness.tokens("default", &[]).await;
    assert_eq!(
        crate::testing::jwt_header(tokens["id_token"].as_str().unwrap())["kid"],
        new_kid.as_str()
    );
    assert!(harness.server.rotate_keys("nope").is_err());
    assert_ne!(
        harness.server.keys().jwks(crate::AuthServerId::Org).unwrap(),
        jwks,
        "servers have their own keys"
    );
}
