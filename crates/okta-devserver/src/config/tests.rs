//! Tests of the configuration model and its TOML form.

use super::*;

#[test]
fn the_example_file_parses() {
    let text = include_str!("../../devserver.example.toml");
    let config: DevServerConfig = toml::from_str(text).expect("the example parses");
    assert!(!config.clients.is_empty());
    assert!(!config.users.is_empty());
    assert!(config.authorization_servers.iter().any(|server| server.id() == "payments"));
    for client in &config.clients {
        assert_eq!(client.problems(), Vec::<String>::new());
    }
    for server in &config.authorization_servers {
        assert_eq!(server.problems(), Vec::<String>::new());
    }
    let reports = config.clients.iter().find(|client| client.id() == "payments-reports").unwrap();
    let demo_ec = crate::public_jwk(crate::DEMO_JWT_SERVICE_EC_KEY_PEM, "reports-1").unwrap();
    assert_eq!(
        (&reports.jwks()[0]["x"], &reports.jwks()[0]["y"]),
        (&demo_ec["x"], &demo_ec["y"]),
        "the example's key is the public half of the committed demo EC key"
    );
}

#[test]
fn unknown_keys_are_rejected() {
    let error = toml::from_str::<DevServerConfig>("colour = 1").unwrap_err();
    assert!(error.to_string().contains("unknown field"), "{error}");
}

#[test]
fn lifetimes_are_read_in_seconds() {
    let config: DevServerConfig =
        toml::from_str("[lifetimes]\naccess_token = 300\nsession_token = 10").unwrap();
    let lifetimes = config.lifetimes.unwrap();
    assert_eq!(lifetimes.access_token(), Duration::from_mins(5));
    assert_eq!(lifetimes.session_token(), Duration::from_secs(10));
    assert_eq!(lifetimes.authorization_code(), Duration::from_mins(5), "default kept");
}

#[test]
fn custom_claims_parse_both_value_forms() {
    let config: DevServerConfig = toml::from_str(
        r#"
        [[authorization_servers]]
        id = "x"
        claims = [
          { name = "groups", value = "groups", include_in = "both" },
          { name = "tier", value = { static = "gold" }, scopes = ["tier"] },
        ]
        "#,
    )
    .unwrap();
    let claims = config.authorization_servers[0].claims();
    assert_eq!(claims[0].value(), &ClaimValue::Groups);
    assert_eq!(claims[0].target(), ClaimTarget::Both);
    assert_eq!(claims[1].value(), &ClaimValue::Static(serde_json::json!("gold")));
    assert!(!claims[1].applies_to(&["openid".to_owned()]));
    assert!(claims[1].applies_to(&["tier".to_owned()]));
}

#[test]
fn debug_output_hides_secrets_and_passwords() {
    let client = format!("{:?}", Client::confidential("c", "very-secret-value"));
    let user = format!("{:?}", User::new("u@example.com", "hunter2-password"));
    assert!(!client.contains("very-secret-value"), "{client}");
    assert!(!user.contains("hunter2-password"), "{user}");
    assert!(client.contains("[redacted]") && user.contains("[redacted]"));
}

#[test]
fn client_problems_are_reported() {
    let public_with_secret: Client = toml::from_str(
        "id = \"p\"\nsecret = \"s\"\nauth_method = \"none\"\nredirect_uris = [\"not a url\"]",
    )
    .unwrap();
    let problems = public_with_secret.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(Client::confidential("c", "").problems()[0].contains("non-empty secret"));
    assert!(Client::public("p").requires_pkce());
}

#[test]
fn user_ids_are_stable_and_okta_shaped() {
    let first = User::new("Alice@Example.com", "x").id();
    assert_eq!(first, User::new("alice@example.com", "y").id());
    assert_eq!(first.len(), 20);
    assert!(first.starts_with("00u"));
    assert_eq!(User::new("a", "b").with_id("00uFIXED").id(), "00uFIXED");
    assert_eq!(User::demo().email(), Some(DEMO_USERNAME));
    assert_eq!(User::demo().name().as_deref(), Some("Alice Liddell"));
}

