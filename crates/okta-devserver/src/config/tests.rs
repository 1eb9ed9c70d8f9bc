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
