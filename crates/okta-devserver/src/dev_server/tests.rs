//! Tests of the builder, configuration checks, handles and shutdown.

use std::time::Duration;

use crate::{
    AuthorizationServer, Client, DevServer, DevServerConfig, StartError, TokenLifetimes, User,
};

#[tokio::test]
async fn defaults_give_loopback_demo_data_and_the_default_server() {
    let server = DevServer::builder().start().await.unwrap();
    assert!(server.addr().ip().is_loopback());
    assert_ne!(server.addr().port(), 0);
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{}", server.addr().port()));
    assert_eq!(server.org_issuer(), server.base_url());
    assert_eq!(server.issuer("default"), format!("{}/oauth2/default", server.base_url()));
    let ids: Vec<String> = server.issuers().into_iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(ids, ["org", "default", "orders", "shipping"], "the demo APIs next to default");
    assert!(server.clients().get(crate::DEMO_CLIENT_ID).is_some());
    for service in [
        crate::DEMO_SERVICE_CLIENT_ID,
        crate::DEMO_JWT_SERVICE_CLIENT_ID,
        crate::DEMO_EXCHANGE_CLIENT_ID,
    ] {
        let client = server.clients().get(service).expect(service);
        assert_eq!(client.application_type(), crate::ApplicationType::Service);
    }
    assert_eq!(server.users().list().len(), 2);
}

#[tokio::test]
async fn every_configuration_problem_is_reported_at_once() {
    let error = DevServer::builder()
        .client(Client::confidential("a", ""))
        .client(Client::confidential("b", "x").with_redirect_uri("not a url"))
        .client(Client::confidential("b", "y"))
        .user(User::new("u", ""))
        .authorization_server(AuthorizationServer::new("bad/id"))
        .signing_key_pem("missing", "pem")
        .start()
        .await
        .unwrap_err();
    let StartError::InvalidConfig { problems } = &error else { panic!("{error}") };
    assert_eq!(problems.len(), 6, "{problems:#?}");
    assert!(error.to_string().starts_with("invalid dev server configuration: "));
}

#[tokio::test]
async fn lifetimes_outside_oktas_limits_are_refused() {
    let cases = [
        (
            "authorization_code",
            TokenLifetimes::default().with_authorization_code(Duration::from_secs(60)),
            "Okta allows fixed at 300 s",
        ),
        (
            "id_token",
            TokenLifetimes::default().with_id_token(Duration::from_mins(2)),
            "fixed at 60 min",
        ),
        (
            "access_token",
            TokenLifetimes::default().with_access_token(Duration::from_mins(4)),
            "5 min to 1 day",
        ),
        (
            "access_token",
            TokenLifetimes::default().with_access_token(Duration::from_hours(25)),
            "5 min to 1 day",
        ),
        (
            "refresh_token",
            TokenLifetimes::default().with_refresh_token(Duration::from_mins(9)),
            "10 min to 5 years",
        ),
        (
            "refresh_token",
            TokenLifetimes::default().with_refresh_token(Duration::from_hours(6 * 365 * 24)),
            "10 min to 5 years",
        ),
        (
            "refresh_rotation_grace",
            TokenLifetimes::default().with_refresh_rotation_grace(Duration::from_secs(61)),
            "0 to 60 s",
        ),
    ];
    for (name, lifetimes, rule) in cases {
        let error = DevServer::builder().lifetimes(lifetimes).start().await.unwrap_err();
        let StartError::InvalidConfig { problems } = &error else { panic!("{error}") };
        assert_eq!(problems.len(), 1, "{name}: {problems:?}");
        assert!(problems[0].starts_with(&format!("lifetimes.{name} is ")), "{problems:?}");
        assert!(problems[0].contains(rule), "{problems:?}");
    }
    // The limits themselves are accepted.
    let edges = TokenLifetimes::default()
        .with_access_token(Duration::from_mins(5))
        .with_refresh_token(Duration::from_mins(10))
        .with_refresh_rotation_grace(Duration::ZERO);
    assert!(DevServer::builder().lifetimes(edges).start().await.is_ok());
    let edges = TokenLifetimes::default()
        .with_access_token(Duration::from_hours(24))
        .with_refresh_token(Duration::from_hours(5 * 365 * 24))
        .with_refresh_rotation_grace(Duration::from_secs(60));
    assert!(DevServer::builder().lifetimes(edges).start().await.is_ok());
}

#[tokio::test]
async fn a_config_file_adds_clients_users_servers_and_settings() {
    let config: DevServerConfig = toml::from_str(
        r#"
        demo_data = false
        admin_routes = true
        authorization_response_iss = true
        keys_max_age = 60
        [[clients]]
        id = "web"
        secret = "web-secret"
        [[users]]
        username = "carol@example.com"
        password = "carol"
        [[authorization_servers]]
        id = "payments"
        [lifetimes]
        access_token = 600
        "#,
    )
    .unwrap();
    let server = DevServer::builder().config(config).start().await.unwrap();
    assert!(server.clients().get(crate::DEMO_CLIENT_ID).is_none(), "demo data off");
    assert_eq!(server.clients().list().len(), 1);
    assert_eq!(server.users().list()[0].username(), "carol@example.com");
    assert_eq!(server.issuers().len(), 3);
    let shared = &server.shared;
    assert!(shared.admin_routes && shared.iss_parameter);
    assert_eq!(shared.keys_max_age, Duration::from_mins(1));
    assert_eq!(
        shared.lifetimes,
        TokenLifetimes::default().with_access_token(Duration::from_mins(10))
    );
}

#[tokio::test]
async fn clients_can_be_added_at_run_time_but_not_twice() {
    let server = DevServer::builder().start().await.unwrap();
    server.clients().add(Client::confidential("late", "late-secret")).unwrap();
    assert!(matches!(
        server.clients().add(Client::confidential("late", "x")),
        Err(crate::RegisterError::Duplicate(_))
    ));
    assert!(matches!(
        server.clients().add(Client::confidential("empty", "")),
        Err(crate::RegisterError::Invalid(_))
    ));
    assert!(format!("{:?}", server.clients()).contains("late"));
    assert!(!format!("{:?}", server.clients()).contains("late-secret"));
}

#[test]
fn builder_debug_output_hides_secrets_and_keys() {
    let builder = DevServer::builder()
        .client(Client::confidential("c", "client-secret-value"))
        .user(User::new("u@example.com", "user-password-value"))
        .signing_key_pem(
            "default",
            "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----",
        );
    let debug = format!("{builder:?}");
    for secret in ["client-secret-value", "user-password-value", "MIIsecret"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(debug.contains("pem_keys_for"));
}

#[tokio::test]
async fn binding_a_busy_address_fails_with_bind() {
    let first = DevServer::builder().start().await.unwrap();
    let error = DevServer::builder().bind(first.addr()).start().await.unwrap_err();
    assert!(matches!(error, StartError::Bind { .. }), "{error}");
}

#[tokio::test]
async fn loaded_keys_sign_tokens() {
    use aws_lc_rs::encoding::AsDer as _;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = pair.as_der().unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der.as_ref())
    );
    let server = DevServer::builder().signing_key_pem("default", pem).start().await.unwrap();
    let jwks = server.keys().jwks("default").unwrap();
    let kid = server.keys().signing_kid("default").unwrap();
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
    let signed = server.keys().sign("default", &serde_json::json!({"sub": "x"})).unwrap();
    assert!(crate::testing::verifies(&signed, &jwks));
    assert!(server.keys().sign("nope", &serde_json::json!({})).is_err());
}
