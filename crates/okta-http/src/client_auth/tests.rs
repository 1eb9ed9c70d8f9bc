//! Tests of client authentication: the request shape of each method, and the settings mapping.

use base64::Engine as _;
use okta_config::{ClientAuthMethod, ClientId, ClientSecret, Role, SettingsLoader};
use url::Url;

use crate::{ClientAuthError, ClientCredentials};

const URL: &str = "https://example.okta.com/oauth2/default/v1/introspect";

fn id(text: &str) -> ClientId {
    ClientId::parse(text).unwrap()
}

fn secret(text: &str) -> ClientSecret {
    ClientSecret::parse(text.to_owned()).unwrap()
}

fn body(request: &http::Request<Vec<u8>>) -> String {
    String::from_utf8(request.body().clone()).unwrap()
}

#[test]
fn client_secret_basic_form_encodes_the_id_and_secret_then_base64() {
    let credentials = ClientCredentials::client_secret_basic(id("a+b/c:%"), secret("p:%&+=ü x"));
    let request = credentials
        .form_request(&Url::parse(URL).unwrap(), &[("token", "tok en+/="), ("hint", "a")])
        .unwrap();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), URL);
    assert_eq!(request.headers()[http::header::CONTENT_TYPE], "application/x-www-form-urlencoded");
    assert_eq!(request.headers()[http::header::ACCEPT], "application/json");
    // RFC 6749 §2.3.1: form-encode the id and the secret, then Basic.
    let authorization = request.headers()[http::header::AUTHORIZATION].to_str().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(authorization.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), "a%2Bb%2Fc%3A%25:p%3A%25%26%2B%3D%C3%BC+x");
    assert_eq!(body(&request), "token=tok+en%2B%2F%3D&hint=a");
    assert_eq!(credentials.method(), ClientAuthMethod::ClientSecretBasic);
}

#[test]
fn client_secret_post_puts_the_credentials_in_the_body_only() {
    let credentials = ClientCredentials::client_secret_post(id("0oa1client"), secret("s3cret"));
    let request = credentials.form_request(&Url::parse(URL).unwrap(), &[("token", "t")]).unwrap();
    assert!(!request.headers().contains_key(http::header::AUTHORIZATION));
    assert_eq!(body(&request), "token=t&client_id=0oa1client&client_secret=s3cret");
    assert_eq!(credentials.method(), ClientAuthMethod::ClientSecretPost);
}

#[test]
fn debug_never_shows_the_secret() {
    for credentials in [
        ClientCredentials::client_secret_basic(id("0oa1client"), secret("hunter2-secret")),
        ClientCredentials::client_secret_post(id("0oa1client"), secret("hunter2-secret")),
    ] {
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("0oa1client") && debug.contains("[redacted]"), "{debug}");
    }
}

#[test]
fn from_settings_maps_every_method() {
    let load = |method: &str| {
        SettingsLoader::isolated()
            .set("issuer", "https://dev-123456.okta.com/oauth2/default")
            .set("client_id", "0oa1client")
            .set("client_secret", "s3cret-s3cret")
            .set("client_auth_method", method)
            .set("any_client", true)
            .role(Role::ResourceServer)
            .load()
            .unwrap()
    };
    for (name, method) in [
        ("client_secret_basic", ClientAuthMethod::ClientSecretBasic),
        ("client_secret_post", ClientAuthMethod::ClientSecretPost),
    ] {
        let credentials = ClientCredentials::from_settings(&load(name)).unwrap();
        assert_eq!(credentials.method(), method);
        assert_eq!(credentials.client_id().as_str(), "0oa1client");
        assert_eq!(credentials.client_secret().map(ClientSecret::secret), Some("s3cret-s3cret"));
    }
}

#[test]
fn from_settings_says_what_is_missing() {
    let no_client = SettingsLoader::isolated()
        .set("issuer", "https://dev-123456.okta.com/oauth2/default")
        .set("any_client", true)
        .role(Role::ResourceServer)
        .load()
        .unwrap();
    assert!(matches!(
        ClientCredentials::from_settings(&no_client),
        Err(ClientAuthError::MissingClientId)
    ));
    let no_secret = SettingsLoader::isolated()
        .set("issuer", "https://dev-123456.okta.com/oauth2/default")
        .set("client_id", "0oa1client")
        .set("any_client", true)
        .role(Role::ResourceServer)
        .load()
        .unwrap();
    let err = ClientCredentials::from_settings(&no_secret).unwrap_err();
    assert!(
        matches!(
            err,
            ClientAuthError::MissingClientSecret { method: ClientAuthMethod::ClientSecretBasic }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "client_auth_method client_secret_basic needs a client_secret, and none is configured"
    );
}