#[test]
fn server_ids_are_checked() {
    assert!(AuthorizationServer::new("default").problems().is_empty());
    assert!(!AuthorizationServer::new("v1").problems().is_empty());
    assert!(!AuthorizationServer::new("a/b").problems().is_empty());
    assert_eq!(AuthorizationServer::new("pay").audience(), "api://pay");
}

#[test]
fn service_apps_parse_with_keys_scopes_and_grants() {
    let jwk = crate::public_jwk(crate::DEMO_JWT_SERVICE_EC_KEY_PEM, "ec-1").unwrap();
    let toml_jwk = format!(
        "{{ kty = \"EC\", crv = \"P-256\", kid = \"ec-1\", x = {}, y = {} }}",
        jwk["x"], jwk["y"]
    );
    let config: DevServerConfig = toml::from_str(&format!(
        r#"
        [[clients]]
        id = "reports"
        application_type = "service"
        auth_method = "private_key_jwt"
        jwks = {{ keys = [{toml_jwk}] }}
        okta_api_scopes = ["okta.users.read"]

        [[clients]]
        id = "bff"
        application_type = "service"
        secret = "bff-secret-0123456789abcdefghijklmn"
        auth_method = "client_secret_jwt"
        grant_types = ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"]
        "#
    ))
    .unwrap();
    let reports = &config.clients[0];
    assert_eq!(reports.application_type(), ApplicationType::Service);
    assert_eq!(reports.auth_method(), ClientAuthMethod::PrivateKeyJwt);
    assert_eq!(reports.grant_types(), [GrantType::ClientCredentials], "a service app's default");
    assert_eq!(
        (&reports.jwks()[0]["kid"], &reports.jwks()[0]["x"], &reports.jwks()[0]["y"]),
        (&jwk["kid"], &jwk["x"], &jwk["y"])
    );
    assert_eq!(reports.keys().len(), 1);
    assert_eq!(reports.okta_api_scopes(), ["okta.users.read"]);
    assert_eq!(reports.problems(), Vec::<String>::new());
    let bff = &config.clients[1];
    assert_eq!(bff.grant_types(), [GrantType::ClientCredentials, GrantType::TokenExchange]);
    assert_eq!(bff.problems(), Vec::<String>::new());
    assert_eq!(
        GrantType::TokenExchange.as_str(),
        "urn:ietf:params:oauth:grant-type:token-exchange"
    );
    assert_eq!(
        GrantType::parse("urn:ietf:params:oauth:grant-type:token-exchange"),
        Some(GrantType::TokenExchange)
    );
    assert_eq!(GrantType::parse("token_exchange"), None, "the wire takes the URN only");
}

#[test]
fn application_types_keep_okta_s_rules() {
    let problems = |client: Client| client.problems().join("\n");
    let cases = [
        (
            Client::service("s", "secret").with_grant_types([GrantType::AuthorizationCode]),
            "only client_credentials and token exchange",
        ),
        (
            Client::service("s", "secret").with_redirect_uri("http://127.0.0.1/cb"),
            "no redirect URIs",
        ),
        (Client::public("p").with_application_type(ApplicationType::Service), "cannot be public"),
        (
            Client::public("p").with_application_type(ApplicationType::Web),
            "a web app is confidential",
        ),
        (
            Client::confidential("c", "s").with_application_type(ApplicationType::Browser),
            "a browser app is a public client",
        ),
        (
            Client::public("p").with_grant_types([GrantType::ClientCredentials]),
            "a public client cannot use client_credentials",
        ),
        (
            Client::confidential("c", "s").with_grant_types([GrantType::TokenExchange]),
            "only service apps may use token exchange",
        ),
        (
            Client::service("s", "secret").with_auth_method(ClientAuthMethod::PrivateKeyJwt),
            "needs at least one public key",
        ),
        (
            Client::service("s", "secret").with_okta_api_scopes(["users.read"]),
            "not an Okta API scope",
        ),
        (
            Client::service("s", "").with_auth_method(ClientAuthMethod::ClientSecretJwt),
            "needs a non-empty secret",
        ),
        (
            Client::service("s", "secret").with_jwk(serde_json::json!({"kty": "oct"})),
            "client s: jwks key #1 has kty \"oct\"",
        ),
    ];
    for (client, expected) in cases {
        let found = problems(client);
        assert!(found.contains(expected), "{expected:?} missing from {found:?}");
    }
    assert_eq!(Client::public("p").application_type(), ApplicationType::Native);
    assert_eq!(Client::demo().application_type(), ApplicationType::Web);
    assert_eq!(
        Client::demo().problems(),
        Vec::<String>::new(),
        "the demo web app keeps client_credentials"
    );
}

