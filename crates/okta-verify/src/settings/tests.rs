//! Verifiers built from `okta-config` settings.

use std::sync::Arc;
use std::time::Duration;

use okta_config::ClientAuthMethod;
use okta_config::{Role, Settings, SettingsLoader};
use okta_http::{ClientCredentials, HttpClient, TransportError};

use crate::{
    AccessTokenOptions, AccessTokenVerifier, IdTokenOptions, IntrospectionOptions, JwksCache,
    JwksCacheOptions,
};

fn offline() -> Arc<dyn HttpClient> {
    Arc::new(|_request: http::Request<Vec<u8>>| async {
        Err::<http::Response<Vec<u8>>, _>(TransportError::other("offline"))
    })
}

fn resource_server() -> Settings {
    SettingsLoader::isolated()
        .set("issuer", "https://dev-123456.okta.com/oauth2/aus1payments")
        .set("audience", "api://payments")
        .set("client_ids", "0oa1,0oa2")
        .set("required_scopes", "payments:read")
        .set("leeway_secs", 30_i64)
        .set("jwks.refresh_interval_secs", 120_i64)
        .role(Role::ResourceServer)
        .load()
        .unwrap()
}

#[test]
fn access_token_options_follow_the_settings() {
    let settings = resource_server();
    let options = AccessTokenOptions::from_settings(&settings);
    assert_eq!(options.issuer, "https://dev-123456.okta.com/oauth2/aus1payments");
    assert_eq!(options.audiences, ["api://payments"]);
    assert_eq!(options.client_ids, ["0oa1", "0oa2"]);
    assert_eq!(options.required_scopes, ["payments:read"]);
    assert_eq!(options.leeway, Duration::from_secs(30));
    assert_eq!(options.max_age, settings.max_token_age());
    let keys = JwksCache::from_settings(&settings, offline()).unwrap();
    assert_eq!(
        keys.jwks_uri().map(url::Url::as_str),
        Some("https://dev-123456.okta.com/oauth2/aus1payments/v1/keys")
    );
    assert!(AccessTokenVerifier::from_settings(&settings, keys).is_ok());
    let jwks = JwksCacheOptions::from_settings(&settings);
    assert_eq!(jwks.refetch_cooldown, settings.jwks().refetch_cooldown());
    assert_eq!(jwks.refresh_interval, Duration::from_mins(2));
}

#[test]
fn client_settings_give_id_token_options_and_credentials() {
    let settings = SettingsLoader::isolated()
        .set("issuer", "https://dev-123456.okta.com/oauth2/default")
        .set("client_id", "0oa1client")
        .set("client_secret", "a-long-enough-client-secret-value-1234567890")
        .set("client_auth_method", "client_secret_post")
        .set("redirect_uri", "http://localhost:8080/callback")
        .role(Role::Client)
        .load()
        .unwrap();
    let options = IdTokenOptions::from_settings(&settings).unwrap();
    assert_eq!(options.client_id, "0oa1client");
    assert_eq!(options.issuer, "https://dev-123456.okta.com/oauth2/default");
    let credentials = ClientCredentials::from_settings(&settings).unwrap();
    assert_eq!(credentials.client_id(), "0oa1client");
    assert_eq!(credentials.method(), ClientAuthMethod::ClientSecretPost);
    let introspection = IntrospectionOptions::from_settings(&settings);
    assert_eq!(
        introspection.introspect_url.as_str(),
        "https://dev-123456.okta.com/oauth2/default/v1/introspect"
    );
}

#[test]
fn missing_client_is_a_configuration_error() {
    let settings = resource_server();
    assert_eq!(
        IdTokenOptions::from_settings(&settings).unwrap_err().to_string(),
        "missing client settings: client_id"
    );
    let err = crate::IntrospectionVerifier::from_settings(&settings, offline()).unwrap_err();
    assert!(
        matches!(
            err,
            crate::ConfigError::ClientCredentials(okta_http::ClientAuthError::MissingClientId)
        ),
        "{err:?}"
    );
}

#[test]
fn intro_org_server_introspection_expects_the_org_url_as_audience() {
    // Org-server access tokens carry `aud` = the org URL (okta-facts-2 item 27): without an
    // audience, any token of the org, for any client, would pass introspection.
    let settings = SettingsLoader::isolated()
        .set("issuer", "https://dev-123456.okta.com")
        .set("client_id", "0oa1client")
        .set("client_secret", "a-long-enough-client-secret-value-1234567890")
        .set("any_client", true)
        .role(Role::ResourceServer)
        .load()
        .unwrap();
    let options = IntrospectionOptions::from_settings(&settings);
    let audiences: Vec<&str> =
        options.audiences.iter().map(okta_config::Audience::as_str).collect();
    assert_eq!(audiences, ["https://dev-123456.okta.com"]);
    crate::IntrospectionVerifier::from_settings(&settings, offline()).unwrap();
}
