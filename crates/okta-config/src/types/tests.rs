//! Tests of the validated newtypes: the issuer's endpoint layout and each type's rules.

use super::*;

#[test]
fn the_org_server_layout() {
    let issuer = Issuer::parse("https://dev-1.okta.com").unwrap();
    assert!(issuer.is_org());
    assert_eq!(issuer.authorization_server(), &AuthorizationServer::Org);
    assert_eq!(issuer.authorization_server().custom_id(), None);
    assert_eq!(
        issuer.discovery_url().as_str(),
        "https://dev-1.okta.com/.well-known/openid-configuration"
    );
    assert_eq!(
        issuer.oauth_metadata_url().as_str(),
        "https://dev-1.okta.com/.well-known/oauth-authorization-server"
    );
    let endpoints = [
        issuer.authorize_url(),
        issuer.token_url(),
        issuer.keys_url(),
        issuer.introspect_url(),
        issuer.revoke_url(),
        issuer.userinfo_url(),
        issuer.logout_url(),
    ];
    let endpoints: Vec<_> = endpoints.iter().map(Url::as_str).collect();
    assert_eq!(
        endpoints,
        [
            "https://dev-1.okta.com/oauth2/v1/authorize",
            "https://dev-1.okta.com/oauth2/v1/token",
            "https://dev-1.okta.com/oauth2/v1/keys",
            "https://dev-1.okta.com/oauth2/v1/introspect",
            "https://dev-1.okta.com/oauth2/v1/revoke",
            "https://dev-1.okta.com/oauth2/v1/userinfo",
            "https://dev-1.okta.com/oauth2/v1/logout",
        ]
    );
}

#[test]
fn the_custom_server_layout() {
    let issuer = Issuer::parse("https://dev-1.okta.com/oauth2/default").unwrap();
    assert!(!issuer.is_org());
    assert_eq!(issuer.authorization_server().custom_id(), Some("default"));
    assert_eq!(
        issuer.discovery_url().as_str(),
        "https://dev-1.okta.com/oauth2/default/.well-known/openid-configuration"
    );
    // RFC 8414 puts the well-known segment first, which is the order Okta documents.
    assert_eq!(
        issuer.oauth_metadata_url().as_str(),
        "https://dev-1.okta.com/.well-known/oauth-authorization-server/oauth2/default"
    );
    assert_eq!(issuer.keys_url().as_str(), "https://dev-1.okta.com/oauth2/default/v1/keys");
    assert_eq!(issuer.logout_url().as_str(), "https://dev-1.okta.com/oauth2/default/v1/logout");
    assert_eq!(issuer.to_string(), "https://dev-1.okta.com/oauth2/default");
    assert_eq!(format!("{issuer:?}"), r#"Issuer("https://dev-1.okta.com/oauth2/default")"#);
}

#[test]
fn issuers_keep_their_exact_text() {
    // `Url` would normalise the host's case and add a `/`; tokens must match the text as given.
    let issuer = Issuer::parse("https://Dev-1.okta.com:443/oauth2/default").unwrap();
    assert_eq!(issuer.as_str(), "https://Dev-1.okta.com:443/oauth2/default");
    assert_ne!(issuer, Issuer::parse("https://dev-1.okta.com/oauth2/default").unwrap());
}

#[test]
fn from_domain_builds_both_kinds() {
    let custom = AuthorizationServer::parse("aus1").unwrap();
    let issuer = Issuer::from_domain("dev-1.okta.com", &custom).unwrap();
    assert_eq!(issuer.as_str(), "https://dev-1.okta.com/oauth2/aus1");
    let org = Issuer::from_domain("dev-1.okta.com", &AuthorizationServer::Org).unwrap();
    assert_eq!(org.as_str(), "https://dev-1.okta.com");
    assert!(Issuer::from_domain("http://dev-1.okta.com", &AuthorizationServer::Org).is_err());
    assert!(AuthorizationServer::parse("").is_err());
    assert!(AuthorizationServer::parse("../x").is_err());
}

#[test]
fn secrets_are_redacted() {
    let secret = ClientSecret::parse("hunter2-hunter2".to_owned()).unwrap();
    assert_eq!(format!("{secret:?}"), "ClientSecret([redacted])");
    assert_eq!(secret.secret(), "hunter2-hunter2");
    let cookie = CookieSecret::from_bytes(vec![7; 32]).unwrap();
    assert_eq!(format!("{cookie:?}"), "CookieSecret([redacted])");
    assert!(CookieSecret::from_bytes(vec![7; 31]).is_err());
    // Every base64 dialect decodes to the same key.
    let key = [0xfb_u8; 33];
    for encoded in [
        "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7",
        "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7",
    ] {
        assert_eq!(CookieSecret::from_base64(encoded).unwrap().secret(), key);
    }
}

#[test]
fn scopes_are_rfc_6749_scope_tokens() {
    for good in ["openid", "offline_access", "okta.users.read", "api:write!", "a#b"] {
        assert!(Scope::parse(good).is_ok(), "{good}");
    }
    for bad in ["", "open id", "a\"b", "a\\b", "caf\u{e9}", "\t"] {
        assert!(Scope::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn loopback_hosts() {
    for (url, loopback) in [
        ("http://127.0.0.1:1", true),
        ("http://127.1.2.3", true),
        ("http://[::1]:8080", true),
        ("http://LOCALHOST:8080", true),
        ("http://localhost.example.com", false),
        ("http://10.0.0.1", false),
        ("http://[::2]", false),
    ] {
        assert_eq!(is_loopback_url(&Url::parse(url).unwrap()), loopback, "{url}");
    }
}

#[test]
fn validated_values_equal_the_text_they_were_parsed_from() {
    let issuer = Issuer::parse("https://dev-1.okta.com/oauth2/default").unwrap();
    assert_eq!(issuer, "https://dev-1.okta.com/oauth2/default");
    assert_ne!(issuer, "https://dev-1.okta.com/oauth2/default/");
    assert_eq!(Audience::parse("api://default").unwrap(), *"api://default");
    assert_eq!(ClientId::parse("0oa1").unwrap(), "0oa1".to_owned());
    assert_ne!(Scope::parse("openid").unwrap(), "OpenID");
}
