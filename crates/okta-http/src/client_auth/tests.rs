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

const RSA_PEM: &str = include_str!("../../../okta-config/testdata/rsa-2048-pkcs8.pem");
const EC_JWK: &str = include_str!("../../../okta-config/testdata/ec-p256.jwk.json");
const TOKEN_URL: &str = "https://example.okta.com/oauth2/default/v1/token";
const JWT_SECRET: &str = "0123456789abcdef0123456789abcdef-hs256";

fn signing_key(text: &str, kid: Option<&str>) -> okta_config::ClientSigningKey {
    okta_config::ClientSigningKey::parse(text, None, kid.map(str::to_owned)).unwrap()
}

/// The form pairs of a request body.
fn form(request: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(request.body()).into_owned().collect()
}

/// The header, the claims, the signing input and the signature of the request's assertion.
fn assertion(
    request: &http::Request<Vec<u8>>,
) -> (serde_json::Value, serde_json::Value, String, Vec<u8>) {
    let pairs = form(request);
    let value = |name: &str| {
        pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()).unwrap()
    };
    assert_eq!(
        value("client_assertion_type"),
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let jwt = value("client_assertion");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let decode =
        |part: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap();
    let json = |part: &str| serde_json::from_slice::<serde_json::Value>(&decode(part)).unwrap();
    (json(parts[0]), json(parts[1]), format!("{}.{}", parts[0], parts[1]), decode(parts[2]))
}

fn assert_claims(claims: &serde_json::Value, client_id: &str, now: i64) {
    assert_eq!(claims["iss"], client_id);
    assert_eq!(claims["sub"], client_id);
    assert_eq!(claims["aud"], TOKEN_URL, "aud is the exact endpoint URL");
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 300, "exp five minutes ahead");
    assert_eq!(claims["jti"].as_str().unwrap().len(), 22, "128 random bits, base64url");
}

#[test]
fn client_secret_jwt_signs_hs256_under_the_secret() {
    let now = 1_800_000_000;
    let credentials = ClientCredentials::client_secret_jwt(id("0oa1jwt"), secret(JWT_SECRET))
        .unwrap()
        .with_clock(crate::Clock::fixed_unix(now.try_into().unwrap()));
    assert_eq!(credentials.method(), ClientAuthMethod::ClientSecretJwt);
    let request = credentials
        .form_request(&Url::parse(TOKEN_URL).unwrap(), &[("grant_type", "client_credentials")])
        .unwrap();
    assert!(!request.headers().contains_key(http::header::AUTHORIZATION));
    let pairs = form(&request);
    assert!(pairs.iter().all(|(key, _)| key != "client_secret" && key != "client_id"), "{pairs:?}");
    assert!(!body(&request).contains(JWT_SECRET));
    let (header, claims, input, signature) = assertion(&request);
    assert_eq!(header, serde_json::json!({ "alg": "HS256", "typ": "JWT" }));
    assert_claims(&claims, "0oa1jwt", now);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, JWT_SECRET.as_bytes());
    aws_lc_rs::hmac::verify(&key, input.as_bytes(), &signature).unwrap();

    let short =
        ClientCredentials::client_secret_jwt(id("0oa1jwt"), secret("too-short")).unwrap_err();
    assert!(matches!(short, ClientAuthError::SecretTooShort { min: 32 }), "{short:?}");
}

#[test]
fn private_key_jwt_signs_rs256_and_es256_with_the_kid() {
    use aws_lc_rs::signature::{self, KeyPair as _};
    let now = 1_800_000_000;
    let clock = crate::Clock::fixed_unix(now.try_into().unwrap());
    let url = Url::parse(TOKEN_URL).unwrap();

    let rsa_key = signing_key(RSA_PEM, Some("rsa-kid"));
    let credentials = ClientCredentials::private_key_jwt(id("0oa1svc"), &rsa_key)
        .unwrap()
        .with_clock(clock.clone());
    assert_eq!(credentials.method(), ClientAuthMethod::PrivateKeyJwt);
    assert!(credentials.client_secret().is_none());
    let request = credentials.form_request(&url, &[("grant_type", "client_credentials")]).unwrap();
    let (header, claims, input, sig) = assertion(&request);
    assert_eq!(header, serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": "rsa-kid" }));
    assert_claims(&claims, "0oa1svc", now);
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(rsa_key.pkcs8_der()).unwrap();
    signature::UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref(),
    )
    .verify(input.as_bytes(), &sig)
    .unwrap();

    let ec_key = signing_key(EC_JWK, None);
    let credentials =
        ClientCredentials::private_key_jwt(id("0oa1svc"), &ec_key).unwrap().with_clock(clock);
    let first = credentials.form_request(&url, &[("grant_type", "client_credentials")]).unwrap();
    let (header, claims, input, sig) = assertion(&first);
    assert_eq!(header, serde_json::json!({ "alg": "ES256", "typ": "JWT", "kid": "ec-jwk-kid" }));
    assert_claims(&claims, "0oa1svc", now);
    let pair = signature::EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        ec_key.pkcs8_der(),
    )
    .unwrap();
    signature::UnparsedPublicKey::new(
        &signature::ECDSA_P256_SHA256_FIXED,
        pair.public_key().as_ref(),
    )
    .verify(input.as_bytes(), &sig)
    .unwrap();

    // Every request gets a new assertion with a new jti (Okta consumes each one).
    let second = credentials.form_request(&url, &[("grant_type", "client_credentials")]).unwrap();
    assert_ne!(assertion(&first).1["jti"], assertion(&second).1["jti"]);
    let debug = format!("{credentials:?}");
    assert!(debug.contains("ec-jwk-kid") && !debug.contains("MII"), "{debug}");
}

#[test]
fn a_public_client_sends_its_id_only() {
    let credentials = ClientCredentials::none(id("0oa1cli"));
    assert_eq!(credentials.method(), ClientAuthMethod::None);
    let request =
        credentials.form_request(&Url::parse(TOKEN_URL).unwrap(), &[("code", "c")]).unwrap();
    assert!(!request.headers().contains_key(http::header::AUTHORIZATION));
    assert_eq!(body(&request), "code=c&client_id=0oa1cli");
}

#[test]
fn from_settings_maps_the_key_methods() {
    let base = || {
        SettingsLoader::isolated()
            .set("issuer", "https://dev-123456.okta.com/oauth2/default")
            .set("client_id", "0oa1client")
            .role(Role::Service)
    };
    let settings = base()
        .set("client_auth_method", "private_key_jwt")
        .set("client_private_key", RSA_PEM)
        .load()
        .unwrap();
    assert_eq!(
        ClientCredentials::from_settings(&settings).unwrap().method(),
        ClientAuthMethod::PrivateKeyJwt
    );
    let settings = base()
        .set("client_auth_method", "client_secret_jwt")
        .set("client_secret", JWT_SECRET)
        .load()
        .unwrap();
    assert_eq!(
        ClientCredentials::from_settings(&settings).unwrap().method(),
        ClientAuthMethod::ClientSecretJwt
    );
    // A public client (the `okta` command, a native app): no role that needs a secret.
    let settings = SettingsLoader::isolated()
        .set("issuer", "https://dev-123456.okta.com/oauth2/default")
        .set("client_id", "0oa1client")
        .set("client_auth_method", "none")
        .load()
        .unwrap();
    assert_eq!(
        ClientCredentials::from_settings(&settings).unwrap().method(),
        ClientAuthMethod::None
    );
}