#[test]
fn keys_added_at_run_time_keep_the_key_set_valid() {
    let mut client = Client::demo_jwt_service();
    let extra = crate::public_jwk(crate::DEMO_JWT_SERVICE_RSA_KEY_PEM, "next").unwrap();
    assert_eq!(client.add_jwk(extra), Ok(()));
    assert_eq!(client.keys().len(), 3);
    let duplicate = crate::public_jwk(crate::DEMO_JWT_SERVICE_RSA_KEY_PEM, "next").unwrap();
    let problems = client.add_jwk(duplicate).unwrap_err();
    assert_eq!(problems, ["client demo-service-jwt: jwks has the kid \"next\" twice"]);
    assert_eq!(client.jwks().len(), 3, "a refused key is not added");
}

#[test]
fn servers_parse_default_scopes_policies_and_trust() {
    let config: DevServerConfig = toml::from_str(
        r#"
        [[authorization_servers]]
        id = "payments"
        scopes = ["payments:read", "payments:write"]
        default_scopes = ["payments:read"]
        trusted_servers = ["default"]

        [[authorization_servers.policies]]
        name = "Batch"
        clients = ["batch"]

        [[authorization_servers.policies.rules]]
        name = "Read"
        grant_types = ["client_credentials"]
        scopes = ["payments:read"]
        access_token_lifetime = 600

        [[authorization_servers.policies]]
        name = "Everyone"

        [[authorization_servers.policies.rules]]
        name = "Anything"
        "#,
    )
    .unwrap();
    let server = &config.authorization_servers[0];
    assert_eq!(server.default_scopes(), ["payments:read"]);
    assert_eq!(server.trusted_servers(), ["default"]);
    let [batch, everyone] = server.policies() else { panic!("two policies") };
    assert_eq!(batch.clients(), Some(["batch".to_owned()].as_slice()));
    assert!(batch.applies_to("batch") && !batch.applies_to("other"));
    let rule = &batch.rules()[0];
    assert_eq!(rule.grant_types(), [GrantType::ClientCredentials]);
    assert_eq!(rule.access_token_lifetime(), Some(Duration::from_mins(10)));
    assert!(rule.allows_scope("payments:read") && !rule.allows_scope("payments:write"));
    assert_eq!(everyone.clients(), None);
    assert_eq!(
        everyone.rules()[0].grant_types(),
        GrantType::ALL,
        "a rule without grant_types has them all"
    );
    assert_eq!(everyone.rules()[0].scopes(), None);
    assert_eq!(server.problems(), Vec::<String>::new());
    assert_eq!(server.trust_problems(|id| id == "default"), Vec::<String>::new());
    assert_eq!(server.trust_problems(|_| false).len(), 1);
}

#[test]
fn server_problems_are_reported() {
    let server =
        AuthorizationServer::new("api").with_scope("read").with_trusted_server("api").with_policy(
            AccessPolicy::new("P")
                .with_rule(PolicyRule::new("unknown scope").with_scopes(["read", "nope", "openid"]))
                .with_rule(
                    PolicyRule::new("short").with_access_token_lifetime(Duration::from_mins(4)),
                )
                .with_rule(
                    PolicyRule::new("long").with_access_token_lifetime(Duration::from_hours(25)),
                ),
        );
    let mut config = server.clone();
    config.default_scopes.push("missing".to_owned());
    let problems = config.problems();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems[0].contains("default scope \"missing\""));
    assert!(problems[1].contains("scope \"nope\" is not a scope of the server"));
    assert!(problems[2].contains("240 s; Okta allows 5 min to 1 day"));
    assert!(problems[3].contains("90000 s"));
    assert_eq!(server.trust_problems(|_| true).len(), 1, "a server cannot trust itself");
}
